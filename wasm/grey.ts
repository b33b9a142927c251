// The grey copy ORB works on (src/similarity/features/orb.ts greyThumbnail) in WebAssembly (AssemblyScript,
// built by scripts/build-wasm.ts into src/similarity/features/grey-wasm.generated.ts): box averages of
// packed RGB, each box's luma summed exactly in integers (299 R + 587 G + 114 B, four pixels per SIMD
// vector), then rounded as orb.ts's integer path rounds it. Boxes whose mean is exactly half way between
// two grey levels get the float definition's byte (greyThumbnailReference), whose rounding errors decide
// them. orb.test.ts compares the bytes with the float definition.
//
// Memory: an arena. The caller resets it, takes room with `alloc` for the pixels, the column boxes, the
// column sums and the copy, writes the pixels and boxes, calls `grey`, and reads the copy back; it grows to
// the largest image seen.

export { alloc, reset } from './arena';
import { Luma } from './luma';
import { fourRowsBytes, fourRowsRowBytes, prefixFourRows } from './four-rows';
export { fourRowsBytes };

const WR: i32 = 299;
const WG: i32 = 587;
const WB: i32 = 114;
const K: i32 = WR + WG + WB;

/** Source rows under each of the four output rows in hand. */
const ROWS: usize = memory.data(16, 16);
/** The first source row of each. */
const FIRST_ROWS: usize = memory.data(16, 16);

/**
 * The w x h grey copy of `rgb` (W x H packed RGB) into `out`. Output column x averages source columns
 * [sx0[x], sx1[x]) (i32 each), output row y the rows [floor(y H / h), max(that + 1, floor((y + 1) H / h))),
 * as orb.ts's rowBox. `cols` is room for fourRowsBytes(W), `inv` for w f32. A box holds fewer than 4,200
 * source pixels (2 x its luma sum x 1000 stays below 2^31; orb.ts keeps larger boxes on its JS path).
 * A box whose mean is exactly half way between two levels (a tie: ~4% of a 512 px copy's boxes, whose
 * boxes are 1 to 4 pixels) gets the float definition's byte, computed here as orb.ts's tieByte computes it
 * (IEEE doubles in the same order; deciding them in JS instead cost 1.05 against 0.86 CPU ms per grey copy
 * of the 8 generated 12 MP photos).
 *
 * Four output rows at a time: their column sums side by side in one vector per column, so that the boxes
 * along the row (one or two columns each at the usual sizes, their width changing from box to box) are
 * read, divided and rounded for four rows at once; this pass was three quarters of the kernel's time when
 * it went box by box (1.15 → 0.63 CPU ms for a 800x600 photo's 512x384 copy, pixels' copy included).
 */
export function grey(
  rgb: usize,
  W: i32,
  H: i32,
  w: i32,
  h: i32,
  sx0: usize,
  sx1: usize,
  out: usize,
  cols: usize,
  inv: usize,
): void {
  const kr = i32x4.splat(WR);
  const kg = i32x4.splat(WG);
  const kb = i32x4.splat(WB);
  const W4 = W & ~3;
  const rowBytes = fourRowsRowBytes(W);
  // Four output rows' column sums (i32 each), then their prefix sums interleaved: pre + 16 x holds the
  // four rows' sums of columns [0, x), so a box of any width is two vector loads and a subtraction.
  const pre = cols + 4 * rowBytes;
  for (let x: i32 = 0; x < w; x++) {
    const span = load<i32>(sx1 + ((<usize>x) << 2)) - load<i32>(sx0 + ((<usize>x) << 2));
    const d: i32 = 2 * K * span;
    store<f32>(inv + ((<usize>x) << 2), <f32>1.0 / <f32>d);
  }
  for (let y0: i32 = 0; y0 < h; y0 += 4) {
    const nRows = min(4, h - y0);
    for (let k: i32 = 0; k < 4; k++) {
      const row = cols + <usize>k * rowBytes;
      if (k >= nRows) {
        store<i32>(ROWS + ((<usize>k) << 2), 1);
        memory.fill(row, 0, rowBytes);
        continue;
      }
      const y = y0 + k;
      const sy0 = <i32>((<i64>y * <i64>H) / <i64>h);
      const sy1 = max(sy0 + 1, <i32>((<i64>(y + 1) * <i64>H) / <i64>h));
      store<i32>(ROWS + ((<usize>k) << 2), sy1 - sy0);
      store<i32>(FIRST_ROWS + ((<usize>k) << 2), sy0);
      // Each source row's luma x 1000 added up per column (the first row sets them).
      for (let sy = sy0; sy < sy1; sy++) {
        let q: usize = rgb + <usize>sy * <usize>W * 3;
        let s: usize = row;
        const first = sy == sy0;
        for (let x: i32 = 0; x < W4; x += 4, q += 12, s += 16) {
          const v = v128.load(q);
          const l = Luma.four(v, kr, kg, kb);
          v128.store(s, first ? l : i32x4.add(v128.load(s), l));
        }
        for (let x = W4; x < W; x++, q += 3, s += 4) {
          const l = <i32>load<u8>(q) * WR + <i32>load<u8>(q, 1) * WG + <i32>load<u8>(q, 2) * WB;
          store<i32>(s, first ? l : load<i32>(s) + l);
        }
      }
      for (let x = W; x < ((W + 3) & ~3); x++) store<i32>(row + ((<usize>x) << 2), 0);
    }
    const rowsV = v128.load(ROWS);
    // The four rows side by side, summed along the row (four-rows.ts).
    prefixFourRows(cols, rowBytes, W, pre);
    // Each box's mean rounded half up, exactly: floor((2 sum + n) / 2n) with n = 1000 x its pixels,
    // estimated in floats (off by at most one) and corrected with the remainder, which is also zero
    // exactly when the mean is half way between two levels (a tie).
    const invRows = f32x4.div(f32x4.splat(1), f32x4.convert_i32x4_s(rowsV));
    const base = <usize>y0 * <usize>w;
    for (let x: i32 = 0; x < w; x++) {
      const a = load<i32>(sx0 + ((<usize>x) << 2));
      const b = load<i32>(sx1 + ((<usize>x) << 2));
      const sum = i32x4.sub(v128.load(pre + ((<usize>b) << 4)), v128.load(pre + ((<usize>a) << 4)));
      const n2 = i32x4.mul(i32x4.splat(2 * K * (b - a)), rowsV);
      const t = i32x4.add(i32x4.shl(sum, 1), i32x4.shr_s(n2, 1));
      const f = f32x4.mul(
        f32x4.mul(f32x4.convert_i32x4_s(t), f32x4.splat(load<f32>(inv + ((<usize>x) << 2)))),
        invRows,
      );
      let byte = i32x4.trunc_sat_f32x4_s(f);
      let rem = i32x4.sub(t, i32x4.mul(byte, n2));
      const under = i32x4.lt_s(rem, i32x4.splat(0));
      byte = i32x4.add(byte, under);
      rem = i32x4.add(rem, v128.and(under, n2));
      const over = i32x4.ge_s(rem, n2);
      byte = i32x4.sub(byte, over);
      rem = i32x4.sub(rem, v128.and(over, n2));
      const o = out + base + <usize>x;
      store<u8>(o, <u8>i32x4.extract_lane(byte, 0));
      if (nRows > 1) store<u8>(o + <usize>w, <u8>i32x4.extract_lane(byte, 1));
      if (nRows > 2) store<u8>(o + <usize>(2 * w), <u8>i32x4.extract_lane(byte, 2));
      if (nRows > 3) store<u8>(o + <usize>(3 * w), <u8>i32x4.extract_lane(byte, 3));
      const tieBits = i32x4.bitmask(i32x4.eq(rem, i32x4.splat(0)));
      if (tieBits) {
        for (let k: i32 = 0; k < nRows; k++) {
          if ((tieBits >> k) & 1) {
            const sy0 = load<i32>(FIRST_ROWS + ((<usize>k) << 2));
            const rows = load<i32>(ROWS + ((<usize>k) << 2));
            store<u8>(o + <usize>(k * w), tieByte(rgb, W, a, b, sy0, rows));
          }
        }
      }
    }
  }
}

/**
 * The float definition's byte for the box of columns [a, b) and `rows` rows from `sy0`: orb.ts's tieByte,
 * operation for operation (each column's luma summed down its rows, the columns summed, the mean rounded
 * as Math.round rounds: half up).
 */
function tieByte(rgb: usize, W: i32, a: i32, b: i32, sy0: i32, rows: i32): u8 {
  let total: f64 = 0;
  const stride = <usize>W * 3;
  for (let sx = a; sx < b; sx++) {
    let col: f64 = 0;
    let q: usize = rgb + (<usize>sy0 * <usize>W + <usize>sx) * 3;
    for (let r: i32 = 0; r < rows; r++, q += stride)
      col = col + 0.299 * <f64>load<u8>(q) + 0.587 * <f64>load<u8>(q, 1) + 0.114 * <f64>load<u8>(q, 2);
    total += col;
  }
  const m = total / <f64>(rows * (b - a));
  const f = floor(m);
  return <u8>(<i32>(m - f >= 0.5 ? f + 1 : f));
}
