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
  boxes: Rect[];
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

/** Integral image of the grey values (Float64: a 640x640 thumbnail's sums, and far larger, fit exactly). */
export function integralImage({ data, width: w, height: h }: GreyImage): Float64Array {
  const integ = new Float64Array((w + 1) * (h + 1));
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
  const integ = integralImage(img);
  // 1 = darker than its surroundings, 2 = lighter, 0 = neither.
  const cls = new Uint8Array(w * h);
  const strong = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    const ya = Math.max(0, y - WINDOW);
    const yb = Math.min(h, y + WINDOW + 1);
    for (let x = 0; x < w; x++) {
      const xa = Math.max(0, x - WINDOW);
      const xb = Math.min(w, x + WINDOW + 1);
      const mean = boxSum(integ, w, xa, ya, xb, yb) / ((yb - ya) * (xb - xa));
      const v = data[y * w + x] as number;
      const d = v - mean;
      cls[y * w + x] = d < -CONTRAST ? 1 : d > CONTRAST ? 2 : 0;
      if (d < -STRONG || d > STRONG) strong[y * w + x] = 1;
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
  const hist = new Uint32Array(32);
  for (let i = 0; i < data.length; i++) {
    const b = (data[i] as number) >> 3;
    hist[b] = (hist[b] as number) + 1;
  }
  let marked = 0;
  for (let i = 0; i < cls.length; i++) if (cls[i]) marked++;
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
      .map((l) => {
        const x0 = Math.min(...l.map((c) => c.x0));
        const y0 = Math.min(...l.map((c) => c.y0));
        return {
          x: x0,
          y: y0,
          width: Math.max(...l.map((c) => c.x1)) - x0 + 1,
          height: Math.max(...l.map((c) => c.y1)) - y0 + 1,
        };
      }),
    blobs: glyphs
      ? all
          .filter((c) => {
            const bh = c.y1 - c.y0 + 1;
            const bw = c.x1 - c.x0 + 1;
            return bh > (heights[glyphs >> 1] as number) * 2.5 && bw < w / 3 && c.n > bw * bh * 0.5;
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

/** 4-connected components of equal non-zero class, with an explicit stack (no recursion). */
function components(cls: Uint8Array, strong: Uint8Array, w: number, h: number): Comp[] {
  const seen = new Uint8Array(w * h);
  const stack = new Int32Array(w * h);
  const out: Comp[] = [];
  for (let start = 0; start < w * h; start++) {
    const k = cls[start] as number;
    if (!k || seen[start]) continue;
    let top = 0;
    stack[top++] = start;
    seen[start] = 1;
    const c: Comp = { k, x0: w, x1: 0, y0: h, y1: 0, n: 0, strong: 0 };
    while (top > 0) {
      const p = stack[--top] as number;
      const x = p % w;
      const y = (p - x) / w;
      c.n++;
      c.strong += strong[p] as number;
      if (x < c.x0) c.x0 = x;
      if (x > c.x1) c.x1 = x;
      if (y < c.y0) c.y0 = y;
      if (y > c.y1) c.y1 = y;
      const push = (q: number) => {
        if (seen[q] || cls[q] !== k) return;
        seen[q] = 1;
        stack[top++] = q;
      };
      if (x > 0) push(p - 1);
      if (x < w - 1) push(p + 1);
      if (y > 0) push(p - w);
      if (y < h - 1) push(p + w);
    }
    out.push(c);
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
