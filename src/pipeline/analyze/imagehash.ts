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
import { bitsToHexMsbFirst } from '../../similarity/hamming.js';
import { IMAGEHASH_WASM_BASE64 } from './imagehash-wasm.generated.js';
import { loadKernels } from '../../wasm-kernels.js';

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
// by the reduction factor so that downscaling averages every input pixel. Kept by size: images of one
// size (a phone's photos, a platform's re-encodes) reuse them instead of evaluating thousands of sines.
const tapsCache = new Map<string, Taps>();
const TAPS_CACHE_SIZE = 64;

function lanczosTaps(inSize: number, span: number, outSize: number): Taps {
  const key = `${inSize} ${span} ${outSize}`;
  let taps = tapsCache.get(key);
  if (!taps) {
    if (tapsCache.size >= TAPS_CACHE_SIZE) tapsCache.clear();
    taps = computeTaps(inSize, span, outSize);
    tapsCache.set(key, taps);
  }
  return taps;
}

function computeTaps(inSize: number, span: number, outSize: number): Taps {
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

// Sums stay within int32 (Pillow's own bound: weights sum to 1 in 22-bit fixed point, pixels < 256);
// they are accumulated as JavaScript numbers, exact for integers, so the order of the additions does
// not matter, and `>>` floors like C's shift of a negative int.
const clamp8 = (sum: number) => {
  const v = sum >> PRECISION_BITS;
  return v < 0 ? 0 : v > 255 ? 255 : v;
};

/**
 * Pillow's `Image.resize((outW, outH), LANCZOS, box=(0, 0, spanW, spanH))` of an 8-bit single-channel
 * image (the box defaults to the whole image): the horizontal pass first, rounded to 8 bits, then the
 * vertical one. The vertical pass runs along rows (each output row accumulates its input rows, weight by
 * weight) so that memory is read in order.
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
    const { bounds, weights, size } = lanczosTaps(width, spanW, outW);
    const tmp = new Uint8Array(outW * height);
    for (let y = 0; y < height; y++) {
      const row = y * width;
      for (let o = 0; o < outW; o++) {
        const first = row + (bounds[o * 2] as number);
        const count = bounds[o * 2 + 1] as number;
        const k = o * size;
        // Two int32 sums (no overflow, see above): integer adds do not wait on each other as float
        // adds would, and two chains run side by side.
        let even = HALF;
        let odd = 0;
        let x = 0;
        for (; x + 1 < count; x += 2) {
          even = (even + Math.imul(src[first + x] as number, weights[k + x] as number)) | 0;
          odd = (odd + Math.imul(src[first + x + 1] as number, weights[k + x + 1] as number)) | 0;
        }
        if (x < count) even = (even + Math.imul(src[first + x] as number, weights[k + x] as number)) | 0;
        tmp[y * outW + o] = clamp8((even + odd) | 0);
      }
    }
    img = tmp;
    w = outW;
  }
  if (outH === height && spanH === height) return img === src ? Uint8Array.from(src) : img;
  const { bounds, weights, size } = lanczosTaps(height, spanH, outH);
  const out = new Uint8Array(w * outH);
  const acc = new Float64Array(w);
  for (let o = 0; o < outH; o++) {
    const first = bounds[o * 2] as number;
    const count = bounds[o * 2 + 1] as number;
    acc.fill(HALF);
    for (let t = 0; t < count; t++) {
      const weight = weights[o * size + t] as number;
      const row = (first + t) * w;
      for (let x = 0; x < w; x++) acc[x] = (acc[x] as number) + (img[row + x] as number) * weight;
    }
    for (let x = 0; x < w; x++) out[o * w + x] = clamp8(acc[x] as number);
  }
  return out;
}

/**
 * Pillow's `Image.reduce((fx, fy))`: each output pixel is the rounded mean of an fx x fy block (the
 * blocks of the last column and row may be partial), in Pillow's fixed-point division.
 */
export function reduceL(src: Uint8Array, width: number, height: number, fx: number, fy: number): Uint8Array {
  return reduceBlocks(width, height, fx, fy, (y, sums) => {
    for (let ox = 0, x = 0, i = y * width; x < width; ox++) {
      let sum = 0;
      for (const end = Math.min(width, x + fx); x < end; x++, i++) sum += src[i] as number;
      sums[ox] = (sums[ox] as number) + sum;
    }
  });
}

/** greyscaleL then reduceL in one pass over packed RGB, without the full-size grey image. */
function reduceRgbToL(rgb: Uint8Array, width: number, height: number, fx: number, fy: number): Uint8Array {
  if (rgb.length < width * height * 3) throw new RangeError('RGB buffer is smaller than width x height x 3');
  return reduceBlocks(width, height, fx, fy, (y, sums) => {
    for (let ox = 0, x = 0, q = y * width * 3; x < width; ox++) {
      let sum = 0;
      for (const end = Math.min(width, x + fx); x < end; x++, q += 3) {
        sum +=
          ((rgb[q] as number) * 19595 +
            (rgb[q + 1] as number) * 38470 +
            (rgb[q + 2] as number) * 7471 +
            0x8000) >>>
          16;
      }
      sums[ox] = (sums[ox] as number) + sum;
    }
  });
}

function reduceBlocks(
  width: number,
  height: number,
  fx: number,
  fy: number,
  addRow: (y: number, sums: Int32Array) => void,
): Uint8Array {
  const w = Math.ceil(width / fx);
  const h = Math.ceil(height / fy);
  const out = new Uint8Array(w * h);
  const sums = new Int32Array(w);
  // Per output column: Pillow's division_UINT32, 2^32 / (256 n) computed in float, then
  // (sum + n/2) * that >> 24, with n the pixels of the block (fewer in the last row and column).
  const multiplier = new Float64Array(w);
  const halfCount = new Int32Array(w);
  let rowsOfLast = -1;
  for (let oy = 0; oy < h; oy++) {
    sums.fill(0);
    const y0 = oy * fy;
    const y1 = Math.min(height, y0 + fy);
    for (let y = y0; y < y1; y++) addRow(y, sums);
    if (y1 - y0 !== rowsOfLast) {
      rowsOfLast = y1 - y0;
      for (let ox = 0; ox < w; ox++) {
        const n = (Math.min(width, (ox + 1) * fx) - ox * fx) * rowsOfLast;
        multiplier[ox] = Math.trunc(Math.fround(4294967296 / (256 * n)));
        halfCount[ox] = n >> 1;
      }
    }
    for (let ox = 0; ox < w; ox++) {
      out[oy * w + ox] = Math.floor(
        (((sums[ox] as number) + (halfCount[ox] as number)) * (multiplier[ox] as number)) / 16777216,
      );
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

/** The block-reduction factors for an image of this size (1 on an axis that is not reduced). */
function reduction(width: number, height: number): { fx: number; fy: number } {
  const fx = Math.max(1, Math.floor(width / PHASH_SIDE / REDUCING_GAP));
  const fy = Math.max(1, Math.floor(height / PHASH_SIDE / REDUCING_GAP));
  // Reducing one axis only saves little: keep Pillow's exact path then.
  return fx < 2 || fy < 2 ? { fx: 1, fy: 1 } : { fx, fy };
}

function reduced(grey: Uint8Array, width: number, height: number, fx: number, fy: number): Prepared {
  return {
    grey,
    width: Math.ceil(width / fx),
    height: Math.ceil(height / fy),
    spanW: width / fx,
    spanH: height / fy,
  };
}

function prepare(grey: Uint8Array, width: number, height: number): Prepared {
  const { fx, fy } = reduction(width, height);
  if (fx === 1) return { grey, width, height, spanW: width, spanH: height };
  return reduced(reduceL(grey, width, height, fx, fy), width, height, fx, fy);
}

/** The prepared image resized with Pillow's Lanczos to outW x outH. */
type Resize = (outW: number, outH: number) => Uint8Array;

const resizeOf =
  (p: Prepared): Resize =>
  (outW, outH) =>
    resizeLanczosL(p.grey, p.width, p.height, outW, outH, p.spanW, p.spanH);

/** imagehash.average_hash: 8x8 greyscale, bit = pixel > mean. */
function averageHashOf(resize: Resize): string {
  const px = resize(HASH_SIDE, HASH_SIDE);
  let sum = 0;
  for (const v of px) sum += v;
  const mean = sum / px.length;
  return bitsToHexMsbFirst(Array.from(px, (v) => (v > mean ? 1 : 0)));
}

/** imagehash.dhash: 9 wide x 8 high greyscale, bit = pixel to the right is brighter. */
function differenceHashOf(resize: Resize): string {
  const px = resize(HASH_SIDE + 1, HASH_SIDE);
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
function perceptualHashOf(resize: Resize): string {
  const px = resize(PHASH_SIDE, PHASH_SIDE);
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
  return averageHashOf(resizeOf(prepare(grey, width, height)));
}

/** imagehash.phash of a greyscale ("L") image. */
export function perceptualHash(grey: Uint8Array, width: number, height: number): string {
  return perceptualHashOf(resizeOf(prepare(grey, width, height)));
}

/** The three imagehash hashes of packed RGB pixels, sharing one greyscale conversion and reduction. */
export function imageHashesFromRgb(rgb: Uint8Array, width: number, height: number): ImageHashes {
  if (rgb.length < width * height * 3) throw new RangeError('RGB buffer is smaller than width x height x 3');
  const resize = wasmResize(rgb, width, height) ?? resizeOf(prepareRgb(rgb, width, height));
  return { ahash: averageHashOf(resize), dhash: differenceHashOf(resize), phash: perceptualHashOf(resize) };
}

/** imageHashesFromRgb on the JavaScript path only: the reference the WebAssembly path is tested against. */
export function imageHashesFromRgbJs(rgb: Uint8Array, width: number, height: number): ImageHashes {
  const resize = resizeOf(prepareRgb(rgb, width, height));
  return { ahash: averageHashOf(resize), dhash: differenceHashOf(resize), phash: perceptualHashOf(resize) };
}

function prepareRgb(rgb: Uint8Array, width: number, height: number): Prepared {
  const { fx, fy } = reduction(width, height);
  return fx === 1
    ? prepare(greyscaleL(rgb, width, height), width, height)
    : reduced(reduceRgbToL(rgb, width, height, fx, fy), width, height, fx, fy);
}

// ---------------------------------------------------------------------------------------------
// The fast path: greyscale, block average and Lanczos in WebAssembly (wasm/imagehash.ts, built by
// scripts/build-wasm.ts), integer arithmetic with SIMD, the same numbers as the JS above (the reference;
// imagehash.test.ts compares both on every fixture). The JS serves images over WASM_MAX_PIXELS (their RGB
// would be copied into wasm memory, which never shrinks) and runtimes without WebAssembly SIMD.

interface ImageHashKernels {
  memory: { buffer: ArrayBuffer };
  reset(): void;
  alloc(bytes: number): number;
  release(at: number): void;
  reduceRgbToL(rgb: number, w: number, h: number, fx: number, fy: number, dst: number, sums: number): void;
  resize(
    src: number,
    width: number,
    height: number,
    outW: number,
    outH: number,
    doH: number,
    hBounds: number,
    hWeights: number,
    hSize: number,
    doV: number,
    vBounds: number,
    vWeights: number,
    vSize: number,
    tmp: number,
    inter: number,
    dst: number,
  ): number;
}

/** Largest image hashed in WebAssembly: 4 MP, 12 MB of RGB (the analysis hashes <= 1024 px buffers). */
export const WASM_MAX_PIXELS = 4_000_000;

const kernels = loadKernels<ImageHashKernels>(IMAGEHASH_WASM_BASE64, 'imagehash');

/** Whether the imagehash pixel work runs in WebAssembly here (for benchmarks and tests). */
export const imageHashWasmAvailable = kernels !== null;

/**
 * Greyscale and block average of `rgb` in WebAssembly, and a resize that runs there too; null when that
 * path does not apply. The reduced image stays in wasm memory for the resizes that follow (the three
 * hashes are computed one after the other, synchronously, before anything else uses the arena).
 */
function wasmResize(rgb: Uint8Array, width: number, height: number): Resize | null {
  const k = kernels;
  if (!k || width * height > WASM_MAX_PIXELS || width < 1 || height < 1) return null;
  const { fx, fy } = reduction(width, height);
  const w = Math.ceil(width / fx);
  const h = Math.ceil(height / fy);
  const spanW = fx === 1 ? width : width / fx;
  const spanH = fy === 1 ? height : height / fy;
  k.reset();
  const bytes = width * height * 3;
  const src = k.alloc(bytes);
  const sums = k.alloc(width * 4);
  const grey = k.alloc(w * h);
  const inter = k.alloc(w * 16);
  if (!src || !sums || !grey || !inter) return null;
  new Uint8Array(k.memory.buffer, src, bytes).set(rgb.subarray(0, bytes));
  k.reduceRgbToL(src, width, height, fx, fy, grey, sums);
  const mark = k.alloc(0);
  return (outW, outH) => {
    // Each resize takes its room after the reduced image; the previous resize's is reused.
    k.release(mark);
    const doH = outW !== w || spanW !== w;
    const doV = outH !== h || spanH !== h;
    const hTaps = doH ? lanczosTaps(w, spanW, outW) : null;
    const vTaps = doV ? lanczosTaps(h, spanH, outH) : null;
    const put = (a: Int32Array | undefined) => {
      if (!a) return 0;
      const at = k.alloc(a.length * 4);
      new Int32Array(k.memory.buffer, at, a.length).set(a);
      return at;
    };
    const tmp = k.alloc(outW * h);
    const dst = k.alloc(outW * outH);
    const hb = put(hTaps?.bounds);
    const hw = put(hTaps?.weights);
    const vb = put(vTaps?.bounds);
    const vw = put(vTaps?.weights);
    const out = k.resize(
      grey,
      w,
      h,
      outW,
      outH,
      doH ? 1 : 0,
      hb,
      hw,
      hTaps?.size ?? 0,
      doV ? 1 : 0,
      vb,
      vw,
      vTaps?.size ?? 0,
      tmp,
      inter,
      dst,
    );
    const n = (doH ? outW : w) * (doV ? outH : h);
    return new Uint8Array(k.memory.buffer, out, n).slice();
  };
}
