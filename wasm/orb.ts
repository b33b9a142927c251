// ORB keypoints and descriptors (Rublee et al., "ORB: an efficient alternative to SIFT or SURF", ICCV 2011)
// in WebAssembly with SIMD (AssemblyScript, built by scripts/build-wasm.ts into
// src/similarity/features/orb-wasm.generated.ts), computed the way OpenCV's ORB computes them with the
// parameters firstseen uses (ORB_create(n): 8 levels, scale 1.2, FAST-9 threshold 20, edge threshold and
// patch 31, Harris ranking over 7 x 7, WTA_K 2), so that its descriptors stay comparable with the ones
// stored before: the same pyramid bytes, the same keypoints and the same rotated BRIEF tests.
// Written by hand because no library does ORB in WebAssembly SIMD for Node: OpenCV.js (the reference and
// fallback, src/similarity/features/orb.ts) is built without SIMD: 14.6 CPU ms per 512 x 384 copy against
// 2.6 for this module (npm run bench:analyze, load 11-12).
//
// The steps, per pyramid level (level k is level k-1 resized to round(size / 1.2^k), bilinear in OpenCV's
// bit-exact fixed point, INTER_LINEAR_EXACT):
//   1. FAST-9 (16-pixel ring, threshold 20) with non-maximum suppression on FAST's corner score, kept at
//      least 31 px from the level's edges; SIMD tests 16 pixels at once.
//   2. The best 2n by FAST score (n: the level's share of the keypoints, in proportion to its area), ties
//      at the n-th score all kept, then the Harris response over 7 x 7 Sobel gradients (float, as OpenCV
//      rounds it) and the best n by it, ties kept alike.
//   3. The orientation: the intensity centroid over the circular patch of radius 15 (OpenCV's fastAtan2
//      polynomial, in degrees).
//   4. A 7 x 7 Gaussian blur (sigma 2) of the level, in floats as OpenCV's separable filter sums it (a
//      level is a region of OpenCV's pyramid image, so its fixed-point blur does not apply), rounded half
//      to even; then the 256 point-pair tests of the learned pattern, rotated by the keypoint's angle.
// test/similarity/features/orb-wasm.test.ts compares every step with OpenCV's output.
//
// Memory: an arena, as wasm/grey.ts. The caller resets it, takes room for the grey image with `alloc`,
// writes it, calls `detect`, reads the keypoints and descriptors back (see `detect`).

import { alloc, position, release } from './arena';
export { alloc, reset } from './arena';

// The test pattern of ORB's descriptor for a 31 px patch: 256 pairs of points (x0, y0, x1, y1), the
// learned, decorrelated tests published with ORB (bit_pattern_31_ in OpenCV's
// modules/features2d/src/orb.cpp, Willow Garage, BSD-3-Clause; OpenCV is Apache-2.0 as a whole). It is
// data, the definition of the descriptor: bit i of a descriptor is 1 when the blurred pixel at pair i's
// first point is darker than at its second. orb-wasm.test.ts checks it against OpenCV's descriptors.
const PATTERN: usize = memory.data<i8>([
  8, -3, 9, 5, 4, 2, 7, -12, -11, 9, -8, 2, 7, -12, 12, -13, 2, -13, 2, 12, 1, -7, 1, 6, -2, -10, -2, -4, -13,
  -13, -11, -8, -13, -3, -12, -9, 10, 4, 11, 9, -13, -8, -8, -9, -11, 7, -9, 12, 7, 7, 12, 6, -4, -5, -3, 0,
  -13, 2, -12, -3, -9, 0, -7, 5, 12, -6, 12, -1, -3, 6, -2, 12, -6, -13, -4, -8, 11, -13, 12, -8, 4, 7, 5, 1,
  5, -3, 10, -3, 3, -7, 6, 12, -8, -7, -6, -2, -2, 11, -1, -10, -13, 12, -8, 10, -7, 3, -5, -3, -4, 2, -3, 7,
  -10, -12, -6, 11, 5, -12, 6, -7, 5, -6, 7, -1, 1, 0, 4, -5, 9, 11, 11, -13, 4, 7, 4, 12, 2, -1, 4, 4, -4,
  -12, -2, 7, -8, -5, -7, -10, 4, 11, 9, 12, 0, -8, 1, -13, -13, -2, -8, 2, -3, -2, -2, 3, -6, 9, -4, -9, 8,
  12, 10, 7, 0, 9, 1, 3, 7, -5, 11, -10, -13, -6, -11, 0, 10, 7, 12, 1, -6, -3, -6, 12, 10, -9, 12, -4, -13,
  8, -8, -12, -13, 0, -8, -4, 3, 3, 7, 8, 5, 7, 10, -7, -1, 7, 1, -12, 3, -10, 5, 6, 2, -4, 3, -10, -13, 0,
  -13, 5, -13, -7, -12, 12, -13, 3, -11, 8, -7, 12, -4, 7, 6, -10, 12, 8, -9, -1, -7, -6, -2, -5, 0, 12, -12,
  5, -7, 5, 3, -10, 8, -13, -7, -7, -4, 5, -3, -2, -1, -7, 2, 9, 5, -11, -11, -13, -5, -13, -1, 6, 0, -1, 5,
  -3, 5, 2, -4, -13, -4, 12, -9, -6, -9, 6, -12, -10, -8, -4, 10, 2, 12, -3, 7, 12, 12, 12, -7, -13, -6, 5,
  -4, 9, -3, 4, 7, -1, 12, 2, -7, 6, -5, 1, -13, 11, -12, 5, -3, 7, -2, -6, 7, -8, 12, -7, -13, -7, -11, -12,
  1, -3, 12, 12, 2, -6, 3, 0, -4, 3, -2, -13, -1, -13, 1, 9, 7, 1, 8, -6, 1, -1, 3, 12, 9, 1, 12, 6, -1, -9,
  -1, 3, -13, -13, -10, 5, 7, 7, 10, 12, 12, -5, 12, 9, 6, 3, 7, 11, 5, -13, 6, 10, 2, -12, 2, 3, 3, 8, 4, -6,
  2, 6, 12, -13, 9, -12, 10, 3, -8, 4, -7, 9, -11, 12, -4, -6, 1, 12, 2, -8, 6, -9, 7, -4, 2, 3, 3, -2, 6, 3,
  11, 0, 3, -3, 8, -8, 7, 8, 9, 3, -11, -5, -6, -4, -10, 11, -5, 10, -5, -8, -3, 12, -10, 5, -9, 0, 8, -1, 12,
  -6, 4, -6, 6, -11, -10, 12, -8, 7, 4, -2, 6, 7, -2, 0, -2, 12, -5, -8, -5, 2, 7, -6, 10, 12, -9, -13, -8,
  -8, -5, -13, -5, -2, 8, -8, 9, -13, -9, -11, -9, 0, 1, -8, 1, -2, 7, -4, 9, 1, -2, 1, -1, -4, 11, -6, 12,
  -11, -12, -9, -6, 4, 3, 7, 7, 12, 5, 5, 10, 8, 0, -4, 2, 8, -9, 12, -5, -13, 0, 7, 2, 12, -1, 2, 1, 7, 5,
  11, 7, -9, 3, 5, 6, -8, -13, -4, -8, 9, -5, 9, -3, -3, -4, -7, -3, -12, 6, 5, 8, 0, -7, 6, -6, 12, -13, 6,
  -5, -2, 1, -10, 3, 10, 4, 1, 8, -4, -2, -2, 2, -13, 2, -12, 12, 12, -2, -13, 0, -6, 4, 1, 9, 3, -6, -10, -3,
  -5, -3, -13, -1, 1, 7, 5, 12, -11, 4, -2, 5, -7, -13, 9, -9, -5, 7, 1, 8, 6, 7, -8, 7, 6, -7, -4, -7, 1, -8,
  11, -7, -8, -13, 6, -12, -8, 2, 4, 3, 9, 10, -5, 12, 3, -6, -5, -6, 7, 8, -3, 9, -8, 2, -12, 2, 8, -11, -2,
  -10, 3, -12, -13, -7, -9, -11, 0, -10, -5, 5, -3, 11, 8, -2, -13, -1, 12, -1, -8, 0, 9, -13, -11, -12, -5,
  -10, -2, -10, 11, -3, 9, -2, -13, 2, -3, 3, 2, -9, -13, -4, 0, -4, 6, -3, -10, -4, 12, -2, -7, -6, -11, -4,
  9, 6, -3, 6, 11, -13, 11, -5, 5, 11, 11, 12, 6, 7, -5, 12, -2, -1, 12, 0, 7, -4, -8, -3, -2, -7, 1, -6, 7,
  -13, -12, -8, -13, -7, -2, -6, -8, -8, 5, -6, -9, -5, -1, -4, 5, -13, 7, -8, 10, 1, 5, 5, -13, 1, 0, 10,
  -13, 9, 12, 10, -1, 5, -8, 10, -9, -1, 11, 1, -13, -9, -3, -6, 2, -1, -10, 1, 12, -13, 1, -8, -10, 8, -11,
  10, -6, 2, -13, 3, -6, 7, -13, 12, -9, -10, -10, -5, -7, -10, -8, -8, -13, 4, -6, 8, 5, 3, 12, 8, -13, -4,
  2, -3, -3, 5, -13, 10, -12, 4, -13, 5, -1, -9, 9, -4, 3, 0, 3, 3, -9, -12, 1, -6, 1, 3, 2, 4, -8, -10, -10,
  -10, 9, 8, -13, 12, 12, -8, -12, -6, -5, 2, 2, 3, 7, 10, 6, 11, -8, 6, 8, 8, -12, -7, 10, -6, 5, -3, -9, -3,
  9, -1, -13, -1, 5, -3, -7, -3, 4, -8, -2, -8, 3, 4, 2, 12, 12, 2, -5, 3, 11, 6, -9, 11, -13, 3, -1, 7, 12,
  11, -1, 12, 4, -3, 0, -3, 6, 4, -11, 4, 12, 2, -4, 2, 1, -10, -6, -8, 1, -13, 7, -11, 1, -13, 12, -11, -13,
  6, 0, 11, -13, 0, -1, 1, 4, -13, 3, -9, -2, -9, 8, -6, -3, -13, -6, -8, -2, 5, -9, 8, 10, 2, 7, 3, -9, -1,
  -6, -1, -1, 9, 5, 11, -2, 11, -3, 12, -8, 3, 0, 3, 5, -1, 4, 0, 10, 3, -6, 4, 5, -13, 0, -10, 5, 5, 8, 12,
  11, 8, 9, 9, -6, 7, -4, 8, -12, -10, 4, -10, 9, 7, 3, 12, 4, 9, -7, 10, -2, 7, 0, 12, -2, -1, -6, 0, -11,
]);

/** Most pyramid levels (OpenCV's default nlevels). */
const MAX_LEVELS: i32 = 8;
/** Keypoints closer than this to a level's edge are dropped (edgeThreshold; also the descriptor's room). */
const EDGE: i32 = 31;
const HALF_PATCH: i32 = 15;

// The circular patch of the orientation: half the width of row v (0..15) of a disc of radius 15, as
// OpenCV computes it (round(sqrt(15^2 - v^2)) up to v = 11, then the mirror image so that the disc is
// symmetric about its diagonal).
const UMAX: usize = memory.data<i32>([15, 15, 15, 15, 14, 14, 14, 13, 13, 12, 11, 10, 9, 8, 6, 3]);

// FAST's ring of 16 pixels at radius 3 (dx, dy), in OpenCV's order (the corner score depends on it).
const RING: usize = memory.data<i32>([
  0, 3, 1, 3, 2, 2, 3, 1, 3, 0, 3, -1, 2, -2, 1, -3, 0, -3, -1, -3, -2, -2, -3, -1, -3, 0, -3, 1, -2, 2, -1,
  3,
]);
/** The ring's offsets for the current level's row length, 25 of them (the first 9 repeated). */
const RING_OFS: usize = memory.data(25 * 4);

// Per level: width, height, pixels, scale (f32), and where its keypoints start in the output.
const L_W: usize = memory.data(MAX_LEVELS * 4);
const L_H: usize = memory.data(MAX_LEVELS * 4);
const L_PX: usize = memory.data(MAX_LEVELS * 4);
const L_SCALE: usize = memory.data(MAX_LEVELS * 4);

function lw(l: i32): i32 {
  return load<i32>(L_W + ((<usize>l) << 2));
}
function lh(l: i32): i32 {
  return load<i32>(L_H + ((<usize>l) << 2));
}
function lpx(l: i32): usize {
  return load<usize>(L_PX + ((<usize>l) << 2));
}

/**
 * Level l's scale, 1.2^l in floats as OpenCV rounds it: the factor is the float 1.2 (ORB_create takes a
 * float) raised in doubles, then rounded to a float.
 */
function scaleOf(l: i32): f32 {
  return <f32>Math.pow(<f64>(<f32>1.2), <f64>l);
}

/**
 * The pyramid of the w x h grey image at `img`: levels 0 (the image itself) to the last that can hold a
 * keypoint (more than 2 x EDGE px each way). Returns how many levels.
 */
export function pyramid(img: usize, w: i32, h: i32): i32 {
  let n: i32 = 0;
  for (let l: i32 = 0; l < MAX_LEVELS; l++) {
    const s = scaleOf(l);
    // The size times the float 1 / scale, rounded half to even (cvRound): OpenCV 4.12 multiplies by the
    // inverse (a 465 px image's level 1 is 388 px, 387 by the quotient).
    const inv = <f32>1 / s;
    const w2 = <i32>nearest<f32>(<f32>w * inv);
    const h2 = <i32>nearest<f32>(<f32>h * inv);
    if (w2 <= 2 * EDGE || h2 <= 2 * EDGE) break;
    let px: usize = img;
    if (l > 0) {
      px = alloc(w2 * h2);
      if (!px) break;
      if (!resizeLinear(lpx(l - 1), lw(l - 1), lh(l - 1), px, w2, h2)) break;
    }
    store<i32>(L_W + ((<usize>l) << 2), w2);
    store<i32>(L_H + ((<usize>l) << 2), h2);
    store<usize>(L_PX + ((<usize>l) << 2), px);
    store<f32>(L_SCALE + ((<usize>l) << 2), s);
    n++;
  }
  return n;
}

/**
 * For output position `i` of a resize from `src` to `dst` samples: the two source positions and their
 * weights in 1/256 (OpenCV's INTER_LINEAR_EXACT for 8-bit images: the source position in doubles,
 * (i + 0.5) src/dst - 0.5, its fraction rounded half to even to 8 bits; positions left of the first sample
 * or right of the last take that sample).
 */
function linearTaps(src: i32, dst: i32, o0: usize, o1: usize, c: usize): void {
  const scale: f64 = 1.0 / (<f64>dst / <f64>src);
  for (let i: i32 = 0; i < dst; i++) {
    const f: f64 = scale * (<f64>i + 0.5) - 0.5;
    const fi = <i32>floor(f);
    let a: i32 = 0;
    let b: i32 = 0;
    let w1: i32 = 0;
    if (fi >= 0 && src > 1) {
      if (fi < src - 1) {
        a = fi;
        b = fi + 1;
        w1 = <i32>nearest((f - <f64>fi) * 256.0);
      } else {
        a = src - 1;
        b = src - 1;
      }
    }
    store<i32>(o0 + ((<usize>i) << 2), a);
    store<i32>(o1 + ((<usize>i) << 2), b);
    store<i32>(c + ((<usize>i) << 2), w1);
  }
}

/**
 * Bilinear resize in OpenCV's bit-exact fixed point (INTER_LINEAR_EXACT): 8-bit weights along x and along
 * y, the 16 fractional bits of their product rounded half up. OpenCV interpolates each source row along x
 * and then blends two such rows; the sum is the same integer in either order, and blending the two source
 * rows first (16 pixels per vector, every product below 2^16) leaves one pass along x per output row
 * instead of one per source row read (the features of a 512 px copy 3.74 → 3.61 CPU ms, same bytes).
 * False when memory cannot grow.
 */
function resizeLinear(src: usize, sw: i32, sh: i32, dst: usize, dw: i32, dh: i32): bool {
  const mark = position();
  const xo0 = alloc(dw * 4);
  const xo1 = alloc(dw * 4);
  const xc = alloc(dw * 4);
  const yo0 = alloc(dh * 4);
  const yo1 = alloc(dh * 4);
  const yc = alloc(dh * 4);
  // The two source rows blended (u16 per pixel), with room for the last vector's spare lanes.
  const blend = alloc(sw * 2 + 32);
  if (!xo0 || !xo1 || !xc || !yo0 || !yo1 || !yc || !blend) return false;
  linearTaps(sw, dw, xo0, xo1, xc);
  linearTaps(sh, dh, yo0, yo1, yc);
  for (let y: i32 = 0; y < dh; y++) {
    const w1 = load<i32>(yc + ((<usize>y) << 2));
    const r0 = src + <usize>load<i32>(yo0 + ((<usize>y) << 2)) * <usize>sw;
    const r1 = src + <usize>load<i32>(yo1 + ((<usize>y) << 2)) * <usize>sw;
    const k0 = i16x8.splat(<i16>(256 - w1));
    const k1 = i16x8.splat(<i16>w1);
    // Reads up to 15 bytes past a row's end: the next row, or the arena's spare bytes after the last.
    for (let x: i32 = 0; x < sw; x += 16) {
      const a = v128.load(r0 + <usize>x);
      const b = v128.load(r1 + <usize>x);
      const o = blend + ((<usize>x) << 1);
      const lo = i16x8.add(
        i16x8.mul(i16x8.extend_low_i8x16_u(a), k0),
        i16x8.mul(i16x8.extend_low_i8x16_u(b), k1),
      );
      const hi = i16x8.add(
        i16x8.mul(i16x8.extend_high_i8x16_u(a), k0),
        i16x8.mul(i16x8.extend_high_i8x16_u(b), k1),
      );
      v128.store(o, lo);
      v128.store(o, hi, 16);
    }
    const out = dst + <usize>y * <usize>dw;
    for (let x: i32 = 0; x < dw; x++) {
      const i = (<usize>x) << 2;
      const c = load<u32>(xc + i);
      const v0 = <u32>load<u16>(blend + ((<usize>load<i32>(xo0 + i)) << 1));
      const v1 = <u32>load<u16>(blend + ((<usize>load<i32>(xo1 + i)) << 1));
      store<u8>(out + <usize>x, <u8>((v0 * (256 - c) + v1 * c + 32768) >>> 16));
    }
  }
  release(mark);
  return true;
}

// FAST's corner score (OpenCV's cornerScore<16>, which non-maximum suppression compares): with d[k] the
// centre less ring pixel k, it is max(threshold, D, B) - 1, where D is the largest over the 16 arcs of 9
// ring pixels of the arc's smallest d, and B the same of -d (its two loops compute exactly these maxima;
// what they skip cannot raise them). Differences saturated at 0 change D or B only where they are below 0,
// under the threshold (20), so `fast` takes them in u8 lanes. A pixel is a corner when D or B exceeds the
// threshold (an arc all darker than centre - threshold, or all brighter than centre + threshold): the
// score also decides that.

/**
 * The largest m such that 9 neighbouring ring pixels all differ from the centre by at least m, for the
 * 16 lanes at once: `e0`..`e15` are the ring's differences on one side (brighter or darker), saturated at
 * 0. The minimum over every arc of 9 is built from arcs of 2, 4 and 8 (then the 9th pixel), and the best
 * arc kept; the score compares max(brighter, darker) with the threshold (cornerScore's arithmetic).
 * A static method only so that it can carry AssemblyScript's @inline (TypeScript's syntax, and so
 * prettier, allows decorators on methods alone): inlined, the module is byte for byte the one that wrote
 * this out twice, once for the brighter side and once for the darker.
 */
class Arc {
  @inline static best(
    e0: v128,
    e1: v128,
    e2: v128,
    e3: v128,
    e4: v128,
    e5: v128,
    e6: v128,
    e7: v128,
    e8: v128,
    e9: v128,
    e10: v128,
    e11: v128,
    e12: v128,
    e13: v128,
    e14: v128,
    e15: v128,
  ): v128 {
    const a2_0 = i8x16.min_u(e0, e1);
    const a2_1 = i8x16.min_u(e1, e2);
    const a2_2 = i8x16.min_u(e2, e3);
    const a2_3 = i8x16.min_u(e3, e4);
    const a2_4 = i8x16.min_u(e4, e5);
    const a2_5 = i8x16.min_u(e5, e6);
    const a2_6 = i8x16.min_u(e6, e7);
    const a2_7 = i8x16.min_u(e7, e8);
    const a2_8 = i8x16.min_u(e8, e9);
    const a2_9 = i8x16.min_u(e9, e10);
    const a2_10 = i8x16.min_u(e10, e11);
    const a2_11 = i8x16.min_u(e11, e12);
    const a2_12 = i8x16.min_u(e12, e13);
    const a2_13 = i8x16.min_u(e13, e14);
    const a2_14 = i8x16.min_u(e14, e15);
    const a2_15 = i8x16.min_u(e15, e0);
    const a4_0 = i8x16.min_u(a2_0, a2_2);
    const a4_1 = i8x16.min_u(a2_1, a2_3);
    const a4_2 = i8x16.min_u(a2_2, a2_4);
    const a4_3 = i8x16.min_u(a2_3, a2_5);
    const a4_4 = i8x16.min_u(a2_4, a2_6);
    const a4_5 = i8x16.min_u(a2_5, a2_7);
    const a4_6 = i8x16.min_u(a2_6, a2_8);
    const a4_7 = i8x16.min_u(a2_7, a2_9);
    const a4_8 = i8x16.min_u(a2_8, a2_10);
    const a4_9 = i8x16.min_u(a2_9, a2_11);
    const a4_10 = i8x16.min_u(a2_10, a2_12);
    const a4_11 = i8x16.min_u(a2_11, a2_13);
    const a4_12 = i8x16.min_u(a2_12, a2_14);
    const a4_13 = i8x16.min_u(a2_13, a2_15);
    const a4_14 = i8x16.min_u(a2_14, a2_0);
    const a4_15 = i8x16.min_u(a2_15, a2_1);
    const a8_0 = i8x16.min_u(a4_0, a4_4);
    const a8_1 = i8x16.min_u(a4_1, a4_5);
    const a8_2 = i8x16.min_u(a4_2, a4_6);
    const a8_3 = i8x16.min_u(a4_3, a4_7);
    const a8_4 = i8x16.min_u(a4_4, a4_8);
    const a8_5 = i8x16.min_u(a4_5, a4_9);
    const a8_6 = i8x16.min_u(a4_6, a4_10);
    const a8_7 = i8x16.min_u(a4_7, a4_11);
    const a8_8 = i8x16.min_u(a4_8, a4_12);
    const a8_9 = i8x16.min_u(a4_9, a4_13);
    const a8_10 = i8x16.min_u(a4_10, a4_14);
    const a8_11 = i8x16.min_u(a4_11, a4_15);
    const a8_12 = i8x16.min_u(a4_12, a4_0);
    const a8_13 = i8x16.min_u(a4_13, a4_1);
    const a8_14 = i8x16.min_u(a4_14, a4_2);
    const a8_15 = i8x16.min_u(a4_15, a4_3);
    let best = i8x16.min_u(a8_0, e8);
    best = i8x16.max_u(best, i8x16.min_u(a8_1, e9));
    best = i8x16.max_u(best, i8x16.min_u(a8_2, e10));
    best = i8x16.max_u(best, i8x16.min_u(a8_3, e11));
    best = i8x16.max_u(best, i8x16.min_u(a8_4, e12));
    best = i8x16.max_u(best, i8x16.min_u(a8_5, e13));
    best = i8x16.max_u(best, i8x16.min_u(a8_6, e14));
    best = i8x16.max_u(best, i8x16.min_u(a8_7, e15));
    best = i8x16.max_u(best, i8x16.min_u(a8_8, e0));
    best = i8x16.max_u(best, i8x16.min_u(a8_9, e1));
    best = i8x16.max_u(best, i8x16.min_u(a8_10, e2));
    best = i8x16.max_u(best, i8x16.min_u(a8_11, e3));
    best = i8x16.max_u(best, i8x16.min_u(a8_12, e4));
    best = i8x16.max_u(best, i8x16.min_u(a8_13, e5));
    best = i8x16.max_u(best, i8x16.min_u(a8_14, e6));
    best = i8x16.max_u(best, i8x16.min_u(a8_15, e7));
    return best;
  }
}

/**
 * FAST corners of level (px, w, h) with their scores in `scores` (w x h bytes, zero elsewhere), over
 * rows and columns [EDGE - 1, size - EDGE]: the keypoints kept (>= EDGE from the edges) and the
 * neighbours their non-maximum suppression compares them with. Their positions (y * w + x) go to
 * `corners`; returns how many.
 */
function fast(px: usize, w: i32, h: i32, threshold: i32, scores: usize, corners: usize): i32 {
  for (let k: i32 = 0; k < 25; k++) {
    const r = RING + ((<usize>(k & 15)) << 3);
    store<i32>(RING_OFS + ((<usize>k) << 2), load<i32>(r) + load<i32>(r, 4) * w);
  }
  const x0 = EDGE - 1;
  const x1 = w - EDGE; // inclusive
  const y0 = EDGE - 1;
  const y1 = h - EDGE;
  const t = i8x16.splat(<i8>threshold);
  const lane = i8x16(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  const one = i8x16.splat(1);
  const o0 = <usize>load<i32>(RING_OFS, 0);
  const o1 = <usize>load<i32>(RING_OFS, 4);
  const o2 = <usize>load<i32>(RING_OFS, 8);
  const o3 = <usize>load<i32>(RING_OFS, 12);
  const o4 = <usize>load<i32>(RING_OFS, 16);
  const o5 = <usize>load<i32>(RING_OFS, 20);
  const o6 = <usize>load<i32>(RING_OFS, 24);
  const o7 = <usize>load<i32>(RING_OFS, 28);
  const o8 = <usize>load<i32>(RING_OFS, 32);
  const o9 = <usize>load<i32>(RING_OFS, 36);
  const o10 = <usize>load<i32>(RING_OFS, 40);
  const o11 = <usize>load<i32>(RING_OFS, 44);
  const o12 = <usize>load<i32>(RING_OFS, 48);
  const o13 = <usize>load<i32>(RING_OFS, 52);
  const o14 = <usize>load<i32>(RING_OFS, 56);
  const o15 = <usize>load<i32>(RING_OFS, 60);
  let n: i32 = 0;
  for (let y = y0; y <= y1; y++) {
    const row = px + <usize>y * <usize>w;
    for (let x = x0; x <= x1; x += 16) {
      const p = row + <usize>x;
      const c = v128.load(p);
      const hi = i8x16.add_sat_u(c, t);
      const lo = i8x16.sub_sat_u(c, t);
      // A 9-pixel arc holds two neighbouring pixels of 0, 4, 8, 12: most pixels stop here.
      const p0 = v128.load(p + o0);
      const p4 = v128.load(p + o4);
      const p8 = v128.load(p + o8);
      const p12 = v128.load(p + o12);
      const hi0 = i8x16.gt_u(p0, hi);
      const hi4 = i8x16.gt_u(p4, hi);
      const hi8 = i8x16.gt_u(p8, hi);
      const hi12 = i8x16.gt_u(p12, hi);
      const lo0 = i8x16.lt_u(p0, lo);
      const lo4 = i8x16.lt_u(p4, lo);
      const lo8 = i8x16.lt_u(p8, lo);
      const lo12 = i8x16.lt_u(p12, lo);
      const maybe = v128.or(
        v128.or(
          v128.or(v128.and(hi0, hi4), v128.and(hi4, hi8)),
          v128.or(v128.and(hi8, hi12), v128.and(hi12, hi0)),
        ),
        v128.or(
          v128.or(v128.and(lo0, lo4), v128.and(lo4, lo8)),
          v128.or(v128.and(lo8, lo12), v128.and(lo12, lo0)),
        ),
      );
      if (!v128.any_true(maybe)) continue;
      // Every lane's score at once (cornerScore's arithmetic, shown equal in its comment), from the
      // ring's brighter and darker differences saturated at 0.
      const q0 = v128.load(p + o0);
      const q1 = v128.load(p + o1);
      const q2 = v128.load(p + o2);
      const q3 = v128.load(p + o3);
      const q4 = v128.load(p + o4);
      const q5 = v128.load(p + o5);
      const q6 = v128.load(p + o6);
      const q7 = v128.load(p + o7);
      const q8 = v128.load(p + o8);
      const q9 = v128.load(p + o9);
      const q10 = v128.load(p + o10);
      const q11 = v128.load(p + o11);
      const q12 = v128.load(p + o12);
      const q13 = v128.load(p + o13);
      const q14 = v128.load(p + o14);
      const q15 = v128.load(p + o15);
      const bBest = Arc.best(
        i8x16.sub_sat_u(q0, c),
        i8x16.sub_sat_u(q1, c),
        i8x16.sub_sat_u(q2, c),
        i8x16.sub_sat_u(q3, c),
        i8x16.sub_sat_u(q4, c),
        i8x16.sub_sat_u(q5, c),
        i8x16.sub_sat_u(q6, c),
        i8x16.sub_sat_u(q7, c),
        i8x16.sub_sat_u(q8, c),
        i8x16.sub_sat_u(q9, c),
        i8x16.sub_sat_u(q10, c),
        i8x16.sub_sat_u(q11, c),
        i8x16.sub_sat_u(q12, c),
        i8x16.sub_sat_u(q13, c),
        i8x16.sub_sat_u(q14, c),
        i8x16.sub_sat_u(q15, c),
      );
      const dBest = Arc.best(
        i8x16.sub_sat_u(c, q0),
        i8x16.sub_sat_u(c, q1),
        i8x16.sub_sat_u(c, q2),
        i8x16.sub_sat_u(c, q3),
        i8x16.sub_sat_u(c, q4),
        i8x16.sub_sat_u(c, q5),
        i8x16.sub_sat_u(c, q6),
        i8x16.sub_sat_u(c, q7),
        i8x16.sub_sat_u(c, q8),
        i8x16.sub_sat_u(c, q9),
        i8x16.sub_sat_u(c, q10),
        i8x16.sub_sat_u(c, q11),
        i8x16.sub_sat_u(c, q12),
        i8x16.sub_sat_u(c, q13),
        i8x16.sub_sat_u(c, q14),
        i8x16.sub_sat_u(c, q15),
      );
      const best = i8x16.max_u(bBest, dBest);
      let corner = i8x16.gt_u(best, t);
      // Lanes past the last column.
      if (x + 15 > x1) corner = v128.and(corner, i8x16.lt_u(lane, i8x16.splat(<i8>(x1 - x + 1))));
      v128.store(scores + (p - px), v128.and(i8x16.sub(best, one), corner));
      let bits = i8x16.bitmask(corner);
      while (bits) {
        const j = ctz(bits);
        bits &= bits - 1;
        store<i32>(corners + ((<usize>n) << 2), <i32>(p + <usize>j - px));
        n++;
      }
    }
  }
  return n;
}

// The keypoints found by `detect`, 32 bytes each: x, y (f32, in the image's pixels: the level's position
// times its scale), angle (f32, degrees), Harris response (f32), level, x and y in the level (i32), FAST
// score (i32).
const RECORD: i32 = 32;
let records: usize = 0;

/** Where `detect` wrote its keypoints. */
export function keypoints(): usize {
  return records;
}

/**
 * Keypoints of the pyramid built by `pyramid` (`levels` levels), at most about `nfeatures` (more when
 * responses tie at a level's cut, as OpenCV keeps them). Returns how many; they are at `keypoints()`,
 * level by level.
 */
export function detect(levels: i32, nfeatures: i32, threshold: i32): i32 {
  // Each level's share, in proportion to its area (a geometric series in 1 / 1.2^2... as OpenCV computes
  // it: in floats, over its 8 levels whether or not the image is large enough for them).
  const factor = <f32>(1.0 / <f64>(<f32>1.2));
  let desired: f32 =
    (<f32>nfeatures * (<f32>1 - factor)) / (<f32>1 - <f32>Math.pow(<f64>factor, <f64>MAX_LEVELS));
  const share = memory.data(MAX_LEVELS * 4);
  let sum: i32 = 0;
  for (let l: i32 = 0; l < MAX_LEVELS - 1; l++) {
    const k = <i32>nearest<f32>(desired);
    store<i32>(share + ((<usize>l) << 2), k);
    sum += k;
    desired *= factor;
  }
  store<i32>(share + ((<usize>(MAX_LEVELS - 1)) << 2), max(nfeatures - sum, 0));

  // Room for every level's candidates, then the records.
  let most: i32 = 0;
  for (let l: i32 = 0; l < levels; l++) most = max(most, lw(l) * lh(l));
  const scores = alloc(most);
  const corners = alloc(most * 4);
  const cand = alloc(most * 4);
  const resp = alloc(most * 4);
  const sorted = alloc(most * 4);
  // Room for twice the keypoints asked for: more only when a level's Harris cut ties many.
  const capacity = nfeatures * 2 + 64;
  records = alloc(capacity * RECORD);
  if (!scores || !corners || !cand || !resp || !sorted || !records) return 0;
  let count: i32 = 0;
  const histogram = memory.data(256 * 4);

  for (let l: i32 = 0; l < levels; l++) {
    const w = lw(l);
    const h = lh(l);
    const px = lpx(l);
    const want = load<i32>(share + ((<usize>l) << 2));
    if (want <= 0) continue;
    memory.fill(scores, 0, <usize>(w * h));
    const nc = fast(px, w, h, threshold, scores, corners);
    // Non-maximum suppression (a score above its 8 neighbours'), then the edge.
    let n: i32 = 0;
    memory.fill(histogram, 0, 256 * 4);
    for (let i: i32 = 0; i < nc; i++) {
      const at = load<i32>(corners + ((<usize>i) << 2));
      const y = at / w;
      const x = at - y * w;
      if (x < EDGE || x >= w - EDGE || y < EDGE || y >= h - EDGE) continue;
      const q = scores + <usize>at;
      const s = load<u8>(q);
      if (
        s > load<u8>(q - 1) &&
        s > load<u8>(q + 1) &&
        s > load<u8>(q - <usize>w - 1) &&
        s > load<u8>(q - <usize>w) &&
        s > load<u8>(q - <usize>w + 1) &&
        s > load<u8>(q + <usize>w - 1) &&
        s > load<u8>(q + <usize>w) &&
        s > load<u8>(q + <usize>w + 1)
      ) {
        store<i32>(cand + ((<usize>n) << 2), at);
        const hb = histogram + ((<usize>s) << 2);
        store<i32>(hb, load<i32>(hb) + 1);
        n++;
      }
    }
    // The best 2 x want by FAST score, all those tied with the last kept.
    let cut: i32 = 0;
    if (n > 2 * want) {
      let seen: i32 = 0;
      for (cut = 255; cut > 0; cut--) {
        seen += load<i32>(histogram + ((<usize>cut) << 2));
        if (seen >= 2 * want) break;
      }
    }
    let m: i32 = 0;
    for (let i: i32 = 0; i < n; i++) {
      const at = load<i32>(cand + ((<usize>i) << 2));
      if (<i32>load<u8>(scores + <usize>at) < cut) continue;
      store<i32>(cand + ((<usize>m) << 2), at);
      const r = harris(px + <usize>at, w);
      store<f32>(resp + ((<usize>m) << 2), r);
      store<f32>(sorted + ((<usize>m) << 2), r);
      m++;
    }
    // The best `want` by Harris response, ties kept.
    let rcut: f32 = <f32>-Infinity;
    if (m > want) {
      sortDescending(sorted, m);
      rcut = load<f32>(sorted + ((<usize>(want - 1)) << 2));
    }
    const s = load<f32>(L_SCALE + ((<usize>l) << 2));
    for (let i: i32 = 0; i < m; i++) {
      const r = load<f32>(resp + ((<usize>i) << 2));
      if (r < rcut) continue;
      if (count == capacity) return count;
      const at = load<i32>(cand + ((<usize>i) << 2));
      const y = at / w;
      const x = at - y * w;
      const rec = records + <usize>count * <usize>RECORD;
      store<f32>(rec, <f32>x * s);
      store<f32>(rec, <f32>y * s, 4);
      store<f32>(rec, angle(px + <usize>at, w), 8);
      store<f32>(rec, r, 12);
      store<i32>(rec, l, 16);
      store<i32>(rec, x, 20);
      store<i32>(rec, y, 24);
      store<i32>(rec, <i32>load<u8>(scores + <usize>at), 28);
      count++;
    }
  }
  return count;
}

/** Insertion sort, largest first (a level's candidates: a few hundred). */
function sortDescending(a: usize, n: i32): void {
  for (let i: i32 = 1; i < n; i++) {
    const v = load<f32>(a + ((<usize>i) << 2));
    let j = i - 1;
    while (j >= 0 && load<f32>(a + ((<usize>j) << 2)) < v) {
      store<f32>(a + ((<usize>(j + 1)) << 2), load<f32>(a + ((<usize>j) << 2)));
      j--;
    }
    store<f32>(a + ((<usize>(j + 1)) << 2), v);
  }
}

const HARRIS_K: f32 = 0.04;
// 1 / (4 x 7 x 255), to the fourth power, in floats as OpenCV computes it.
const HARRIS_SCALE: f32 = <f32>1 / (<f32>28 * <f32>255);
const HARRIS_SCALE4: f32 = HARRIS_SCALE * HARRIS_SCALE * HARRIS_SCALE * HARRIS_SCALE;

/** The Harris response at `p` from 3 x 3 Sobel gradients over the 7 x 7 block around it. */
function harris(p: usize, w: i32): f32 {
  const step = <usize>w;
  let a: i32 = 0;
  let b: i32 = 0;
  let c: i32 = 0;
  for (let i: i32 = -3; i <= 3; i++) {
    let q = p + <usize>(i * w) - 3;
    for (let j: i32 = 0; j < 7; j++, q++) {
      const ix =
        (<i32>load<u8>(q + 1) - <i32>load<u8>(q - 1)) * 2 +
        (<i32>load<u8>(q - step + 1) - <i32>load<u8>(q - step - 1)) +
        (<i32>load<u8>(q + step + 1) - <i32>load<u8>(q + step - 1));
      const iy =
        (<i32>load<u8>(q + step) - <i32>load<u8>(q - step)) * 2 +
        (<i32>load<u8>(q + step - 1) - <i32>load<u8>(q - step - 1)) +
        (<i32>load<u8>(q + step + 1) - <i32>load<u8>(q - step + 1));
      a += ix * ix;
      b += iy * iy;
      c += ix * iy;
    }
  }
  const fa = <f32>a;
  const fb = <f32>b;
  const fc = <f32>c;
  return (fa * fb - fc * fc - HARRIS_K * (fa + fb) * (fa + fb)) * HARRIS_SCALE4;
}

// OpenCV's fastAtan2 as its WebAssembly build (OpenCV.js, which made the stored descriptors) compiles it:
// atan2 in floats (musl's atan2f, which AssemblyScript's Mathf.atan2 is ported from) in degrees, in
// [0, 360); native builds use a polynomial instead, 0.002-0.007 degrees off (measured on the fixtures).
function fastAtan2(y: f32, x: f32): f32 {
  let a = <f32>(<f64>(Mathf.atan2(y, x) * <f32>180) / Math.PI);
  if (a < 0) a += <f32>360;
  if (a >= 360) a -= <f32>360;
  return a;
}

/** The direction (degrees) from `p` to the intensity centroid of the disc of radius 15 around it. */
function angle(p: usize, w: i32): f32 {
  let m01: i32 = 0;
  let m10: i32 = 0;
  for (let u: i32 = -HALF_PATCH; u <= HALF_PATCH; u++) m10 += u * <i32>load<u8>(p + <usize>u);
  for (let v: i32 = 1; v <= HALF_PATCH; v++) {
    let vsum: i32 = 0;
    const dd = load<i32>(UMAX + ((<usize>v) << 2));
    const below = p + <usize>(v * w);
    const above = p - <usize>(v * w);
    for (let u: i32 = -dd; u <= dd; u++) {
      const plus = <i32>load<u8>(below + <usize>u);
      const minus = <i32>load<u8>(above + <usize>u);
      vsum += plus - minus;
      m10 += u * (plus + minus);
    }
    m01 += v * vsum;
  }
  return fastAtan2(<f32>m01, <f32>m10);
}

// The 7-tap Gaussian of sigma 2 as OpenCV's getGaussianKernel makes it (exp(-x^2 / 8) for x = -3..3 in
// doubles, divided by their sum, then rounded to floats): the centre and the taps 1, 2, 3 away.
let K0: f32 = 0;
let K1: f32 = 0;
let K2: f32 = 0;
let K3: f32 = 0;

function gaussian(): void {
  const t3 = Math.exp(-1.125);
  const t2 = Math.exp(-0.5);
  const t1 = Math.exp(-0.125);
  let sum: f64 = 0;
  sum += t3;
  sum += t2;
  sum += t1;
  sum *= 2;
  sum += 1;
  const mul = 1.0 / sum;
  K0 = <f32>mul;
  K1 = <f32>(t1 * mul);
  K2 = <f32>(t2 * mul);
  K3 = <f32>(t3 * mul);
}

/** The farthest a descriptor's test point lies from its keypoint, in either direction, once rotated. */
const REACH: i32 = 18;

/**
 * The levels of the `n` keypoint records at `recs` blurred in place, as OpenCV's GaussianBlur(7 x 7,
 * sigma 2) on a level: a row pass into floats (taps summed left to right), a column pass (centre, then
 * the pairs 1, 2, 3 rows away), rounded half to even. Only the box the descriptors read (REACH around the
 * level's keypoints, 31 px or more from its edges, so the blur never needs a border) is written. False
 * when memory cannot grow.
 */
export function blur(recs: usize, n: i32): bool {
  gaussian();
  const k0 = f32x4.splat(K3);
  const k1 = f32x4.splat(K2);
  const k2 = f32x4.splat(K1);
  const k3 = f32x4.splat(K0);
  const c1 = f32x4.splat(K1);
  const c2 = f32x4.splat(K2);
  const c3 = f32x4.splat(K3);
  for (let l: i32 = 0; l < MAX_LEVELS; l++) {
    let bx0: i32 = 0x7fffffff;
    let by0: i32 = 0x7fffffff;
    let bx1: i32 = -1;
    let by1: i32 = -1;
    for (let k: i32 = 0; k < n; k++) {
      const rec = recs + <usize>k * <usize>RECORD;
      if (load<i32>(rec, 16) != l) continue;
      const x = load<i32>(rec, 20);
      const y = load<i32>(rec, 24);
      bx0 = min(bx0, x);
      bx1 = max(bx1, x);
      by0 = min(by0, y);
      by1 = max(by1, y);
    }
    if (bx1 < 0) continue;
    const w = lw(l);
    const px = lpx(l);
    // Output box [x0, x1) x [y0, y1); the row pass also covers the 3 rows above and below it.
    const x0 = bx0 - REACH;
    const x1 = bx1 + REACH + 1;
    const y0 = by0 - REACH;
    const y1 = by1 + REACH + 1;
    const bw = x1 - x0;
    const mark = position();
    // The rows' floats (the box's columns and 3 more each side, 4 spare for vector reads), the row pass.
    const rowf = alloc((bw + 10) * 4);
    const tmp = alloc(bw * (y1 - y0 + 6) * 4);
    if (!rowf || !tmp) return false;
    const fw = bw + 6;
    for (let y = y0 - 3; y < y1 + 3; y++) {
      const row = px + <usize>y * <usize>w + <usize>(x0 - 3);
      let i: i32 = 0;
      for (; i + 16 <= fw; i += 16) {
        const v = v128.load(row + <usize>i);
        const lo = i16x8.extend_low_i8x16_u(v);
        const hi = i16x8.extend_high_i8x16_u(v);
        const f = rowf + ((<usize>i) << 2);
        v128.store(f, f32x4.convert_i32x4_u(i32x4.extend_low_i16x8_u(lo)));
        v128.store(f, f32x4.convert_i32x4_u(i32x4.extend_high_i16x8_u(lo)), 16);
        v128.store(f, f32x4.convert_i32x4_u(i32x4.extend_low_i16x8_u(hi)), 32);
        v128.store(f, f32x4.convert_i32x4_u(i32x4.extend_high_i16x8_u(hi)), 48);
      }
      for (; i < fw; i++) store<f32>(rowf + ((<usize>i) << 2), <f32>load<u8>(row + <usize>i));
      const out = tmp + ((<usize>(y - y0 + 3) * <usize>bw) << 2);
      let x: i32 = 0;
      for (; x + 4 <= bw; x += 4) {
        const q = rowf + ((<usize>x) << 2);
        let s = f32x4.mul(k0, v128.load(q));
        s = f32x4.add(s, f32x4.mul(k1, v128.load(q, 4)));
        s = f32x4.add(s, f32x4.mul(k2, v128.load(q, 8)));
        s = f32x4.add(s, f32x4.mul(k3, v128.load(q, 12)));
        s = f32x4.add(s, f32x4.mul(k2, v128.load(q, 16)));
        s = f32x4.add(s, f32x4.mul(k1, v128.load(q, 20)));
        s = f32x4.add(s, f32x4.mul(k0, v128.load(q, 24)));
        v128.store(out + ((<usize>x) << 2), s);
      }
      for (; x < bw; x++) {
        const q = rowf + ((<usize>x) << 2);
        let s: f32 = K3 * load<f32>(q);
        s += K2 * load<f32>(q, 4);
        s += K1 * load<f32>(q, 8);
        s += K0 * load<f32>(q, 12);
        s += K1 * load<f32>(q, 16);
        s += K2 * load<f32>(q, 20);
        s += K3 * load<f32>(q, 24);
        store<f32>(out + ((<usize>x) << 2), s);
      }
    }
    const stride = (<usize>bw) << 2;
    for (let y = y0; y < y1; y++) {
      const mid = tmp + ((<usize>(y - y0 + 3) * <usize>bw) << 2);
      const out = px + <usize>y * <usize>w + <usize>x0;
      let x: i32 = 0;
      for (; x + 4 <= bw; x += 4) {
        const q = mid + ((<usize>x) << 2);
        let s = f32x4.mul(k3, v128.load(q));
        s = f32x4.add(s, f32x4.mul(c1, f32x4.add(v128.load(q + stride), v128.load(q - stride))));
        s = f32x4.add(s, f32x4.mul(c2, f32x4.add(v128.load(q + 2 * stride), v128.load(q - 2 * stride))));
        s = f32x4.add(s, f32x4.mul(c3, f32x4.add(v128.load(q + 3 * stride), v128.load(q - 3 * stride))));
        const i = i32x4.trunc_sat_f32x4_s(f32x4.nearest(s));
        const b = i8x16.narrow_i16x8_u(i16x8.narrow_i32x4_s(i, i), i16x8.splat(0));
        store<u32>(out + <usize>x, i32x4.extract_lane(b, 0));
      }
      for (; x < bw; x++) {
        const q = mid + ((<usize>x) << 2);
        let s: f32 = K0 * load<f32>(q);
        s += K1 * (load<f32>(q + stride) + load<f32>(q - stride));
        s += K2 * (load<f32>(q + 2 * stride) + load<f32>(q - 2 * stride));
        s += K3 * (load<f32>(q + 3 * stride) + load<f32>(q - 3 * stride));
        store<u8>(out + <usize>x, <u8>min(255, max(0, <i32>nearest<f32>(s))));
      }
    }
    release(mark);
  }
  return true;
}

/**
 * The 32-byte descriptors of `n` keypoints (records as `detect` writes them: level, x and y in it at
 * bytes 16-27, angle at 8) into `out`, from the blurred pyramid: bit j of byte i is 1 when the pixel at
 * pair 8i + j's first point, rotated by the angle and rounded to the nearest pixel, is darker than the one
 * at its second.
 */
export function describe(recs: usize, n: i32, out: usize): void {
  if (!patternReady) patternFloats();
  // The angle in radians and its cosine and sine, in floats as OpenCV rounds them.
  const rad = <f32>(Math.PI / 180.0);
  for (let k: i32 = 0; k < n; k++) {
    const rec = recs + <usize>k * <usize>RECORD;
    const l = load<i32>(rec, 16);
    const w = lw(l);
    const center = lpx(l) + <usize>(load<i32>(rec, 24) * w + load<i32>(rec, 20));
    const ang = load<f32>(rec, 8) * rad;
    const a = f32x4.splat(<f32>Math.cos(<f64>ang));
    const b = f32x4.splat(<f32>Math.sin(<f64>ang));
    const step = i32x4.splat(w);
    const desc = out + <usize>k * 32;
    for (let i: i32 = 0; i < 32; i++) {
      let byte: i32 = 0;
      // Four points at a time: pairs 8i + 2q and 8i + 2q + 1, each a (first, second) point.
      for (let q: i32 = 0; q < 4; q++) {
        const j = <usize>((i * 16 + q * 4) << 2);
        const px = v128.load(PAT_X + j);
        const py = v128.load(PAT_Y + j);
        // x a - y b and x b + y a, each product rounded to a float, then rounded half to even.
        const ix = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.sub(f32x4.mul(px, a), f32x4.mul(py, b))));
        const iy = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.add(f32x4.mul(px, b), f32x4.mul(py, a))));
        const at = i32x4.add(i32x4.mul(iy, step), ix);
        const t0 = load<u8>(center + <usize>i32x4.extract_lane(at, 0));
        const t1 = load<u8>(center + <usize>i32x4.extract_lane(at, 1));
        const t2 = load<u8>(center + <usize>i32x4.extract_lane(at, 2));
        const t3 = load<u8>(center + <usize>i32x4.extract_lane(at, 3));
        byte |= ((<i32>(t0 < t1)) << (2 * q)) | ((<i32>(t2 < t3)) << (2 * q + 1));
      }
      store<u8>(desc + <usize>i, <u8>byte);
    }
  }
}

// The pattern's points as floats, x and y apart (512 each), for `describe`'s vectors.
const PAT_X: usize = memory.data(512 * 4, 16);
const PAT_Y: usize = memory.data(512 * 4, 16);
let patternReady = false;

function patternFloats(): void {
  for (let j: i32 = 0; j < 512; j++) {
    store<f32>(PAT_X + ((<usize>j) << 2), <f32>load<i8>(PATTERN + <usize>(2 * j)));
    store<f32>(PAT_Y + ((<usize>j) << 2), <f32>load<i8>(PATTERN + <usize>(2 * j + 1)));
  }
  patternReady = true;
}
