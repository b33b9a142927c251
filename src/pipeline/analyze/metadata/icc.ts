// The description of a raw ICC profile (from PNG iCCP, WebP ICCP or a HEIF colr box; exifr reads the
// JPEG and TIFF ones). Only the 'desc' tag is read: version 2 stores it as 'desc' (ASCII), version 4 as
// 'mluc' (UTF-16 records per language, English preferred).
import { cleanText, MAX_TEXT } from './text.js';

const MAX_TAGS = 200;

function mluc(icc: Buffer, at: number, end: number): string | null {
  const count = icc.readUInt32BE(at + 8);
  const recordSize = icc.readUInt32BE(at + 12);
  if (recordSize < 12) return null;
  let chosen: string | null = null;
  for (let i = 0, rec = at + 16; i < Math.min(count, MAX_TAGS) && rec + 12 <= end; i++, rec += recordSize) {
    const lang = icc.toString('latin1', rec, rec + 2);
    const length = icc.readUInt32BE(rec + 4);
    const start = at + icc.readUInt32BE(rec + 8);
    if (start + length > end) continue;
    // UTF-16BE: swap to the little-endian Node decodes.
    const text = Buffer.from(icc.subarray(start, start + length - (length % 2)))
      .swap16()
      .toString('utf16le');
    if (chosen === null || lang === 'en') chosen = text;
    if (lang === 'en') break;
  }
  return chosen;
}

export function iccDescription(icc: Uint8Array): string | null {
  const bytes = Buffer.from(icc.buffer, icc.byteOffset, icc.byteLength);
  if (bytes.length < 132 || bytes.toString('latin1', 36, 40) !== 'acsp') return null;
  const tags = Math.min(bytes.readUInt32BE(128), MAX_TAGS);
  for (let i = 0; i < tags && 132 + i * 12 + 12 <= bytes.length; i++) {
    const entry = 132 + i * 12;
    if (bytes.toString('latin1', entry, entry + 4) !== 'desc') continue;
    const at = bytes.readUInt32BE(entry + 4);
    const end = Math.min(at + bytes.readUInt32BE(entry + 8), bytes.length);
    if (at + 16 > end) return null;
    const type = bytes.toString('latin1', at, at + 4);
    if (type === 'mluc') return cleanText(mluc(bytes, at, end));
    if (type === 'desc') {
      // Only what cleanText keeps is decoded, and it turns the padding NULs into blanks and trims them:
      // a `/\0+$/` here re-read the whole run from each NUL, so 100,000 NULs before a byte took 4.7 s.
      const length = Math.min(bytes.readUInt32BE(at + 8), 2 * MAX_TEXT + 64);
      return cleanText(bytes.toString('latin1', at + 12, Math.min(at + 12 + length, end)));
    }
    return null;
  }
  return null;
}
