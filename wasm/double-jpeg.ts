// The fine-detail energies of src/pipeline/analyze/jpeg/double-energy.ts in WebAssembly (AssemblyScript,
// built by scripts/build-wasm.ts into src/pipeline/analyze/jpeg/dct-energy-wasm.generated.ts). That file
// holds the description and its JavaScript stays the reference; this computes the same E(dx, dy) per tile
// with three changes that make it ~20x cheaper:
// - 32-bit floats, four blocks side by side (horizontally adjacent, one per SIMD lane), where the
//   reference computes one block at a time in 64-bit floats. The pixels are centred on 0 first (the terms
//   read have v >= 1 or u >= 1, which a constant does not change), so the rounding error on a term is
//   ~1e-4 of a grey level, against terms clipped at 8;
// - the 8-point transforms use the DCT basis' symmetry: each output is 4 products of the sums (even
//   frequencies) or differences (odd ones) of mirrored inputs, instead of 8 products;
// - the pixels are first laid out by column class (x mod 8) so that the same column of four adjacent blocks
//   is one vector load on any horizontal offset.
// double-energy.test.ts compares the two paths on generated files (same decisions, E within 1e-4).
//
// Memory: an arena. The caller resets it, takes room with `alloc`, writes the plane, then calls `prepare`
// once and `offset` for each horizontal offset, and reads the sums and counts back.
//
// The same terms also give the lattice score of double-energy.ts (sum over them of rho triangle(c / a), a
// and rho from the caller's table), summed per tile beside the energies.

/** Tiles per side (double-energy.ts' TILES). */
const TILES: i32 = 4;
/** double-energy.ts' MIN_ORDER and CLIP. */
const MIN_ORDER: i32 = 6;
const CLIP: f32 = 8;

import { heapStart, keepBelow } from './arena';
export { alloc, reset } from './arena';

// BASIS[u][k] for k < 4 (the other half follows by symmetry), each splatted to a vector: 8 x 4 x 16 bytes.
const BASIS: usize = heapStart();
keepBelow(BASIS + 8 * 4 * 16);

// The orthonormal 8-point DCT basis, as double-energy.ts computes it (rounded to f32 here).
for (let u = 0; u < 8; u++) {
  for (let k = 0; k < 4; k++) {
    const c =
      (u == 0 ? Math.SQRT1_2 : 1.0) * 0.5 * Math.cos(((2.0 * <f64>k + 1.0) * <f64>u * Math.PI) / 16.0);
    v128.store(BASIS + <usize>((u * 4 + k) * 16), f32x4.splat(<f32>c));
  }
}

/** Lanes per row of a class plane: the blocks across rounded up to 4, and 4 more (reads at j + 1). */
export function stride(w: i32): i32 {
  return ((w / 8 + 3) & ~3) + 4;
}

/**
 * `cls` (f32, h x 8 x stride(w)): cls[(y * 8 + c) * S + j] = plane[y * w + 8 j + c] - 128 for the
 * 8-bit plane `plane` (w x h, w a multiple of 8), 0 past its right edge.
 */
export function prepare(plane: usize, w: i32, h: i32, cls: usize): void {
  const S = stride(w);
  const segs = w / 8;
  memory.fill(cls, 0, <usize>(h * 8 * S * 4));
  for (let y = 0; y < h; y++) {
    const row = plane + <usize>(y * w);
    for (let c = 0; c < 8; c++) {
      const out = cls + <usize>((y * 8 + c) * S * 4);
      for (let j = 0; j < segs; j++) {
        store<f32>(out + <usize>(j * 4), <f32>load<u8>(row + <usize>(j * 8 + c)) - 128.0);
      }
    }
  }
}

/**
 * The row transforms of horizontal offset dx: rows[(y * 8 + u) * S + j] = sum_k B[u][k] p[y][dx + 8 j + k]
 * (pixels centred), from the class plane `cls`.
 */
function rowTransforms(cls: usize, w: i32, h: i32, dx: i32, rows: usize): void {
  const S = stride(w);
  const groups = S - 4; // lanes computed per row (a multiple of 4)
  const rowBytes = <usize>(S * 4);
  // Where input k of the block at lane j is: class (dx + k) & 7, lane j + ((dx + k) >> 3).
  for (let y = 0; y < h; y++) {
    const inBase = cls + <usize>(y * 8) * rowBytes;
    const outBase = rows + <usize>(y * 8) * rowBytes;
    for (let j = 0; j < groups; j += 4) {
      const lane = <usize>(j * 4);
      const x0 = v128.load(inBase + <usize>((dx & 7) * S * 4 + (dx >> 3) * 4) + lane);
      const x1 = v128.load(inBase + <usize>(((dx + 1) & 7) * S * 4 + ((dx + 1) >> 3) * 4) + lane);
      const x2 = v128.load(inBase + <usize>(((dx + 2) & 7) * S * 4 + ((dx + 2) >> 3) * 4) + lane);
      const x3 = v128.load(inBase + <usize>(((dx + 3) & 7) * S * 4 + ((dx + 3) >> 3) * 4) + lane);
      const x4 = v128.load(inBase + <usize>(((dx + 4) & 7) * S * 4 + ((dx + 4) >> 3) * 4) + lane);
      const x5 = v128.load(inBase + <usize>(((dx + 5) & 7) * S * 4 + ((dx + 5) >> 3) * 4) + lane);
      const x6 = v128.load(inBase + <usize>(((dx + 6) & 7) * S * 4 + ((dx + 6) >> 3) * 4) + lane);
      const x7 = v128.load(inBase + <usize>(((dx + 7) & 7) * S * 4 + ((dx + 7) >> 3) * 4) + lane);
      const s0 = f32x4.add(x0, x7);
      const s1 = f32x4.add(x1, x6);
      const s2 = f32x4.add(x2, x5);
      const s3 = f32x4.add(x3, x4);
      const t0 = f32x4.sub(x0, x7);
      const t1 = f32x4.sub(x1, x6);
      const t2 = f32x4.sub(x2, x5);
      const t3 = f32x4.sub(x3, x4);
      for (let u = 0; u < 8; u++) {
        const b = BASIS + <usize>(u * 64);
        const odd = (u & 1) != 0;
        const a0 = odd ? t0 : s0;
        const a1 = odd ? t1 : s1;
        const a2 = odd ? t2 : s2;
        const a3 = odd ? t3 : s3;
        let r = f32x4.mul(v128.load(b), a0);
        r = f32x4.add(r, f32x4.mul(v128.load(b + 16), a1));
        r = f32x4.add(r, f32x4.mul(v128.load(b + 32), a2));
        r = f32x4.add(r, f32x4.mul(v128.load(b + 48), a3));
        v128.store(outBase + <usize>u * rowBytes + lane, r);
      }
    }
  }
}

/**
 * The lattice kernel for four values x = c / a: 1 - 4 |x - nearest(x)|, a triangle wave of period 1 (1 on
 * the multiples of a, -1 halfway between), which is (8 / pi^2) (cos 2 pi x + cos 6 pi x / 9 + ...): the
 * cosine's first harmonic at a fifth of its cost here.
 */
function triangle(x: v128): v128 {
  const f = f32x4.abs(f32x4.sub(x, f32x4.nearest(x)));
  return f32x4.sub(f32x4.splat(1), f32x4.mul(f32x4.splat(4), f));
}

/**
 * The clipped fine-detail energy of the four blocks whose rows transformed start at `at` (row y0, term
 * u = 0, lane j): sum over u + v >= MIN_ORDER of min(|c(u, v)|, CLIP), one block per lane, stored at
 * `outE`; and their lattice score, sum over the same terms of rho(u, v) triangle(c(u, v) / a(u, v)), at
 * `outL`. `table`: f32 pairs (1 / a, rho) per term in natural order (v * 8 + u).
 */
function blockFeatures(at: usize, rowBytes: usize, table: usize, outE: usize, outL: usize): void {
  const clip = f32x4.splat(CLIP);
  let e = f32x4.splat(0);
  let l = f32x4.splat(0);
  const yStep = rowBytes * 8;
  for (let u = 0; u < 8; u++) {
    const p = at + <usize>u * rowBytes;
    const y0 = v128.load(p);
    const y1 = v128.load(p + yStep);
    const y2 = v128.load(p + 2 * yStep);
    const y3 = v128.load(p + 3 * yStep);
    const y4 = v128.load(p + 4 * yStep);
    const y5 = v128.load(p + 5 * yStep);
    const y6 = v128.load(p + 6 * yStep);
    const y7 = v128.load(p + 7 * yStep);
    const s0 = f32x4.add(y0, y7);
    const s1 = f32x4.add(y1, y6);
    const s2 = f32x4.add(y2, y5);
    const s3 = f32x4.add(y3, y4);
    const t0 = f32x4.sub(y0, y7);
    const t1 = f32x4.sub(y1, y6);
    const t2 = f32x4.sub(y2, y5);
    const t3 = f32x4.sub(y3, y4);
    const first = MIN_ORDER - u > 0 ? MIN_ORDER - u : 0;
    for (let v = first; v < 8; v++) {
      const b = BASIS + <usize>(v * 64);
      const odd = (v & 1) != 0;
      let c = f32x4.mul(v128.load(b), odd ? t0 : s0);
      c = f32x4.add(c, f32x4.mul(v128.load(b + 16), odd ? t1 : s1));
      c = f32x4.add(c, f32x4.mul(v128.load(b + 32), odd ? t2 : s2));
      c = f32x4.add(c, f32x4.mul(v128.load(b + 48), odd ? t3 : s3));
      e = f32x4.add(e, f32x4.min(f32x4.abs(c), clip));
      const k = table + <usize>((v * 8 + u) * 8);
      const ph = f32x4.mul(c, f32x4.splat(load<f32>(k)));
      l = f32x4.add(l, f32x4.mul(f32x4.splat(load<f32>(k + 4)), triangle(ph)));
    }
  }
  v128.store(outE, e);
  v128.store(outL, l);
}

/**
 * Adds the energies of every block of horizontal offset dx (all vertical offsets dy, the file's own grid
 * dx = dy = 0 left out) into `sums` and `counts` (f64, 64 offsets x TILES^2 tiles, at (dy * 8 + dx) *
 * TILES^2 + tile, the layout of double-energy.ts), and their lattice scores into `lsums` (same layout),
 * with `rows` room for h x 8 x stride(w) f32, `energies` and `scores` for stride(w) f32 each, and
 * `table` the lattice's (1 / a, rho) f32 pairs per term (see blockFeatures).
 */
export function offset(
  cls: usize,
  w: i32,
  h: i32,
  dx: i32,
  rows: usize,
  energies: usize,
  sums: usize,
  counts: usize,
  scores: usize,
  lsums: usize,
  table: usize,
): void {
  const T = TILES * TILES;
  const S = stride(w);
  const rowBytes = <usize>(S * 4);
  const nseg = (w - dx) / 8;
  rowTransforms(cls, w, h, dx, rows);
  for (let dy = 0; dy < 8; dy++) {
    if (dx == 0 && dy == 0) continue;
    const nrow = (h - dy) / 8;
    const at = (dy * 8 + dx) * T;
    for (let i = 0; i < nrow; i++) {
      let ty = (i * TILES) / nrow;
      if (ty > TILES - 1) ty = TILES - 1;
      const rowAt = rows + <usize>((dy + i * 8) * 8) * rowBytes;
      // The row of blocks' energies (`energies`: room for stride(w) f32), then their sums per tile: the
      // blocks j with floor(j TILES / nseg) = tx, as double-energy.ts assigns them.
      for (let j = 0; j < nseg; j += 4) {
        const o = <usize>(j * 4);
        blockFeatures(rowAt + o, rowBytes, table, energies + o, scores + o);
      }
      let j = 0;
      for (let tx = 0; tx < TILES; tx++) {
        let sum: f64 = 0;
        let lsum: f64 = 0;
        const from = j;
        while (j < nseg && (tx == TILES - 1 || (j * TILES) / nseg == tx)) {
          sum += <f64>load<f32>(energies + <usize>(j * 4));
          lsum += <f64>load<f32>(scores + <usize>(j * 4));
          j++;
        }
        const k = <usize>((at + ty * TILES + tx) * 8);
        store<f64>(sums + k, load<f64>(sums + k) + sum);
        store<f64>(lsums + k, load<f64>(lsums + k) + lsum);
        store<f64>(counts + k, load<f64>(counts + k) + <f64>(j - from));
      }
    }
  }
}

/**
 * The luminance plane of decoded blocks, as lumaPlane in double-compression.ts computes it and to the
 * same bits: 64-bit floats, the same products added in the same order (two columns per SIMD lane pair),
 * Math.round's rounding (halves up). `coefficients` (i16, 64 per block in natural order, blocks row-major),
 * `quant` (f64, 64), `basis` (f64, 64: B[u][x] at u * 8 + x, the JavaScript's own table, so that both use
 * the same cosines), `tmp` room for 128 f64, `out` for blocksWide x blocksHigh x 64 bytes.
 */
export function lumaPlane(
  coefficients: usize,
  quant: usize,
  basis: usize,
  blocksWide: i32,
  blocksHigh: i32,
  tmp: usize,
  out: usize,
): void {
  const w = blocksWide * 8;
  const c = load<f64>(basis);
  const deq = tmp + 64 * 8;
  for (let by = 0; by < blocksHigh; by++) {
    for (let bx = 0; bx < blocksWide; bx++) {
      const coef = coefficients + <usize>((by * blocksWide + bx) * 128);
      const px = out + <usize>(by * 8 * w + bx * 8);
      let ac = false;
      for (let i = 1; i < 64; i++) {
        if (load<i16>(coef + <usize>(i * 2)) != 0 && load<f64>(quant + <usize>(i * 8)) != 0) {
          ac = true;
          break;
        }
      }
      if (!ac) {
        const dc = <f64>load<i16>(coef) * load<f64>(quant);
        const p = clampRound(c * (c * dc) + 128.0);
        for (let y = 0; y < 8; y++) memory.fill(px + <usize>(y * w), p, 8);
        continue;
      }
      // Dequantized into `tmp` (64 f64) first, its rows then replaced by their transforms along x.
      let rowsUsed = 0; // the last row with a non-zero term, plus 1
      for (let v = 0; v < 8; v++) {
        let any = false;
        for (let u = 0; u < 8; u++) {
          const i = v * 8 + u;
          const d = <f64>load<i16>(coef + <usize>(i * 2)) * load<f64>(quant + <usize>(i * 8));
          store<f64>(deq + <usize>(i * 8), d);
          if (d != 0) any = true;
        }
        if (any) rowsUsed = v + 1;
      }
      // Columns then rows: tmp[v][x] = sum_u B[u][x] F(v, u), then f(y, x) = sum_v B[v][y] tmp[v][x].
      // Rows of zeros add exact zeros to the sums, which the JavaScript skips and so does this.
      for (let v = 0; v < rowsUsed; v++) {
        for (let x = 0; x < 8; x += 2) {
          let s = f64x2.splat(0);
          for (let u = 0; u < 8; u++) {
            const d = f64x2.splat(load<f64>(deq + <usize>((v * 8 + u) * 8)));
            s = f64x2.add(s, f64x2.mul(v128.load(basis + <usize>((u * 8 + x) * 8)), d));
          }
          v128.store(tmp + <usize>((v * 8 + x) * 8), s);
        }
      }
      for (let y = 0; y < 8; y++) {
        for (let x = 0; x < 8; x += 2) {
          let s = f64x2.splat(0);
          for (let v = 0; v < rowsUsed; v++) {
            const b = f64x2.splat(load<f64>(basis + <usize>((v * 8 + y) * 8)));
            s = f64x2.add(s, f64x2.mul(b, v128.load(tmp + <usize>((v * 8 + x) * 8))));
          }
          store<u8>(px + <usize>(y * w + x), clampRound(f64x2.extract_lane(s, 0) + 128.0));
          store<u8>(px + <usize>(y * w + x + 1), clampRound(f64x2.extract_lane(s, 1) + 128.0));
        }
      }
    }
  }
}

/** JavaScript's Math.round (halves up, where f64.nearest rounds them to even), clamped to 0..255. */
function clampRound(x: f64): u8 {
  const f = Math.floor(x);
  // x - f is exact here for x >= 0; below 0 the result is clamped to 0 either way.
  const r = x - f >= 0.5 ? f + 1 : f;
  return r < 0 ? 0 : r > 255 ? 255 : <u8>r;
}
