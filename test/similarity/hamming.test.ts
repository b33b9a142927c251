import t from 'tap';
import {
  bitsToHexMsbFirst,
  hammingHex,
  hammingWords,
  hexToWords,
  popcount32,
} from '../../src/similarity/hamming.js';

// Slow but obviously right: count differing bits one hex digit at a time.
function naiveHamming(a: string, b: string): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) {
    let x = parseInt(a[i] as string, 16) ^ parseInt(b[i] as string, 16);
    while (x) {
      d += x & 1;
      x >>= 1;
    }
  }
  return d;
}

function pseudoRandomHex(seed: number, digits: number): string {
  let s = seed >>> 0;
  let hex = '';
  for (let i = 0; i < digits; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    hex += (s >>> 28).toString(16);
  }
  return hex;
}

t.test('popcount32', async (t) => {
  t.equal(popcount32(0), 0);
  t.equal(popcount32(1), 1);
  t.equal(popcount32(0xffffffff), 32);
  t.equal(popcount32(0x80000000), 1);
  t.equal(popcount32(-1), 32, 'int32 view of all ones');
  t.equal(popcount32(0xf0f0f0f0), 16);
});

t.test('hammingHex', async (t) => {
  const zero = '0'.repeat(64);
  t.equal(hammingHex(zero, zero), 0);
  t.equal(hammingHex(zero, 'f'.repeat(64)), 256, 'a PDQ hash and its complement');
  t.equal(hammingHex('8000000000000000', '0000000000000000'), 1, 'top bit of a 64-bit hash');
  t.equal(hammingHex('0000000000000001', '0000000000000000'), 1, 'bottom bit');
  t.equal(hammingHex('ABCDEF0123456789', 'abcdef0123456789'), 0, 'case-insensitive');
  t.equal(hammingHex('fff', '000'), 12, 'lengths that are not a multiple of 8 digits');
  for (let i = 0; i < 50; i++) {
    const a = pseudoRandomHex(i, 64);
    const b = pseudoRandomHex(i + 1000, 64);
    t.equal(hammingHex(a, b), naiveHamming(a, b));
    t.equal(hammingWords(hexToWords(a), hexToWords(b)), naiveHamming(a, b));
  }
  // Meta's reference: the bridge photo against its own 180-degree rotation (pdq-truth.json) is far apart.
  t.ok(
    hammingHex(
      'd8f8f0cee0f4a84f0637022a078f67f0b36e2ed596621e1d33e6339c4e9c9b22',
      'adad5a64b5a102e55b62a88052dacd5ae63b847fc337b4b766b399361bc93188',
    ) > 100,
  );
});

t.test('hammingHex refuses to compare unlike hashes', async (t) => {
  t.throws(() => hammingHex('00', '000'), RangeError);
  t.throws(() => hammingHex('0g', '00'), RangeError);
  t.throws(() => hexToWords('123'), RangeError);
  t.throws(() => hammingWords(new Uint32Array(1), new Uint32Array(2)), RangeError);
});

t.test('bitsToHexMsbFirst packs like str(ImageHash)', async (t) => {
  const bits = new Array<number>(64).fill(0);
  bits[0] = 1;
  t.equal(bitsToHexMsbFirst(bits), '8000000000000000');
  t.equal(bitsToHexMsbFirst([0, 0, 0, 1, 1, 0, 1, 0]), '1a');
  t.equal(bitsToHexMsbFirst(new Uint8Array(64).fill(1)), 'ffffffffffffffff');
  t.throws(() => bitsToHexMsbFirst([1, 0, 1]), RangeError);
});
