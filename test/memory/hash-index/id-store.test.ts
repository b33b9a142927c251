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

t.test(
  'buildTable: each id finds its last entry, earlier copies are reported, room is left for more',
  async (t) => {
    const store = new IdStore(16);
    const ids = Array.from({ length: 44000 }, (_, i) =>
      i % 5 ? `m:${randomBytes(32).toString('hex')}` : `b:bank:${i}`,
    );
    // A few ids held twice (an unsound snapshot): the later entry must win, the earlier be reported.
    const twice = [3, 77, 2024, 29999];
    const all = [...ids, ...twice.map((i) => ids[i] as string)];
    for (const id of all) store.appendUnindexed(encodeId(id));
    const more = 5000;
    // Lent scratch full of garbage: the build must not rely on it being zeroed.
    const superseded = store.buildTable(more, new Uint32Array(3 * all.length).fill(0xffffffff));
    t.same(
      superseded.sort((a, b) => a - b),
      twice,
      'the earlier entry of each id held twice',
    );
    let wrong = 0;
    ids.forEach((id, i) => {
      const k = twice.indexOf(i);
      if (store.find(encodeId(id)) !== (k >= 0 ? ids.length + k : i)) wrong++;
    });
    t.equal(wrong, 0, 'find returns the last entry of every id');
    t.equal(store.find(encodeId('m:never')), -1);
    // The ids after the snapshot fit without growing the table (only the arena and offsets grow).
    store.reserve(more, 40, false);
    const before = store.byteSize();
    for (let i = 0; i < more; i++) {
      const id = encodeId(`m:${randomBytes(32).toString('hex')}`);
      store.find(id);
      store.appendFound(id);
    }
    t.equal(store.byteSize(), before, 'no table growth for the ids announced');
    t.equal(store.find(encodeId(ids[1] as string)), 1, 'older ids still found');
  },
);
