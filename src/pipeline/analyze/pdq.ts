// PDQ: Meta's 256-bit perceptual hash, with its quality score and the 8 dihedral hashes.
//
// Written by hand for firstseen because no maintained npm package implements PDQ. It follows the
// algorithm of Meta's reference implementation (github.com/facebook/ThreatExchange: pdq/cpp and the
// write-up hashing/hashing.pdf) step by step, in its 32-bit float arithmetic, operation for operation,
// so that it gives the reference's exact bits when fed the same pixels (checked against a build of its
// C++ code: 0 bits on every fixture hashed at full size, ../shared/testdata/pdq-fullres-truth.json;
// pdq.test.ts checks it on the fixtures the reference CLI does not resize):
//   1. luminance Y = 0.299 R + 0.587 G + 0.114 B, as 32-bit floats;
//   2. a Jarosz filter: two rounds of a box blur along rows then along columns (a tent-like filter),
//      each box ceil(side / 128) pixels wide, so that one 64th of the image ends up in each sample;
//      each box is a running float sum (add the entering pixel, then drop the leaving one) divided by
//      the number of pixels under the box, as the reference's box1DFloat does;
//   3. the blurred image sampled at the centres of a 64x64 grid;
//   4. the quality score: a sum of quantized gradients of that 64x64 image, /90, capped at 100;
//   5. a 2-D DCT keeping frequencies 1-16 in each direction (DC dropped), from the reference's 16x64
//      matrix sqrt(2/64) cos(pi/128 (i+1)(2j+1)), with float sums in the reference's order;
//   6. bit = coefficient > median of the 256 coefficients (the lower median, as Torben's selection
//      in the reference returns).
// Rotations and flips of the image only permute the DCT coefficients and flip the sign of the odd ones,
// so the 8 dihedral hashes come from the one DCT (step 5) without touching pixels again.
//
// Float arithmetic in JavaScript: every sum, product and quotient is rounded to 32 bits (Math.fround,
// or a store into a Float32Array) before the next operation uses it. An operation on two 32-bit floats
// computed in 64 bits and rounded once to 32 is exactly the 32-bit operation, so each step is the C++
// `float` step. The box means divide a float sum s by a pixel count n (at most a few hundred): they are
// computed as s times the 64-bit reciprocal of n, rounded to 32 bits, which is the same float as s / n
// at a fraction of a division's cost: while s / n is a normal float, it is never a 32-bit rounding
// midpoint and lies at least 2^-25 / n of its size away from one, far more than the 2^-52 error of the
// product (checked on 58 million random floats and counts up to 1000: none differ). Box sums of luma are
// 0 or at least 2^-27, so their means never reach the subnormal range where that would not hold.
//
// Speed (the hash of a 1024 px buffer took 15 ms with whole-image passes; this takes a fraction): the
// image is streamed row by row and never held whole in floats. Luminance and the first row box are
// computed together, one row at a time, into a ring of (box height + 1) rows, which is all the first
// column box needs (it adds the entering row and drops the leaving one); each row it outputs goes
// straight through the second row box, whose running sums are divided only at the 64 sampled
// columns; the second column box runs over those 64 columns only, divided at the 64 sampled rows.
// Every value that reaches the 64x64 grid is the reference's, computed in the reference's order; values
// the grid never reads are not computed. Scratch arrays are reused from call to call (hashing is
// synchronous, so no two calls share them at once).
//
// The hex form is the reference's: bit (16 row + col) lives in 16-bit word `row`, bit `col`, and the
// words print from 15 down to 0, four hex digits each.
//
// One deliberate difference with the reference command-line hasher: `pdq-photo-hasher` first squashes
// any image larger than 512 px to 512x512 with a nearest-neighbour resize (pdq/cpp/io/pdqio.cpp, for
// speed). That is not part of the algorithm and aliases fine detail, so we filter the whole decoded
// buffer instead (decode.ts shrinks it on load, see HASH_DECODE_SIDE there); pdq.test.ts measures the
// distance to the reference's hashes, of the CLI and of the whole frame.
import type { Pdq } from '../../../schemas/hashes.js';
import { PDQ_WASM_BASE64 } from './pdq-wasm.generated.js';
import { loadKernels } from '../../wasm-kernels.js';

const GRID = 64; // side of the downsampled image
const DCT_SIDE = 16; // frequencies kept per direction
const MIN_SIDE = 5; // the reference returns a zero hash, quality 0, for smaller images
const HASH_HEX_DIGITS = 64;
const f32 = Math.fround;

/** DCT-II basis rows 1..16 of a 64-point transform, stored as 32-bit floats like the reference. */
const DCT_MATRIX = (() => {
  const m = new Float32Array(DCT_SIDE * GRID);
  const scale = f32(Math.sqrt(2 / GRID));
  for (let i = 0; i < DCT_SIDE; i++) {
    for (let j = 0; j < GRID; j++) {
      m[i * GRID + j] = scale * Math.cos((Math.PI / 2 / GRID) * (i + 1) * (2 * j + 1));
    }
  }
  return m;
})();

// The reference's float coefficients times each 8-bit value, each product rounded to 32 bits as the
// reference's is. Held in a Float64Array: V8 reads it without a conversion per pixel (twice as fast).
const lumaTable = (k: number) => Float64Array.from({ length: 256 }, (_, v) => f32(f32(k) * v));
const LUMA_R = lumaTable(0.299);
const LUMA_G = lumaTable(0.587);
const LUMA_B = lumaTable(0.114);

/** Width of each box-blur pass along a side of `size` pixels: ceil(size / 128), as the reference computes it. */
export function jaroszWindow(size: number): number {
  return Math.floor((size + 2 * GRID - 1) / (2 * GRID));
}

/** Luminance of packed RGB (3 bytes per pixel) as 32-bit floats, as the reference computes it. */
export function lumaFromRgb(rgb: Uint8Array, width: number, height: number): Float32Array {
  const n = width * height;
  if (rgb.length < n * 3) throw new RangeError('RGB buffer is smaller than width x height x 3');
  const luma = new Float32Array(n);
  lumaRow(rgb, 0, n, luma, 0);
  return luma;
}

function lumaRow(rgb: Uint8Array, q: number, n: number, out: Float32Array, o: number): void {
  for (let end = o + n; o < end; o++, q += 3) {
    // The store into the Float32Array rounds the last sum.
    out[o] =
      f32((LUMA_R[rgb[q] as number] as number) + (LUMA_G[rgb[q + 1] as number] as number)) +
      (LUMA_B[rgb[q + 2] as number] as number);
  }
}

/** A rectangle of the image to hash (a content region); the whole image when absent. */
export interface PdqRect {
  x: number;
  y: number;
  width: number;
  height: number;
}

// ---------------------------------------------------------------------------------------------
// Scratch memory, grown as needed and kept while small (a few hundred KB for a 1024 px image).

const KEEP_FLOATS = 1 << 20;
const scratch: Float32Array[] = [];
function buffer(slot: number, n: number): Float32Array {
  const b = scratch[slot];
  if (b && b.length >= n) return b;
  const fresh = new Float32Array(n);
  if (n <= KEEP_FLOATS) scratch[slot] = fresh;
  return fresh;
}
const RING = 0;
const SUMS = 1;
const LINE = 2;
const LINE_SUMS = 3;
const SAMPLED = 4;
const LUMA_LINE = 5;

// ---------------------------------------------------------------------------------------------
// The box along one line, as the reference's box1DFloat: `half` = floor((w + 2) / 2); the sum takes
// half - 1 values before the first output; output o covers inputs [o - (w - half), o + half - 1],
// clipped to the line, divided by how many there are.
//
// Along rows, each running sum is a chain of dependent float operations, and V8 spends as long rounding
// each step to 32 bits as adding: four rows are summed side by side (four independent chains), which
// runs about 3x faster than one row at a time and gives the same numbers.

/**
 * Box of width `w` over lines of `n` values: line k read from src at s[k], written to dst at d[k]
 * (k < 4; `lines` of them are used, the others are ignored). `divide`: output the means, as the
 * reference; otherwise the running sums, for a caller that divides only where it samples.
 */
function boxLines(
  src: Float32Array,
  s: Int32Array,
  dst: Float32Array,
  d: Int32Array,
  lines: number,
  n: number,
  w: number,
  divide: boolean,
): void {
  if (lines === 4 && divide) return boxFour(src, s, dst, d, n, w, true);
  if (lines === 4) return boxFour(src, s, dst, d, n, w, false);
  for (let k = 0; k < lines; k++) boxOne(src, s[k] as number, dst, d[k] as number, n, w, divide);
}

function boxOne(
  src: Float32Array,
  s: number,
  dst: Float32Array,
  d: number,
  n: number,
  w: number,
  divide: boolean,
) {
  const half = (w + 2) >> 1;
  let sum = 0;
  let count = 0;
  let ri = s;
  let li = s;
  for (let i = 0; i < half - 1; i++, count++) sum = f32(sum + (src[ri++] as number));
  for (let i = 0; i < w - half + 1; i++) {
    sum = f32(sum + (src[ri++] as number));
    dst[d++] = divide ? sum / ++count : sum;
  }
  for (let i = 0; i < n - w; i++) {
    sum = f32(f32(sum + (src[ri++] as number)) - (src[li++] as number));
    dst[d++] = divide ? sum / count : sum;
  }
  for (let i = 0; i < half - 1; i++) {
    sum = f32(sum - (src[li++] as number));
    dst[d++] = divide ? sum / --count : sum;
  }
}

function boxFour(
  src: Float32Array,
  s: Int32Array,
  dst: Float32Array,
  d: Int32Array,
  n: number,
  w: number,
  divide: boolean,
): void {
  // No closures in here: a closure over the running sums would box every one of their values.
  const half = (w + 2) >> 1;
  // Offsets of lines 1-3 relative to line 0, in the source and in the destination.
  const s1 = (s[1] as number) - (s[0] as number);
  const s2 = (s[2] as number) - (s[0] as number);
  const s3 = (s[3] as number) - (s[0] as number);
  const d1 = (d[1] as number) - (d[0] as number);
  const d2 = (d[2] as number) - (d[0] as number);
  const d3 = (d[3] as number) - (d[0] as number);
  let a0 = 0;
  let a1 = 0;
  let a2 = 0;
  let a3 = 0;
  let count = 0;
  let ri = s[0] as number;
  let li = ri;
  let o = d[0] as number;
  for (let i = 0; i < half - 1; i++, ri++, count++) {
    a0 = f32(a0 + (src[ri] as number));
    a1 = f32(a1 + (src[ri + s1] as number));
    a2 = f32(a2 + (src[ri + s2] as number));
    a3 = f32(a3 + (src[ri + s3] as number));
  }
  // Phases 2-4 of box1DFloat in one loop: add while a pixel enters, drop once one leaves.
  const lastAdd = ri + (n - half + 1); // end of the inputs
  for (let i = 0; i < n; i++, o++) {
    if (ri < lastAdd) {
      a0 = f32(a0 + (src[ri] as number));
      a1 = f32(a1 + (src[ri + s1] as number));
      a2 = f32(a2 + (src[ri + s2] as number));
      a3 = f32(a3 + (src[ri + s3] as number));
      ri++;
      if (i > w - half) {
        a0 = f32(a0 - (src[li] as number));
        a1 = f32(a1 - (src[li + s1] as number));
        a2 = f32(a2 - (src[li + s2] as number));
        a3 = f32(a3 - (src[li + s3] as number));
        li++;
      } else count++;
    } else {
      a0 = f32(a0 - (src[li] as number));
      a1 = f32(a1 - (src[li + s1] as number));
      a2 = f32(a2 - (src[li + s2] as number));
      a3 = f32(a3 - (src[li + s3] as number));
      li++;
      count--;
    }
    if (divide) {
      const inv = 1 / count;
      dst[o] = a0 * inv;
      dst[o + d1] = a1 * inv;
      dst[o + d2] = a2 * inv;
      dst[o + d3] = a3 * inv;
    } else {
      dst[o] = a0;
      dst[o + d1] = a1;
      dst[o + d2] = a2;
      dst[o + d3] = a3;
    }
  }
}

/** How many inputs the box of width `w` covers at output `o` of a line of `n`. */
function boxCount(o: number, n: number, w: number): number {
  const half = (w + 2) >> 1;
  return Math.min(n - 1, o + half - 1) - Math.max(0, o - (w - half)) + 1;
}

/** Indices of the 64 samples along a side: the cell centres, truncated as the reference does. */
function sampleCentres(size: number): Int32Array {
  const at = new Int32Array(GRID);
  for (let i = 0; i < GRID; i++) at[i] = Math.floor(((i + 0.5) * size) / GRID);
  return at;
}

/** Where the pixels come from: packed RGB, or luminance already computed (row stride = image width). */
type Source = { rgb: Uint8Array; luma?: undefined } | { luma: Float32Array; rgb?: undefined };

const LINES = 4; // rows boxed side by side

/**
 * The 64x64 blurred, sampled luminance of a rectangle of the image (the reference's jaroszFilterFloat
 * then decimateFloat), streamed as described at the top of this file. `lumaOut`, when given (whole
 * image only), receives the luminance plane as it is computed.
 */
function downsampleTo64(src: Source, stride: number, r: PdqRect, lumaOut?: Float32Array): Float32Array {
  const rows = r.height;
  const cols = r.width;
  const wRow = jaroszWindow(cols); // the box along each row spans columns
  const wCol = jaroszWindow(rows);
  // The column box reads rows li..ri (wCol + 1 of them); rows are produced LINES at a time ahead.
  const ringRows = wCol + 1 + LINES;
  const ring = buffer(RING, ringRows * cols);
  const sums = buffer(SUMS, cols).fill(0, 0, cols);
  const lines = buffer(LINE, LINES * cols);
  const lineSums = buffer(LINE_SUMS, LINES * cols);
  const sampled = buffer(SAMPLED, rows * GRID);
  const lumaLines = src.rgb && !lumaOut ? buffer(LUMA_LINE, LINES * cols) : null;
  const atCol = sampleCentres(cols);
  const atRow = sampleCentres(rows);
  const colInv = new Float64Array(GRID); // 1 / pixels under the row box at each sampled column
  for (let j = 0; j < GRID; j++) colInv[j] = 1 / boxCount(atCol[j] as number, cols, wRow);
  const from = new Int32Array(LINES);
  const to = new Int32Array(LINES);

  // Round 1, row box: image rows from `produced` on, LINES at a time, into ring slot y % ringRows.
  let produced = 0;
  const produce = (y: number) => {
    while (produced <= y) {
      const n = Math.min(LINES, rows - produced);
      for (let k = 0; k < n; k++) {
        const row = produced + k;
        const at = (r.y + row) * stride + r.x;
        to[k] = (row % ringRows) * cols;
        if (src.luma) from[k] = at;
        else if (lumaOut) lumaRow(src.rgb, at * 3, cols, lumaOut, (from[k] = at));
        else lumaRow(src.rgb, at * 3, cols, lumaLines as Float32Array, (from[k] = k * cols));
      }
      boxLines(src.luma ?? lumaOut ?? (lumaLines as Float32Array), from, ring, to, n, cols, wRow, true);
      produced += n;
    }
  };
  // Round 1, column box: output row o (sums / count) into `lines`; every LINES rows (and at the end),
  // round 2's row box over them, kept at the sampled columns: rows of `sampled`.
  let o = 0;
  const flush = () => {
    const n = ((o - 1) % LINES) + 1;
    for (let k = 0; k < n; k++) from[k] = to[k] = k * cols;
    boxLines(lines, from, lineSums, to, n, cols, wRow, false);
    for (let k = 0; k < n; k++) {
      const base = (o - n + k) * GRID;
      const at = k * cols;
      for (let j = 0; j < GRID; j++) {
        sampled[base + j] = (lineSums[at + (atCol[j] as number)] as number) * (colInv[j] as number);
      }
    }
  };
  // Each output row is written as its sums are updated (sums / count), one pass per row.
  const nextLine = () => {
    o++;
    if (o % LINES === 0 || o === rows) flush();
  };
  const add = (y: number, count: number, emit: boolean) => {
    produce(y);
    const inv = 1 / count;
    const slot = (y % ringRows) * cols;
    const line = (o % LINES) * cols;
    for (let c = 0; c < cols; c++) {
      const sum = f32((sums[c] as number) + (ring[slot + c] as number));
      sums[c] = sum;
      lines[line + c] = sum * inv;
    }
    if (emit) nextLine();
  };
  const addDrop = (y: number, old: number, count: number) => {
    produce(y);
    const inv = 1 / count;
    const slot = (y % ringRows) * cols;
    const gone = (old % ringRows) * cols;
    const line = (o % LINES) * cols;
    for (let c = 0; c < cols; c++) {
      const sum = f32(f32((sums[c] as number) + (ring[slot + c] as number)) - (ring[gone + c] as number));
      sums[c] = sum;
      lines[line + c] = sum * inv;
    }
    nextLine();
  };
  const drop = (old: number, count: number) => {
    const inv = 1 / count;
    const gone = (old % ringRows) * cols;
    const line = (o % LINES) * cols;
    for (let c = 0; c < cols; c++) {
      const sum = f32((sums[c] as number) - (ring[gone + c] as number));
      sums[c] = sum;
      lines[line + c] = sum * inv;
    }
    nextLine();
  };
  // The phases of box1DFloat, along the columns (phase 1 writes a line that phase 2 overwrites).
  const half = (wCol + 2) >> 1;
  let ri = 0;
  let li = 0;
  let count = 0;
  for (let i = 0; i < half - 1; i++) add(ri++, ++count, false);
  for (let i = 0; i < wCol - half + 1; i++) add(ri++, ++count, true);
  for (let i = 0; i < rows - wCol; i++) addDrop(ri++, li++, count);
  for (let i = 0; i < half - 1; i++) drop(li++, --count);

  // Round 2, column box, over the 64 sampled columns, divided at the 64 sampled rows.
  const out = new Float32Array(GRID * GRID);
  const colSums = new Float32Array(GRID);
  let gridRow = 0; // next grid row to fill
  const sample = (y: number, n: number) => {
    const inv = 1 / n;
    while (gridRow < GRID && atRow[gridRow] === y) {
      for (let j = 0; j < GRID; j++) out[gridRow * GRID + j] = (colSums[j] as number) * inv;
      gridRow++;
    }
  };
  const add2 = (y: number) => {
    for (let j = 0, b = y * GRID; j < GRID; j++)
      colSums[j] = f32((colSums[j] as number) + (sampled[b + j] as number));
  };
  const drop2 = (y: number) => {
    for (let j = 0, b = y * GRID; j < GRID; j++)
      colSums[j] = f32((colSums[j] as number) - (sampled[b + j] as number));
  };
  ri = 0;
  li = 0;
  count = 0;
  let y = 0;
  for (let i = 0; i < half - 1; i++, count++) add2(ri++);
  for (let i = 0; i < wCol - half + 1; i++) {
    add2(ri++);
    sample(y++, ++count);
  }
  for (let i = 0; i < rows - wCol; i++) {
    add2(ri++);
    drop2(li++);
    sample(y++, count);
  }
  for (let i = 0; i < half - 1; i++) {
    drop2(li++);
    sample(y++, --count);
  }
  return out;
}

/**
 * Quality 0-100: sum of |gradient| between neighbours of the 64x64 image, each quantized to whole
 * percent of full scale (truncated, in 32-bit float arithmetic as the reference does), divided by 90.
 */
export function pdqQuality(grid: Float32Array): number {
  const step = (u: number, v: number) => Math.abs(Math.trunc(f32(f32(f32(u - v) * 100) / 255)));
  let sum = 0;
  for (let i = 0; i < GRID - 1; i++) {
    for (let j = 0; j < GRID; j++)
      sum += step(grid[i * GRID + j] as number, grid[(i + 1) * GRID + j] as number);
  }
  for (let i = 0; i < GRID; i++) {
    for (let j = 0; j < GRID - 1; j++)
      sum += step(grid[i * GRID + j] as number, grid[i * GRID + j + 1] as number);
  }
  return Math.min(100, Math.floor(sum / 90));
}

/** 16x16 DCT coefficients D A Dt of the 64x64 image A (row-major, row = vertical frequency). */
function dct16(grid: Float32Array): Float32Array {
  // T = D A, each T[i][j] summed over k = 0..63 in order, as the reference's dct64To16.
  const t = new Float32Array(DCT_SIDE * GRID);
  for (let i = 0; i < DCT_SIDE; i++) {
    const ti = i * GRID;
    for (let k = 0; k < GRID; k++) {
      const d = DCT_MATRIX[i * GRID + k] as number;
      const row = k * GRID;
      for (let j = 0; j < GRID; j++)
        t[ti + j] = f32((t[ti + j] as number) + f32(d * (grid[row + j] as number)));
    }
  }
  const out = new Float32Array(DCT_SIDE * DCT_SIDE); // (D A) Dt
  for (let i = 0; i < DCT_SIDE; i++) {
    for (let j = 0; j < DCT_SIDE; j++) {
      let sum = 0;
      for (let k = 0; k < GRID; k++) {
        sum = f32(sum + f32((t[i * GRID + k] as number) * (DCT_MATRIX[j * GRID + k] as number)));
      }
      out[i * DCT_SIDE + j] = sum;
    }
  }
  return out;
}

const LOWER_MEDIAN = (DCT_SIDE * DCT_SIDE) / 2 - 1; // 127: the 128th smallest of 256

// How each dihedral transform of the image acts on the DCT: reverse a direction and the basis
// functions of odd frequency (even index, since index i is frequency i + 1) change sign; rotate by 90
// degrees and the two directions swap (transpose). Order and meaning are the reference's.
const DIHEDRAL: ReadonlyArray<{ transpose: boolean; negateEvenRows: boolean; negateEvenCols: boolean }> = [
  { transpose: false, negateEvenRows: false, negateEvenCols: false }, // original
  { transpose: true, negateEvenRows: false, negateEvenCols: true }, // rotate 90 (counter-clockwise)
  { transpose: false, negateEvenRows: true, negateEvenCols: true }, // rotate 180
  { transpose: true, negateEvenRows: true, negateEvenCols: false }, // rotate 270 (= 90 clockwise)
  { transpose: false, negateEvenRows: true, negateEvenCols: false }, // flip x (upside down)
  { transpose: false, negateEvenRows: false, negateEvenCols: true }, // flip y (mirror)
  { transpose: true, negateEvenRows: false, negateEvenCols: false }, // flip +1 (transpose)
  { transpose: true, negateEvenRows: true, negateEvenCols: true }, // flip -1 (transverse)
];

/**
 * The 8 dihedral hashes from one set of coefficients. A transform's coefficients are the original ones
 * with some signs flipped, placed transposed or not: bit (row, col) of its hash is the sign-adjusted
 * coefficient at (row, col) or (col, row) against the median of the sign-adjusted set. Transposing
 * does not change a set, so four medians (one per sign pattern) serve the eight hashes.
 */
function dihedralHexes(coeffs: Float32Array): string[] {
  const medians = new Map<number, number>();
  const signed = new Float32Array(DCT_SIDE * DCT_SIDE);
  const signOf = (t: (typeof DIHEDRAL)[number], i: number, j: number) =>
    (t.negateEvenRows && i % 2 === 0) !== (t.negateEvenCols && j % 2 === 0) ? -1 : 1;
  return DIHEDRAL.map((t) => {
    const pattern = (t.negateEvenRows ? 1 : 0) | (t.negateEvenCols ? 2 : 0);
    let median = medians.get(pattern) ?? NaN;
    if (Number.isNaN(median)) {
      for (let i = 0; i < DCT_SIDE; i++) {
        for (let j = 0; j < DCT_SIDE; j++)
          signed[i * DCT_SIDE + j] = signOf(t, i, j) * (coeffs[i * DCT_SIDE + j] as number);
      }
      median = signed.sort()[LOWER_MEDIAN] ?? 0;
      medians.set(pattern, median);
    }
    let hex = '';
    for (let row = DCT_SIDE - 1; row >= 0; row--) {
      let word = 0;
      for (let col = 0; col < DCT_SIDE; col++) {
        // Bit (row, col) of the transformed set comes from (col, row) of the original when transposed.
        const i = t.transpose ? col : row;
        const j = t.transpose ? row : col;
        if (signOf(t, i, j) * (coeffs[i * DCT_SIDE + j] as number) > median) word |= 1 << col;
      }
      hex += word.toString(16).padStart(4, '0');
    }
    return hex;
  });
}

const ZERO_HASH = '0'.repeat(HASH_HEX_DIGITS);
const ZERO_PDQ: Pdq = { hash: ZERO_HASH, quality: 0, dihedral: DIHEDRAL.map(() => ZERO_HASH) };

// ---------------------------------------------------------------------------------------------
// The fast path: the same steps in WebAssembly (wasm/pdq.ts, built by scripts/build-wasm.ts), where
// 32-bit float arithmetic is native and SIMD runs four rows or columns at once: the same bits (pdq.test.ts
// compares both paths on every fixture) in a fraction of the time. The JS above stays the reference and
// serves what the wasm path does not: luminance given as floats, images over WASM_MAX_PIXELS (their RGB
// would be copied into wasm memory, which never shrinks; the analysis hashes <= 1024 px buffers), and a
// runtime without WebAssembly SIMD.

interface PdqKernels {
  memory: { buffer: ArrayBuffer };
  reserve(rgbBytes: number, cols: number, rows: number): number;
  dctMatrix(): number;
  gridOut(): number;
  coefficients(): number;
  downsample(stride: number, x0: number, y0: number, cols: number, rows: number): number;
  dct(): void;
}

/** Largest image (whole buffer, not rectangle) hashed in WebAssembly: 4 MP, 12 MB of RGB. */
export const WASM_MAX_PIXELS = 4_000_000;

const kernels = loadKernels<PdqKernels>(PDQ_WASM_BASE64, 'PDQ');
// The DCT matrix goes into the module's memory once: the JS path's own, so both paths give the same bits.
if (kernels) new Float32Array(kernels.memory.buffer, kernels.dctMatrix(), DCT_SIDE * GRID).set(DCT_MATRIX);

/** Whether PDQ runs in WebAssembly here (for benchmarks and tests). */
export const pdqWasmAvailable = kernels !== null;

/** The 64x64 grid and the 16x16 DCT coefficients in WebAssembly, or null when that path does not apply. */
function gridAndDctWasm(
  rgb: Uint8Array,
  width: number,
  height: number,
  r: PdqRect,
): { grid: Float32Array; coeffs: Float32Array } | null {
  if (!kernels || width * height > WASM_MAX_PIXELS) return null;
  // Only the rows of the rectangle are copied.
  const from = r.y * width * 3;
  const bytes = r.height * width * 3;
  const at = kernels.reserve(bytes, r.width, r.height);
  if (at === 0) return null; // memory could not grow
  new Uint8Array(kernels.memory.buffer, at, bytes).set(rgb.subarray(from, from + bytes));
  if (kernels.downsample(width, r.x, 0, r.width, r.height) !== 0) return null;
  kernels.dct();
  const buf = kernels.memory.buffer;
  return {
    grid: new Float32Array(buf, kernels.gridOut(), GRID * GRID).slice(),
    coeffs: new Float32Array(buf, kernels.coefficients(), DCT_SIDE * DCT_SIDE).slice(),
  };
}

function pdqOf(
  src: Source,
  width: number,
  height: number,
  rect: PdqRect | undefined,
  engine: 'wasm' | 'js' = 'wasm',
): Pdq {
  const r = rect ?? { x: 0, y: 0, width, height };
  if (r.x < 0 || r.y < 0 || r.x + r.width > width || r.y + r.height > height) {
    throw new RangeError('The rectangle to hash lies outside the image');
  }
  if (r.width < MIN_SIDE || r.height < MIN_SIDE) return { ...ZERO_PDQ, dihedral: [...ZERO_PDQ.dihedral] };
  const fast = engine === 'wasm' && src.rgb ? gridAndDctWasm(src.rgb, width, height, r) : null;
  const grid = fast?.grid ?? downsampleTo64(src, width, r);
  const dihedral = dihedralHexes(fast?.coeffs ?? dct16(grid));
  return { hash: dihedral[0] as string, quality: pdqQuality(grid), dihedral };
}

/**
 * PDQ of a luminance image (32-bit floats, rows top to bottom), or of the rectangle `rect` of it.
 * Images under 5 px on a side get the reference's answer: an all-zero hash of quality 0.
 */
export function pdqFromLuma(luma: Float32Array, width: number, height: number, rect?: PdqRect): Pdq {
  if (width >= MIN_SIDE && height >= MIN_SIDE && luma.length < width * height) {
    throw new RangeError('Luma buffer is smaller than width x height');
  }
  return pdqOf({ luma }, width, height, rect);
}

/** PDQ of packed RGB pixels (3 bytes per pixel, rows top to bottom), or of the rectangle `rect` of them. */
export function pdqFromRgb(rgb: Uint8Array, width: number, height: number, rect?: PdqRect): Pdq {
  if (rgb.length < width * height * 3) throw new RangeError('RGB buffer is smaller than width x height x 3');
  return pdqOf({ rgb }, width, height, rect);
}

/** pdqFromRgb on the JavaScript path only: the reference the WebAssembly path is tested against. */
export function pdqFromRgbJs(rgb: Uint8Array, width: number, height: number, rect?: PdqRect): Pdq {
  if (rgb.length < width * height * 3) throw new RangeError('RGB buffer is smaller than width x height x 3');
  return pdqOf({ rgb }, width, height, rect, 'js');
}
