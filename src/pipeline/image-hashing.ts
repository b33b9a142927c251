// Hashes of an image given directly (a bank entry by URL or upload): the same stages as a check's
// media item (probe, one decode, every hash), without the rest of the analysis.
import { createHash } from 'node:crypto';
import type { Hashes } from '../../schemas/hashes.js';
import { MediaError } from '../errors.js';
import { decodeForHashing } from './analyze/decode.js';
import { computeHashes } from './analyze/hashes.js';
import { probeMedia } from './probe.js';

export async function hashImage(
  bytes: Buffer,
  contentType: string | null,
  maxPixels: number,
  /** Decode and hash (the analysis pool's threads); default: on this thread. */
  hash: (bytes: Buffer, maxPixels: number) => Promise<Hashes> = hashHere,
): Promise<{ sha256: string; hashes: Hashes }> {
  const probe = await probeMedia(bytes, contentType, maxPixels);
  if (probe.kind !== 'image')
    throw new MediaError('unsupported_format', 'Bank entries by image are images, not videos');
  return { sha256: createHash('sha256').update(bytes).digest('hex'), hashes: await hash(bytes, maxPixels) };
}

async function hashHere(bytes: Buffer, maxPixels: number): Promise<Hashes> {
  return computeHashes(await decodeForHashing(bytes, { maxPixels }));
}
