// Walks a JPEG's marker segments up to the image data (SOS). Metadata segments (APPn) all come before it,
// so a file cut before SOS may have lost some: we must then not call it "stripped". The same walk gives
// the frame size of the EXIF thumbnail.

export interface JpegHeader {
  width: number | null;
  height: number | null;
  /** [start, end) of the TIFF structure in each APP1 "Exif" segment. */
  exif: [number, number][];
  /** Offsets of APP1 segments that are neither EXIF nor XMP: damaged metadata, most likely. */
  strangeApp1: number[];
  /** Offset of the SOS marker (where the image data's header starts), or null if the walk did not reach it. */
  imageData: number | null;
  /** Why the walk could not reach the image data, or null if it did. */
  error: string | null;
}

export function walkJpegHeader(jpeg: Uint8Array): JpegHeader {
  const b = Buffer.from(jpeg.buffer, jpeg.byteOffset, jpeg.byteLength);
  const header: JpegHeader = {
    width: null,
    height: null,
    exif: [],
    strangeApp1: [],
    imageData: null,
    error: null,
  };
  if (b.length < 4 || b[0] !== 0xff || b[1] !== 0xd8)
    return { ...header, error: 'not a JPEG (no SOI marker)' };
  let offset = 2;
  while (offset + 4 <= b.length) {
    if (b[offset] !== 0xff) return { ...header, error: `JPEG malformed: no marker at byte ${offset}` };
    const marker = b[offset + 1]!;
    if (marker === 0xff || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      offset += marker === 0xff ? 1 : 2; // fill byte, or a marker without a length
      continue;
    }
    if (marker === 0xd9) return { ...header, error: 'JPEG ends (EOI) before any image data' };
    // 0x02-0xBF are reserved: a damaged marker, possibly the one that held the metadata.
    if (marker < 0xc0)
      return {
        ...header,
        error: `JPEG malformed: reserved marker 0x${marker.toString(16)} at byte ${offset}`,
      };
    const length = b.readUInt16BE(offset + 2);
    if (length < 2)
      return { ...header, error: `JPEG malformed: segment of length ${length} at byte ${offset}` };
    if (offset + 2 + length > b.length)
      return { ...header, error: `JPEG truncated inside a segment at byte ${offset}` };
    // SOF0-SOF15, except DHT (C4), JPG (C8) and DAC (CC), which share the range.
    if (
      marker >= 0xc0 &&
      marker <= 0xcf &&
      marker !== 0xc4 &&
      marker !== 0xc8 &&
      marker !== 0xcc &&
      length >= 7
    ) {
      header.height ??= b.readUInt16BE(offset + 5);
      header.width ??= b.readUInt16BE(offset + 7);
    }
    if (marker === 0xe1) {
      const kind = b.toString('latin1', offset + 4, Math.min(offset + 2 + length, offset + 33));
      if (kind.startsWith('Exif\0')) header.exif.push([offset + 10, offset + 2 + length]);
      else if (!kind.startsWith('http://ns.adobe.com/')) header.strangeApp1.push(offset);
    }
    if (marker === 0xda) return { ...header, imageData: offset };
    offset += 2 + length;
  }
  return { ...header, error: `JPEG truncated at byte ${offset}, before its image data` };
}
