// The grey libvips makes of 8-bit sRGB pixels (sharp's greyscale(): sRGB -> linear light through a table,
// Y = 0.2126 R + 0.7152 G + 0.0722 B there, back through a table with linear interpolation, rounded),
// computed here from the analysis' decoded pixels instead of by a sharp pipeline: libvips spends ~12 ns
// a pixel on it (in floats, then a three-band copy for sRGB output) plus ~0.7 ms of CPU per pipeline
// (each run of a screenshot's rows was one: 3-4 ms of readText's CPU for a 720x724 screenshot, 1.3-2.6
// more for the @handle line's crop). The same value for every one of the 16,777,216 colours
// (test/pipeline/ocr/grey.test.ts compares them all with sharp): the formula in libvips' order of float
// operations, and the colours whose result falls within a hair of .5, where libvips' float rounding
// goes the other way (119 with libvips 8.18), looked up (grey-exceptions.generated.ts, written by
// scripts/grey-exceptions.ts).
import type { GreyImage } from './tesseract.js';
import { GREY_EXCEPTIONS } from './grey-exceptions.generated.js';

const f32 = Math.fround;
/** Each channel's share of Y: 0.2126 (0.7152, 0.0722) times the channel's linear value (libvips' v2Y_8). */
const R = new Float64Array(256);
const G = new Float64Array(256);
const B = new Float64Array(256);
/** Linear Y (x 255) -> 8-bit value (libvips' Y2v_8), with the last entry repeated for interpolation. */
const Y2V = new Float64Array(257);
for (let i = 0; i < 256; i++) {
  const f = f32(i / 255);
  const lin = f <= 0.04045 ? f32(f / 12.92) : f32(Math.pow((f + 0.055) / (1 + 0.055), 2.4));
  R[i] = 0.2126 * lin;
  G[i] = 0.7152 * lin;
  B[i] = 0.0722 * lin;
  const v = f <= 0.0031308 ? f32(12.92 * f) : f32((1.0 + 0.055) * Math.pow(f, 1.0 / 2.4) - 0.055);
  Y2V[i] = Math.round(f32(255 * v));
}
Y2V[256] = Y2V[255] as number;

const exceptions = new Map<number, number>();
for (let i = 0; i < GREY_EXCEPTIONS.length; i += 2)
  exceptions.set(GREY_EXCEPTIONS[i] as number, GREY_EXCEPTIONS[i + 1] as number);

/** The value before rounding (for scripts/grey-exceptions.ts: how close to .5 it falls). */
export function greyValue(r: number, g: number, b: number): number {
  const yf = f32(f32((R[r] as number) + (G[g] as number) + (B[b] as number)) * 255);
  const c = yf > 255 ? 255 : yf;
  const i = c | 0;
  const lo = Y2V[i] as number;
  return lo + ((Y2V[i + 1] as number) - lo) * (c - i);
}

/** How close to .5 a value must fall for its colour to be looked up among the exceptions. */
const NEAR_HALF = 1e-4;

/** sharp's greyscale() of one 8-bit sRGB colour. */
export function greyOf(r: number, g: number, b: number): number {
  const v = greyValue(r, g, b);
  const out = (v + 0.5) | 0;
  // v is in [out - 0.5, out + 0.5): near either end, libvips may have rounded the other way.
  const off = v - out + 0.5;
  return off < NEAR_HALF || off > 1 - NEAR_HALF ? (exceptions.get((r << 16) | (g << 8) | b) ?? out) : out;
}

/**
 * Rows [y0, y1) and columns [x0, x1) of RGB pixels (3 bytes each, rows without padding) in grey, as
 * sharp's greyscale() of them with extract() gives them.
 */
export function greyRegion(
  rgb: { data: Uint8Array; width: number; height: number },
  x0: number,
  y0: number,
  x1: number,
  y1: number,
): GreyImage {
  const w = x1 - x0;
  const data = Buffer.allocUnsafe(w * (y1 - y0));
  const src = rgb.data;
  // Runs of one colour (a screenshot's background) are converted once.
  let last = -1;
  let value = 0;
  for (let y = y0, o = 0; y < y1; y++) {
    for (let p = (y * rgb.width + x0) * 3, end = p + w * 3; p < end; p += 3, o++) {
      const r = src[p] as number;
      const g = src[p + 1] as number;
      const b = src[p + 2] as number;
      const key = (r << 16) | (g << 8) | b;
      if (key !== last) {
        last = key;
        value = greyOf(r, g, b);
      }
      data[o] = value;
    }
  }
  return { data, width: w, height: y1 - y0 };
}
