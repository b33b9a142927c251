// exifr allocates an array as long as an IFD entry's declared count before it reads the values, so a
// hostile entry claiming millions of values costs hundreds of megabytes and most of a second (measured: a
// 2 KB EXIF block with FNumber "count 9,043,969" took 600 ms and 150 MB). Before exifr sees a TIFF
// structure, we find the entries it will read whose values cannot fit in it, and set their count to 0 in
// a copy. (It skips the other entries unread, so their faults, common in maker notes, do not matter.)
import { READ_TAGS } from './tags.js';

/** Bytes per value of each TIFF field type (1 BYTE … 13 IFD). */
const TYPE_SIZE = [0, 1, 1, 2, 4, 8, 1, 1, 2, 4, 8, 4, 8, 4];
const EXIF_POINTER = 0x8769;
const GPS_POINTER = 0x8825;

export interface TiffFault {
  /** Offset of the entry's count field, from the start of the TIFF structure. */
  countAt: number;
  message: string;
}

/** Entries of IFD0, its EXIF and GPS sub-IFDs and IFD1 whose values lie outside `tiff`. */
export function findTiffFaults(tiff: Uint8Array): TiffFault[] {
  const b = Buffer.from(tiff.buffer, tiff.byteOffset, tiff.byteLength);
  if (b.length < 8) return [];
  const le = b[0] === 0x49;
  const u16 = (at: number) => (le ? b.readUInt16LE(at) : b.readUInt16BE(at));
  const u32 = (at: number) => (le ? b.readUInt32LE(at) : b.readUInt32BE(at));
  const faults: TiffFault[] = [];
  const visited = new Set<number>();
  const walk = (name: string, ifd: number): number | null => {
    if (ifd < 8 || ifd + 2 > b.length || visited.has(ifd)) return null;
    visited.add(ifd);
    const count = u16(ifd);
    const end = Math.min(ifd + 2 + count * 12, b.length - 12 + 1);
    for (let e = ifd + 2; e < end; e += 12) {
      const [tag, type, n] = [u16(e), u16(e + 2), u32(e + 4)];
      const size = (TYPE_SIZE[type] ?? 0) * n;
      const outside = READ_TAGS.has(tag) && size > 4 && (size > b.length || u32(e + 8) + size > b.length);
      if (outside)
        faults.push({
          countAt: e + 4,
          message: `${name} tag 0x${tag.toString(16)} claims ${n} values beyond the block`,
        });
      else if (tag === EXIF_POINTER || tag === GPS_POINTER)
        pointers.push([tag === GPS_POINTER ? 'GPS' : 'ExifIFD', u32(e + 8)]);
    }
    const next = ifd + 2 + count * 12;
    return next + 4 <= b.length ? u32(next) : null;
  };
  const pointers: [string, number][] = [];
  const ifd1 = walk('IFD0', u32(4));
  for (const [name, at] of pointers.splice(0)) walk(name, at);
  if (ifd1 !== null) walk('IFD1', ifd1);
  return faults;
}

/** `tiff` itself when sound, else a copy in which the faulty entries declare no values. */
export function guardTiff(tiff: Uint8Array, faults = findTiffFaults(tiff)): Uint8Array {
  if (faults.length === 0) return tiff;
  const copy = Buffer.from(tiff);
  for (const { countAt } of faults) copy.fill(0, countAt, countAt + 4);
  return copy;
}
