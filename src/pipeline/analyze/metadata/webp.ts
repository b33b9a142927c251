// WebP (RIFF) chunk walker: exifr reads nothing from WebP. Metadata lives in the extended format (VP8X):
// an "EXIF" chunk holding a bare TIFF structure, an "XMP " chunk and an "ICCP" chunk. A simple WebP (VP8 or
// VP8L alone) cannot carry any, so reading it to the end and finding none is a real "stripped".
import { type ContainerBlocks, emptyBlocks, tiffPayload } from './blocks.js';

// VP8X flag bits (first byte of its payload).
const FLAG_ICC = 0x20;
const FLAG_EXIF = 0x08;
const FLAG_XMP = 0x04;

export function walkWebp(bytes: Buffer): ContainerBlocks {
  const found = emptyBlocks();
  if (
    bytes.length < 12 ||
    bytes.toString('latin1', 0, 4) !== 'RIFF' ||
    bytes.toString('latin1', 8, 12) !== 'WEBP'
  )
    return { ...found, unreadable: 'not a WebP file (bad RIFF header)' };
  // The RIFF size counts from byte 8; bytes after it are not part of the image.
  const end = Math.min(bytes.length, 8 + bytes.readUInt32LE(4));
  let flags: number | null = null;
  let offset = 12;
  while (offset + 8 <= end) {
    const fourcc = bytes.toString('latin1', offset, offset + 4);
    const size = bytes.readUInt32LE(offset + 4);
    const start = offset + 8;
    if (start + size > end) {
      found.incomplete = `WebP truncated inside its ${JSON.stringify(fourcc)} chunk at byte ${offset}`;
      break;
    }
    const data = bytes.subarray(start, start + size);
    if (fourcc === 'VP8X' && size >= 1) flags = data[0]!;
    else if (fourcc === 'EXIF' && found.exif === null) {
      found.exif = tiffPayload(data);
      if (found.exif === null) found.incomplete ??= 'its EXIF chunk does not hold a TIFF structure';
    } else if (fourcc === 'XMP ') found.xmp.push(data.toString('utf8'));
    else if (fourcc === 'ICCP') found.icc ??= data;
    // Chunks are padded to an even size.
    offset = start + size + (size % 2);
  }
  const announced = 8 + bytes.readUInt32LE(4);
  if (found.incomplete === null && announced > bytes.length)
    found.incomplete = `WebP truncated: the RIFF header announces ${announced} bytes, the file has ${bytes.length}`;
  else if (found.incomplete === null && offset < end)
    found.warnings.push(`WebP has stray bytes at ${offset}`);
  if (flags !== null) {
    const expected: [number, boolean, string][] = [
      [FLAG_EXIF, found.exif !== null, 'EXIF'],
      [FLAG_XMP, found.xmp.length > 0, 'XMP'],
      [FLAG_ICC, found.icc !== null, 'ICC'],
    ];
    for (const [bit, present, name] of expected)
      if ((flags & bit) !== 0 && !present) found.warnings.push(`WebP header announces ${name} but has none`);
  }
  return found;
}
