// copyBytes (src/bytes.ts): the copy the analysis pool hands to a thread is the caller's bytes, in a
// buffer of its own, whatever view it was given.
import t from 'tap';
import { copyBytes, sharedConcat } from '../src/bytes.js';

t.test('a copy of exactly the view, in its own buffer', async (t) => {
  const pooled = Buffer.from('----the file----');
  const view = pooled.subarray(4, 12); // a Buffer from a shared pool: offset into a larger buffer
  const copy = copyBytes(view);
  t.equal(Buffer.from(copy).toString(), 'the file');
  t.equal(copy.byteOffset, 0);
  t.equal(copy.buffer.byteLength, 8, 'its buffer holds the view alone (what a transfer sends)');
  view[0] = 0x54;
  t.equal(copy[0], 0x74, 'later changes to the source do not reach the copy');
  structuredClone(copy, { transfer: [copy.buffer] });
  t.equal(view.toString(), 'The file', 'transferring the copy leaves the source readable');
  t.equal(copyBytes(new Uint8Array(0)).byteLength, 0, 'empty stays empty');
});

t.test('sharedConcat: the chunks in order, in shared memory', async (t) => {
  const joined = sharedConcat([Buffer.from('the '), new Uint8Array([0x66, 0x69]), Buffer.from('le')], 8);
  t.equal(joined.toString(), 'the file');
  t.ok(joined.buffer instanceof SharedArrayBuffer, 'a SharedArrayBuffer (the pool hands it over as it is)');
  t.equal(joined.buffer.byteLength, 8, 'of exactly the bytes');
  t.equal(sharedConcat([], 0).byteLength, 0, 'nothing read: empty');
});
