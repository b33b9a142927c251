// The structure of a JPEG file, read by hand: its segments up to the first scan (quantization and Huffman
// tables, frame header, restart interval, APPn/COM segments in order). No npm library reads this well:
// exifr, sharp and file-type expose metadata or pixels, never the tables or the segment order, and the
// JPEG decoders on npm (jpeg-js) decode whole images before giving anything back.
//
// Bounded and linear: one pass over the header segments, each visited once; at most MAX_SEGMENTS of them
// (a file of thousands of tiny segments stops there and says so); a segment's declared length is checked
// against what is left of the file before it is read; nothing allocates more than the file's own size.
// A malformed file never throws: what could not be read is listed in `problems` with a stable code.
import { cleanText } from '../metadata/text.js';
import type { JpegProblemCode } from '../../../../schemas/jpeg.js';

/** Header segments read at most before giving up on the structure (cameras write ~10-20). */
export const MAX_SEGMENTS = 1000;
/** COM segments kept, and characters kept of each. */
const MAX_COMMENTS = 4;
const MAX_COMMENT_CHARS = 200;
/** Entries of the APP/COM order list kept for the report. */
const MAX_ORDER = 40;

/** Zig-zag position -> natural (row-major) index, ITU T.81 Figure A.6. */
export const ZIGZAG = [
  0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7,
  14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46,
  53, 60, 61, 54, 47, 55, 62, 63,
];

export interface QuantTable {
  id: number;
  /** 8 or 16 bits per entry. */
  precision: 8 | 16;
  /** 64 entries in natural (row-major) order, as libjpeg holds them. */
  values: number[];
}

export interface HuffmanTable {
  /** 0: DC, 1: AC. */
  cls: 0 | 1;
  id: number;
  /** Codes of each length 1..16 (BITS in T.81). */
  counts: number[];
  symbols: number[];
}

export interface FrameComponent {
  id: number;
  h: number;
  v: number;
  tq: number;
}

export interface ScanHeader {
  components: Array<{ id: number; td: number; ta: number }>;
  ss: number;
  se: number;
  ah: number;
  al: number;
  /** Offset of the entropy-coded data that follows the SOS segment. */
  dataOffset: number;
}

export type JpegProcess =
  'baseline' | 'extended' | 'progressive' | 'lossless' | 'hierarchical' | 'arithmetic' | 'unknown';

export interface JpegStructure {
  frame: {
    marker: number;
    process: JpegProcess;
    precision: number;
    width: number;
    height: number;
    components: FrameComponent[];
  } | null;
  quantTables: QuantTable[];
  /** Huffman tables defined before the first scan. */
  huffmanTables: HuffmanTable[];
  restartInterval: number;
  /** APPn and COM segments, in file order, by name (e.g. `APP0 JFIF`, `APP1 Exif`). */
  order: string[];
  markers: Set<string>;
  comments: string[];
  /** APP14 Adobe colour transform (0: none/CMYK, 1: YCbCr, 2: YCCK), when present. */
  adobeTransform: number | null;
  segments: number;
  scan: ScanHeader | null;
  /** The file ends with an EOI marker (trailing zeros ignored). */
  endsWithEoi: boolean;
  problems: Array<{ code: JpegProblemCode; message: string }>;
}

const PROCESS: Record<number, JpegProcess> = {
  0xc0: 'baseline',
  0xc1: 'extended',
  0xc2: 'progressive',
  0xc3: 'lossless',
  0xc5: 'hierarchical',
  0xc6: 'hierarchical',
  0xc7: 'hierarchical',
  0xc9: 'arithmetic',
  0xca: 'arithmetic',
  0xcb: 'arithmetic',
  0xcd: 'arithmetic',
  0xce: 'arithmetic',
  0xcf: 'arithmetic',
};

const startsWith = (b: Buffer, at: number, end: number, sig: string): boolean =>
  end - at >= sig.length && b.toString('latin1', at, at + sig.length) === sig;

/** What an APPn segment holds, named by its identifier (the bytes after the length). */
function appName(marker: number, b: Buffer, at: number, end: number): { name: string; key: string | null } {
  const n = marker - 0xe0;
  const known: Array<[number, string, string, string]> = [
    [0, 'JFIF\0', 'JFIF', 'jfif'],
    [0, 'JFXX\0', 'JFXX', 'jfif'],
    [1, 'Exif\0', 'Exif', 'exif'],
    [1, 'http://ns.adobe.com/xap/1.0/\0', 'XMP', 'xmp'],
    [1, 'http://ns.adobe.com/xmp/extension/\0', 'XMP extension', 'xmp'],
    [2, 'ICC_PROFILE\0', 'ICC', 'icc'],
    [2, 'MPF\0', 'MPF', 'mpf'],
    [11, 'JP', 'JUMBF', 'jumbf'],
    [13, 'Photoshop 3.0\0', 'Photoshop IRB', 'photoshop'],
    [14, 'Adobe', 'Adobe', 'adobe'],
  ];
  for (const [app, sig, name, key] of known) {
    if (app === n && startsWith(b, at, end, sig)) return { name: `APP${n} ${name}`, key };
  }
  return { name: `APP${n}`, key: null };
}

/** Reads the header segments of a JPEG (up to and including the first SOS). Never throws. */
export function readJpegStructure(b: Buffer): JpegStructure {
  const s: JpegStructure = {
    frame: null,
    quantTables: [],
    huffmanTables: [],
    restartInterval: 0,
    order: [],
    markers: new Set(),
    comments: [],
    adobeTransform: null,
    segments: 0,
    scan: null,
    endsWithEoi: endsWithEoi(b),
    problems: [],
  };
  const problem = (code: JpegProblemCode, message: string) => {
    if (!s.problems.some((p) => p.code === code)) s.problems.push({ code, message });
  };
  if (b.length < 4 || b[0] !== 0xff || b[1] !== 0xd8) {
    problem('not_jpeg', 'The file does not start with a JPEG SOI marker');
    return s;
  }
  let i = 2;
  while (i < b.length) {
    if (b[i] !== 0xff) {
      problem('bad_marker', `Expected a marker at byte ${i}`);
      return s;
    }
    // Fill bytes: any number of 0xFF may precede a marker.
    while (i < b.length && b[i] === 0xff) i++;
    if (i >= b.length) break;
    const marker = b[i] as number;
    i++;
    if (marker === 0xd9) return s; // EOI before any scan
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0xd8) continue; // no length
    if (++s.segments > MAX_SEGMENTS) {
      problem('too_many_segments', `More than ${MAX_SEGMENTS} segments before the image data`);
      return s;
    }
    if (i + 2 > b.length) break;
    const len = b.readUInt16BE(i);
    const start = i + 2;
    const end = i + len;
    if (len < 2 || end > b.length) {
      problem('truncated', `Segment 0xFF${marker.toString(16).toUpperCase()} runs past the end of the file`);
      return s;
    }
    readSegment(s, marker, b, start, end, problem);
    if (marker === 0xda) return s; // structure read: the entropy-coded data follows
    i = end;
  }
  problem('truncated', 'The file ends before the image data');
  return s;
}

function readSegment(
  s: JpegStructure,
  marker: number,
  b: Buffer,
  start: number,
  end: number,
  problem: (code: JpegProblemCode, message: string) => void,
): void {
  if (marker >= 0xe0 && marker <= 0xef) {
    const { name, key } = appName(marker, b, start, end);
    if (s.order.length < MAX_ORDER) s.order.push(name);
    if (key) s.markers.add(key);
    if (key === 'adobe' && end - start >= 12) s.adobeTransform = b[start + 11] as number;
    return;
  }
  if (marker === 0xfe) {
    if (s.order.length < MAX_ORDER) s.order.push('COM');
    s.markers.add('comment');
    if (s.comments.length < MAX_COMMENTS) {
      const text = cleanText(
        b.toString('latin1', start, Math.min(end, start + 4 * MAX_COMMENT_CHARS)),
        MAX_COMMENT_CHARS,
      );
      if (text) s.comments.push(text);
    }
    return;
  }
  if (marker === 0xdb) return readDqt(s, b, start, end, problem);
  if (marker === 0xc4) return readDht(s, b, start, end, problem);
  if (marker === 0xdd) {
    if (end - start >= 2) s.restartInterval = b.readUInt16BE(start);
    return;
  }
  if (marker === 0xda) return readSos(s, b, start, end, problem);
  if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
    if (s.frame) return problem('bad_frame', 'More than one frame header');
    if (end - start < 6) return problem('bad_frame', 'Frame header too short');
    const n = b[start + 5] as number;
    if (n < 1 || n > 4 || end - start < 6 + 3 * n) {
      return problem('bad_frame', `Frame header declares ${n} components`);
    }
    const components: FrameComponent[] = [];
    for (let c = 0; c < n; c++) {
      const at = start + 6 + 3 * c;
      const hv = b[at + 1] as number;
      components.push({ id: b[at] as number, h: hv >> 4, v: hv & 15, tq: b[at + 2] as number });
    }
    s.frame = {
      marker,
      process: PROCESS[marker] ?? 'unknown',
      precision: b[start] as number,
      height: b.readUInt16BE(start + 1),
      width: b.readUInt16BE(start + 3),
      components,
    };
    if (components.some((c) => c.h < 1 || c.h > 4 || c.v < 1 || c.v > 4 || c.tq > 3)) {
      problem('bad_frame', 'A component has sampling factors or a table number out of range');
    }
    if (s.frame.width === 0 || s.frame.height === 0) problem('bad_frame', 'The frame declares no pixels');
  }
}

function readDqt(
  s: JpegStructure,
  b: Buffer,
  start: number,
  end: number,
  problem: (code: JpegProblemCode, message: string) => void,
): void {
  let at = start;
  while (at < end) {
    const pq = (b[at] as number) >> 4;
    const id = (b[at] as number) & 15;
    const size = pq === 0 ? 64 : 128;
    if (pq > 1 || id > 3) return problem('bad_quant_table', `Quantization table ${id} of precision ${pq}`);
    if (at + 1 + size > end) return problem('bad_quant_table', 'Quantization table cut short');
    const values = new Array<number>(64);
    for (let k = 0; k < 64; k++) {
      values[ZIGZAG[k] as number] = pq === 0 ? (b[at + 1 + k] as number) : b.readUInt16BE(at + 1 + 2 * k);
    }
    if (values.includes(0)) problem('bad_quant_table', `Quantization table ${id} has zero entries`);
    // A later definition of the same slot replaces the earlier one, as in a decoder.
    s.quantTables = s.quantTables.filter((t) => t.id !== id);
    s.quantTables.push({ id, precision: pq === 0 ? 8 : 16, values });
    at += 1 + size;
  }
  s.quantTables.sort((x, y) => x.id - y.id);
}

function readDht(
  s: JpegStructure,
  b: Buffer,
  start: number,
  end: number,
  problem: (code: JpegProblemCode, message: string) => void,
): void {
  let at = start;
  while (at < end) {
    if (at + 17 > end) return problem('bad_huffman_table', 'Huffman table cut short');
    const tc = (b[at] as number) >> 4;
    const id = (b[at] as number) & 15;
    const counts = [...b.subarray(at + 1, at + 17)];
    const total = counts.reduce((x, y) => x + y, 0);
    if (tc > 1 || id > 3 || total > 256 || at + 17 + total > end) {
      return problem('bad_huffman_table', `Huffman table ${tc}/${id} with ${total} codes`);
    }
    const table: HuffmanTable = {
      cls: tc as 0 | 1,
      id,
      counts,
      symbols: [...b.subarray(at + 17, at + 17 + total)],
    };
    s.huffmanTables = s.huffmanTables.filter((t) => t.cls !== tc || t.id !== id);
    s.huffmanTables.push(table);
    at += 17 + total;
  }
}

function readSos(
  s: JpegStructure,
  b: Buffer,
  start: number,
  end: number,
  problem: (code: JpegProblemCode, message: string) => void,
): void {
  const n = b[start] as number;
  if (n < 1 || n > 4 || end - start < 1 + 2 * n + 3)
    return problem('bad_scan', `Scan header of ${n} components`);
  const components = [];
  for (let c = 0; c < n; c++) {
    const at = start + 1 + 2 * c;
    const t = b[at + 1] as number;
    components.push({ id: b[at] as number, td: t >> 4, ta: t & 15 });
  }
  const at = start + 1 + 2 * n;
  s.scan = {
    components,
    ss: b[at] as number,
    se: b[at + 1] as number,
    ah: (b[at + 2] as number) >> 4,
    al: (b[at + 2] as number) & 15,
    dataOffset: end,
  };
}

/** Whether the last marker of the file is EOI, trailing zero padding ignored (cheap: reads from the end). */
function endsWithEoi(b: Buffer): boolean {
  let e = b.length;
  // Some writers pad with zeros; look back at most 4 KiB.
  const stop = Math.max(0, b.length - 4096);
  while (e > stop && b[e - 1] === 0) e--;
  return e >= 2 && b[e - 2] === 0xff && b[e - 1] === 0xd9;
}
