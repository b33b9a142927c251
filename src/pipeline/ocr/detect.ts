// Is there text in this picture? Decides whether OCR runs at all, so a photo without words costs a few
// milliseconds instead of a tesseract run (hundreds of ms).
//
// Written by hand because what the libraries offer does not fit: EAST/CRAFT/DBNet are neural detectors
// (a model of tens of MB, ~100 ms+ per image on CPU, weights to ship); OpenCV's MSER is in the
// @techstark/opencv-js build only without the text module's grouping, and loading OpenCV costs ~140 MB.
// What text looks like is simple enough to test directly, the classic connected-component way:
//  1. local threshold (each pixel against the mean of its 31x31 neighbourhood, from an integral image):
//     strokes are darker (or lighter) than what surrounds them, whatever the background;
//  2. connected components of the dark pixels and of the light ones, kept when glyph-shaped (height,
//     aspect, how much of their box they fill);
//  3. glyphs chained left to right: similar heights, overlapping vertically, gaps under ~1.5 heights;
//     a chain of 4+ glyphs is a line of text.
// Textures (foliage, gravel, water) make many components but rarely rows of equal-height blobs at even
// gaps; stripes make rows but of few, long components. Linear in the pixels of a small thumbnail.

import { loadKernels } from '../../wasm-kernels.js';
import { DETECT_GREY_WASM_BASE64 } from './detect-grey-wasm.generated.js';
import type { GreyImage } from './tesseract.js';

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** A line of text found by the detector. */
export interface TextBox extends Rect {
  /** Median height of its glyphs. */
  glyph: number;
  /** Whether its glyphs are darker than their surroundings (print) or lighter (captions, signs, dark mode). */
  polarity: 'dark' | 'light';
}

export interface TextDetection {
  /** Lines of text found (chains of 5+ glyph-like components, aligned on a baseline or top line). */
  lines: number;
  /** Glyph-like components in those lines. */
  glyphs: number;
  /** Median glyph height in the analysed thumbnail's pixels (0 when no line). */
  glyph_height: number;
  /** The thumbnail's width (glyph_height is relative to it). */
  width: number;
  has_text: boolean;
  /** Whether the text's glyphs are mostly darker than their surroundings (print) or lighter (captions, dark mode). */
  polarity: 'dark' | 'light';
  /** The lines' boxes in the thumbnail's pixels (at most MAX_BOXES, longest lines first). */
  boxes: TextBox[];
  /**
   * Solid shapes much taller than the text (avatars, icons, buttons), in the thumbnail's pixels: beside
   * a line of text they make tesseract merge lines, so OCR paints them over with the background.
   */
  blobs: Rect[];
  /** The most common grey level (the background of a screenshot). */
  background_level: number;
  /**
   * Share of the thumbnail's pixels in its most common 8-level grey band: a screenshot's flat background
   * makes it 0.3-0.9, a photo stays under ~0.15.
   */
  background: number;
  /** Share of the thumbnail's pixels that stand out from their neighbourhood: ~0.05 for a screenshot, 0.2+ for a photo. */
  textured: number;
}

/** Long side of the thumbnail the detector works on. */
export const DETECT_SIDE = 640;
/** Extra stretch on a dark background, where the muted grey of a handle is read faint otherwise. */
const DARK_GAIN = 2;

/**
 * How far a screenshot's greys are stretched from its background level `bg` before tesseract reads them:
 * linearly, so the farthest grey from the background is black (a plain copy on white, an inverted one on
 * black), DARK_GAIN times that on a dark background. No more than that: a steeper stretch turns JPEG
 * ringing around the letters of a re-shared screenshot into ink (Arabic read at 16% CER instead of 4%
 * with 3x).
 */
export function stretchGain(bg: number): number {
  return (bg < 128 ? DARK_GAIN : 1) * (255 / Math.max(64, bg, 255 - bg));
}
const WINDOW = 15; // half-width of the local-mean window
const CONTRAST = 18;
const STRONG = 48;
const STRONG_SHARE = 0.3; // how much darker/lighter than the local mean a stroke pixel is
const MIN_H = 5;
const MAX_H_SHARE = 0.3; // of the thumbnail's height
const MIN_CHAIN = 5;
const NEIGHBOURS = 48;
const MAX_BOXES = 200;
const ALIGN = 0.12;
const LONG_LINE = 10;
const MEDIUM_LINE = 8;
const ALIGNED_SHARE = 0.75;

/**
 * Scratch arrays kept from one call to the next: the detector runs on every image, and allocating (then
 * collecting) its few MB of typed arrays each time cost about as much as a third of its work. Safe because
 * it is synchronous (no two calls overlap in a thread); sizes above SCRATCH_MAX are not kept.
 */
const SCRATCH_MAX = 4 << 20;
const scratch = {
  integ: new Float64Array(0),
  integ32: new Int32Array(0),
  runK: new Uint8Array(0),
  runX0: new Int32Array(0),
  runX1: new Int32Array(0),
  runStrong: new Int32Array(0),
  runFirst: new Int32Array(0),
  runParent: new Int32Array(0),
  runSlot: new Int32Array(0),
  compK: new Uint8Array(0),
  compX0: new Int32Array(0),
  compX1: new Int32Array(0),
  compY0: new Int32Array(0),
  compY1: new Int32Array(0),
  compN: new Int32Array(0),
  compStrong: new Int32Array(0),
};
/** `n` zeroed (or, with `dirty`, as they were) entries of the scratch array `k`. */
function reuse<K extends keyof typeof scratch>(k: K, n: number, dirty = false): (typeof scratch)[K] {
  const have = scratch[k];
  if (n > SCRATCH_MAX) return new (have.constructor as new (n: number) => (typeof scratch)[K])(n);
  if (have.length < n) {
    const made = new (have.constructor as new (n: number) => (typeof scratch)[K])(n);
    scratch[k] = made;
    return made;
  }
  const view = have.subarray(0, n) as (typeof scratch)[K];
  if (!dirty) view.fill(0);
  return view;
}

interface Comp {
  /** 1: darker than its surroundings, 2: lighter. */
  k: number;
  x0: number;
  x1: number;
  y0: number;
  y1: number;
  n: number;
  /** Pixels far from their local mean (STRONG). */
  strong: number;
}

/**
 * The detector's thumbnail made from the RGB pixels the analysis already decoded (upright, long side at
 * most 1024: decode.ts), so a photo without text costs no second decode: luma (Rec. 601, as Pillow's "L")
 * and an area-average reduction to DETECT_SIDE, linear in the pixels. Each output pixel is the mean luma of
 * its box of source pixels: the box's luma x 65536 (19595 R + 38470 G + 7471 B) summed exactly in whole
 * numbers, divided by its pixels x 65536 and rounded half up (one division per output pixel). Made in
 * WebAssembly with SIMD where it runs (wasm/detect-grey.ts: the same bytes), else in JS. Each source row's
 * column means rounded to f32, then averaged over the box's rows, as before, cost a division per source row
 * and output column: 1.07-1.11 -> 0.66-0.69 CPU ms per text-free photo of the pipeline bench (load 2.8-3.2,
 * alternated x3); 5 of 5.4 M thumbnail pixels of those and the text-free test photos changed by one level,
 * their detections none. Then 0.48 (load 2) with the vector passes of wasm/detect-grey.ts (prefix sums,
 * four boxes at a time, luma by dot products) and the pixels copied in strips (STRIP_BYTES).
 */
export function greyThumbnail(rgb: { data: Uint8Array; width: number; height: number }): GreyImage {
  return greyThumbnailWith(rgb, true);
}

/** greyThumbnail by its JavaScript path, whatever the runtime: for tests and benchmarks. */
export function greyThumbnailJs(rgb: { data: Uint8Array; width: number; height: number }): GreyImage {
  return greyThumbnailWith(rgb, false);
}

function greyThumbnailWith(
  rgb: { data: Uint8Array; width: number; height: number },
  wasm: boolean,
): GreyImage {
  const { data, width: sw, height: sh } = rgb;
  const k = Math.max(1, Math.max(sw, sh) / DETECT_SIDE);
  const w = Math.max(1, Math.round(sw / k));
  const h = Math.max(1, Math.round(sh / k));
  // Source columns [xs[i], xs[i + 1]) make output column i (and the same for rows).
  const edges = (n: number, out: number) => {
    const e = new Int32Array(out + 1);
    for (let i = 0; i <= out; i++) e[i] = Math.min(n, Math.round((i * n) / out));
    return e;
  };
  const xs = edges(sw, w);
  const ys = edges(sh, h);
  if (wasm) {
    const made = greyWasm(rgb, w, h, xs, ys);
    if (made) return made;
  }
  const out = Buffer.alloc(w * h);
  // Each output column's box sum over the box's rows (whole numbers below 2^53: the same sum in any order).
  const sums = new Float64Array(w);
  for (let i = 0; i < h; i++) {
    const a = ys[i] as number;
    const b = ys[i + 1] as number;
    sums.fill(0);
    for (let y = a; y < b; y++) {
      let p = y * sw * 3;
      for (let x = 0; x < w; x++) {
        const n = (xs[x + 1] as number) - (xs[x] as number);
        let sum = 0;
        for (let j = 0; j < n; j++, p += 3)
          sum +=
            19595 * (data[p] as number) + 38470 * (data[p + 1] as number) + 7471 * (data[p + 2] as number);
        sums[x] = (sums[x] as number) + sum;
      }
    }
    const r65536 = (b - a) * 65536;
    for (let x = 0, o = i * w; x < w; x++, o++)
      out[o] = roundGrey((sums[x] as number) / (((xs[x + 1] as number) - (xs[x] as number)) * r65536));
  }
  return { data: out, width: w, height: h };
}

/**
 * Math.round of a grey level (0 to 255), without Math.round: V8 runs it several times slower than this
 * here (the thumbnail's column pass took 4.6 of its 6 ms on a 640x480 photo). `v + 0.5` truncated is
 * Math.round but where the addition itself rounds up (v an ulp below k + 0.5): that case is put back.
 */
function roundGrey(v: number): number {
  const r = (v + 0.5) | 0;
  return v < r - 0.5 ? r - 1 : r;
}

interface DetectGreyKernels {
  memory: { buffer: ArrayBuffer };
  reset(): void;
  alloc(bytes: number): number;
  thumbnail(
    rgb: number,
    W: number,
    i0: number,
    i1: number,
    w: number,
    xs: number,
    ys: number,
    acc: number,
    pre: number,
    out: number,
  ): void;
  classify(
    data: number,
    sums: number,
    w: number,
    h: number,
    window: number,
    contrast: number,
    strong: number,
    hist: number,
    rk: number,
    rx0: number,
    rx1: number,
    rs: number,
    parent: number,
    first: number,
    counts: number,
    codes: number,
  ): void;
  components(
    n: number,
    h: number,
    rk: number,
    rx0: number,
    rx1: number,
    rs: number,
    parent: number,
    first: number,
    slot: number,
    out: number,
    minH: number,
  ): number;
}

const greyKernels = loadKernels<DetectGreyKernels>(DETECT_GREY_WASM_BASE64, 'detect-grey');

/** Whether the thumbnail is made in WebAssembly here (for benchmarks and tests). */
export const greyWasmAvailable = greyKernels !== null;

/**
 * The RGB greyWasm copies into the kernels' memory at a time (rows of whole boxes, at least one box): read
 * by the kernel while in the cache. The whole picture at once (2 MB for 1024x683) cost 0.66 against 0.61
 * CPU ms per text-free pipeline photo's thumbnail (medians of 8 alternated rounds in one process, load
 * 1.5; strips of 8, 32, 64 and 256 KB 0.64-0.65).
 */
const STRIP_BYTES = 16384;

/** Largest picture whose thumbnail is made in WebAssembly: 4 MP (the analysis' pixels are at most 1 MP). */
const GREY_WASM_MAX_PIXELS = 4_000_000;

/**
 * The JS path's thumbnail, made in WebAssembly (wasm/detect-grey.ts); null when that path does not apply
 * (no kernels, a picture over GREY_WASM_MAX_PIXELS, or a box of more than 128 source pixels, past its
 * Int32 sums: never at the analysis' 1024 px).
 */
function greyWasm(
  rgb: { data: Uint8Array; width: number; height: number },
  w: number,
  h: number,
  xs: Int32Array,
  ys: Int32Array,
): GreyImage | null {
  const k = greyKernels;
  const { data, width: sw, height: sh } = rgb;
  const bytes = sw * sh * 3;
  if (!k || sw * sh > GREY_WASM_MAX_PIXELS || data.length < bytes) return null;
  const tall = widest(ys);
  if (widest(xs) * tall > 128) return null;
  const rowBytes = sw * 3;
  const strip = Math.max(tall, Math.floor(STRIP_BYTES / rowBytes));
  k.reset();
  const src = k.alloc(Math.min(sh, strip) * rowBytes);
  const cols = k.alloc((w + 1) * 4);
  const rows = k.alloc((h + 1) * 4);
  const acc = k.alloc(sw * 4);
  const pre = k.alloc((sw + 4) * 4);
  const out = k.alloc(w * h);
  if (!src || !cols || !rows || !acc || !pre || !out) return null;
  const mem = new Uint8Array(k.memory.buffer);
  new Int32Array(k.memory.buffer, cols, w + 1).set(xs);
  new Int32Array(k.memory.buffer, rows, h + 1).set(ys);
  // A strip of whole boxes' rows at a time, copied in and read while still in the cache.
  for (let i0 = 0; i0 < h;) {
    const y0 = ys[i0] as number;
    let i1 = i0 + 1;
    while (i1 < h && (ys[i1 + 1] as number) - y0 <= strip) i1++;
    mem.set(data.subarray(y0 * rowBytes, (ys[i1] as number) * rowBytes), src);
    k.thumbnail(src, sw, i0, i1, w, cols, rows, acc, pre, out);
    i0 = i1;
  }
  return { data: Buffer.from(new Uint8Array(k.memory.buffer, out, w * h)), width: w, height: h };
}

/** The most source columns (or rows) between two successive edges. */
function widest(e: Int32Array): number {
  let m = 0;
  for (let i = 1; i < e.length; i++) m = Math.max(m, (e[i] as number) - (e[i - 1] as number));
  return m;
}

/** Integral image of the grey values (Float64: a 640x640 thumbnail's sums, and far larger, fit exactly). */
export function integralImage<A extends Float64Array | Int32Array = Float64Array>(
  { data, width: w, height: h }: GreyImage,
  integ: A = new Float64Array((w + 1) * (h + 1)) as A,
): A {
  for (let y = 0; y < h; y++) {
    let row = 0;
    for (let x = 0; x < w; x++) {
      row += data[y * w + x] as number;
      integ[(y + 1) * (w + 1) + x + 1] = (integ[y * (w + 1) + x + 1] as number) + row;
    }
  }
  return integ;
}

/** The sum of the grey values in [xa, xb) x [ya, yb), from an integral image of a `w`-wide picture. */
export function boxSum(
  integ: Float64Array,
  w: number,
  xa: number,
  ya: number,
  xb: number,
  yb: number,
): number {
  return (
    (integ[yb * (w + 1) + xb] as number) -
    (integ[ya * (w + 1) + xb] as number) -
    (integ[yb * (w + 1) + xa] as number) +
    (integ[ya * (w + 1) + xa] as number)
  );
}

export function detectText(img: GreyImage): TextDetection {
  return detectTextWith(img, true);
}

/** detectText with its pixel pass (integral image and classify) in JavaScript, whatever the runtime: for tests. */
export function detectTextJs(img: GreyImage): TextDetection {
  return detectTextWith(img, false);
}

function detectTextWith(img: GreyImage, wasm: boolean): TextDetection {
  const { data, width: w, height: h } = img;
  // The grey histogram (the background), and the runs of marked pixels (components() joins them).
  const hist = new Uint32Array(32);
  const runs = (wasm && classifyWasm(img, hist)) || classifyJs(img, hist);
  const { marked } = runs;
  const all = (wasm && componentsWasm(runs, h)) || components(runs, h);
  const comps = all.filter((c) => glyphLike(c, h));
  const chains = chain(comps);
  const lines = chains.filter(isLine);
  const heights = lines.flat().map((c) => c.y1 - c.y0 + 1);
  heights.sort((a, b) => a - b);
  const glyphs = heights.length;
  const longest = Math.max(0, ...lines.map((l) => l.length));
  const light = lines.flat().filter((c) => c.k === 2).length;
  // Each line's box, longest line first.
  const measured = lines.sort((a, b) => b.length - a.length).map((l) => ({ l, ...lineBox(l) }));
  return {
    lines: lines.length,
    glyphs,
    glyph_height: glyphs ? (heights[glyphs >> 1] as number) : 0,
    width: w,
    // One long line (a sentence, a caption) or two medium ones (a sign); tuned on TEXT_FREE_PHOTOS and the
    // generated pictures (test/helpers/text-images.ts), where texture chains reach 9 glyphs and text 10+.
    boxes: measured.slice(0, MAX_BOXES).map(({ l, x0, y0, x1, y1, light }): TextBox => {
      const hs = l.map((c) => c.y1 - c.y0 + 1).sort((a, b) => a - b);
      return {
        x: x0,
        y: y0,
        width: x1 - x0 + 1,
        height: y1 - y0 + 1,
        glyph: hs[hs.length >> 1] as number,
        polarity: light ? 'light' : 'dark',
      };
    }),
    blobs: glyphs
      ? all
          .filter((c) => {
            const bh = c.y1 - c.y0 + 1;
            const bw = c.x1 - c.x0 + 1;
            // Avatars and icons are about as wide as tall and solid; a joined Arabic word is wider.
            return (
              bh > (heights[glyphs >> 1] as number) * 2.5 &&
              bw < w / 3 &&
              bw < bh * 1.5 &&
              bh < bw * 1.5 &&
              c.n > bw * bh * 0.6
            );
          })
          .slice(0, MAX_BOXES)
          .map((c) => ({ x: c.x0, y: c.y0, width: c.x1 - c.x0 + 1, height: c.y1 - c.y0 + 1 }))
      : [],
    background_level: hist.indexOf(Math.max(...hist)) * 8 + 4,
    background: Math.round((Math.max(...hist) / Math.max(1, data.length)) * 1000) / 1000,
    polarity: light * 2 > glyphs ? 'light' : 'dark',
    textured: Math.round((marked / Math.max(1, w * h)) * 1000) / 1000,
    has_text:
      longest >= LONG_LINE || lines.filter((l) => l.length >= MEDIUM_LINE).length >= 2 || stacked(measured),
  };
}

/** The integral image and classify() in JavaScript: the runs of marked pixels, the histogram into `hist`. */
function classifyJs(img: GreyImage, hist: Uint32Array): Runs {
  const { data, width: w, height: h } = img;
  // In whole numbers (Int32: half the bytes of Float64, integer arithmetic) while its sums fit, which
  // they do for any thumbnail (255 x 640 x 640 is ~1/20 of 2^31); a larger picture gets Float64.
  const integ =
    w * h * 255 < 2 ** 31
      ? integralImage(img, reuse('integ32', (w + 1) * (h + 1)))
      : integralImage(img, reuse('integ', (w + 1) * (h + 1)));
  let cap = Math.max(1024, (w * h) >> 2);
  for (;;) {
    const runs: Runs = {
      n: 0,
      marked: 0,
      k: reuse('runK', cap, true),
      x0: reuse('runX0', cap, true),
      x1: reuse('runX1', cap, true),
      strong: reuse('runStrong', cap, true),
      parent: reuse('runParent', cap, true),
      first: reuse('runFirst', h + 1, true),
    };
    hist.fill(0);
    if (classify(data, integ, w, h, hist, runs)) return runs;
    cap *= 2; // more runs than a quarter of the pixels (single-pixel texture): again with room for them
  }
}

/**
 * classifyJs's runs and histogram, computed in WebAssembly (wasm/detect-grey.ts: the same whole-number
 * arithmetic); the runs are views of the module's memory, valid until its next call. With it, the
 * detection of a text-free photo of 640 px or more took 5.0 -> 3.45 CPU ms (bench:ocr's and the pipeline
 * bench's photos, load 2-3). Null when that path does not apply (no kernels, sums past Int32, a picture
 * over GREY_WASM_MAX_PIXELS).
 */
function classifyWasm(img: GreyImage, hist: Uint32Array): Runs | null {
  const k = greyKernels;
  const { data, width: w, height: h } = img;
  const px = w * h;
  if (!k || px * 255 >= 2 ** 31 || px > GREY_WASM_MAX_PIXELS || data.length < px) return null;
  k.reset();
  const src = k.alloc(px);
  const sums = k.alloc((w + 16) * 8);
  const bins = k.alloc(4 * 32 * 4);
  const rk = k.alloc(px);
  const rx0 = k.alloc(px * 4);
  const rx1 = k.alloc(px * 4);
  const rs = k.alloc(px * 4);
  const parent = k.alloc(px * 4);
  const first = k.alloc((h + 1) * 4);
  const counts = k.alloc(8);
  const codes = k.alloc(w + 32);
  if (!src || !sums || !bins || !rk || !rx0 || !rx1 || !rs || !parent || !first || !counts || !codes)
    return null;
  const mem = k.memory.buffer;
  new Uint8Array(mem, src, px).set(data.subarray(0, px));
  k.classify(src, sums, w, h, WINDOW, CONTRAST, STRONG, bins, rk, rx0, rx1, rs, parent, first, counts, codes);
  hist.set(new Int32Array(mem, bins, 32));
  const [n, marked] = new Int32Array(mem, counts, 2) as unknown as [number, number];
  return {
    n,
    marked,
    k: new Uint8Array(mem, rk, px),
    x0: new Int32Array(mem, rx0, px),
    x1: new Int32Array(mem, rx1, px),
    strong: new Int32Array(mem, rs, px),
    parent: new Int32Array(mem, parent, px),
    first: new Int32Array(mem, first, h + 1),
    at: { rk, rx0, rx1, rs, parent, first },
  };
}

/**
 * components() in WebAssembly (wasm/detect-grey.ts components: joinRuns and gather meeting the same pairs
 * of runs in the same order and making the same trees, so the same components) on the runs classifyWasm
 * left in the kernels' memory; null when they are not there or its room cannot be had (the JS path then
 * joins them). The runs' views are not used afterwards: taking room may grow the memory, which detaches
 * them.
 */
function componentsWasm(runs: Runs, h: number): Comp[] | null {
  const k = greyKernels;
  const at = runs.at;
  if (!k || !at) return null;
  const n = runs.n;
  // One piece of room: when it cannot be had the memory did not grow, and the runs' views still hold.
  const slot = k.alloc(n * 32);
  if (!slot) return null;
  const out = slot + n * 4;
  const kept = k.components(n, h, at.rk, at.rx0, at.rx1, at.rs, at.parent, at.first, slot, out, MIN_H);
  const c = new Int32Array(k.memory.buffer, out, kept * 7);
  const comps: Comp[] = new Array<Comp>(kept);
  for (let i = 0, p = 0; i < kept; i++, p += 7)
    comps[i] = {
      k: c[p] as number,
      x0: c[p + 1] as number,
      x1: c[p + 2] as number,
      y0: c[p + 3] as number,
      y1: c[p + 4] as number,
      n: c[p + 5] as number,
      strong: c[p + 6] as number,
    };
  return comps;
}

/** The runs and histogram of `img` by one path, copied: for tests comparing the two. */
export function pixelRuns(img: GreyImage, wasm: boolean) {
  const hist = new Uint32Array(32);
  const r = (wasm ? classifyWasm(img, hist) : classifyJs(img, hist)) as Runs;
  const n = r.n;
  return {
    n,
    marked: r.marked,
    hist: [...hist],
    k: [...r.k.subarray(0, n)],
    x0: [...r.x0.subarray(0, n)],
    x1: [...r.x1.subarray(0, n)],
    strong: [...r.strong.subarray(0, n)],
    parent: [...r.parent.subarray(0, n)],
    first: [...r.first.subarray(0, img.height)],
  };
}

/**
 * A chain is a line of text when enough of its glyphs sit on one baseline or hang from one top line
 * (letters do; the blobs of a texture do not), within a fraction of their median height.
 */
function isLine(c: Comp[]): boolean {
  if (c.length < MIN_CHAIN) return false;
  const med = (v: number[]) => v.sort((a, b) => a - b)[v.length >> 1] as number;
  const hm = med(c.map((g) => g.y1 - g.y0 + 1));
  const bottom = med(c.map((g) => g.y1));
  const top = med(c.map((g) => g.y0));
  const tol = hm * ALIGN + 1;
  const aligned = c.filter((g) => Math.abs(g.y1 - bottom) <= tol || Math.abs(g.y0 - top) <= tol).length;
  return aligned >= MIN_CHAIN && aligned >= c.length * ALIGNED_SHARE;
}

interface LineBox {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
  /** Most of its glyphs lighter than around them. */
  light: boolean;
}

/** The box of a line's glyphs, and its polarity. */
function lineBox(l: Comp[]): LineBox {
  return {
    x0: Math.min(...l.map((c) => c.x0)),
    y0: Math.min(...l.map((c) => c.y0)),
    x1: Math.max(...l.map((c) => c.x1)),
    y1: Math.max(...l.map((c) => c.y1)),
    light: l.filter((c) => c.k === 2).length * 2 > l.length,
  };
}

/** Shortest line of a sign's two stacked lines (stacked), and the two lines' glyphs together. */
const STACKED_LINE = 5;
const STACKED_GLYPHS = 14;

/**
 * Whether two of the lines are a sign's or a short caption's: one right under the other (less than a
 * line's height between them), about as high (within a quarter), of one polarity, centred on each other
 * (within a quarter of the wider), each of STACKED_LINE glyphs or more and STACKED_GLYPHS together ("GEDIMINO
 * PR. 9" over "VILNIUS": 9 and 5, where a line needs LONG_LINE alone or two MEDIUM_LINE). Texture's
 * chains of 5-7 glyphs on TEXT_FREE_PHOTOS are neither stacked nor centred so.
 */
function stacked(lines: ({ l: Comp[] } & LineBox)[]): boolean {
  const boxes = lines.filter((b) => b.l.length >= STACKED_LINE);
  for (const a of boxes)
    for (const b of boxes) {
      if (a === b || a.l.length + b.l.length < STACKED_GLYPHS || a.light !== b.light) continue;
      const ha = a.y1 - a.y0 + 1;
      const hb = b.y1 - b.y0 + 1;
      const gap = b.y0 - a.y1 - 1;
      if (gap < 0 || gap > Math.max(ha, hb) || Math.abs(ha - hb) > Math.max(ha, hb) / 4) continue;
      const wide = Math.max(a.x1 - a.x0, b.x1 - b.x0);
      if (Math.abs(a.x0 + a.x1 - b.x0 - b.x1) / 2 <= wide / 4) return true;
    }
  return false;
}

/**
 * Runs of marked pixels of one class along a row (classify), in raster order: run i is in columns
 * x0[i]..x1[i], of class k[i], with strong[i] STRONG pixels; row y's runs start at first[y].
 */
interface Runs {
  n: number;
  /** Pixels of class 1 or 2 (detectText's `textured`). */
  marked: number;
  k: Uint8Array;
  x0: Int32Array;
  x1: Int32Array;
  strong: Int32Array;
  /** Each run's parent in components()' union-find forest: itself at first. */
  parent: Int32Array;
  first: Int32Array;
  /** Where classifyWasm left the runs in the kernels' memory (componentsWasm joins them there). */
  at?: { rk: number; rx0: number; rx1: number; rs: number; parent: number; first: number };
}

/**
 * Each pixel against the mean of its (2 WINDOW + 1)² neighbourhood: darker (class 1), lighter (2) or
 * neither (0). The classes are not kept per pixel: their runs along each row go into `runs` (false when
 * they do not fit its arrays), and the grey levels into `hist` (8-level bands), in the same pass. The
 * window sum is read straight from the integral image's rows (no call per pixel). A function of its own:
 * inside detectText its loop was compiled again and again (deoptimized on the code after it).
 */
function classify(
  data: Uint8Array,
  integ: Int32Array | Float64Array,
  w: number,
  h: number,
  hist: Uint32Array,
  runs: Runs,
): boolean {
  const { k: rk, x0: rx0, x1: rx1, strong: rs, parent, first } = runs;
  const cap = rk.length;
  const W1 = w + 1;
  let n = 0;
  let marked = 0;
  for (let y = 0; y < h; y++) {
    const ya = Math.max(0, y - WINDOW);
    const yb = Math.min(h, y + WINDOW + 1);
    const top = ya * W1;
    const bot = yb * W1;
    const rows = yb - ya;
    const line = y * w;
    first[y] = n;
    // The open run: its class (0: none), first column and count of STRONG pixels.
    let runK = 0;
    let runX = 0;
    let runStrong = 0;
    for (let x = 0; x < w; x++) {
      const xa = x > WINDOW ? x - WINDOW : 0;
      const xb = x + WINDOW + 1 < w ? x + WINDOW + 1 : w;
      const sum =
        (integ[bot + xb] as number) -
        (integ[top + xb] as number) -
        (integ[bot + xa] as number) +
        (integ[top + xa] as number);
      const v = data[line + x] as number;
      hist[v >> 3] = (hist[v >> 3] as number) + 1;
      // The pixel against its window's mean, times the window's area: whole numbers, no division (the
      // same verdicts as v - sum / area: a difference from a threshold is a whole multiple of 1/area).
      const area = rows * (xb - xa);
      const d = v * area - sum;
      let k = 0;
      let strong = 0;
      if (d < -CONTRAST * area) {
        k = 1;
        if (d < -STRONG * area) strong = 1;
      } else if (d > CONTRAST * area) {
        k = 2;
        if (d > STRONG * area) strong = 1;
      }
      if (k !== runK) {
        if (runK) {
          if (n === cap) return false;
          rk[n] = runK;
          rx0[n] = runX;
          rx1[n] = x - 1;
          rs[n] = runStrong;
          parent[n] = n++;
        }
        runK = k;
        runX = x;
        runStrong = 0;
      }
      if (k) marked++;
      runStrong += strong;
    }
    // The row's end closes the run still open.
    if (runK) {
      if (n === cap) return false;
      rk[n] = runK;
      rx0[n] = runX;
      rx1[n] = w - 1;
      rs[n] = runStrong;
      parent[n] = n++;
    }
  }
  runs.n = n;
  runs.marked = marked;
  return true;
}

/**
 * The root of `i` in the union-find forest `parent`, halving the path on the way. Not a closure: one
 * made per call is a new call target each time, which deoptimized its caller on every image.
 */
function root(parent: Int32Array, i: number): number {
  while (parent[i] !== i) {
    const g = parent[parent[i] as number] as number;
    parent[i] = g;
    i = g;
  }
  return i;
}

/**
 * 4-connected components of equal non-zero class, from the runs: two runs of one class in adjacent rows
 * whose columns overlap are one component (union-find over runs), and each component's box, pixel count
 * and STRONG count are those of its runs. In the order of their first pixel (raster order), as a flood
 * fill from each unvisited pixel in turn found them: chain() and the blobs depend on that order. Linear in
 * the runs; a texture's 50% of marked pixels made the per-pixel flood fill most of the detector's cost.
 */
function components(runs: Runs, h: number): Comp[] {
  runs.first[h] = runs.n;
  joinRuns(runs, runs.parent, h);
  return gather(runs, runs.parent);
}

/** Joins (`parent`, a union-find forest whose roots are each tree's first run) the runs that touch. */
function joinRuns(runs: Runs, parent: Int32Array, h: number): void {
  const { k, x0, x1, first } = runs;
  for (let y = 1; y < h; y++) {
    // The runs of row y - 1 (a) and of row y (b), both left to right: each pair that overlaps is met.
    let a = first[y - 1] as number;
    const aEnd = first[y] as number;
    let b = aEnd;
    const bEnd = first[y + 1] as number;
    while (a < aEnd && b < bEnd) {
      if ((x0[a] as number) <= (x1[b] as number) && (x0[b] as number) <= (x1[a] as number) && k[a] === k[b]) {
        const ra = root(parent, a);
        const rb = root(parent, b);
        // The root is the earlier run: the component's first pixel is its root's.
        const lo = ra < rb ? ra : rb;
        parent[ra + rb - lo] = lo;
      }
      if ((x1[a] as number) < (x1[b] as number)) a++;
      else b++;
    }
  }
}

/**
 * Each tree's component (in the order of their roots: the components' first pixels), its box and counts
 * summed in typed arrays; objects only for those tall enough to matter (a texture has tens of thousands).
 */
function gather(runs: Runs, parent: Int32Array): Comp[] {
  const { n, k, x0, x1, strong, first } = runs;
  const slot = reuse('runSlot', n, true);
  const cx0 = reuse('compX0', n, true);
  const cx1 = reuse('compX1', n, true);
  const cy0 = reuse('compY0', n, true);
  const cy1 = reuse('compY1', n, true);
  const cn = reuse('compN', n, true);
  const cs = reuse('compStrong', n, true);
  const ck = reuse('compK', n, true);
  let m = 0;
  let y = 0;
  for (let i = 0; i < n; i++) {
    while ((first[y + 1] as number) <= i) y++;
    const r = root(parent, i);
    const a = x0[i] as number;
    const b = x1[i] as number;
    if (r === i) {
      slot[i] = m;
      cx0[m] = a;
      cx1[m] = b;
      cy0[m] = y;
      cy1[m] = y;
      cn[m] = b - a + 1;
      cs[m] = strong[i] as number;
      ck[m] = k[i] as number;
      m++;
    } else {
      const c = slot[r] as number;
      cx0[c] = Math.min(a, cx0[c] as number);
      cx1[c] = Math.max(b, cx1[c] as number);
      cy1[c] = y;
      cn[c] = (cn[c] as number) + b - a + 1;
      cs[c] = (cs[c] as number) + (strong[i] as number);
    }
  }
  const out: Comp[] = [];
  for (let c = 0; c < m; c++) {
    // Lower than a glyph (most of a photo's texture): neither a glyph nor a blob; not kept.
    if ((cy1[c] as number) - (cy0[c] as number) + 1 < MIN_H) continue;
    out.push({
      k: ck[c] as number,
      x0: cx0[c] as number,
      x1: cx1[c] as number,
      y0: cy0[c] as number,
      y1: cy1[c] as number,
      n: cn[c] as number,
      strong: cs[c] as number,
    });
  }
  return out;
}

function glyphLike(c: Comp, imgH: number): boolean {
  const bw = c.x1 - c.x0 + 1;
  const bh = c.y1 - c.y0 + 1;
  if (bh < MIN_H || bh > imgH * MAX_H_SHARE) return false;
  // One glyph, or a few touching ones at thumbnail scale; never a long bar.
  if (bw > bh * 6 || bw * 5 < bh) return false;
  // Printed and rendered letters stand out sharply from their background; texture blobs mostly do not.
  if (c.strong < c.n * STRONG_SHARE) return false;
  const fill = c.n / (bw * bh);
  return fill > 0.12 && fill < 0.9;
}

/** Links each component to its nearest right neighbour on the same line; returns the chains. */
function chain(comps: Comp[]): Comp[][] {
  const order = comps.map((_, i) => i).sort((a, b) => (comps[a] as Comp).x0 - (comps[b] as Comp).x0);
  const parent = Int32Array.from(comps, (_, i) => i);
  for (let oi = 0; oi < order.length; oi++) {
    const a = comps[order[oi] as number] as Comp;
    const ah = a.y1 - a.y0 + 1;
    // Candidates start within 1.5 heights right of a's end; order is by x0, so stop when past that.
    // At most NEIGHBOURS looked at: a column of components sharing an x would otherwise be quadratic.
    for (let oj = oi + 1; oj < order.length && oj - oi <= NEIGHBOURS; oj++) {
      const b = comps[order[oj] as number] as Comp;
      if (b.x0 > a.x1 + ah * 1.5) break;
      if (b.x0 < a.x1 - ah * 0.3) continue;
      const bh = b.y1 - b.y0 + 1;
      if (bh > ah * 1.8 || ah > bh * 1.8) continue;
      const overlap = Math.min(a.y1, b.y1) - Math.max(a.y0, b.y0) + 1;
      if (overlap < Math.min(ah, bh) * 0.6) continue;
      parent[root(parent, order[oi] as number)] = root(parent, order[oj] as number);
      break;
    }
  }
  const groups = new Map<number, Comp[]>();
  comps.forEach((c, i) => {
    const r = root(parent, i);
    const g = groups.get(r);
    if (g) g.push(c);
    else groups.set(r, [c]);
  });
  return [...groups.values()];
}
