// Weighted sums of packed RGB, four pixels at a time, for ORB's grey copy (grey.ts; detect-grey.ts has
// its own, of 16-bit dot products, its weights allowing them). Inlined where it is used (each kernel is
// compiled on its own).

/**
 * A class only so that `four` can carry AssemblyScript's @inline (TypeScript's syntax, and so prettier,
 * allows decorators on methods alone; orb.ts's Arc does the same).
 */
export class Luma {
  /**
   * r x wr + g x wg + b x wb (i32 lanes) of the four RGB pixels in the first 12 bytes of `v`; `kr`, `kg`,
   * `kb` are the weights splatted (i32x4.splat).
   */
  @inline static four(v: v128, kr: v128, kg: v128, kb: v128): v128 {
    const r = i8x16.swizzle(v, i8x16(0, -1, -1, -1, 3, -1, -1, -1, 6, -1, -1, -1, 9, -1, -1, -1));
    const g = i8x16.swizzle(v, i8x16(1, -1, -1, -1, 4, -1, -1, -1, 7, -1, -1, -1, 10, -1, -1, -1));
    const b = i8x16.swizzle(v, i8x16(2, -1, -1, -1, 5, -1, -1, -1, 8, -1, -1, -1, 11, -1, -1, -1));
    return i32x4.add(i32x4.add(i32x4.mul(r, kr), i32x4.mul(g, kg)), i32x4.mul(b, kb));
  }
}
