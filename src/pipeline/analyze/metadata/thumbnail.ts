// The EXIF thumbnail (IFD1) is a small JPEG the camera wrote when it took the picture. Its size costs
// nothing to read from its frame header, and its bytes go back to the caller (not into the JSON) to be
// hashed and compared with the main image.
import type { MetadataThumbnail } from '../../../../schemas/metadata.js';
import { walkJpegHeader } from './jpeg.js';

export function describeThumbnail(thumbnail: Uint8Array | null): MetadataThumbnail {
  if (thumbnail === null || thumbnail.byteLength === 0)
    return { present: false, bytes: null, width: null, height: null };
  const { width, height } = walkJpegHeader(thumbnail);
  return { present: true, bytes: thumbnail.byteLength, width, height };
}
