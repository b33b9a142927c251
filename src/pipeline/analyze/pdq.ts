// PDQ: Meta's 256-bit perceptual hash, with its quality score and the 8 dihedral hashes.
//
// Written by hand for firstseen because no maintained npm package implements PDQ. It follows the
// algorithm of Meta's reference implementation (github.com/facebook/ThreatExchange: pdq/cpp and the
// write-up hashing/hashing.pdf) step by step, and gives the reference's exact bits when fed the same
// pixels (checked against a build of its C++ code, and by pdq.test.ts on the fixtures it does not resize):
//   1. luminance Y = 0.299 R + 0.587 G + 0.114 B, as 32-bit floats;
//   2. a Jarosz filter: two rounds of a box blur along rows then along columns (a tent-like filter),
//      each box ceil(side / 128) pixels wide, so that one 64th of the image ends up in each sample;
//   3. the blurred image sampled at the centres of a 64x64 grid;
//   4. the quality score: a sum of quantized gradients of that 64x64 image, /90, capped at 100;
//   5. a 2-D DCT keeping frequencies 1-16 in each direction (DC dropped), from the reference's 16x64
//      matrix sqrt(2/64) cos(pi/128 (i+1)(2j+1));
//   6. bit = coefficient > median of the 256 coefficients (the lower median, as Torben's selection
//      in the reference returns).
// Rotations and flips of the image only permute the DCT coefficients and flip the sign of the odd ones,
// so the 8 dihedral hashes come from the one DCT (step 5) without touching pixels again.
//
// The hex form is the reference's: bit (16 row + col) lives in 16-bit word `row`, bit `col`, and the
// words print from 15 down to 0, four hex digits each.
//
// One deliberate difference with the reference command-line hasher: `pdq-photo-hasher` first squashes
// any image larger than 512 px to 512x512 with a nearest-neighbour resize (pdq/cpp/io/pdqio.cpp, for
// speed). That is not part of the algorithm and aliases fine detail, so we filter the whole decoded
// buffer instead (decode.ts keeps its long side at about 1024 px); test/pipeline/analyze/pdq.test.ts
// measures the distance to the reference's hashes.
import type { Pdq } from '../../../schemas/hashes.js';

const GRID = 64; // side of the downsampled image
const DCT_SIDE = 16; // frequencies kept per direction
const MIN_SIDE = 5; // the reference returns a zero hash, quality 0, for smaller images
const HASH_HEX_DIGITS = 64;

/** DCT-II basis rows 1..16 of a 64-point transform, stored as 32-bit floats like the reference. */
const DCT_MATRIX = (() => {
  const m = new Float32Array(DCT_SIDE * GRID);
  const scale = Math.fround(Math.sqrt(2 / GRID));
  for (let i = 0; i < DCT_SIDE; i++) {
    for (let j = 0; j < GRID; j++) {
      m[i * GRID + j] = scale * Math.cos((Math.PI / 2 / GRID) * (i + 1) * (2 * j + 1));
    }
  }
  return m;
})();

/** Width of each box-blur pass along a side of `size` pixels: ceil(size / 128), as the reference computes it. */
export function jaroszWindow(size: number): number {
  return Math.floor((size + 2 * GRID - 1) / (2 * GRID));
}

/** Luminance of packed RGB (3 bytes per pixel) as 32-bit floats. */
export function lumaFromRgb(rgb: Uint8Array, width: number, height: number): Float32Array {
  const n = width * height;
  if (rgb.length < n * 3) throw new RangeError('RGB buffer is smaller than width x height x 3');
  const luma = new Float32Array(n);
  const kr = Math.fround(0.299);
  const kg = Math.fround(0.587);
  const kb = Math.fround(0.114);
  for (let p = 0, q = 0; p < n; p++, q += 3) {
    luma[p] = kr * (rgb[q] as number) + kg * (rgb[q + 1] as number) + kb * (rgb[q + 2] as number);
  }
  return luma;
}

// A box of width `w` centred as the reference centres it: output o averages inputs
// [o - (w - half), o + half - 1] with half = floor((w + 2) / 2), clipped to the image (fewer samples at
// the edges, divided by how many there are).
function boxExtent(w: number): { before: number; after: number } {
  const half = Math.floor((w + 2) / 2);
  return { before: w - half, after: half - 1 };
}

// The running sums are updated in the same order (add, then drop) and divided by the same counts as a
// single clipped loop would: the edges and the interior are split only so that the interior, where every
// box is whole, runs without branches. Bit-for-bit the same floats, about twice as fast.
function boxAlongRows(src: Float32Array, dst: Float32Array, rows: number, cols: number, w: number): void {
  const { before, after } = boxExtent(w);
  const full = before + after + 1;
  // Outputs whose box is whole: o - before - 1 >= 0 and o + after < cols.
  const firstWhole = Math.min(cols, before + 1);
  const endWhole = Math.max(firstWhole, cols - after);
  const edge = (base: number, o: number, sum: number): number => {
    const add = o + after;
    if (add < cols) sum += src[base + add] as number;
    const drop = o - before - 1;
    if (drop >= 0) sum -= src[base + drop] as number;
    const count = Math.min(cols - 1, add) - Math.max(0, o - before) + 1;
    dst[base + o] = sum / count;
    return sum;
  };
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    let sum = 0;
    for (let c = 0; c < after && c < cols; c++) sum += src[base + c] as number;
    let o = 0;
    for (; o < firstWhole; o++) sum = edge(base, o, sum);
    for (let a = base + o + after, d = base + o - before - 1; o < endWhole; o++, a++, d++) {
      sum += src[a] as number;
      sum -= src[d] as number;
      dst[base + o] = sum / full;
    }
    for (; o < cols; o++) sum = edge(base, o, sum);
  }
}

// Same box along columns, swept row by row with one running sum per column so memory is read in order;
// adding the entering row, dropping the leaving one and writing the output happen in one pass per row.
function boxAlongColumns(src: Float32Array, dst: Float32Array, rows: number, cols: number, w: number): void {
  const { before, after } = boxExtent(w);
  const sums = new Float64Array(cols);
  for (let r = 0; r < after && r < rows; r++) {
    for (let c = 0, i = r * cols; c < cols; c++, i++) sums[c] = (sums[c] as number) + (src[i] as number);
  }
  for (let o = 0; o < rows; o++) {
    const add = o + after;
    const drop = o - before - 1;
    const count = Math.min(rows - 1, add) - Math.max(0, o - before) + 1;
    const out = o * cols;
    if (add < rows && drop >= 0) {
      for (let c = 0, a = add * cols, d = drop * cols; c < cols; c++) {
        let sum = (sums[c] as number) + (src[a + c] as number);
        sum -= src[d + c] as number;
        sums[c] = sum;
        dst[out + c] = sum / count;
      }
    } else if (add < rows) {
      for (let c = 0, a = add * cols; c < cols; c++) {
        const sum = (sums[c] as number) + (src[a + c] as number);
        sums[c] = sum;
        dst[out + c] = sum / count;
      }
    } else if (drop >= 0) {
      for (let c = 0, d = drop * cols; c < cols; c++) {
        const sum = (sums[c] as number) - (src[d + c] as number);
        sums[c] = sum;
        dst[out + c] = sum / count;
      }
    } else {
      for (let c = 0; c < cols; c++) dst[out + c] = (sums[c] as number) / count;
    }
  }
}

/** Indices of the 64 samples along a side: the cell centres, truncated as the reference does. */
function sampleCentres(size: number): Int32Array {
  const at = new Int32Array(GRID);
  for (let i = 0; i < GRID; i++) at[i] = Math.floor(((i + 0.5) * size) / GRID);
  return at;
}

/** Mean of src[start + k * stride] over the box around `centre` (clipped to [0, size)). */
function boxAt(
  src: Float32Array,
  start: number,
  stride: number,
  size: number,
  centre: number,
  w: number,
): number {
  const { before, after } = boxExtent(w);
  const lo = Math.max(0, centre - before);
  const hi = Math.min(size - 1, centre + after);
  let sum = 0;
  for (let k = lo; k <= hi; k++) sum += src[start + k * stride] as number;
  return sum / (hi - lo + 1);
}

/**
 * Blur (two rounds of rows-then-columns boxes) and sample at the centres of a 64x64 grid. The second
 * round is only evaluated where the samples read it (the row box at the 64 sampled columns, then the
 * column box at the 64 sampled rows): the same numbers as blurring everything, for about 40% less work.
 */
function downsampleTo64(luma: Float32Array, rows: number, cols: number): Float32Array {
  const wRows = jaroszWindow(cols); // box along each row spans columns
  const wCols = jaroszWindow(rows);
  const scratch = new Float32Array(rows * cols);
  boxAlongRows(luma, scratch, rows, cols, wRows);
  boxAlongColumns(scratch, luma, rows, cols, wCols);
  const atRow = sampleCentres(rows);
  const atCol = sampleCentres(cols);
  const rowBoxed = new Float32Array(rows * GRID); // round 2, row box, at the sampled columns only
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < GRID; j++)
      rowBoxed[r * GRID + j] = boxAt(luma, r * cols, 1, cols, atCol[j] as number, wRows);
  }
  const out = new Float32Array(GRID * GRID);
  for (let i = 0; i < GRID; i++) {
    for (let j = 0; j < GRID; j++)
      out[i * GRID + j] = boxAt(rowBoxed, j, GRID, rows, atRow[i] as number, wCols);
  }
  return out;
}

/**
 * Quality 0-100: sum of |gradient| between neighbours of the 64x64 image, each quantized to whole
 * percent of full scale (truncated, in 32-bit float arithmetic as the reference does), divided by 90.
 */
export function pdqQuality(grid: Float32Array): number {
  const f = Math.fround;
  const step = (u: number, v: number) => Math.abs(Math.trunc(f(f(f(u - v) * 100) / 255)));
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
  const t = new Float32Array(DCT_SIDE * GRID); // D A
  for (let i = 0; i < DCT_SIDE; i++) {
    for (let k = 0; k < GRID; k++) {
      const d = DCT_MATRIX[i * GRID + k] as number;
      const row = k * GRID;
      for (let j = 0; j < GRID; j++)
        t[i * GRID + j] = (t[i * GRID + j] as number) + d * (grid[row + j] as number);
    }
  }
  const out = new Float32Array(DCT_SIDE * DCT_SIDE); // (D A) Dt
  for (let i = 0; i < DCT_SIDE; i++) {
    for (let j = 0; j < DCT_SIDE; j++) {
      let sum = 0;
      for (let k = 0; k < GRID; k++)
        sum += (t[i * GRID + k] as number) * (DCT_MATRIX[j * GRID + k] as number);
      out[i * DCT_SIDE + j] = sum;
    }
  }
  return out;
}

const LOWER_MEDIAN = (DCT_SIDE * DCT_SIDE) / 2 - 1; // 127: the 128th smallest of 256

/** Bits of a 16x16 coefficient matrix against its lower median, in the reference's hex layout. */
function coefficientsToHex(coeffs: Float32Array): string {
  const median = Float32Array.from(coeffs).sort()[LOWER_MEDIAN] as number;
  let hex = '';
  for (let row = DCT_SIDE - 1; row >= 0; row--) {
    let word = 0;
    for (let col = 0; col < DCT_SIDE; col++) {
      if ((coeffs[row * DCT_SIDE + col] as number) > median) word |= 1 << col;
    }
    hex += word.toString(16).padStart(4, '0');
  }
  return hex;
}

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

function dihedralCoefficients(coeffs: Float32Array, t: (typeof DIHEDRAL)[number]): Float32Array {
  const out = new Float32Array(DCT_SIDE * DCT_SIDE);
  for (let i = 0; i < DCT_SIDE; i++) {
    for (let j = 0; j < DCT_SIDE; j++) {
      let v = coeffs[i * DCT_SIDE + j] as number;
      if (t.negateEvenRows && i % 2 === 0) v = -v;
      if (t.negateEvenCols && j % 2 === 0) v = -v;
      out[t.transpose ? j * DCT_SIDE + i : i * DCT_SIDE + j] = v;
    }
  }
  return out;
}

const ZERO_HASH = '0'.repeat(HASH_HEX_DIGITS);

/**
 * PDQ of a luminance image. `luma` is used as working memory and is overwritten.
 * Images under 5 px on a side get the reference's answer: an all-zero hash of quality 0.
 */
export function pdqFromLuma(luma: Float32Array, width: number, height: number): Pdq {
  if (width < MIN_SIDE || height < MIN_SIDE) {
    return { hash: ZERO_HASH, quality: 0, dihedral: DIHEDRAL.map(() => ZERO_HASH) };
  }
  if (luma.length < width * height) throw new RangeError('Luma buffer is smaller than width x height');
  const grid = downsampleTo64(luma, height, width);
  const coeffs = dct16(grid);
  const dihedral = DIHEDRAL.map((t, i) =>
    coefficientsToHex(i === 0 ? coeffs : dihedralCoefficients(coeffs, t)),
  );
  return { hash: dihedral[0] as string, quality: pdqQuality(grid), dihedral };
}

/** PDQ of packed RGB pixels (3 bytes per pixel, rows top to bottom). */
export function pdqFromRgb(rgb: Uint8Array, width: number, height: number): Pdq {
  return pdqFromLuma(lumaFromRgb(rgb, width, height), width, height);
}
