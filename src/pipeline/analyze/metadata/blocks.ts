// What a container walker (PNG, WebP, HEIF, GIF) hands over: the metadata payloads it found, untouched,
// and how far it got. A walk that stops early must say so, or a truncated file would look "stripped".

export interface ContainerBlocks {
  /** A bare TIFF structure ("II*\0" or "MM\0*") holding the EXIF IFDs. */
  exif: Uint8Array | null;
  /** XMP packets as text. */
  xmp: string[];
  /** An ICC profile. */
  icc: Uint8Array | null;
  warnings: string[];
  /** Why nothing could be read (not this format at all, no metadata structure found), or null. */
  unreadable: string | null;
  /** Why the walk stopped before the end of the file (truncated or malformed), or null if it did not. */
  incomplete: string | null;
}

export const emptyBlocks = (): ContainerBlocks => ({
  exif: null,
  xmp: [],
  icc: null,
  warnings: [],
  unreadable: null,
  incomplete: null,
});

const EXIF_PREFIX = Buffer.from('Exif\0\0', 'latin1');

/**
 * The TIFF structure inside an EXIF payload. Containers should store it bare, but some writers keep the
 * JPEG APP1 "Exif\0\0" prefix; anything else that is not TIFF is rejected (null).
 */
export function tiffPayload(bytes: Uint8Array): Uint8Array | null {
  let body = bytes;
  if (Buffer.from(body.buffer, body.byteOffset, Math.min(6, body.byteLength)).equals(EXIF_PREFIX))
    body = body.subarray(6);
  if (body.byteLength < 8) return null;
  const ii = body[0] === 0x49 && body[1] === 0x49 && body[2] === 0x2a && body[3] === 0x00;
  const mm = body[0] === 0x4d && body[1] === 0x4d && body[2] === 0x00 && body[3] === 0x2a;
  return ii || mm ? body : null;
}
