// The metadata stage of the analysis: what the file's own EXIF, XMP, IPTC and ICC say about where it
// comes from. A pure function of the bytes (no network, no store), and it never throws: a file it cannot
// read is reported `unreadable` with the reason.
import type { Metadata } from '../../../schemas/metadata.js';
import { buildMetadata } from './metadata/normalize.js';
import { failed, readSources } from './metadata/sources.js';

export type { Metadata } from '../../../schemas/metadata.js';

export interface MetadataReading {
  metadata: Metadata;
  /** The embedded EXIF thumbnail (a small JPEG), kept out of the JSON so the caller can hash and compare it. */
  thumbnail: Buffer | null;
}

/** Reads the metadata and the EXIF thumbnail. `format` is the sniffed format (jpeg, png, webp, tiff, heic, …). */
export async function readMetadata(bytes: Buffer, format: string): Promise<MetadataReading> {
  try {
    return buildMetadata(await readSources(bytes, format), format);
  } catch (err) {
    // The readers are meant to turn every malformed input into warnings; this is the last line of defence.
    const reason = `unexpected error while reading metadata (${err instanceof Error ? err.message : String(err)})`;
    return buildMetadata(failed(reason), format);
  }
}

/** The metadata alone, for callers that do not need the thumbnail's bytes. */
export async function extractMetadata(bytes: Buffer, format: string): Promise<Metadata> {
  return (await readMetadata(bytes, format)).metadata;
}
