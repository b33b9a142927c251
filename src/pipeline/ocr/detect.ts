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
 * collecting) its ~5 MB of typed arrays each time cost about as much as a third of its work. Safe because
 * it is synchronous (no two calls overlap in a thread); sizes above SCRATCH_MAX are not kept.
 */
const SCRATCH_MAX = 4 << 20;
const scratch = {
  rows: new Float32Array(0),
  integ: new Float64Array(0),
  cls: new Uint8Array(0),
  strong: new Uint8Array(0),
  seen: new Uint8Array(0),
  stack: new Int32Array(0),
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
 * and an area-average reduction to DETECT_SIDE, separable (rows, then columns), linear in the pixels.
 */
export function greyThumbnail(rgb: { data: Uint8Array; width: number; height: number }): GreyImage {
  const { data, width: sw, height: sh } = rgb;
  const k = Math.max(1, Math.max(sw, sh) / DETECT_SIDE);
  const w = Math.max(1, Math.round(sw / k));
  const h = Math.max(1, Math.round(sh / k));
  // Source columns [xs[i], xs[i + 1]) make output column i (and the same for rows).
  const edges = (n: number, out: number) =>
    Int32Array.from({ length: out + 1 }, (_, i) => Math.min(n, Math.round((i * n) / out)));
  const xs = edges(sw, w);
  const ys = edges(sh, h);
  const rows = reuse('rows', w * sh, true); // every entry is written below
  for (let y = 0; y < sh; y++) {
    let p = y * sw * 3;
    for (let i = 0; i < w; i++) {
      const n = (xs[i + 1] as number) - (xs[i] as number);
      let sum = 0;
      for (let j = 0; j < n; j++, p += 3)
        sum += 19595 * (data[p] as number) + 38470 * (data[p + 1] as number) + 7471 * (data[p + 2] as number);
      rows[y * w + i] = sum / (n * 65536);
    }
  }
  const out = Buffer.alloc(w * h);
  // Row by row (memory order), each column's sum in the same order as a column walk would add it.
  const sums = new Float64Array(w);
  for (let i = 0; i < h; i++) {
    const a = ys[i] as number;
    const b = ys[i + 1] as number;
    sums.fill(0);
    for (let y = a; y < b; y++) {
      const row = y * w;
      for (let x = 0; x < w; x++) sums[x] = (sums[x] as number) + (rows[row + x] as number);
    }
    for (let x = 0; x < w; x++) out[i * w + x] = Math.round((sums[x] as number) / (b - a));
  }
  return { data: out, width: w, height: h };
}

/** Integral image of the grey values (Float64: a 640x640 thumbnail's sums, and far larger, fit exactly). */
export function integralImage(
  { data, width: w, height: h }: GreyImage,
  integ = new Float64Array((w + 1) * (h + 1)),
): Float64Array {
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
  const { data, width: w, height: h } = img;
  const integ = integralImage(img, reuse('integ', (w + 1) * (h + 1)));
  // 1 = darker than its surroundings, 2 = lighter, 0 = neither. The window sum is read straight from the
  // integral image's rows (no call per pixel): this loop and components() are most of the detector's cost.
  const cls = reuse('cls', w * h);
  const strong = reuse('strong', w * h);
  const W1 = w + 1;
  // The grey histogram (the background) and the count of marked pixels, in the same pass.
  const hist = new Uint32Array(32);
  let marked = 0;
  for (let y = 0; y < h; y++) {
    const ya = Math.max(0, y - WINDOW);
    const yb = Math.min(h, y + WINDOW + 1);
    const top = ya * W1;
    const bot = yb * W1;
    const rows = yb - ya;
    const line = y * w;
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
      if (d < -CONTRAST * area) {
        cls[line + x] = 1;
        marked++;
        if (d < -STRONG * area) strong[line + x] = 1;
      } else if (d > CONTRAST * area) {
        cls[line + x] = 2;
        marked++;
        if (d > STRONG * area) strong[line + x] = 1;
      }
    }
  }
  const all = components(cls, strong, w, h);
  const comps = all.filter((c) => glyphLike(c, h));
  const chains = chain(comps);
  const lines = chains.filter(isLine);
  const heights = lines.flat().map((c) => c.y1 - c.y0 + 1);
  heights.sort((a, b) => a - b);
  const glyphs = heights.length;
  const longest = Math.max(0, ...lines.map((l) => l.length));
  const light = lines.flat().filter((c) => c.k === 2).length;
  return {
    lines: lines.length,
    glyphs,
    glyph_height: glyphs ? (heights[glyphs >> 1] as number) : 0,
    width: w,
    // One long line (a sentence, a caption) or two medium ones (a sign); tuned on TEXT_FREE_PHOTOS and the
    // generated pictures (test/helpers/text-images.ts), where texture chains reach 9 glyphs and text 10+.
    boxes: lines
      .sort((a, b) => b.length - a.length)
      .slice(0, MAX_BOXES)
      .map((l): TextBox => {
        const x0 = Math.min(...l.map((c) => c.x0));
        const y0 = Math.min(...l.map((c) => c.y0));
        const hs = l.map((c) => c.y1 - c.y0 + 1).sort((a, b) => a - b);
        return {
          x: x0,
          y: y0,
          width: Math.max(...l.map((c) => c.x1)) - x0 + 1,
          height: Math.max(...l.map((c) => c.y1)) - y0 + 1,
          glyph: hs[hs.length >> 1] as number,
          polarity: l.filter((c) => c.k === 2).length * 2 > l.length ? 'light' : 'dark',
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
    textured: Math.round((marked / Math.max(1, cls.length)) * 1000) / 1000,
    has_text: longest >= LONG_LINE || lines.filter((l) => l.length >= MEDIUM_LINE).length >= 2,
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

/** 4-connected components of equal non-zero class, with an explicit stack (no recursion, no closure per pixel). */
function components(cls: Uint8Array, strong: Uint8Array, w: number, h: number): Comp[] {
  const seen = reuse('seen', w * h);
  const stack = reuse('stack', w * h, true); // written before it is read
  const out: Comp[] = [];
  for (let start = 0; start < w * h; start++) {
    const k = cls[start] as number;
    if (!k || seen[start]) continue;
    let top = 0;
    stack[top++] = start;
    seen[start] = 1;
    let x0 = w;
    let x1 = 0;
    let y0 = h;
    let y1 = 0;
    let n = 0;
    let strongN = 0;
    while (top > 0) {
      const p = stack[--top] as number;
      const y = (p / w) | 0;
      const x = p - y * w;
      n++;
      strongN += strong[p] as number;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
      if (x > 0 && !seen[p - 1] && cls[p - 1] === k) {
        seen[p - 1] = 1;
        stack[top++] = p - 1;
      }
      if (x < w - 1 && !seen[p + 1] && cls[p + 1] === k) {
        seen[p + 1] = 1;
        stack[top++] = p + 1;
      }
      if (y > 0 && !seen[p - w] && cls[p - w] === k) {
        seen[p - w] = 1;
        stack[top++] = p - w;
      }
      if (y < h - 1 && !seen[p + w] && cls[p + w] === k) {
        seen[p + w] = 1;
        stack[top++] = p + w;
      }
    }
    // Lower than a glyph (most of a photo's texture): neither a glyph nor a blob; not kept.
    if (y1 - y0 + 1 >= MIN_H) out.push({ k, x0, x1, y0, y1, n, strong: strongN });
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
  const parent = comps.map((_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) i = parent[i] = parent[parent[i] as number] as number;
    return i;
  };
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
      parent[find(order[oi] as number)] = find(order[oj] as number);
      break;
    }
  }
  const groups = new Map<number, Comp[]>();
  comps.forEach((c, i) => {
    const r = find(i);
    const g = groups.get(r);
    if (g) g.push(c);
    else groups.set(r, [c]);
  });
  return [...groups.values()];
}
