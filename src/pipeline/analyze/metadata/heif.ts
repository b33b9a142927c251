// HEIF/HEIC/AVIF walker. Metadata are items of the `meta` box: `iinf` names them (type "Exif", or "mime"
// with content type application/rdf+xml for XMP), `iloc` says where their bytes are; the colour profile is
// a `colr` property. We read these ourselves: exifr's HEIF reader hangs on a zero-length box and ignores XMP.
import { type ContainerBlocks, emptyBlocks, tiffPayload } from './blocks.js';
import { type Box, child, Cursor, Malformed, readBoxes, scanBoxes } from './isobmff.js';

/** No metadata item is legitimately this large; bigger is a hostile file asking us to copy gigabytes. */
const MAX_ITEM = 16 * 1024 * 1024;

interface Wanted {
  exif: number | null;
  xmp: number[];
}

/** Item ids of the first Exif item and of the XMP items, from `iinf`. */
function itemIds(bytes: Buffer, iinf: Box): Wanted {
  const wanted: Wanted = { exif: null, xmp: [] };
  const count = new Cursor(bytes, iinf.start, iinf.end);
  count.skip(bytes[iinf.start] === 0 ? 6 : 8); // version/flags, then a 16- or 32-bit entry count
  for (const infe of readBoxes(bytes, count.pos, iinf.end)) {
    if (infe.type !== 'infe') continue;
    const c = new Cursor(bytes, infe.start, infe.end);
    const version = c.u8();
    c.skip(3);
    if (version < 2) {
      const id = c.u16();
      c.skip(2);
      c.cstring();
      if (c.cstring() === 'application/rdf+xml') wanted.xmp.push(id);
      continue;
    }
    const id = version === 2 ? c.u16() : c.u32();
    c.skip(2);
    const type = c.fourcc();
    c.cstring();
    if (type === 'Exif') wanted.exif ??= id;
    else if (type === 'mime' && c.cstring().trim() === 'application/rdf+xml') wanted.xmp.push(id);
  }
  return wanted;
}

/** Byte ranges ([offset, length]) of the wanted items, from `iloc`, resolved against the file or `idat`. */
function itemExtents(
  bytes: Buffer,
  iloc: Box,
  ids: Set<number>,
  idat: Box | undefined,
): Map<number, [number, number][]> {
  const out = new Map<number, [number, number][]>();
  const c = new Cursor(bytes, iloc.start, iloc.end);
  const version = c.u8();
  c.skip(3);
  const sizes = c.u16();
  const [offsetSize, lengthSize, baseSize] = [sizes >> 12, (sizes >> 8) & 15, (sizes >> 4) & 15];
  const indexSize = version === 1 || version === 2 ? sizes & 15 : 0;
  const count = version < 2 ? c.u16() : c.u32();
  for (let i = 0; i < count; i++) {
    const id = version < 2 ? c.u16() : c.u32();
    const method = version === 1 || version === 2 ? c.u16() & 15 : 0;
    const dataRef = c.u16();
    const base = c.uint(baseSize);
    const extents: [number, number][] = [];
    for (let e = c.u16(); e > 0; e--) {
      if (indexSize > 0) c.uint(indexSize);
      extents.push([base + c.uint(offsetSize), c.uint(lengthSize)]);
    }
    if (!ids.has(id)) continue;
    if (dataRef !== 0 || method > 1 || (method === 1 && !idat))
      throw new Malformed('item stored outside this file');
    // Method 1 addresses the payload of `idat`; a zero length means "to the end".
    const [origin, limit] = method === 1 ? [idat!.start, idat!.end] : [0, bytes.length];
    out.set(
      id,
      extents.map(([offset, length]) => [origin + offset, length === 0 ? limit - origin - offset : length]),
    );
  }
  return out;
}

function itemBytes(bytes: Buffer, extents: [number, number][] | undefined, what: string): Buffer | null {
  if (!extents) throw new Malformed(`${what} item has no location`);
  const total = extents.reduce((sum, [, length]) => sum + length, 0);
  if (total > MAX_ITEM) throw new Malformed(`${what} item is implausibly large (${total} bytes)`);
  if (extents.some(([offset, length]) => offset < 0 || length < 0 || offset + length > bytes.length))
    throw new Malformed(`${what} item lies beyond the end of the file (truncated?)`);
  return Buffer.concat(extents.map(([offset, length]) => bytes.subarray(offset, offset + length)));
}

export function walkHeif(bytes: Buffer): ContainerBlocks {
  const found = emptyBlocks();
  if (bytes.length < 12 || bytes.toString('latin1', 4, 8) !== 'ftyp')
    return { ...found, unreadable: 'not a HEIF/AVIF file (no ftyp box)' };
  // The image data (mdat) usually comes last: a file cut there still has its whole `meta` box.
  const { boxes: top, error } = scanBoxes(bytes, 0, bytes.length);
  if (error !== null) found.warnings.push(`HEIF file ${error}`);
  const meta = top.find((b) => b.type === 'meta');
  if (!meta)
    return { ...found, unreadable: `HEIF file has no readable meta box${error ? ` (it ${error})` : ''}` };
  try {
    readMeta(bytes, meta, found);
  } catch (err) {
    found.incomplete = `HEIF metadata unreadable: ${(err as Error).message}`;
  }
  return found;
}

function readMeta(bytes: Buffer, meta: Box, found: ContainerBlocks): void {
  const iinf = child(bytes, meta, 'iinf', true);
  const iloc = child(bytes, meta, 'iloc', true);
  const idat = child(bytes, meta, 'idat', true);
  const iprp = child(bytes, meta, 'iprp', true);
  const ipco = iprp && child(bytes, iprp, 'ipco');
  for (const colr of ipco ? readBoxes(bytes, ipco.start, ipco.end) : []) {
    const kind =
      colr.type === 'colr' && colr.end - colr.start > 4
        ? bytes.toString('latin1', colr.start, colr.start + 4)
        : '';
    if (kind === 'prof' || kind === 'rICC') {
      found.icc = bytes.subarray(colr.start + 4, colr.end);
      break;
    }
  }
  if (!iinf) return;
  const wanted = itemIds(bytes, iinf);
  const ids = new Set([...(wanted.exif === null ? [] : [wanted.exif]), ...wanted.xmp]);
  if (ids.size === 0) return;
  if (!iloc) throw new Malformed('metadata items without an iloc box');
  const extents = itemExtents(bytes, iloc, ids, idat);
  if (wanted.exif !== null) {
    const item = itemBytes(bytes, extents.get(wanted.exif), 'Exif');
    // The item starts with the offset of the TIFF header within what follows (usually past "Exif\0\0").
    const skip = item && item.length >= 4 ? 4 + item.readUInt32BE(0) : Infinity;
    found.exif = item && skip <= item.length ? tiffPayload(item.subarray(skip)) : null;
    if (found.exif === null) found.incomplete ??= 'its Exif item does not hold a TIFF structure';
  }
  for (const id of wanted.xmp) found.xmp.push(itemBytes(bytes, extents.get(id), 'XMP')!.toString('utf8'));
}
