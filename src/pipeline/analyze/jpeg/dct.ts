/** cos((2x+1) u pi / 16) * C(u) / 2 at [u * 8 + x]: the orthonormal 8-point DCT basis JPEG uses. */
export const DCT_BASIS: Float64Array = (() => {
  const basis = new Float64Array(64);
  for (let u = 0; u < 8; u++) {
    for (let x = 0; x < 8; x++) {
      basis[u * 8 + x] = (u === 0 ? Math.SQRT1_2 : 1) * 0.5 * Math.cos(((2 * x + 1) * u * Math.PI) / 16);
    }
  }
  return basis;
})();
