// The id store: compact ids, id -> latest entry through growth of the arena, offsets and table.
import { randomBytes } from 'node:crypto';
import t from 'tap';
import { IdStore, decodeId, encodeId } from '../../../src/memory/hash-index/id-store.js';

t.test('ids round-trip through the compact encoding', async (t) => {
  const sha = randomBytes(32).toString('hex');
  const ids = [
    `m:${sha}`,
    `b:bank-1:${randomBytes(8).toString('hex')}`,
    'b:x:ABCDEF0123456789ab',
    'plain',
    'é:ü/文字',
    `m:${sha}f`,
    sha,
    'x:0123456789abcde',
  ];
  for (const id of ids) t.equal(decodeId(encodeId(id)), id, id);
  t.equal(encodeId(`m:${sha}`).length, 36, 'm:<sha256> takes 36 bytes');
  t.throws(() => encodeId(''), RangeError);
  t.throws(() => encodeId('x'.repeat(513)), RangeError);
});

t.test('find returns the latest entry of an id, through growth', async (t) => {
  const store = new IdStore(16);
  const latest = new Map<string, number>();
  const pool = Array.from({ length: 20000 }, (_, i) =>
    i % 3 ? `m:${randomBytes(32).toString('hex')}` : `b:k:${i}`,
  );
  let outOfOrder = 0;
  for (let n = 0; n < 50000; n++) {
    const id = pool[Math.floor(Math.random() * pool.length)] as string;
    const bytes = encodeId(id);
    // Half through find + appendFound (the loader's way), half through append.
    const e = n % 2 ? (store.find(bytes), store.appendFound(bytes)) : store.append(bytes);
    if (e !== n) outOfOrder++;
    latest.set(id, e);
  }
  t.equal(outOfOrder, 0, 'entries are numbered in order');
  let wrong = 0;
  for (const [id, e] of latest) {
    if (store.find(encodeId(id)) !== e) wrong++;
    if (store.id(e) !== id) wrong++;
  }
  t.equal(wrong, 0);
  t.equal(store.find(encodeId('m:never')), -1);
  store.reserve(100000);
  t.equal(
    store.find(encodeId(pool[0] as string)),
    latest.get(pool[0] as string) ?? -1,
    'reserve keeps everything',
  );
});
