// PDQ's float path in WebAssembly (AssemblyScript, built by scripts/build-wasm.ts into
// src/pipeline/analyze/pdq-wasm.generated.ts). The same arithmetic as src/pipeline/analyze/pdq.ts, which
// holds the description and stays the reference: luminance, the Jarosz filter (two rounds of a box along
// rows then along columns, each a running 32-bit float sum divided by the pixels under the box, as Meta's
// box1DFloat), the 64x64 decimation and the 16x16 DCT. WebAssembly computes in 32-bit floats natively (JS
// must round every step with Math.fround), and its 128-bit SIMD runs four independent sums at once: four
// rows side by side for the boxes along rows, four columns for the boxes along columns and the DCT. Each
// lane is an IEEE single-precision operation in the reference's order, so the numbers are the same to
// the bit (pdq.test.ts compares the two paths on every fixture).
//
// Memory: the caller asks for room with `reserve`, writes the RGB pixels at the address it returns and
// the DCT matrix at `dctMatrix()`, calls `downsample`, then `dct`, and reads the 64x64 grid and the 256
// coefficients back. Nothing is allocated otherwise; memory grows to the largest image seen.

const GRID: i32 = 64;
const DCT_SIDE: i32 = 16;
const LINES: i32 = 4; // rows boxed side by side (one per SIMD lane)

// Fixed areas at the start of the heap, then the per-image areas laid out by `reserve`.
const DCT_MATRIX: usize = (__heap_base + 15) & ~(<usize>15); // 16 x 64 f32
const GRID_OUT: usize = DCT_MATRIX + <usize>(DCT_SIDE * GRID * 4); // 64 x 64 f32
const DCT_TMP: usize = GRID_OUT + <usize>(GRID * GRID * 4); // 16 x 64 f32
const COEFFS: usize = DCT_TMP + <usize>(DCT_SIDE * GRID * 4); // 16 x 16 f32
const DCT_T: usize = COEFFS + <usize>(DCT_SIDE * DCT_SIDE * 4); // the matrix transposed, 64 x 16 f32
const AT_COL: usize = DCT_T + <usize>(GRID * DCT_SIDE * 4); // 64 i32
const AT_ROW: usize = AT_COL + <usize>(GRID * 4); // 64 i32
const COL_SUMS: usize = AT_ROW + <usize>(GRID * 4); // 64 f32
const DYNAMIC: usize = COL_SUMS + <usize>(GRID * 4);

let rgb: usize = 0; // packed RGB, as written by the caller
let ring: usize = 0; // (wCol + 1 + LINES) rows of the first row box's output
let sums: usize = 0; // running sums of the first column box, one per column
let lines: usize = 0; // LINES rows of the first column box's output (row-major)
let inter: usize = 0; // LINES rows interleaved (column-major in groups of four): luma, then those rows
let interOut: usize = 0; // the first row box's output, interleaved
let sampled: usize = 0; // rows x 64: the second row box at the sampled columns
let lumaRows: usize = 0; // LINES rows of luminance (row-major)

const align = (n: usize): usize => (n + 15) & ~(<usize>15);

/** Room for an image of `rgbBytes` bytes of which a `cols` x `rows` rectangle is hashed; returns where to write the pixels. */
export function reserve(rgbBytes: i32, cols: i32, rows: i32): usize {
  const wCol = jaroszWindow(rows);
  const ringRows = wCol + 1 + LINES;
  const c4 = (cols + 3) & ~3;
  rgb = DYNAMIC;
  ring = align(rgb + <usize>rgbBytes + 16);
  sums = align(ring + <usize>(ringRows * c4 * 4));
  lines = align(sums + <usize>(c4 * 4));
  inter = align(lines + <usize>(LINES * c4 * 4));
  interOut = align(inter + <usize>(LINES * c4 * 4));
  lumaRows = align(interOut + <usize>(LINES * c4 * 4));
  sampled = align(lumaRows + <usize>(LINES * c4 * 4));
  const end = sampled + <usize>((rows + LINES) * GRID * 4);
  const have = (<usize>memory.size()) << 16;
  if (end > have) {
    if (memory.grow(<i32>((end - have + 0xffff) >> 16)) < 0) return 0;
  }
  return rgb;
}

export function dctMatrix(): usize {
  return DCT_MATRIX;
}
export function gridOut(): usize {
  return GRID_OUT;
}
export function coefficients(): usize {
  return COEFFS;
}

function jaroszWindow(size: i32): i32 {
  return (size + 2 * GRID - 1) / (2 * GRID);
}

/** How many inputs the box of width `w` covers at output `o` of a line of `n`. */
function boxCount(o: i32, n: i32, w: i32): i32 {
  const half = (w + 2) >> 1;
  return min(n - 1, o + half - 1) - max(0, o - (w - half)) + 1;
}

// ---------------------------------------------------------------------------------------------
// Boxes along rows, four rows at once: `src` and `dst` hold four rows interleaved (the four values of
// a column in one vector), `n` columns. box1DFloat's phases: sum half - 1 values, then add while a value
// enters and drop once one leaves, dividing by the count under the box.

function boxInterleaved(src: usize, dst: usize, n: i32, w: i32): void {
  const half = (w + 2) >> 1;
  let sum = f32x4.splat(0);
  let count: i32 = 0;
  let ri: usize = src;
  let li: usize = src;
  let o: usize = dst;
  for (let i = 0; i < half - 1; i++, ri += 16, count++) sum = f32x4.add(sum, v128.load(ri));
  for (let i = 0; i < w - half + 1; i++, ri += 16, o += 16) {
    sum = f32x4.add(sum, v128.load(ri));
    count++;
    v128.store(o, f32x4.div(sum, f32x4.splat(<f32>count)));
  }
  const c = f32x4.splat(<f32>count);
  for (let i = 0; i < n - w; i++, ri += 16, li += 16, o += 16) {
    sum = f32x4.sub(f32x4.add(sum, v128.load(ri)), v128.load(li));
    v128.store(o, f32x4.div(sum, c));
  }
  for (let i = 0; i < half - 1; i++, li += 16, o += 16) {
    sum = f32x4.sub(sum, v128.load(li));
    count--;
    v128.store(o, f32x4.div(sum, f32x4.splat(<f32>count)));
  }
}

/**
 * The second row box of four interleaved rows, divided only at the 64 sampled columns: row k's value
 * at sampled column j goes to sampled[(firstRow + k) * 64 + j], for the `nRows` rows that exist.
 */
function boxInterleavedSampled(src: usize, n: i32, w: i32, firstRow: i32, nRows: i32): void {
  const half = (w + 2) >> 1;
  let sum = f32x4.splat(0);
  let ri: usize = src;
  let li: usize = src;
  let j: i32 = 0;
  let next: i32 = load<i32>(AT_COL);
  const base: usize = sampled + <usize>(firstRow * GRID * 4);
  for (let i = 0; i < half - 1; i++, ri += 16) sum = f32x4.add(sum, v128.load(ri));
  for (let o: i32 = 0; o < n; o++) {
    if (o <= n - half) {
      sum = f32x4.add(sum, v128.load(ri));
      ri += 16;
    }
    if (o > w - half) {
      sum = f32x4.sub(sum, v128.load(li));
      li += 16;
    }
    while (next === o) {
      const q = f32x4.div(sum, f32x4.splat(<f32>boxCount(o, n, w)));
      const at: usize = base + <usize>(j * 4);
      store<f32>(at, f32x4.extract_lane(q, 0));
      if (nRows > 1) store<f32>(at + <usize>(GRID * 4), f32x4.extract_lane(q, 1));
      if (nRows > 2) store<f32>(at + <usize>(GRID * 8), f32x4.extract_lane(q, 2));
      if (nRows > 3) store<f32>(at + <usize>(GRID * 12), f32x4.extract_lane(q, 3));
      j++;
      next = j < GRID ? load<i32>(AT_COL + <usize>(j * 4)) : -1;
    }
  }
}

// Four rows (row-major, `stride` floats apart) to interleaved and back, four columns at a time by 4x4
// transposes; `n` columns, the storage padded to a multiple of four.
function toInterleaved(src: usize, stride: i32, dst: usize, n: i32): void {
  const s = <usize>(stride * 4);
  for (let c: i32 = 0; c < n; c += 4) {
    const at = src + <usize>(c * 4);
    const r0 = v128.load(at);
    const r1 = v128.load(at + s);
    const r2 = v128.load(at + 2 * s);
    const r3 = v128.load(at + 3 * s);
    const t0 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5);
    const t1 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7);
    const t2 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5);
    const t3 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
    const out = dst + <usize>(c * 16);
    v128.store(out, v128.shuffle<f32>(t0, t2, 0, 1, 4, 5));
    v128.store(out + 16, v128.shuffle<f32>(t0, t2, 2, 3, 6, 7));
    v128.store(out + 32, v128.shuffle<f32>(t1, t3, 0, 1, 4, 5));
    v128.store(out + 48, v128.shuffle<f32>(t1, t3, 2, 3, 6, 7));
  }
}

/** Interleaved rows back to row-major: row k to rowAt[k] (addresses), the first `nRows` rows. */
function fromInterleaved(src: usize, n: i32, row0: usize, row1: usize, row2: usize, row3: usize): void {
  for (let c: i32 = 0; c < n; c += 4) {
    const at = src + <usize>(c * 16);
    const v0 = v128.load(at);
    const v1 = v128.load(at + 16);
    const v2 = v128.load(at + 32);
    const v3 = v128.load(at + 48);
    const t0 = v128.shuffle<f32>(v0, v1, 0, 4, 1, 5);
    const t1 = v128.shuffle<f32>(v0, v1, 2, 6, 3, 7);
    const t2 = v128.shuffle<f32>(v2, v3, 0, 4, 1, 5);
    const t3 = v128.shuffle<f32>(v2, v3, 2, 6, 3, 7);
    const off = <usize>(c * 4);
    v128.store(row0 + off, v128.shuffle<f32>(t0, t2, 0, 1, 4, 5));
    v128.store(row1 + off, v128.shuffle<f32>(t0, t2, 2, 3, 6, 7));
    v128.store(row2 + off, v128.shuffle<f32>(t1, t3, 0, 1, 4, 5));
    v128.store(row3 + off, v128.shuffle<f32>(t1, t3, 2, 3, 6, 7));
  }
}

// ---------------------------------------------------------------------------------------------

let stride_: i32 = 0;
let x0_: i32 = 0;
let y0_: i32 = 0;
let cols_: i32 = 0;
let rows_: i32 = 0;
let ringRows_: i32 = 0;
let wRow_: i32 = 0;
let produced_: i32 = 0;
let out_: i32 = 0; // output rows of the first column box so far

function ringRow(y: i32): usize {
  return ring + <usize>((y % ringRows_) * ((cols_ + 3) & ~3) * 4);
}

/** Luminance and the first row box of image rows from `produced_` up to `y`, four at a time, into the ring. */
function produce(y: i32): void {
  const c4 = (cols_ + 3) & ~3;
  const rIdx = i8x16(0, -1, -1, -1, 3, -1, -1, -1, 6, -1, -1, -1, 9, -1, -1, -1);
  const gIdx = i8x16(1, -1, -1, -1, 4, -1, -1, -1, 7, -1, -1, -1, 10, -1, -1, -1);
  const bIdx = i8x16(2, -1, -1, -1, 5, -1, -1, -1, 8, -1, -1, -1, 11, -1, -1, -1);
  const kr = f32x4.splat(<f32>0.299);
  const kg = f32x4.splat(<f32>0.587);
  const kb = f32x4.splat(<f32>0.114);
  while (produced_ <= y) {
    const n = min(LINES, rows_ - produced_);
    // Luminance of the four rows (rows past the end and the padding columns are zero), four pixels per
    // vector: their R, G and B bytes spread to lanes, then 0.299 R + 0.587 G + 0.114 B in 32-bit
    // floats, products and sums rounded as the reference's; then interleaved for the row box.
    const c4w = cols_ & ~3;
    for (let k: i32 = 0; k < LINES; k++) {
      let o: usize = lumaRows + <usize>(k * c4 * 4);
      if (k >= n) {
        memory.fill(o, 0, <usize>(c4 * 4));
        continue;
      }
      let q: usize = rgb + <usize>(((y0_ + produced_ + k) * stride_ + x0_) * 3);
      for (let c: i32 = 0; c < c4w; c += 4, q += 12, o += 16) {
        const v = v128.load(q);
        const r = f32x4.mul(kr, f32x4.convert_i32x4_u(i8x16.swizzle(v, rIdx)));
        const g = f32x4.mul(kg, f32x4.convert_i32x4_u(i8x16.swizzle(v, gIdx)));
        const b = f32x4.mul(kb, f32x4.convert_i32x4_u(i8x16.swizzle(v, bIdx)));
        v128.store(o, f32x4.add(f32x4.add(r, g), b));
      }
      for (let c = c4w; c < cols_; c++, q += 3, o += 4) {
        const r = <f32>0.299 * <f32>load<u8>(q);
        const g = <f32>0.587 * <f32>load<u8>(q, 1);
        const b = <f32>0.114 * <f32>load<u8>(q, 2);
        store<f32>(o, r + g + b);
      }
      for (let c = cols_; c < c4; c++, o += 4) store<f32>(o, 0);
    }
    toInterleaved(lumaRows, c4, inter, c4);
    boxInterleaved(inter, interOut, cols_, wRow_);
    fromInterleaved(
      interOut,
      cols_,
      ringRow(produced_),
      ringRow(produced_ + 1),
      ringRow(produced_ + 2),
      ringRow(produced_ + 3),
    );
    produced_ += n;
  }
}

/** Every LINES output rows of the first column box (and at the end): the second row box over them. */
function flush(): void {
  const n = ((out_ - 1) % LINES) + 1;
  const c4 = (cols_ + 3) & ~3;
  toInterleaved(lines, c4, inter, c4);
  boxInterleavedSampled(inter, cols_, wRow_, out_ - n, n);
}

function emit(): void {
  out_++;
  if (out_ % LINES === 0 || out_ === rows_) flush();
}

/**
 * The 64x64 blurred, sampled luminance of the rectangle (x0, y0, cols, rows) of the image whose rows
 * are `stride` pixels long, into gridOut(). Returns 0, or -1 when `reserve` was not called for it.
 */
export function downsample(stride: i32, x0: i32, y0: i32, cols: i32, rows: i32): i32 {
  if (rgb === 0) return -1;
  stride_ = stride;
  x0_ = x0;
  y0_ = y0;
  cols_ = cols;
  rows_ = rows;
  wRow_ = jaroszWindow(cols);
  const wCol = jaroszWindow(rows);
  // The column box reads rows li..ri (wCol + 1 of them); rows are produced LINES at a time ahead (the
  // last group may write rows past the end: they land in slots no longer read).
  ringRows_ = wCol + 1 + LINES;
  produced_ = 0;
  out_ = 0;
  for (let i: i32 = 0; i < GRID; i++) {
    store<i32>(AT_COL + <usize>(i * 4), <i32>Math.floor(((<f64>i + 0.5) * <f64>cols) / <f64>GRID));
    store<i32>(AT_ROW + <usize>(i * 4), <i32>Math.floor(((<f64>i + 0.5) * <f64>rows) / <f64>GRID));
  }
  const c4 = (cols + 3) & ~3;
  memory.fill(sums, 0, <usize>(c4 * 4));

  // The first column box, four columns per vector: output row o (sums / count) into `lines`.
  const half = (wCol + 2) >> 1;
  let ri: i32 = 0;
  let li: i32 = 0;
  let count: i32 = 0;
  for (let i = 0; i < half - 1; i++) {
    produce(ri);
    const src = ringRow(ri++);
    for (let c: i32 = 0; c < c4; c += 4) {
      const at = <usize>(c * 4);
      v128.store(sums + at, f32x4.add(v128.load(sums + at), v128.load(src + at)));
    }
    count++;
  }
  for (let i: i32 = 0; i < rows; i++) {
    const adding = ri < rows;
    const dropping = i > wCol - half;
    if (adding) produce(ri);
    const src = ringRow(ri);
    const gone = ringRow(li);
    if (adding && !dropping) count++;
    else if (!adding) count--;
    const dst = lines + <usize>((out_ % LINES) * c4 * 4);
    const cv = f32x4.splat(<f32>count);
    for (let c: i32 = 0; c < c4; c += 4) {
      const at = <usize>(c * 4);
      let s = v128.load(sums + at);
      if (adding) s = f32x4.add(s, v128.load(src + at));
      if (dropping) s = f32x4.sub(s, v128.load(gone + at));
      v128.store(sums + at, s);
      v128.store(dst + at, f32x4.div(s, cv));
    }
    if (adding) ri++;
    if (dropping) li++;
    emit();
  }

  // The second column box over the 64 sampled columns, divided at the 64 sampled rows.
  memory.fill(COL_SUMS, 0, <usize>(GRID * 4));
  ri = 0;
  li = 0;
  let gridRow: i32 = 0;
  let next: i32 = load<i32>(AT_ROW);
  for (let i = 0; i < half - 1; i++, ri++) addRow2(ri, false);
  for (let y: i32 = 0; y < rows; y++) {
    if (y <= rows - half) addRow2(ri++, false);
    if (y > wCol - half) addRow2(li++, true);
    while (next === y) {
      const cv = f32x4.splat(<f32>boxCount(y, rows, wCol));
      const o: usize = GRID_OUT + <usize>(gridRow * GRID * 4);
      for (let j: i32 = 0; j < GRID; j += 4) {
        v128.store(o + <usize>(j * 4), f32x4.div(v128.load(COL_SUMS + <usize>(j * 4)), cv));
      }
      gridRow++;
      next = gridRow < GRID ? load<i32>(AT_ROW + <usize>(gridRow * 4)) : -1;
    }
  }
  return 0;
}

function addRow2(y: i32, drop: bool): void {
  const b: usize = sampled + <usize>(y * GRID * 4);
  for (let j: i32 = 0; j < GRID; j += 4) {
    const at = <usize>(j * 4);
    const s = v128.load(COL_SUMS + at);
    const v = v128.load(b + at);
    v128.store(COL_SUMS + at, drop ? f32x4.sub(s, v) : f32x4.add(s, v));
  }
}

/**
 * The 16x16 DCT of gridOut() into coefficients(), as the reference's dct64To16: T = D A summed over k
 * in order, then (D A) Dt summed over k in order; products and sums rounded to 32 bits.
 */
export function dct(): void {
  // The matrix transposed, for the second product.
  for (let i: i32 = 0; i < DCT_SIDE; i++) {
    for (let k: i32 = 0; k < GRID; k++) {
      store<f32>(
        DCT_T + <usize>((k * DCT_SIDE + i) * 4),
        load<f32>(DCT_MATRIX + <usize>((i * GRID + k) * 4)),
      );
    }
  }
  for (let i: i32 = 0; i < DCT_SIDE; i++) {
    const t: usize = DCT_TMP + <usize>(i * GRID * 4);
    memory.fill(t, 0, <usize>(GRID * 4));
    for (let k: i32 = 0; k < GRID; k++) {
      const d = f32x4.splat(load<f32>(DCT_MATRIX + <usize>((i * GRID + k) * 4)));
      const row: usize = GRID_OUT + <usize>(k * GRID * 4);
      for (let j: i32 = 0; j < GRID; j += 4) {
        const at = <usize>(j * 4);
        v128.store(t + at, f32x4.add(v128.load(t + at), f32x4.mul(d, v128.load(row + at))));
      }
    }
  }
  for (let i: i32 = 0; i < DCT_SIDE; i++) {
    const t: usize = DCT_TMP + <usize>(i * GRID * 4);
    let s0 = f32x4.splat(0);
    let s1 = f32x4.splat(0);
    let s2 = f32x4.splat(0);
    let s3 = f32x4.splat(0);
    for (let k: i32 = 0; k < GRID; k++) {
      const tk = f32x4.splat(load<f32>(t + <usize>(k * 4)));
      const d: usize = DCT_T + <usize>(k * DCT_SIDE * 4);
      s0 = f32x4.add(s0, f32x4.mul(tk, v128.load(d)));
      s1 = f32x4.add(s1, f32x4.mul(tk, v128.load(d, 16)));
      s2 = f32x4.add(s2, f32x4.mul(tk, v128.load(d, 32)));
      s3 = f32x4.add(s3, f32x4.mul(tk, v128.load(d, 48)));
    }
    const o: usize = COEFFS + <usize>(i * DCT_SIDE * 4);
    v128.store(o, s0);
    v128.store(o, s1, 16);
    v128.store(o, s2, 32);
    v128.store(o, s3, 48);
  }
}
