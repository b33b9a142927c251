// Hamming distance between hex-encoded hashes, and the bit packing shared by the hash modules.
// Hashes travel as lowercase hex strings (that is how PDQ's reference tools and Python imagehash
// print them, so fact-checkers can paste them); distances are computed 32 bits at a time.

/** Number of set bits in a 32-bit integer (SWAR popcount: no loop, no table). */
export function popcount32(x: number): number {
  x = x - ((x >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

const HEX = /^[0-9a-fA-F]*$/;

/**
 * Number of differing bits between two hex hashes of the same length (PDQ: 0-256, 64-bit hashes: 0-64).
 * Throws on different lengths or non-hex input: comparing a PDQ hash with a pHash is a bug, not a distance.
 */
export function hammingHex(a: string, b: string): number {
  if (a.length !== b.length) {
    throw new RangeError(
      `Cannot compare hashes of different lengths (${a.length} and ${b.length} hex digits)`,
    );
  }
  if (!HEX.test(a) || !HEX.test(b)) throw new RangeError('Hashes must be hexadecimal strings');
  let distance = 0;
  // 8 hex digits = 32 bits: parseInt stays exact and the XOR fits an int32.
  for (let i = 0; i < a.length; i += 8) {
    const x = parseInt(a.slice(i, i + 8), 16) ^ parseInt(b.slice(i, i + 8), 16);
    distance += popcount32(x);
  }
  return distance;
}

/** A hex hash as 32-bit words (first word = first 8 hex digits), for comparing one hash against many. */
export function hexToWords(hex: string): Uint32Array {
  if (hex.length % 8 !== 0 || !HEX.test(hex)) {
    throw new RangeError('Expected a hex hash whose length is a multiple of 8 digits');
  }
  const words = new Uint32Array(hex.length / 8);
  for (let i = 0; i < words.length; i++) words[i] = parseInt(hex.slice(i * 8, i * 8 + 8), 16);
  return words;
}

/** Hamming distance of two hashes already split into words with `hexToWords`. */
export function hammingWords(a: Uint32Array, b: Uint32Array): number {
  if (a.length !== b.length) throw new RangeError('Cannot compare hashes of different lengths');
  let distance = 0;
  for (let i = 0; i < a.length; i++) distance += popcount32((a[i] ?? 0) ^ (b[i] ?? 0));
  return distance;
}

/**
 * Packs bits (0 or 1 each, any length that is a multiple of 4) into hex, the first bit being the most
 * significant bit of the first digit: the convention of Python imagehash's `str(ImageHash)`.
 */
export function bitsToHexMsbFirst(bits: ArrayLike<number>): string {
  if (bits.length % 4 !== 0) throw new RangeError('Bit count must be a multiple of 4');
  let hex = '';
  for (let i = 0; i < bits.length; i += 4) {
    const nibble =
      ((bits[i] ?? 0) << 3) | ((bits[i + 1] ?? 0) << 2) | ((bits[i + 2] ?? 0) << 1) | (bits[i + 3] ?? 0);
    hex += nibble.toString(16);
  }
  return hex;
}
