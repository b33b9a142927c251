// Four rows of i32 side by side, summed along the row: what ORB's grey copy (grey.ts) reads each box of a
// row from, for four rows at once. A module of its own, as arena.ts (each kernel compiles its own copy).

/** Bytes of one of the four rows of W i32 (padded to whole vectors). */
export function fourRowsRowBytes(W: i32): usize {
  return ((<usize>W + 3) & ~(<usize>3)) << 2;
}

/** Room for the four rows (fourRowsRowBytes each) and their prefix sums (W + 1 vectors, one spare). */
export function fourRowsBytes(W: i32): i32 {
  return 4 * <i32>fourRowsRowBytes(W) + ((W + 4) << 4);
}

/**
 * The four rows at `rows` (each `rowBytes` long, padded with zeros past W) transposed, four columns at a
 * time, and summed along the row into `pre`: pre + 16 x holds the four rows' sums of columns [0, x), as
 * wrapping i32 (a box's sum below 2^31 is still the difference of two of them).
 */
export function prefixFourRows(rows: usize, rowBytes: usize, W: i32, pre: usize): void {
  let run = i32x4.splat(0);
  v128.store(pre, run);
  for (let x: i32 = 0; x < W; x += 4) {
    const o = (<usize>x) << 2;
    const r0 = v128.load(rows + o);
    const r1 = v128.load(rows + rowBytes + o);
    const r2 = v128.load(rows + 2 * rowBytes + o);
    const r3 = v128.load(rows + 3 * rowBytes + o);
    const t0 = v128.shuffle<i32>(r0, r1, 0, 4, 1, 5);
    const t1 = v128.shuffle<i32>(r0, r1, 2, 6, 3, 7);
    const t2 = v128.shuffle<i32>(r2, r3, 0, 4, 1, 5);
    const t3 = v128.shuffle<i32>(r2, r3, 2, 6, 3, 7);
    const p = pre + ((<usize>x) << 4);
    run = i32x4.add(run, v128.shuffle<i32>(t0, t2, 0, 1, 4, 5));
    v128.store(p, run, 16);
    run = i32x4.add(run, v128.shuffle<i32>(t0, t2, 2, 3, 6, 7));
    v128.store(p, run, 32);
    run = i32x4.add(run, v128.shuffle<i32>(t1, t3, 0, 1, 4, 5));
    v128.store(p, run, 48);
    run = i32x4.add(run, v128.shuffle<i32>(t1, t3, 2, 3, 6, 7));
    v128.store(p, run, 64);
  }
}
