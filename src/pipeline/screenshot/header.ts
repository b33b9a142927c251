// The @handle line of a post screenshot read again, closely. The page reading (ocr/index.ts) scales the
// whole picture for the post's text; the handle line is smaller and grey, and once a screenshot has been
// shared (scaled to half, JPEG at quality 40) its underscores fade ("@sarahcollins news"), "a" becomes "s",
// or the line is dropped (bench:ocr: 14 of 20 such screenshots had handle and time, 5 had a wrong handle).
// A wrong handle is worse than none: it could trace the screenshot to someone else. So the line is cut out
// of the picture, the avatar beside it removed, enlarged more than the page, and read in four copies in
// one tesseract run with one Latin model (a stretch from the background as the page's, a full-contrast
// one, and two binarized low, which keep a faint underscore); the handle kept is the one the readings
// (with the page's) agree on (agreedHandle), and one they do not agree on is dropped from `found`. A line
// the page reading read surely, with nothing but the handle before its time, is left as read (sureAsRead).
import type { Sharp } from 'sharp';
import type { TextInImage, TextLine } from '../../../schemas/text.js';
import { OcrError } from '../../errors.js';
import { stretchGain } from '../ocr/detect.js';
import { findInText, handlesIn } from '../ocr/found.js';
import { scriptOf } from '../ocr/language.js';
import { recognize, type GreyImage, type TesseractOptions } from '../ocr/tesseract.js';

/** Lines from the top where a post's handle line is looked for. */
const HEAD_LINES = 4;
/** Height (px) the handle line's box is enlarged to: about 26 px letters, tesseract's best size. */
const TARGET_LINE = 40;
const MAX_UPSCALE = 4;
/** Rows above and below the line's box taken with it (share of its height): descenders, underscores. */
const PAD = 0.3;
/** White rows between the copies in the picture given to tesseract. */
const GAP = 30;
/** Rows of text in the crop read at most (a tall box: the name's line and the handle's). */
const MAX_ROWS = 3;
/** Largest crop read (a handle line of a 4000 px wide screenshot is ~0.6 MP): a hostile "line" is not. */
const MAX_CROP_PIXELS = 2_000_000;
/** Widest enlarged row given to tesseract (~150 characters at 40 px rows). */
const MAX_ROW_WIDTH = 4000;
/** Share of the crop that must be background: a screenshot's flat header, not a photo. */
const MIN_BACKGROUND = 0.5;
/** A grey level this far from the background is ink. */
const INK = 40;
/** The full-contrast copy binarized at these shares of the farthest grey: faint strokes of `_` stay ink. */
const BINARIZE = [0.22, 0.35];

export interface HeaderOptions extends TesseractOptions {
  languages: string[];
}

/**
 * The reading with its handle line read again (see above): `text`, `lines` and `found` updated; the
 * reading as it was when the picture has no handle line near its top, or tesseract fails on the line
 * (the page reading stands: this pass is extra). `image` makes the upright grey picture the boxes are in
 * (a new sharp instance: a clone would copy its input).
 */
export async function rereadHeader(
  reading: TextInImage,
  image: () => Sharp,
  size: { width: number; height: number },
  opts: HeaderOptions,
  /**
   * The grey crop of the upright picture `image` makes, without a sharp pipeline (the analysis' decoded
   * pixels made grey as sharp's greyscale() does: ocr/grey.ts); absent: cut from `image`.
   */
  greyCrop?: (box: { left: number; top: number; width: number; height: number }) => GreyImage,
): Promise<TextInImage> {
  if (reading.status !== 'read') return reading;
  const latin = opts.languages.find((l) => scriptOf(l) === 'Latin');
  const spot = handleSpot(reading.lines, size);
  if (!latin || !spot) return reading;
  const line = spot.line >= 0 ? (reading.lines[spot.line] as TextLine) : null;
  if (line && sureAsRead(line)) return reading;
  try {
    const crop = await cut(image, spot, size, greyCrop);
    if (!crop) return reading;
    const first = line?.text ?? null;
    // The stretched copy alone first: when it reads the page's handle and time as the page did, the
    // two agree and the other copies could only outvote neither (bench:ocr: the clean screenshots and
    // most shared ones; 3 copies less to read, ~30 ms of tesseract's CPU).
    const one = (await readCopies(crop, latin, opts, [0])).map((r) => r[0] ?? '');
    const copy = one.find((t) => handleOf(t)) ?? null;
    if (
      first !== null &&
      copy !== null &&
      handleOf(first) === handleOf(copy) &&
      timeOf(first) === timeOf(copy)
    ) {
      const handle = agreedHandle([first, copy]);
      if (handle) return withHeader(reading, spot, [copy], handle, timeOf(copy));
    }
    const rows = await readCopies(crop, latin, opts);
    // The row of the handle: the first whose copies read an `@handle`.
    const readings = rows.find((r) => r.some((t) => handleOf(t))) ?? [];
    const all = first === null ? readings : [first, ...readings];
    const handle = agreedHandle(all);
    const time = agreed(all.map(timeOf));
    return withHeader(reading, spot, readings, handle, time);
  } catch (err) {
    if (err instanceof OcrError) return reading;
    throw err;
  }
}

/** The first handle (without its `@`) and the first time a reading of the line holds, or null. */
const handleOf = (t: string) => handlesIn(t)[0]?.handle ?? null;
const timeOf = (t: string) => findInText(t).times[0] ?? null;

/**
 * Tesseract's confidence in the page's reading of the handle line (the mean of its words') from which that
 * reading stands without the close one (sureAsRead).
 */
const HANDLE_LINE_SURE = 85;

/**
 * Whether the page's reading of the handle line stands as it is: read at least HANDLE_LINE_SURE, and
 * nothing before its time but the handle and marks. A shared screenshot's lost underscore leaves a word
 * between them ("@sarah_collins news - 8:20", read at 85.9), which then goes to the close reading as
 * before. Measured on 320 generated post screenshots (16 handles with underscores, digits and l/i; five
 * languages; light and dark; half of them shared: 50%, JPEG q40), the page's reading of the line against
 * the post's handle and time: 159 of them stand by this rule (113 of the 160 as rendered), every one of them
 * right; the wrong readings of that shape were read at 78 or less ("@m_all + 15:33" for @m_ali). Those 159
 * ended with the same handle and time as after the close reading, which cost each ~10 ms of tesseract's CPU
 * and ~2 of Node's to confirm them.
 */
function sureAsRead(line: TextLine): boolean {
  if (line.confidence < HANDLE_LINE_SURE) return false;
  const handle = handleOf(line.text);
  const time = timeOf(line.text);
  if (!handle || !time) return false;
  const before = line.text.slice(0, line.text.indexOf(time)).replace(`@${handle}`, '');
  return !/[\p{L}\p{N}]/u.test(before);
}

interface Spot {
  line: number;
  box: { x: number; y: number; width: number; height: number };
  /** The line's own rows (the box without its padding). */
  core: { y0: number; y1: number };
}

/**
 * Where the handle line is: the first of the top lines with a handle, else an `@`; else, when the first
 * two lines are far enough apart (the page reading dropped the faint line between the name and the
 * text), that gap; else one of the first two lines with a time. Boxes in the picture's pixels, widened
 * above and below (descenders, underscores: the next line's box often overlaps them; what belongs to a
 * neighbour is removed from the crop by `cut`).
 */
function handleSpot(lines: TextLine[], size: { width: number; height: number }): Spot | null {
  const head = lines.slice(0, HEAD_LINES);
  // A line with a handle; else with an `@` (an avatar read as "@" beside the name is no handle).
  let at = head.findIndex((l) => handlesIn(l.text).length > 0);
  if (at < 0) at = head.findIndex((l) => l.text.includes('@'));
  let y0: number;
  let y1: number;
  const [a, b] = head;
  const gap = a && b ? b.box.y - (a.box.y + a.box.height) : 0;
  if (at < 0 && a && b && gap >= Math.min(a.box.height, b.box.height) * 0.5) {
    // Room for a line between the first two (the handle's is smaller than the name's and the text's).
    y0 = a.box.y + a.box.height;
    y1 = b.box.y;
  } else {
    // A handle line the page reading garbled (read by the text's own model: "EN: 14:41"), by its time.
    if (at < 0) at = head.slice(0, 2).findIndex((l) => findInText(l.text).times.length > 0);
    if (at < 0) return null;
    const l = head[at] as TextLine;
    y0 = l.box.y;
    y1 = l.box.y + l.box.height;
  }
  const pad = Math.max(3, Math.round((y1 - y0) * PAD));
  const top = Math.max(0, y0 - pad);
  const bottom = Math.min(size.height, y1 + pad);
  return { line: at, box: { x: 0, y: top, width: size.width, height: bottom - top }, core: { y0, y1 } };
}

interface Crop {
  /** Distance of each pixel from the background, 0 where removed. */
  dist: Uint8Array;
  width: number;
  height: number;
  bg: number;
}

/** A row of text in the crop: its ink's extent. */
interface Row {
  x0: number;
  x1: number;
  y0: number;
  y1: number;
}

/**
 * The crop as distances from its background, without what is not the line's (see `removeStrays`); null
 * when it is not mostly flat background (a photo, not a screenshot's header).
 */
async function cut(
  image: () => Sharp,
  spot: Spot,
  size: { width: number; height: number },
  greyCrop?: (box: { left: number; top: number; width: number; height: number }) => GreyImage,
): Promise<Crop | null> {
  const box = spot.box;
  const left = Math.max(0, Math.floor(box.x));
  const top = Math.max(0, Math.floor(box.y));
  const width = Math.min(size.width - left, Math.ceil(box.width));
  const height = Math.min(size.height - top, Math.ceil(box.height));
  if (width < 8 || height < 4 || width * height > MAX_CROP_PIXELS) return null;
  let grey: Uint8Array;
  if (greyCrop) grey = greyCrop({ left, top, width, height }).data;
  else {
    const { data, info } = await image()
      .extract({ left, top, width, height })
      .toColourspace('b-w')
      .raw()
      .toBuffer({ resolveWithObject: true });
    const ch = info.channels;
    grey = new Uint8Array(width * height);
    for (let i = 0; i < grey.length; i++) grey[i] = data[i * ch] as number;
  }
  const hist = new Array<number>(256).fill(0);
  for (const v of grey) hist[v] = (hist[v] as number) + 1;
  const bg = hist.indexOf(Math.max(...hist));
  let flat = 0;
  for (let v = Math.max(0, bg - 24); v <= Math.min(255, bg + 24); v++) flat += hist[v] as number;
  if (flat < MIN_BACKGROUND * grey.length) return null;
  const dist = new Uint8Array(grey.length);
  for (let i = 0; i < grey.length; i++) dist[i] = Math.abs((grey[i] as number) - bg);
  removeStrays(dist, width, height, { y0: spot.core.y0 - top, y1: spot.core.y1 - top });
  return { dist, width, height, bg };
}

/**
 * Ink components (4-connected, > INK) that are not letters of the line set to background: those cut by
 * both the crop's top and bottom edge (an avatar or badge beside the line) or far taller than the crop's
 * median letter (an avatar inside a tall box), or cut by one edge and wider than a letter (the rest of an
 * avatar). A component cut by one edge (a letter of the line above or
 * below, or one of the line's descenders joined to a letter of the next line at half size) keeps only its
 * part in the line's own rows (`core`).
 */
function removeStrays(dist: Uint8Array, w: number, h: number, core: { y0: number; y1: number }): void {
  // Typed arrays rather than an array of members per component and of neighbours per pixel (~0.45 MB
  // of garbage per screenshot's handle line): each component's pixels are the run of `order` from its
  // `start`, in the order the search reached them (the same components, so the same pixels cleared).
  const label = new Int32Array(w * h).fill(-1);
  const order = new Int32Array(w * h);
  const stack = new Int32Array(w * h);
  const comps: {
    start: number;
    end: number;
    height: number;
    width: number;
    top: boolean;
    bottom: boolean;
  }[] = [];
  let n = 0;
  for (let p = 0; p < dist.length; p++) {
    if ((dist[p] as number) <= INK || (label[p] as number) >= 0) continue;
    let y0 = h;
    let y1 = -1;
    let x0 = w;
    let x1 = -1;
    const start = n;
    const id = comps.length;
    label[p] = id;
    let top = 0;
    stack[top++] = p;
    while (top > 0) {
      const q = stack[--top] as number;
      order[n++] = q;
      const x = q % w;
      const y = (q - x) / w;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (x > 0 && (dist[q - 1] as number) > INK && (label[q - 1] as number) < 0) {
        label[q - 1] = id;
        stack[top++] = q - 1;
      }
      if (x < w - 1 && (dist[q + 1] as number) > INK && (label[q + 1] as number) < 0) {
        label[q + 1] = id;
        stack[top++] = q + 1;
      }
      if (y > 0 && (dist[q - w] as number) > INK && (label[q - w] as number) < 0) {
        label[q - w] = id;
        stack[top++] = q - w;
      }
      if (y < h - 1 && (dist[q + w] as number) > INK && (label[q + w] as number) < 0) {
        label[q + w] = id;
        stack[top++] = q + w;
      }
    }
    comps.push({
      start,
      end: n,
      height: y1 - y0 + 1,
      width: x1 - x0 + 1,
      top: y0 === 0,
      bottom: y1 === h - 1,
    });
  }
  const heights = comps
    .filter((c) => !c.top && !c.bottom && c.end - c.start >= 8 && c.height >= 3)
    .map((c) => c.height)
    .sort((a, b) => a - b);
  const median = heights[heights.length >> 1] ?? h;
  const clear = (q: number) => {
    dist[q] = 0;
    // With its faint anti-aliased rim (below INK, but ink to a binarized copy).
    if (q - 1 >= 0 && (dist[q - 1] as number) <= INK) dist[q - 1] = 0;
    if (q + 1 < dist.length && (dist[q + 1] as number) <= INK) dist[q + 1] = 0;
    if (q - w >= 0 && (dist[q - w] as number) <= INK) dist[q - w] = 0;
    if (q + w < dist.length && (dist[q + w] as number) <= INK) dist[q + w] = 0;
  };
  for (const c of comps) {
    const edge = c.top || c.bottom;
    // Cut by an edge and wider than letters are: the rest of a round avatar above or below the line.
    const wide = edge && c.width > 1.5 * (core.y1 - core.y0);
    if ((c.top && c.bottom) || wide || c.height > 2.5 * median)
      for (let i = c.start; i < c.end; i++) clear(order[i] as number);
    else if (edge) {
      for (let i = c.start; i < c.end; i++) {
        const q = order[i] as number;
        const y = Math.floor(q / w);
        if (y < core.y0 || y >= core.y1) clear(q);
      }
    }
  }
}

/** Rows of ink in the crop (split at 2+ empty rows; a thin row just under one, an underscore's, joins it). */
function rowsOf(crop: Crop): Row[] {
  const { dist, width: w, height: h } = crop;
  const rows: Row[] = [];
  let run: Row | null = null;
  let empty = 0;
  for (let y = 0; y < h; y++) {
    let x0 = w;
    let x1 = -1;
    for (let x = 0; x < w; x++)
      if ((dist[y * w + x] as number) > INK) {
        if (x < x0) x0 = x;
        x1 = x;
      }
    if (x1 < 0) {
      empty++;
      continue;
    }
    if (run && empty < 2) {
      run.y1 = y + 1;
      run.x0 = Math.min(run.x0, x0);
      run.x1 = Math.max(run.x1, x1 + 1);
    } else {
      if (run) rows.push(run);
      run = { x0, x1: x1 + 1, y0: y, y1: y + 1 };
    }
    empty = 0;
  }
  if (run) rows.push(run);
  const out: Row[] = [];
  for (const r of rows) {
    const last = out[out.length - 1];
    if (last && r.y1 - r.y0 < 0.4 * (last.y1 - last.y0) && r.y0 - last.y1 <= 3) {
      last.y1 = r.y1;
      last.x0 = Math.min(last.x0, r.x0);
      last.x1 = Math.max(last.x1, r.x1);
    } else out.push({ ...r });
  }
  return out.filter((r) => r.y1 - r.y0 >= 4).slice(0, MAX_ROWS);
}

/**
 * Each row of the crop enlarged (bilinear) in four copies, all stacked in one picture so one tesseract
 * run with one model reads them: a stretch from the background as the page reading does it, a
 * full-contrast one (the farthest grey black), and that one binarized at two low levels. Per row, the
 * copies' texts in that order ('' for a copy that read nothing).
 */
async function readCopies(
  crop: Crop,
  language: string,
  opts: TesseractOptions,
  /** Which of the four copies (0: stretched, 1: full contrast, 2 and 3: binarized). */
  which = [0, 1, 2, 3],
): Promise<string[][]> {
  const rows = rowsOf(crop);
  if (rows.length === 0) return [];
  // As the page reading stretches a screenshot (ocr/index.ts flatten()).
  const gain = stretchGain(crop.bg);
  const parts: { data: Uint8Array; width: number; height: number }[] = [];
  for (const r of rows) {
    const rh = r.y1 - r.y0;
    const m = Math.round(rh / 2);
    const x0 = Math.max(0, r.x0 - m);
    const x1 = Math.min(crop.width, r.x1 + m);
    const y0 = Math.max(0, r.y0 - 1);
    const y1 = Math.min(crop.height, r.y1 + 1);
    const src = new Uint8Array((x1 - x0) * (y1 - y0));
    for (let y = y0; y < y1; y++)
      src.set(crop.dist.subarray(y * crop.width + x0, y * crop.width + x1), (y - y0) * (x1 - x0));
    // Rows enlarged (or reduced) to TARGET_LINE, and never wider than MAX_ROW_WIDTH: bounded work.
    const k = Math.min(MAX_UPSCALE, TARGET_LINE / rh, MAX_ROW_WIDTH / (x1 - x0));
    const up = enlarge(src, x1 - x0, y1 - y0, k);
    let max = 1;
    for (const v of up.data) if (v > max) max = v;
    const copies = [
      (d: number) => 255 - Math.min(255, Math.round(d * gain)),
      (d: number) => 255 - Math.round((d * 255) / max),
      ...BINARIZE.map((b) => (d: number) => (d > b * max ? 0 : 255)),
    ].filter((_, i) => which.includes(i));
    for (const f of copies) {
      // Through a table of the 256 distances: the same values as f of each pixel, without a call each.
      const table = new Uint8Array(256);
      for (let d = 0; d < 256; d++) table[d] = f(d);
      const data = new Uint8Array(up.data.length);
      for (let i = 0; i < data.length; i++) data[i] = table[up.data[i] as number] as number;
      parts.push({ data, width: up.width, height: up.height });
    }
  }
  const w = Math.max(...parts.map((p) => p.width)) + 2 * GAP;
  const tops: number[] = [];
  let h = GAP;
  for (const p of parts) {
    tops.push(h);
    h += p.height + GAP;
  }
  const img: GreyImage = { data: Buffer.alloc(w * h, 255), width: w, height: h };
  parts.forEach((p, i) => {
    const top = tops[i] as number;
    for (let y = 0; y < p.height; y++)
      img.data.set(p.data.subarray(y * p.width, (y + 1) * p.width), (top + y) * w + GAP);
  });
  const lines = await recognize(img, [language], opts, 6);
  const texts = parts.map(() => [] as string[]);
  for (const l of lines) {
    const mid = l.box.y + l.box.height / 2;
    let i = tops.findIndex((t, j) => mid < t + (parts[j] as { height: number }).height + GAP / 2);
    if (i < 0) i = parts.length - 1;
    texts[i]?.push(l.words.map((x) => x.text).join(' '));
  }
  const read = texts.map((t) => t.join(' ').replace(/(@[A-Za-z0-9_.]*_) (?=[A-Za-z0-9])/g, '$1'));
  const n = read.length / rows.length;
  return rows.map((_, r) => read.slice(r * n, r * n + n));
}

/** `src` (w x h) scaled by k, bilinear. */
function enlarge(
  src: Uint8Array,
  w: number,
  h: number,
  k: number,
): { data: Uint8Array; width: number; height: number } {
  const W = Math.max(1, Math.round(w * k));
  const H = Math.max(1, Math.round(h * k));
  const out = new Uint8Array(W * H);
  for (let Y = 0; Y < H; Y++) {
    const sy = Math.min(h - 1, Math.max(0, (Y + 0.5) / k - 0.5));
    const y0 = Math.floor(sy);
    const y1 = Math.min(h - 1, y0 + 1);
    const fy = sy - y0;
    for (let X = 0; X < W; X++) {
      const sx = Math.min(w - 1, Math.max(0, (X + 0.5) / k - 0.5));
      const x0 = Math.floor(sx);
      const x1 = Math.min(w - 1, x0 + 1);
      const fx = sx - x0;
      const a = (src[y0 * w + x0] as number) * (1 - fx) + (src[y0 * w + x1] as number) * fx;
      const b = (src[y1 * w + x0] as number) * (1 - fx) + (src[y1 * w + x1] as number) * fx;
      out[Y * W + X] = Math.round(a * (1 - fy) + b * fy);
    }
  }
  return { data: out, width: W, height: H };
}

/**
 * A handle's letters and digits as read (handlesIn's handle), with a lower-case word after a space taken
 * as part of it: an underscore, dot or hyphen too faint to see is read as a space ("@sarahcollins news").
 */
function lettersOf(t: string): string | null {
  const h = handlesIn(t)[0];
  if (!h) return null;
  const rest = t.slice(h.index + 1 + h.handle.length);
  const glued = /^ ([a-z]+)(?![\p{L}\p{N}])/u.exec(rest)?.[1] ?? '';
  return (h.handle + glued).replace(/[_.-]/g, '').toLowerCase();
}

/**
 * The handle the readings agree on: first its letters (at least two readings, more than any other
 * spelling, and no reading with more letters after them: a faint end is lost more often than a letter is
 * invented), then, among the readings with those letters, the handle that holds them all with its
 * separators (the copies that saw a faint underscore); null when none does or two such handles differ
 * and neither is read more often ("@ruta zem" everywhere is no handle: `ruta` is someone else).
 */
export function agreedHandle(readings: string[]): string | null {
  const all = readings.map(lettersOf);
  const letters = agreed(all);
  if (!letters || all.some((l) => l && l.length > letters.length && l.startsWith(letters))) return null;
  const whole = readings
    .filter((t, i) => all[i] === letters)
    .map((t) => handlesIn(t)[0]?.handle ?? '')
    .filter((h) => h.replace(/[_.-]/g, '').toLowerCase() === letters);
  const kinds = [...new Set(whole)];
  return kinds.length === 1 ? (kinds[0] as string) : agreed(whole);
}

/** The value at least two readings gave, more often than any other; null when none is. */
function agreed(values: (string | null)[]): string | null {
  const count = new Map<string, number>();
  for (const v of values) if (v) count.set(v, (count.get(v) ?? 0) + 1);
  const ranked = [...count.entries()].sort((a, b) => b[1] - a[1]);
  const [best, next] = ranked;
  if (!best || best[1] < 2 || (next && next[1] === best[1])) return null;
  return best[0];
}

/**
 * The reading with the handle line as read closely: the copy that has the agreed handle (and time) stands
 * for the line; without an agreed handle, the line stays as the page read it, but its handle is no longer
 * among `found` (readPost takes only handles `found` lists).
 */
function withHeader(
  reading: TextInImage,
  spot: Spot,
  readings: string[],
  handle: string | null,
  time: string | null,
): TextInImage {
  const has = (t: string) =>
    handlesIn(t)[0]?.handle === handle && (!time || findInText(t).times.includes(time));
  const best = handle
    ? (readings.find(has) ?? readings.find((t) => handlesIn(t)[0]?.handle === handle))
    : null;
  const lines = [...reading.lines];
  const old = spot.line >= 0 ? (lines[spot.line] as TextLine) : null;
  if (best) {
    const line: TextLine = {
      text: best,
      box: old?.box ?? {
        x: Math.round(spot.box.x),
        y: Math.round(spot.box.y),
        width: Math.round(spot.box.width),
        height: Math.round(spot.box.height),
      },
      confidence: old?.confidence ?? 0,
    };
    if (old) lines[spot.line] = line;
    else lines.splice(1, 0, line);
  }
  const text = lines.map((l) => l.text).join('\n');
  const found = findInText(text);
  if (!best && old) {
    const unsure = handlesIn(old.text).map((h) => `@${h.handle}`);
    const elsewhere = findInText(
      lines
        .filter((l) => l !== old)
        .map((l) => l.text)
        .join('\n'),
    ).handles;
    found.handles = found.handles.filter((h) => !unsure.includes(h) || elsewhere.includes(h));
  }
  return { ...reading, lines, text, found };
}
