// PNG chunk walker. exifr's own PNG reader misses EXIF placed after the image data when it reads in
// chunks, ignores compressed XMP and ImageMagick's "Raw profile" text chunks, so we find the payloads here
// and hand only the EXIF (a bare TIFF) to exifr. Chunk CRCs are not checked: a bad CRC does not make the
// metadata less informative, and a forger can recompute it anyway.
import { inflateSync } from 'node:zlib';
import { type ContainerBlocks, emptyBlocks, tiffPayload } from './blocks.js';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const XMP_KEYWORD = 'XML:com.adobe.xmp';
/** Inflated text or profile larger than this is a zip bomb, not metadata. */
const MAX_INFLATED = 16 * 1024 * 1024;

const inflate = (data: Buffer) => inflateSync(data, { maxOutputLength: MAX_INFLATED });

/** Splits "keyword\0rest" (keywords are at most 79 Latin-1 characters). */
function keyword(data: Buffer): [string, Buffer] | null {
  const nul = data.indexOf(0);
  if (nul < 1 || nul > 79) return null;
  return [data.toString('latin1', 0, nul), data.subarray(nul + 1)];
}

/** iTXt: keyword\0 flag method lang\0 translated\0 text (UTF-8, zlib-compressed when flag is 1). */
function itxt(data: Buffer): [string, Buffer] | null {
  const head = keyword(data);
  if (!head || head[1].length < 2) return null;
  const [key, rest] = head;
  const compressed = rest[0] === 1;
  const langEnd = rest.indexOf(0, 2);
  const translatedEnd = langEnd < 0 ? -1 : rest.indexOf(0, langEnd + 1);
  if (translatedEnd < 0) return null;
  const body = rest.subarray(translatedEnd + 1);
  return [key, compressed ? inflate(body) : body];
}

/**
 * ImageMagick's "Raw profile type exif|APP1|xmp": "\nexif\n    1234\n" then the bytes in hex lines. Read
 * line by line: a regular expression here could backtrack for minutes on a hostile run of blank lines.
 */
function rawProfile(text: string): Buffer | null {
  const lines = text.split('\n');
  let i = 0;
  while (i < lines.length && lines[i]!.trim() === '') i++;
  const length = Number(lines[i + 1]?.trim());
  const hex = lines
    .slice(i + 2)
    .join('')
    .replace(/\s/g, '');
  if (!Number.isInteger(length) || hex.length !== length * 2 || !/^[0-9a-fA-F]*$/.test(hex)) return null;
  return Buffer.from(hex, 'hex');
}

export function walkPng(bytes: Buffer): ContainerBlocks {
  const found = emptyBlocks();
  if (!bytes.subarray(0, 8).equals(SIGNATURE))
    return { ...found, unreadable: 'not a PNG file (bad signature)' };
  // ImageMagick's text copy of the EXIF; the eXIf chunk, the standard place, wins over it.
  const fallback: { exif: Buffer | null } = { exif: null };
  let offset = 8;
  while (true) {
    if (offset + 8 > bytes.length) {
      found.incomplete = `PNG truncated at byte ${offset} (no IEND chunk)`;
      break;
    }
    const length = bytes.readUInt32BE(offset);
    const type = bytes.toString('latin1', offset + 4, offset + 8);
    const start = offset + 8;
    if (length > 0x7fffffff || start + length + 4 > bytes.length) {
      found.incomplete = `PNG truncated inside its ${JSON.stringify(type)} chunk at byte ${offset}`;
      break;
    }
    if (type === 'IEND') break;
    const data = bytes.subarray(start, start + length);
    try {
      readChunk(type, data, found, fallback);
    } catch (err) {
      found.warnings.push(`PNG ${type} chunk unreadable: ${(err as Error).message}`);
      // A colour profile is no loss for provenance; a damaged text or EXIF chunk may hold all of it.
      if (type !== 'iCCP') found.incomplete ??= `its ${type} chunk is damaged`;
    }
    offset = start + length + 4;
  }
  if (found.exif === null && fallback.exif !== null) found.exif = tiffPayload(fallback.exif);
  return found;
}

function readChunk(
  type: string,
  data: Buffer,
  found: ContainerBlocks,
  fallback: { exif: Buffer | null },
): void {
  if (type === 'eXIf') {
    found.exif ??= tiffPayload(data);
    if (found.exif === null) found.incomplete ??= 'its eXIf chunk does not hold a TIFF structure';
  } else if (type === 'iCCP') {
    // name\0 method(0 = zlib) compressed-profile
    const head = keyword(data);
    if (head && head[1].length > 1) found.icc ??= inflate(head[1].subarray(1));
  } else if (type === 'iTXt' || type === 'tEXt' || type === 'zTXt') {
    const entry = type === 'iTXt' ? itxt(data) : plainText(type, data);
    if (!entry) return;
    const [key, body] = entry;
    // XMP is UTF-8 whatever chunk carries it; the hex of a raw profile is plain ASCII.
    if (key === XMP_KEYWORD) found.xmp.push(body.toString('utf8'));
    else if (/^Raw profile type (exif|APP1)$/i.test(key))
      fallback.exif ??= rawProfile(body.toString('latin1'));
    else if (/^Raw profile type xmp$/i.test(key)) {
      const raw = rawProfile(body.toString('latin1'));
      if (raw) found.xmp.push(raw.toString('utf8'));
    }
  }
}

/** tEXt: keyword\0 text; zTXt: keyword\0 method compressed-text. */
function plainText(type: string, data: Buffer): [string, Buffer] | null {
  const head = keyword(data);
  if (!head) return null;
  return [head[0], type === 'zTXt' ? inflate(head[1].subarray(1)) : head[1]];
}
