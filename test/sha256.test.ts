// The sha256 taken once per Buffer (src/sha256.ts): the right digest, for these very bytes only.
import { createHash } from 'node:crypto';
import t from 'tap';
import { sha256Hex } from '../src/sha256.js';

const hex = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

t.test('the digest of the bytes, the same when asked again, and its own for other bytes', async (t) => {
  const a = Buffer.from('a photo');
  const b = Buffer.from('a photo'); // equal bytes, another Buffer
  const c = Buffer.from(new SharedArrayBuffer(5));
  t.equal(sha256Hex(a), hex(a));
  t.equal(sha256Hex(a), hex(a), 'asked again');
  t.equal(sha256Hex(b), hex(b));
  t.equal(sha256Hex(a.subarray(2)), hex(a.subarray(2)), 'a view of part of it is other bytes');
  t.equal(sha256Hex(c), hex(c), 'shared memory');
  t.equal(sha256Hex(new Uint8Array(0)), hex(new Uint8Array(0)));
});
