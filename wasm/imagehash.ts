// The pixel work of aHash, dHash and pHash in WebAssembly (AssemblyScript, built by
// scripts/build-wasm.ts into src/pipeline/analyze/imagehash-wasm.generated.ts): Pillow's greyscale, the
// block average before the resize and Pillow's fixed-point Lanczos, as src/pipeline/analyze/imagehash.ts
// describes and computes them (that file stays the reference). All integer arithmetic, so SIMD (four
// pixels, or four rows, per vector) gives the same numbers; imagehash.test.ts compares the two paths.
//
// Memory: an arena. The caller resets it, takes room with `alloc` for the pixels and the filter taps,
// writes them, and reads the results back; it grows to the largest image seen.

const HALF: i32 = 1 << 21; // Pillow's rounding term: 1 << (PRECISION_BITS - 1), PRECISION_BITS = 22

export { alloc, release, reset } from './arena';

/**
 * Pillow's convert('L') then reduce((fx, fy)) of packed RGB (`rgb`, width x height) into `dst`
 * (ceil(width / fx) x ceil(height / fy) bytes); `sums` is room for width i32. Each block's mean is
 * Pillow's fixed-point division: (sum + n / 2) * trunc(fround(2^32 / (256 n))) >> 24, n its pixels.
 * fx = fy = 1 gives the greyscale image itself.
 */
export function reduceRgbToL(
  rgb: usize,
  width: i32,
  height: i32,
  fx: i32,
  fy: i32,
  dst: usize,
  sums: usize,
): void {
  const w = (width + fx - 1) / fx;
  const h = (height + fy - 1) / fy;
  const rIdx = i8x16(0, -1, -1, -1, 3, -1, -1, -1, 6, -1, -1, -1, 9, -1, -1, -1);
  const gIdx = i8x16(1, -1, -1, -1, 4, -1, -1, -1, 7, -1, -1, -1, 10, -1, -1, -1);
  const bIdx = i8x16(2, -1, -1, -1, 5, -1, -1, -1, 8, -1, -1, -1, 11, -1, -1, -1);
  const kr = i32x4.splat(19595);
  const kg = i32x4.splat(38470);
  const kb = i32x4.splat(7471);
  const round = i32x4.splat(0x8000);
  const w4 = width & ~3;
  for (let oy: i32 = 0; oy < h; oy++) {
    memory.fill(sums, 0, <usize>(width * 4));
    const y0 = oy * fy;
    const y1 = min(height, y0 + fy);
    for (let y = y0; y < y1; y++) {
      let q: usize = rgb + <usize>(y * width * 3);
      let s: usize = sums;
      for (let x: i32 = 0; x < w4; x += 4, q += 12, s += 16) {
        const v = v128.load(q);
        let l = i32x4.add(i32x4.mul(i8x16.swizzle(v, rIdx), kr), round);
        l = i32x4.add(l, i32x4.mul(i8x16.swizzle(v, gIdx), kg));
        l = i32x4.add(l, i32x4.mul(i8x16.swizzle(v, bIdx), kb));
        v128.store(s, i32x4.add(v128.load(s), i32x4.shr_u(l, 16)));
      }
      for (let x = w4; x < width; x++, q += 3, s += 4) {
        const l =
          (<u32>load<u8>(q) * 19595 + <u32>load<u8>(q, 1) * 38470 + <u32>load<u8>(q, 2) * 7471 + 0x8000) >>
          16;
        store<i32>(s, load<i32>(s) + <i32>l);
      }
    }
    const rows = y1 - y0;
    let x: i32 = 0;
    for (let ox: i32 = 0; ox < w; ox++) {
      const end = min(width, x + fx);
      const n = (end - x) * rows;
      let sum: i32 = 0;
      for (; x < end; x++) sum += load<i32>(sums + <usize>(x * 4));
      const multiplier = <u64>(<f32>(4294967296.0 / <f64>(256 * n)));
      const mean = (<u64>(sum + (n >> 1)) * multiplier) >> 24;
      store<u8>(dst + <usize>(oy * w + ox), <u8>mean);
    }
  }
}

/**
 * Pillow's fixed-point Lanczos of an 8-bit image (`src`, width x height) into `dst` (outW x outH): the
 * horizontal pass (when `doH`) rounded to 8 bits into `tmp` (outW x height), then the vertical one (when
 * `doV`). Taps as imagehash.ts computes them: for output i, first input at bounds[2i], count at
 * bounds[2i + 1], `size` i32 weights per output. `inter` is room for 4 x width i32. Returns the address
 * of the result: dst, tmp (no vertical pass) or src (neither).
 */
export function resize(
  src: usize,
  width: i32,
  height: i32,
  outW: i32,
  outH: i32,
  doH: bool,
  hBounds: usize,
  hWeights: usize,
  hSize: i32,
  doV: bool,
  vBounds: usize,
  vWeights: usize,
  vSize: i32,
  tmp: usize,
  inter: usize,
  dst: usize,
): usize {
  let img = src;
  let w = width;
  if (doH) {
    // Four rows at once, one per lane: their pixels interleaved as i32 (rows past the end read as 0).
    for (let y: i32 = 0; y < height; y += 4) {
      const n = min(4, height - y);
      for (let x: i32 = 0; x < width; x++) {
        const at: usize = src + <usize>(y * width + x);
        const o: usize = inter + <usize>(x * 16);
        store<i32>(o, load<u8>(at));
        store<i32>(o, n > 1 ? <i32>load<u8>(at + <usize>width) : 0, 4);
        store<i32>(o, n > 2 ? <i32>load<u8>(at + <usize>(2 * width)) : 0, 8);
        store<i32>(o, n > 3 ? <i32>load<u8>(at + <usize>(3 * width)) : 0, 12);
      }
      for (let o: i32 = 0; o < outW; o++) {
        const first = load<i32>(hBounds + <usize>(o * 8));
        const count = load<i32>(hBounds + <usize>(o * 8 + 4));
        let wt: usize = hWeights + <usize>(o * hSize * 4);
        let px: usize = inter + <usize>(first * 16);
        let acc = i32x4.splat(HALF);
        for (let t: i32 = 0; t < count; t++, wt += 4, px += 16) {
          acc = i32x4.add(acc, i32x4.mul(i32x4.splat(load<i32>(wt)), v128.load(px)));
        }
        const v = i32x4.min_s(i32x4.max_s(i32x4.shr_s(acc, 22), i32x4.splat(0)), i32x4.splat(255));
        const d: usize = tmp + <usize>(y * outW + o);
        store<u8>(d, <u8>i32x4.extract_lane(v, 0));
        if (n > 1) store<u8>(d + <usize>outW, <u8>i32x4.extract_lane(v, 1));
        if (n > 2) store<u8>(d + <usize>(2 * outW), <u8>i32x4.extract_lane(v, 2));
        if (n > 3) store<u8>(d + <usize>(3 * outW), <u8>i32x4.extract_lane(v, 3));
      }
    }
    img = tmp;
    w = outW;
  }
  if (!doV) return img;
  for (let o: i32 = 0; o < outH; o++) {
    const first = load<i32>(vBounds + <usize>(o * 8));
    const count = load<i32>(vBounds + <usize>(o * 8 + 4));
    const wt: usize = vWeights + <usize>(o * vSize * 4);
    for (let x: i32 = 0; x < w; x++) {
      let acc: i32 = HALF;
      let px: usize = img + <usize>(first * w + x);
      for (let t: i32 = 0; t < count; t++, px += <usize>w) {
        acc += load<i32>(wt + <usize>(t * 4)) * <i32>load<u8>(px);
      }
      store<u8>(dst + <usize>(o * w + x), <u8>min(255, max(0, acc >> 22)));
    }
  }
  return dst;
}
