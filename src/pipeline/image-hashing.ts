// Hashes of an image given directly (a bank entry by URL or upload): the same stages as a check's
// media item (probe, one decode, every hash, and its local features when asked), without the rest of the
// analysis.
import { createHash } from 'node:crypto';
import type { Hashes } from '../../schemas/hashes.js';
import { MediaError } from '../errors.js';
import type { FeatureOptions, ImageFeatures } from '../similarity/features/orb.js';
import { decodeForHashing } from './analyze/decode.js';
import { computeHashes } from './analyze/hashes.js';
import { imageFeatures } from './analyze/index.js';
import { probeMedia } from './probe.js';

/** Decodes and hashes an image, and extracts its local features when `features` is given. */
export type HashFn = (
  bytes: Buffer,
  maxPixels: number,
  features: FeatureOptions | null,
) => Promise<{ hashes: Hashes; features?: ImageFeatures | undefined }>;

export async function hashImage(
  bytes: Buffer,
  contentType: string | null,
  maxPixels: number,
  opts: {
    /** Extract local features too (for `partial` matches); null or absent: none. */
    features?: FeatureOptions | null | undefined;
    /** Decode and hash (the analysis pool's threads); default: on this thread. */
    hash?: HashFn | undefined;
  } = {},
): Promise<{ sha256: string; hashes: Hashes; features?: ImageFeatures | undefined }> {
  const probe = await probeMedia(bytes, contentType, maxPixels);
  if (probe.kind !== 'image')
    throw new MediaError('unsupported_format', 'Bank entries by image are images, not videos');
  const hashed = await (opts.hash ?? hashHere)(bytes, maxPixels, opts.features ?? null);
  return { sha256: createHash('sha256').update(bytes).digest('hex'), ...hashed };
}

/** Decodes once, hashes, and extracts features; also what the analysis pool's threads run. */
export const hashHere: HashFn = async (bytes, maxPixels, featureOptions) => {
  const decoded = await decodeForHashing(bytes, { maxPixels });
  const hashes = computeHashes(decoded);
  // Features are extra (partial matches): a failure must not cost the entry its hashes.
  const features = featureOptions
    ? await imageFeatures(decoded, hashes, featureOptions).catch(() => undefined)
    : undefined;
  return { hashes, ...(features && { features }) };
};
