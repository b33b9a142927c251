// The text detector's pixel work in WebAssembly (AssemblyScript, built by scripts/build-wasm.ts into
// src/pipeline/ocr/detect-grey-wasm.generated.ts): its grey thumbnail (detect.ts greyThumbnail), its
// classify (the runs of marked pixels) and components, each giving what its JavaScript path gives. The
// thumbnail: each output pixel the mean luma of its box, summed exactly as luma x 65536 (19595 R + 38470 G +
// 7471 B, four pixels per SIMD vector) in whole numbers and rounded half up, as detect.ts's roundGrey of
// the sum / (the box's pixels x 65536). test/pipeline/ocr/detect-pixels.test.ts compares both kernels with the
// JS paths.
//
// Memory: an arena (arena.ts). The caller resets it, takes room for a strip of the pixels, the column
// edges, the row edges, a row of sums, their prefix sums and the thumbnail, writes the edges, then each
// strip of pixels and calls `thumbnail` on it, and reads the thumbnail back.

export { alloc, reset } from './arena';

const WR: i32 = 19595;
const WG: i32 = 38470;
const WB: i32 = 7471;

/**
 * A class only so that `four` can carry AssemblyScript's @inline (decorators go on methods alone: luma.ts's
 * Luma does the same).
 */
class Luma {
  /**
   * 19595 R + 38470 G + 7471 B (i32 lanes) of the four RGB pixels in the first 12 bytes of `v`, as two
   * dot products of 16-bit lanes: R and G with `krg` (19595, 19235), B and G with `kbg` (7471, 19235);
   * 38470 is twice 19235 (and past a signed 16-bit lane). The same whole numbers as three 32-bit
   * multiplications (luma.ts), in fewer and cheaper instructions.
   */
  @inline static four(v: v128, krg: v128, kbg: v128): v128 {
    const rg = i8x16.swizzle(v, i8x16(0, -1, 1, -1, 3, -1, 4, -1, 6, -1, 7, -1, 9, -1, 10, -1));
    const bg = i8x16.swizzle(v, i8x16(2, -1, 1, -1, 5, -1, 4, -1, 8, -1, 7, -1, 11, -1, 10, -1));
    return i32x4.add(i32x4.dot_i16x8_s(rg, krg), i32x4.dot_i16x8_s(bg, kbg));
  }
}

/**
 * Rows [i0, i1) of a w-wide thumbnail of a W-wide picture into `out` (w bytes a row, from row 0), from
 * `rgb`: the picture's packed RGB rows from ys[i0] on (a strip of it). Output pixel (x, y) is the box of
 * source columns [xs[x], xs[x + 1]) and rows [ys[y], ys[y + 1]) (i32 edges), its luma x 65536 summed in
 * i32 (the caller keeps every box at most 128 pixels: below 2^31), divided by its pixels x 65536 and
 * rounded half up. `acc` is room for W i32 (the box's rows summed per source column), `pre` for W + 4 i32 (their
 * prefix sums, so that a box of any width is one subtraction; wrapping i32, a box's sum is still the
 * difference of two of them).
 */
export function thumbnail(
  rgb: usize,
  W: i32,
  i0: i32,
  i1: i32,
  w: i32,
  xs: usize,
  ys: usize,
  acc: usize,
  pre: usize,
  out: usize,
): void {
  // The weights as 16-bit lanes: R and G (half of WG), B and G (Luma.four).
  const krg = i16x8(19595, 19235, 19595, 19235, 19595, 19235, 19595, 19235);
  const kbg = i16x8(7471, 19235, 7471, 19235, 7471, 19235, 7471, 19235);
  const W4 = W & ~3;
  const top = load<i32>(ys + ((<usize>i0) << 2));
  for (let i: i32 = i0; i < i1; i++) {
    const a = load<i32>(ys + ((<usize>i) << 2));
    const b = load<i32>(ys + ((<usize>(i + 1)) << 2));
    // The box's rows' luma summed per source column (the first row sets them).
    for (let y = a; y < b; y++) {
      let q: usize = rgb + <usize>(y - top) * <usize>W * 3;
      let s: usize = acc;
      if (y == a) {
        for (let x: i32 = 0; x < W4; x += 4, q += 12, s += 16)
          v128.store(s, Luma.four(v128.load(q), krg, kbg));
        for (let x = W4; x < W; x++, q += 3, s += 4)
          store<i32>(s, <i32>load<u8>(q) * WR + <i32>load<u8>(q, 1) * WG + <i32>load<u8>(q, 2) * WB);
      } else {
        for (let x: i32 = 0; x < W4; x += 4, q += 12, s += 16)
          v128.store(s, i32x4.add(v128.load(s), Luma.four(v128.load(q), krg, kbg)));
        for (let x = W4; x < W; x++, q += 3, s += 4)
          store<i32>(
            s,
            load<i32>(s) + <i32>load<u8>(q) * WR + <i32>load<u8>(q, 1) * WG + <i32>load<u8>(q, 2) * WB,
          );
      }
    }
    const rows = b - a;
    const o: usize = out + <usize>i * <usize>w;
    if (w == W) {
      // One source column per output column: every box `rows` pixels, four at a time.
      const add = i32x4.splat(rows << 15);
      const m = i32x4.splat(load<i32>(RECIPROCAL + ((<usize>rows) << 2)));
      const w4 = w & ~3;
      for (let x: i32 = 0; x < w4; x += 4) {
        const t = i32x4.shr_u(i32x4.add(v128.load(acc + ((<usize>x) << 2)), add), 16);
        const r = i32x4.shr_u(i32x4.mul(t, m), 22);
        const r16 = i16x8.narrow_i32x4_u(r, r);
        v128.store32_lane(o + <usize>x, i8x16.narrow_i16x8_u(r16, r16), 0);
      }
      for (let x: i32 = w4; x < w; x++)
        store<u8>(o + <usize>x, meanOf(load<i32>(acc + ((<usize>x) << 2)), rows));
      continue;
    }
    // The sums' prefix sums.
    prefixSums(acc, W, pre);
    // Four boxes at a time: their sums and pixels gathered, then each mean as meanOf gives it, floor(t / n)
    // by an f32 division (t below 2^15, n at most 128: a quotient that is not whole is at least 1 / 128
    // from the next, far beyond the division's rounding, so truncating it is exact; checked for every
    // such t and n).
    const rowsV = i32x4.splat(rows);
    const w4 = w & ~3;
    let x0 = load<i32>(xs);
    let p0 = load<i32>(pre + ((<usize>x0) << 2));
    for (let x: i32 = 0; x < w4; x += 4) {
      const e: usize = xs + ((<usize>x) << 2);
      const x1 = load<i32>(e, 4);
      const x2 = load<i32>(e, 8);
      const x3 = load<i32>(e, 12);
      const x4 = load<i32>(e, 16);
      const p1 = load<i32>(pre + ((<usize>x1) << 2));
      const p2 = load<i32>(pre + ((<usize>x2) << 2));
      const p3 = load<i32>(pre + ((<usize>x3) << 2));
      const p4 = load<i32>(pre + ((<usize>x4) << 2));
      let sum = i32x4.splat(p1 - p0);
      sum = i32x4.replace_lane(sum, 1, p2 - p1);
      sum = i32x4.replace_lane(sum, 2, p3 - p2);
      sum = i32x4.replace_lane(sum, 3, p4 - p3);
      let cols = i32x4.splat(x1 - x0);
      cols = i32x4.replace_lane(cols, 1, x2 - x1);
      cols = i32x4.replace_lane(cols, 2, x3 - x2);
      cols = i32x4.replace_lane(cols, 3, x4 - x3);
      const n = i32x4.mul(cols, rowsV);
      const t = i32x4.shr_u(i32x4.add(sum, i32x4.shl(n, 15)), 16);
      const r = i32x4.trunc_sat_f32x4_s(f32x4.div(f32x4.convert_i32x4_s(t), f32x4.convert_i32x4_s(n)));
      const r16 = i16x8.narrow_i32x4_u(r, r);
      v128.store32_lane(o + <usize>x, i8x16.narrow_i16x8_u(r16, r16), 0);
      x0 = x4;
      p0 = p4;
    }
    for (let x: i32 = w4; x < w; x++) {
      const x1 = load<i32>(xs + ((<usize>(x + 1)) << 2));
      const p1 = load<i32>(pre + ((<usize>x1) << 2));
      store<u8>(o + <usize>x, meanOf(p1 - p0, (x1 - x0) * rows));
      x0 = x1;
      p0 = p1;
    }
  }
}

/**
 * RECIPROCAL + 4 n (n from 1 to 128): ceil(2^22 / n), so that floor(t / n) is (t x that) >> 22 for every
 * t up to 255.5 n (the error, under t / 2^22, stays below 1 / n while n² < 2^22 / 255.5; checked for every
 * such t and n), in i32 (the product stays under 2^31).
 */
const RECIPROCAL: usize = memory.data(129 * 4, 16);
for (let n: i32 = 1; n <= 128; n++) store<i32>(RECIPROCAL + ((<usize>n) << 2), ((1 << 22) + n - 1) / n);

/**
 * The box mean of luma x 65536 summed to `sum` over `n` pixels (at most 128), rounded half up, without a
 * division: floor((sum + n 2^15) / (n 2^16)) is floor(t / n) with t = (sum + n 2^15) >> 16 (at most 255.5 n;
 * unsigned: the addition can pass 2^31), read through RECIPROCAL. The same byte as detect.ts's
 * roundGrey(sum / (n 65536)), which is exact here (a quotient not half way is at least 1 / (n 65536) from it).
 */
function meanOf(sum: i32, n: i32): u8 {
  const t = (<u32>(sum + (n << 15))) >> 16;
  return <u8>((t * <u32>load<i32>(RECIPROCAL + ((<usize>n) << 2))) >> 22);
}

/**
 * detect.ts's classify of the w x h grey picture `data`: each pixel against the mean of its
 * (2 window + 1)² neighbourhood, its class's runs along each row into rk (u8), rx0, rx1, rs (i32), parent
 * (each run itself) and first (h + 1 i32: where each row's runs start), the 8-level grey histogram into
 * `hist` (32 i32; room for 4 x 32). Room for w x h runs: a row holds at most w. `codes` is room for
 * w + 32 bytes, `sums` for 2 (w + 16) i32. Writes the runs' and marked pixels' counts to counts[0] and
 * counts[1]. All in whole numbers, as in detect.ts (sums below 2^31: the caller checks).
 *
 * The window sums without an integral image: the window's rows summed per column (a row added as it
 * enters the window, one taken away as it leaves, sixteen columns per vector), then those column sums'
 * prefix sums along the row (four per vector), so that a window's sum is one subtraction: the same sums
 * as detect.ts's integral image gives, read from a few KB instead of a (w + 1) x (h + 1) table built
 * pixel by pixel. With the runs found sixteen pixels at a time (below), classify took 1.00 -> 0.67 CPU ms
 * per thumbnail of the pipeline bench's text-free photos (medians of 10 alternated rounds in one process:
 * the column sums 1.00 -> 0.88 and the bitmasks, first of each stretch's start, 0.88 -> 0.75 at load 7-8;
 * then of the runs' starts and ends, without a pass over the stretches, 0.72 -> 0.67 at load 2).
 *
 * Each row in two passes: every pixel's class and strength as one byte (class | strong << 2), four pixels
 * per vector where the whole window is inside the row (the same sums, products and comparisons as one at a
 * time: whole numbers), then the runs from those bytes without a branch on each pixel (below; before the
 * bitmasks, a store for every pixel and a pass over the stretches, each writing a run). Deciding
 * each pixel's class in the run loop itself, branching on it, cost a textured photo most of its detection: the whole detector 5.3-7.4 -> 3.6-4.9 CPU ms on a 640x480 photo with 68,554 runs
 * (DSCN0010), 4.3-5.7 -> 2.9-3.9 on door-knocker's 55,388 (the two alternated, six times; one with no
 * runs 1.3 -> 0.9). The histogram is counted in four tables (pixel x mod 4), added up at the end:
 * neighbouring pixels mostly fall in one bin, and one table made each count wait for the last.
 */
export function classify(
  data: usize,
  sums: usize,
  w: i32,
  h: i32,
  window: i32,
  contrast: i32,
  strong: i32,
  hist: usize,
  rk: usize,
  rx0: usize,
  rx1: usize,
  rs: usize,
  parent: usize,
  first: usize,
  counts: usize,
  codes: usize,
): void {
  // cols + 4 x: the window's rows summed in column x; pre + 4 x: cols' sum over [0, x).
  const cols = sums;
  const pre = sums + ((<usize>(w + 16)) << 2);
  memory.fill(cols, 0, (<usize>(w + 16)) << 2);
  // The rows [ca, cb) are in cols.
  let ca: i32 = 0;
  let cb: i32 = 0;
  memory.fill(hist, 0, 4 * 32 * 4);
  // The row's code bytes from cd (after one byte before them: the row's start, a class of none).
  const cd = codes + 16;
  // The window is whole (xa = x - window, xb = x + window + 1) for x in [inner0, inner1).
  const inner0 = window + 1;
  const inner1 = max(inner0, w - window - 1);
  let n: i32 = 0;
  let marked: i32 = 0;
  const three = i8x16.splat(3);
  const none = i8x16.splat(0);
  const enters = i32x4.splat(0);
  const leaves = i32x4.splat(-1);
  for (let y: i32 = 0; y < h; y++) {
    const ya = max(0, y - window);
    const yb = min(h, y + window + 1);
    // The rows entering the window added, those leaving it taken away.
    for (; cb < yb; cb++) slideRow(data + <usize>cb * <usize>w, cols, w, enters);
    for (; ca < ya; ca++) slideRow(data + <usize>ca * <usize>w, cols, w, leaves);
    // Their prefix sums.
    prefixSums(cols, w, pre);
    const rows = yb - ya;
    const line: usize = data + <usize>y * <usize>w;
    store<i32>(first + ((<usize>y) << 2), n);
    // The classes: the edges one at a time, the middle four at a time (when it holds four).
    const left = inner0 + 4 <= inner1 ? inner0 : w;
    let x: i32 = 0;
    for (; x < left; x++) codes1(line, pre, cd, x, w, window, rows, contrast, strong);
    if (x < w) {
      const area = rows * (2 * window + 1);
      const negC = i32x4.splat(-contrast * area);
      const posC = i32x4.splat(contrast * area);
      const negS = i32x4.splat(-strong * area);
      const posS = i32x4.splat(strong * area);
      const areaV = i32x4.splat(area);
      const one = i32x4.splat(1);
      const two = i32x4.splat(2);
      const four = i32x4.splat(4);
      const off = (<usize>window) << 2;
      for (; x + 4 <= inner1; x += 4) {
        const xb: usize = ((<usize>x) << 2) + off + 4;
        const xa: usize = ((<usize>x) << 2) - off;
        const sum = i32x4.sub(v128.load(pre + xb), v128.load(pre + xa));
        const v = i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(v128.load32_zero(line + <usize>x)));
        const d = i32x4.sub(i32x4.mul(v, areaV), sum);
        const dark = i32x4.lt_s(d, negC);
        const light = i32x4.gt_s(d, posC);
        const firm = v128.or(i32x4.lt_s(d, negS), i32x4.gt_s(d, posS));
        const code = v128.or(v128.or(v128.and(dark, one), v128.and(light, two)), v128.and(firm, four));
        const b16 = i16x8.narrow_i32x4_u(code, code);
        v128.store32_lane(cd + <usize>x, i8x16.narrow_i16x8_u(b16, b16), 0);
      }
      for (; x < w; x++) codes1(line, pre, cd, x, w, window, rows, contrast, strong);
    }
    // The histogram, four tables.
    let q: i32 = 0;
    for (; q + 4 <= w; q += 4) {
      const p = line + <usize>q;
      const h0 = hist + ((<usize>(load<u8>(p) >> 3)) << 2);
      store<i32>(h0, load<i32>(h0) + 1);
      const h1 = hist + 128 + ((<usize>(load<u8>(p, 1) >> 3)) << 2);
      store<i32>(h1, load<i32>(h1) + 1);
      const h2 = hist + 256 + ((<usize>(load<u8>(p, 2) >> 3)) << 2);
      store<i32>(h2, load<i32>(h2) + 1);
      const h3 = hist + 384 + ((<usize>(load<u8>(p, 3) >> 3)) << 2);
      store<i32>(h3, load<i32>(h3) + 1);
    }
    for (; q < w; q++) {
      const h0 = hist + ((<usize>(load<u8>(line + <usize>q) >> 3)) << 2);
      store<i32>(h0, load<i32>(h0) + 1);
    }
    // The runs, sixteen pixels at a time: a bit for each pixel whose class is not the one before it, so
    // that a run starts where that class is marked and ends where the class before it was; one for each
    // strong pixel (a run's count is the strong pixels before its end less those before its start). The
    // runs do not overlap: the i-th end is the i-th start's.
    store<u8>(cd - 1, 0);
    let ends = n;
    let acc: i32 = 0;
    for (let x: i32 = 0; x < w; x += 16) {
      const c = v128.load(cd + <usize>x);
      const k = v128.and(c, three);
      const kp = v128.and(v128.load(cd + <usize>x - 1), three);
      const valid = w - x >= 16 ? 0xffff : (1 << (w - x)) - 1;
      const change = i8x16.bitmask(i8x16.ne(k, kp)) & valid;
      const mk = i8x16.bitmask(i8x16.ne(k, none)) & valid;
      let starts = change & mk;
      let stops = change & i8x16.bitmask(i8x16.ne(kp, none));
      const firm = i8x16.bitmask(i8x16.shl(c, 5)) & valid;
      marked += popcnt(mk);
      while (starts) {
        const p = ctz(starts);
        const at = (<usize>n) << 2;
        store<u8>(rk + <usize>n, load<u8>(cd + <usize>(x + p)) & 3);
        store<i32>(rx0 + at, x + p);
        store<i32>(rs + at, acc + popcnt(firm & ((1 << p) - 1)));
        store<i32>(parent + at, n);
        n++;
        starts &= starts - 1;
      }
      while (stops) {
        const p = ctz(stops);
        const at = (<usize>ends) << 2;
        store<i32>(rx1 + at, x + p - 1);
        store<i32>(rs + at, acc + popcnt(firm & ((1 << p) - 1)) - load<i32>(rs + at));
        ends++;
        stops &= stops - 1;
      }
      acc += popcnt(firm);
    }
    // A run open at the row's end ends there.
    if (ends < n) {
      const at = (<usize>ends) << 2;
      store<i32>(rx1 + at, w - 1);
      store<i32>(rs + at, acc - load<i32>(rs + at));
    }
  }
  for (let i: i32 = 0; i < 32; i++) {
    const at = hist + ((<usize>i) << 2);
    store<i32>(at, load<i32>(at) + load<i32>(at, 128) + load<i32>(at, 256) + load<i32>(at, 384));
  }
  store<i32>(counts, n);
  store<i32>(counts + 4, marked);
}

/**
 * classify's code byte (class | strong << 2) of pixel x of a row, its window clipped to the picture (`pre`:
 * the row's prefix sums of the window's column sums).
 */
/**
 * The prefix sums of the n i32 at `src` into `pre` (pre + 4 x: the sum over [0, x), pre itself 0), four
 * at a time: each vector's own (two shifted additions), plus all before it. The last vector reads past n
 * (prefix sums past n, never read).
 */
function prefixSums(src: usize, n: i32, pre: usize): void {
  let carry = i32x4.splat(0);
  const zero = i32x4.splat(0);
  store<i32>(pre, 0);
  for (let x: i32 = 0; x < n; x += 4) {
    let v = v128.load(src + ((<usize>x) << 2));
    v = i32x4.add(v, v128.shuffle<i32>(zero, v, 3, 4, 5, 6));
    v = i32x4.add(v, v128.shuffle<i32>(zero, v, 2, 3, 4, 5));
    v = i32x4.add(v, carry);
    v128.store(pre + ((<usize>(x + 1)) << 2), v);
    carry = v128.shuffle<i32>(v, v, 3, 3, 3, 3);
  }
}

/**
 * The w grey levels of the row at `src` added to the column sums at `cols` (`sign` all zeros), or taken
 * away (all ones: each value negated, (v ^ sign) - sign). Sixteen columns at a time (the last vector reads
 * past the row, into columns never used).
 */
function slideRow(src: usize, cols: usize, w: i32, sign: v128): void {
  for (let x: i32 = 0; x < w; x += 16) {
    const v = v128.load(src + <usize>x);
    const lo = i16x8.extend_low_i8x16_u(v);
    const hi = i16x8.extend_high_i8x16_u(v);
    const c: usize = cols + ((<usize>x) << 2);
    const s0 = i32x4.sub(v128.xor(i32x4.extend_low_i16x8_u(lo), sign), sign);
    const s1 = i32x4.sub(v128.xor(i32x4.extend_high_i16x8_u(lo), sign), sign);
    const s2 = i32x4.sub(v128.xor(i32x4.extend_low_i16x8_u(hi), sign), sign);
    const s3 = i32x4.sub(v128.xor(i32x4.extend_high_i16x8_u(hi), sign), sign);
    v128.store(c, i32x4.add(v128.load(c), s0));
    v128.store(c, i32x4.add(v128.load(c, 16), s1), 16);
    v128.store(c, i32x4.add(v128.load(c, 32), s2), 32);
    v128.store(c, i32x4.add(v128.load(c, 48), s3), 48);
  }
}

function codes1(
  line: usize,
  pre: usize,
  codes: usize,
  x: i32,
  w: i32,
  window: i32,
  rows: i32,
  contrast: i32,
  strong: i32,
): void {
  const xa = x > window ? x - window : 0;
  const xb = x + window + 1 < w ? x + window + 1 : w;
  const sum = load<i32>(pre + ((<usize>xb) << 2)) - load<i32>(pre + ((<usize>xa) << 2));
  const v = <i32>load<u8>(line + <usize>x);
  const area = rows * (xb - xa);
  const d = v * area - sum;
  // Without a branch (the edges of a texture are a coin toss too), as the vector loop makes it.
  const dark = <i32>(d < -contrast * area);
  const light = <i32>(d > contrast * area);
  const firm = (<i32>(d < -strong * area)) | (<i32>(d > strong * area));
  store<u8>(codes + <usize>x, <u8>(dark | (light << 1) | (firm << 2)));
}

/** detect.ts's root(): the root of run `i` in the forest `parent` (i32 each), halving the path on the way. */
function root(parent: usize, i: i32): i32 {
  let p = load<i32>(parent + ((<usize>i) << 2));
  while (p != i) {
    const g = load<i32>(parent + ((<usize>p) << 2));
    store<i32>(parent + ((<usize>i) << 2), g);
    i = g;
    p = load<i32>(parent + ((<usize>i) << 2));
  }
  return i;
}

/**
 * detect.ts's components() on classify's runs (n of them; `first` has room for h + 1 i32): joinRuns (runs of
 * one class in adjacent rows whose columns overlap are joined, each tree's root its earliest run), then
 * gather (each tree's box, pixel count and STRONG count, in the order of their roots): the same pairs met
 * in the same order, and the same trees, so the same components (joinRuns also finds the roots of the
 * pairs that do not touch, which only shortens paths: each tree's root is still its earliest run). Writes the components at least `minH` rows high to `out` as 7 i32 each
 * (class, x0, x1, y0, y1, pixels, strong; the accumulation happens in place: room for 7 n i32), and returns
 * how many. `slot` is room for n i32.
 */
export function components(
  n: i32,
  h: i32,
  rk: usize,
  rx0: usize,
  rx1: usize,
  rs: usize,
  parent: usize,
  first: usize,
  slot: usize,
  out: usize,
  minH: i32,
): i32 {
  store<i32>(first + ((<usize>h) << 2), n);
  for (let y: i32 = 1; y < h; y++) {
    let a = load<i32>(first + ((<usize>(y - 1)) << 2));
    const aEnd = load<i32>(first + ((<usize>y) << 2));
    let b = aEnd;
    const bEnd = load<i32>(first + ((<usize>(y + 1)) << 2));
    while (a < aEnd && b < bEnd) {
      const ax0 = load<i32>(rx0 + ((<usize>a) << 2));
      const ax1 = load<i32>(rx1 + ((<usize>a) << 2));
      const bx0 = load<i32>(rx0 + ((<usize>b) << 2));
      const bx1 = load<i32>(rx1 + ((<usize>b) << 2));
      // Without a branch on the pair (whether they touch is a coin toss in a texture): both roots found,
      // the later one pointed at the earlier when they touch, else the earlier at itself (a root: no change).
      const join =
        (<i32>(ax0 <= bx1)) &
        (<i32>(bx0 <= ax1)) &
        (<i32>(load<u8>(rk + <usize>a) == load<u8>(rk + <usize>b)));
      const ra = root(parent, a);
      const rb = root(parent, b);
      const lo = ra < rb ? ra : rb;
      store<i32>(parent + ((<usize>(join ? ra + rb - lo : lo)) << 2), lo);
      const next = <i32>(ax1 < bx1);
      a += next;
      b += next ^ 1;
    }
  }
  let m: i32 = 0;
  let y: i32 = 0;
  for (let i: i32 = 0; i < n; i++) {
    while (load<i32>(first + ((<usize>(y + 1)) << 2)) <= i) y++;
    // A run's parent is an earlier run (or itself), whose parent is already its root here: runs are
    // visited in order, each left pointing at its root. The root root() would find, in one step.
    const up = load<i32>(parent + ((<usize>i) << 2));
    const r = up == i ? i : load<i32>(parent + ((<usize>up) << 2));
    store<i32>(parent + ((<usize>i) << 2), r);
    const a = load<i32>(rx0 + ((<usize>i) << 2));
    const b = load<i32>(rx1 + ((<usize>i) << 2));
    if (r == i) {
      store<i32>(slot + ((<usize>i) << 2), m);
      const c: usize = out + <usize>m * 28;
      store<i32>(c, <i32>load<u8>(rk + <usize>i));
      store<i32>(c, a, 4);
      store<i32>(c, b, 8);
      store<i32>(c, y, 12);
      store<i32>(c, y, 16);
      store<i32>(c, b - a + 1, 20);
      store<i32>(c, load<i32>(rs + ((<usize>i) << 2)), 24);
      m++;
    } else {
      const c: usize = out + <usize>load<i32>(slot + ((<usize>r) << 2)) * 28;
      store<i32>(c, min(a, load<i32>(c, 4)), 4);
      store<i32>(c, max(b, load<i32>(c, 8)), 8);
      store<i32>(c, y, 16);
      store<i32>(c, load<i32>(c, 20) + b - a + 1, 20);
      store<i32>(c, load<i32>(c, 24) + load<i32>(rs + ((<usize>i) << 2)), 24);
    }
  }
  // Those tall enough, in order, moved down in place (each to a slot at or before its own).
  let kept: i32 = 0;
  for (let c: i32 = 0; c < m; c++) {
    const from: usize = out + <usize>c * 28;
    if (load<i32>(from, 16) - load<i32>(from, 12) + 1 < minH) continue;
    if (kept != c) memory.copy(out + <usize>kept * 28, from, 28);
    kept++;
  }
  return kept;
}
