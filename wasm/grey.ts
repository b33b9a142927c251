// The grey copy ORB works on (src/similarity/features/orb.ts greyThumbnail) in WebAssembly (AssemblyScript,
// built by scripts/build-wasm.ts into src/similarity/features/grey-wasm.generated.ts): box averages of
// packed RGB, each box's luma summed exactly in integers (299 R + 587 G + 114 B, four pixels per SIMD
// vector), then rounded as orb.ts's integer path rounds it. Boxes whose mean is exactly half way between
// two grey levels are not decided here: their positions are listed, and orb.ts gives them the float
// definition's byte (greyThumbnailReference), whose rounding errors decide them. orb.test.ts compares the
// bytes with the float definition.
//
// Memory: an arena. The caller resets it, takes room with `alloc` for the pixels, the column boxes, the
// column sums, the copy and the tie list, writes the pixels and boxes, calls `grey`, and reads the copy and
// the ties back; it grows to the largest image seen.

export { alloc, reset } from './arena';
import { Luma } from './luma';

const WR: i32 = 299;
const WG: i32 = 587;
const WB: i32 = 114;
const K: i32 = WR + WG + WB;

/**
 * The w x h grey copy of `rgb` (W x H packed RGB) into `out`. Output column x averages source columns
 * [sx0[x], sx1[x]) (i32 each), output row y the rows [floor(y H / h), max(that + 1, floor((y + 1) H / h))),
 * as orb.ts's rowBox. `cols` is room for W i32. The index of each box whose mean is exactly half way
 * between two levels goes to `ties` (room for w * h i32; its byte is left for the caller); returns how
 * many there are. `inv` is room for w f64 (each column box's 1 / (1000 x its width), as orb.ts divides).
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
  ties: usize,
  inv: usize,
): i32 {
  const kr = i32x4.splat(WR);
  const kg = i32x4.splat(WG);
  const kb = i32x4.splat(WB);
  const W4 = W & ~3;
  // Divided once per column, not per pixel (a division costs what the rest of a pixel's work does).
  for (let x: i32 = 0; x < w; x++) {
    const span = load<i32>(sx1 + ((<usize>x) << 2)) - load<i32>(sx0 + ((<usize>x) << 2));
    store<f64>(inv + ((<usize>x) << 3), 1.0 / (<f64>K * <f64>span));
  }
  let nTies: i32 = 0;
  for (let y: i32 = 0; y < h; y++) {
    const sy0 = <i32>((<i64>y * <i64>H) / <i64>h);
    const sy1 = max(sy0 + 1, <i32>((<i64>(y + 1) * <i64>H) / <i64>h));
    // Each source row's luma x 1000 added up per column (the first row sets them).
    for (let sy = sy0; sy < sy1; sy++) {
      let q: usize = rgb + <usize>sy * <usize>W * 3;
      let s: usize = cols;
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
    const rows = sy1 - sy0;
    const invRows: f64 = 1.0 / <f64>rows;
    const o = <usize>y * <usize>w;
    for (let x: i32 = 0; x < w; x++) {
      const a = load<i32>(sx0 + ((<usize>x) << 2));
      const b = load<i32>(sx1 + ((<usize>x) << 2));
      let sum: f64 = 0; // exact: an integer below 2^53
      for (let sx = a; sx < b; sx++) sum += <f64>load<i32>(cols + ((<usize>sx) << 2));
      // As orb.ts: the mean in floats, rounded half up; one within 1e-7 of half a level may be a tie,
      // decided exactly.
      const n: f64 = <f64>K * <f64>(b - a) * <f64>rows;
      const q = sum * load<f64>(inv + ((<usize>x) << 3)) * invRows;
      const r = floor(q + 0.5);
      let byte: f64 = r;
      if (r - q > 0.4999999 || r - q < -0.4999999) {
        if (sum % n == n / 2) {
          store<i32>(ties + ((<usize>nTies) << 2), <i32>(o + <usize>x));
          nTies++;
          byte = 0;
        } else byte = floor(sum / n + 0.5);
      }
      store<u8>(out + o + <usize>x, <u8>(<i32>byte));
    }
  }
  return nTies;
}
