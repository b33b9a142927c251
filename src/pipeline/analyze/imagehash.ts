// aHash, dHash and pHash (64 bits each) defined exactly as Python imagehash 4.3.2 defines them, so that
// fact-checkers' own scripts (`imagehash.phash(Image.open(f))`) land within a few bits of our values:
//   - greyscale with Pillow's convert('L'): ITU-R 601-2 luma in 16-bit fixed point, rounded;
//   - resize with Pillow's LANCZOS ("ANTIALIAS"), reproduced below with its fixed-point arithmetic
//     (src/libImaging/Resample.c): horizontal pass first, rounded to 8 bits, then vertical;
//   - aHash: 8x8, bit = pixel > mean; dHash: 9 wide x 8 high, bit = right neighbour brighter;
//     pHash: 32x32, DCT-II (scipy.fftpack, unnormalized) along columns then rows, top-left 8x8,
//     bit = coefficient > median (numpy's: mean of the two middle values);
//   - hex as `str(ImageHash)`: bits row by row, the first bit the most significant of the first digit.
// What cannot match exactly: Pillow decodes the full-size file, we resize from the ~1024 px buffer that
// decode.ts shrank on load (with a block-average first, see REDUCING_GAP), and JPEG decoders differ in
// their last bits. imagehash.test.ts measures the distance.
import type { Hashes } from '../../../schemas/hashes.js';
import { bitsToHexMsbFirst } from './hamming.js';

/** Pillow's RGB -> "L": (19595 R + 38470 G + 7471 B + 0x8000) >> 16. A grey pixel keeps its value. */
export function greyscaleL(rgb: Uint8Array, width: number, height: number): Uint8Array {
  const n = width * height;
  if (rgb.length < n * 3) throw new RangeError('RGB buffer is smaller than width x height x 3');
  const grey = new Uint8Array(n);
  for (let p = 0, q = 0; p < n; p++, q += 3) {
    grey[p] =
      ((rgb[q] as number) * 19595 +
        (rgb[q + 1] as number) * 38470 +
        (rgb[q + 2] as number) * 7471 +
        0x8000) >>>
      16;
  }
  return grey;
}

const HASH_SIDE = 8;
const PHASH_SIDE = 32; // hash_size * highfreq_factor (4)

const PRECISION_BITS = 22; // Pillow's 8-bit resampling: 32 - 8 - 2
const HALF = 1 << (PRECISION_BITS - 1);
const LANCZOS_SUPPORT = 3;

function sinc(x: number): number {
  if (x === 0) return 1;
  const px = x * Math.PI;
  return Math.sin(px) / px;
}

function lanczos(x: number): number {
  return x >= -LANCZOS_SUPPORT && x < LANCZOS_SUPPORT ? sinc(x) * sinc(x / LANCZOS_SUPPORT) : 0;
}

interface Taps {
  /** Taps per output sample (the stride of `weights`). */
  size: number;
  /** For output i: first input index at [2i], number of taps at [2i + 1]. */
  bounds: Int32Array;
  /** Fixed-point weights, `size` per output sample. */
  weights: Int32Array;
}

// Taps resampling the span [0, span) of a line of inSize pixels into outSize samples (span < inSize
// when the line was reduced and its last pixel covers only part of a block). The filter is stretched
// by the reduction factor so that downscaling averages every input pixel.
function lanczosTaps(inSize: number, span: number, outSize: number): Taps {
  const scale = span / outSize;
  const filterScale = Math.max(scale, 1);
  const invScale = 1 / filterScale;
  const support = LANCZOS_SUPPORT * filterScale;
  const size = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(outSize * 2);
  const weights = new Int32Array(outSize * size);
  const w = new Float64Array(size);
  for (let o = 0; o < outSize; o++) {
    const center = (o + 0.5) * scale;
    const first = Math.max(0, Math.trunc(center - support + 0.5));
    const count = Math.min(inSize, Math.trunc(center + support + 0.5)) - first;
    let total = 0;
    for (let x = 0; x < count; x++) {
      w[x] = lanczos((x + first - center + 0.5) * invScale);
      total += w[x] as number;
    }
    for (let x = 0; x < count; x++) {
      const v = total !== 0 ? (w[x] as number) / total : (w[x] as number);
      // Round half away from zero into fixed point, as Pillow's normalize_coeffs_8bpc.
      weights[o * size + x] = Math.trunc(
        v < 0 ? v * (1 << PRECISION_BITS) - 0.5 : v * (1 << PRECISION_BITS) + 0.5,
      );
    }
    bounds[o * 2] = first;
    bounds[o * 2 + 1] = count;
  }
  return { size, bounds, weights };
}

// Sums stay within int32 (Pillow's own bound: weights sum to 1 in 22-bit fixed point, pixels < 256), so
// `| 0` keeps V8 on integer arithmetic, and `>>` floors like C's shift of a negative int.
function resampleRow(src: Uint8Array, start: number, stride: number, taps: Taps, o: number): number {
  const { bounds, weights, size } = taps;
  const first = start + (bounds[o * 2] as number) * stride;
  const count = bounds[o * 2 + 1] as number;
  const k = o * size;
  let sum = HALF;
  for (let x = 0; x < count; x++)
    sum = (sum + (src[first + x * stride] as number) * (weights[k + x] as number)) | 0;
  const v = sum >> PRECISION_BITS;
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

/**
 * Pillow's `Image.resize((outW, outH), LANCZOS, box=(0, 0, spanW, spanH))` of an 8-bit single-channel
 * image (the box defaults to the whole image).
 */
export function resizeLanczosL(
  src: Uint8Array,
  width: number,
  height: number,
  outW: number,
  outH: number,
  spanW = width,
  spanH = height,
): Uint8Array {
  let img = src;
  let w = width;
  if (outW !== width || spanW !== width) {
    const taps = lanczosTaps(width, spanW, outW);
    const tmp = new Uint8Array(outW * height);
    for (let y = 0; y < height; y++) {
      for (let o = 0; o < outW; o++) tmp[y * outW + o] = resampleRow(src, y * width, 1, taps, o);
    }
    img = tmp;
    w = outW;
  }
  if (outH === height && spanH === height) return img === src ? Uint8Array.from(src) : img;
  const taps = lanczosTaps(height, spanH, outH);
  const out = new Uint8Array(w * outH);
  for (let o = 0; o < outH; o++) {
    for (let x = 0; x < w; x++) out[o * w + x] = resampleRow(img, x, w, taps, o);
  }
  return out;
}

/**
 * Pillow's `Image.reduce((fx, fy))`: each output pixel is the rounded mean of an fx x fy block (the
 * blocks of the last column and row may be partial), in Pillow's fixed-point division.
 */
export function reduceL(src: Uint8Array, width: number, height: number, fx: number, fy: number): Uint8Array {
  const w = Math.ceil(width / fx);
  const h = Math.ceil(height / fy);
  const out = new Uint8Array(w * h);
  const sums = new Uint32Array(w);
  for (let oy = 0; oy < h; oy++) {
    sums.fill(0);
    const y0 = oy * fy;
    const y1 = Math.min(height, y0 + fy);
    for (let y = y0; y < y1; y++) {
      for (let x = 0, i = y * width; x < width; x++, i++) {
        const ox = (x / fx) | 0;
        sums[ox] = (sums[ox] as number) + (src[i] as number);
      }
    }
    for (let ox = 0; ox < w; ox++) {
      const n = (Math.min(width, (ox + 1) * fx) - ox * fx) * (y1 - y0);
      // division_UINT32: 2^32 / (256 n) computed in float, then (sum + n/2) * that >> 24.
      const multiplier = Math.trunc(Math.fround(4294967296 / (256 * n)));
      out[oy * w + ox] = Math.floor((((sums[ox] as number) + (n >> 1)) * multiplier) / 16777216);
    }
  }
  return out;
}

/**
 * Speed: before the Lanczos, average whole blocks as Pillow's `resize(..., reducing_gap=8)` does,
 * keeping at least 8x the 32 px pHash side (so at least 32x the aHash/dHash sides). Pillow documents
 * the result as indistinguishable from the plain Lanczos from a gap of 3; here it costs a third of the
 * time (the plain Lanczos to 8 px reads ~6 taps per input pixel per pass) and moved the fixtures'
 * hashes by 0-2 bits, medians unchanged (measured against imagehash-truth.json).
 */
const REDUCING_GAP = 8;

interface Prepared {
  grey: Uint8Array;
  width: number;
  height: number;
  spanW: number;
  spanH: number;
}

function prepare(grey: Uint8Array, width: number, height: number): Prepared {
  const fx = Math.max(1, Math.floor(width / PHASH_SIDE / REDUCING_GAP));
  const fy = Math.max(1, Math.floor(height / PHASH_SIDE / REDUCING_GAP));
  // Reducing one axis only saves little: keep Pillow's exact path then.
  if (fx < 2 || fy < 2) return { grey, width, height, spanW: width, spanH: height };
  return {
    grey: reduceL(grey, width, height, fx, fy),
    width: Math.ceil(width / fx),
    height: Math.ceil(height / fy),
    spanW: width / fx,
    spanH: height / fy,
  };
}

/** imagehash.average_hash: 8x8 greyscale, bit = pixel > mean. */
function averageHashOf(p: Prepared): string {
  const px = resizeLanczosL(p.grey, p.width, p.height, HASH_SIDE, HASH_SIDE, p.spanW, p.spanH);
  let sum = 0;
  for (const v of px) sum += v;
  const mean = sum / px.length;
  return bitsToHexMsbFirst(Array.from(px, (v) => (v > mean ? 1 : 0)));
}

/** imagehash.dhash: 9 wide x 8 high greyscale, bit = pixel to the right is brighter. */
function differenceHashOf(p: Prepared): string {
  const px = resizeLanczosL(p.grey, p.width, p.height, HASH_SIDE + 1, HASH_SIDE, p.spanW, p.spanH);
  const bits = new Uint8Array(HASH_SIDE * HASH_SIDE);
  for (let r = 0; r < HASH_SIDE; r++) {
    for (let c = 0; c < HASH_SIDE; c++) {
      const left = px[r * (HASH_SIDE + 1) + c] as number;
      bits[r * HASH_SIDE + c] = (px[r * (HASH_SIDE + 1) + c + 1] as number) > left ? 1 : 0;
    }
  }
  return bitsToHexMsbFirst(bits);
}

/** cos(pi k (2n + 1) / 64) for the 8 lowest frequencies k of a 32-point DCT-II. */
const PHASH_COS = (() => {
  const m = new Float64Array(HASH_SIDE * PHASH_SIDE);
  for (let k = 0; k < HASH_SIDE; k++) {
    for (let n = 0; n < PHASH_SIDE; n++)
      m[k * PHASH_SIDE + n] = Math.cos((Math.PI * k * (2 * n + 1)) / (2 * PHASH_SIDE));
  }
  return m;
})();

/**
 * imagehash.phash: 32x32 greyscale, 2-D DCT-II, low 8x8 frequencies against their median.
 * The mean is taken out before the transform and put back as the DC term (4 x the pixel sum): the
 * same coefficients, but a flat image gives exact zeros instead of rounding noise, as scipy's FFT does,
 * so flat and 1x1 images hash like imagehash does (8000000000000000) instead of at random.
 */
function perceptualHashOf(p: Prepared): string {
  const px = resizeLanczosL(p.grey, p.width, p.height, PHASH_SIDE, PHASH_SIDE, p.spanW, p.spanH);
  let total = 0;
  for (const v of px) total += v;
  const mean = total / px.length;
  // scipy.fftpack.dct(x, axis=0): y[k][j] = 2 sum_i x[i][j] cos(pi k (2i+1) / 2N); only k < 8 is kept.
  const cols = new Float64Array(HASH_SIDE * PHASH_SIDE);
  for (let k = 0; k < HASH_SIDE; k++) {
    for (let i = 0; i < PHASH_SIDE; i++) {
      const c = 2 * (PHASH_COS[k * PHASH_SIDE + i] as number);
      for (let j = 0; j < PHASH_SIDE; j++) {
        cols[k * PHASH_SIDE + j] =
          (cols[k * PHASH_SIDE + j] as number) + c * ((px[i * PHASH_SIDE + j] as number) - mean);
      }
    }
  }
  // Then along axis 1, again keeping the 8 lowest frequencies.
  const low = new Float64Array(HASH_SIDE * HASH_SIDE);
  for (let k = 0; k < HASH_SIDE; k++) {
    for (let l = 0; l < HASH_SIDE; l++) {
      let sum = 0;
      for (let j = 0; j < PHASH_SIDE; j++) {
        sum += 2 * (PHASH_COS[l * PHASH_SIDE + j] as number) * (cols[k * PHASH_SIDE + j] as number);
      }
      low[k * HASH_SIDE + l] = sum;
    }
  }
  low[0] = 4 * total;
  const sorted = Float64Array.from(low).sort();
  const median = ((sorted[31] as number) + (sorted[32] as number)) / 2;
  return bitsToHexMsbFirst(Array.from(low, (v) => (v > median ? 1 : 0)));
}

export type ImageHashes = Pick<Hashes, 'ahash' | 'dhash' | 'phash'>;

/** imagehash.average_hash of a greyscale ("L") image. */
export function averageHash(grey: Uint8Array, width: number, height: number): string {
  return averageHashOf(prepare(grey, width, height));
}

/** imagehash.dhash of a greyscale ("L") image. */
export function differenceHash(grey: Uint8Array, width: number, height: number): string {
  return differenceHashOf(prepare(grey, width, height));
}

/** imagehash.phash of a greyscale ("L") image. */
export function perceptualHash(grey: Uint8Array, width: number, height: number): string {
  return perceptualHashOf(prepare(grey, width, height));
}

/** The three imagehash hashes of packed RGB pixels, sharing one greyscale conversion and reduction. */
export function imageHashesFromRgb(rgb: Uint8Array, width: number, height: number): ImageHashes {
  const p = prepare(greyscaleL(rgb, width, height), width, height);
  return { ahash: averageHashOf(p), dhash: differenceHashOf(p), phash: perceptualHashOf(p) };
}
