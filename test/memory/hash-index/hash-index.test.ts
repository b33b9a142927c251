// The index facade against a real Redis: dihedral variants, the pHash fallback, replacement, tombstones,
// and two independent instances ("processes") sharing one stream.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import pino from 'pino';
import t, { type Test } from 'tap';
import { keys } from '../../../src/keys.js';
import { hammingHex } from '../../../src/similarity/hamming.js';
import {
  createHashIndex,
  type HashIndex,
  type HashIndexOptions,
} from '../../../src/memory/hash-index/hash-index.js';
import { encodeEntry, encodeRemoval } from '../../../src/memory/hash-index/record.js';
import { compareStreamIds } from '../../../src/memory/hash-index/sync.js';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

const hex = (bytes: number) => randomBytes(bytes).toString('hex');
/** `h` with exactly `d` distinct bits flipped. */
function flip(h: string, d: number): string {
  const buf = Buffer.from(h, 'hex');
  const bits = new Set<number>();
  while (bits.size < d) bits.add(Math.floor(Math.random() * buf.length * 8));
  for (const b of bits) buf[b >> 3] = (buf[b >> 3] as number) ^ (0x80 >> (b & 7));
  return buf.toString('hex');
}

/** A fresh key prefix and connection per test; the stream is deleted and every index closed at the end. */
async function setup(t: Test) {
  const prefix = `fstest_idx_${process.pid}_${randomBytes(4).toString('hex')}`;
  const k = keys(prefix);
  const redis = new Redis(REDIS_URL);
  const opened: { index: HashIndex; conn: Redis }[] = [];
  // Each instance has a connection of its own, as separate processes would.
  const open = async (extra: Partial<HashIndexOptions> = {}) => {
    const conn = new Redis(REDIS_URL);
    const index = createHashIndex({ redis: conn, keys: k, log, blockMs: 200, ...extra });
    opened.push({ index, conn });
    await index.start();
    return index;
  };
  t.teardown(async () => {
    for (const { index, conn } of opened) {
      await index.close();
      conn.disconnect();
    }
    await redis.del(k.indexStream());
    redis.disconnect();
  });
  return { redis, k, open };
}

/** Waits for what another instance reads from the stream; the bound only stops a test that would hang. */
async function eventually(check: () => boolean, ms = 15_000): Promise<number> {
  const t0 = performance.now();
  while (!check()) {
    if (performance.now() - t0 > ms) throw new Error(`not true within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
  return performance.now() - t0;
}

t.test('PDQ: hits within the threshold on any dihedral variant, reported with the variant', async (t) => {
  const { open } = await setup(t);
  const index = await open();
  const dihedral = Array.from({ length: 8 }, () => hex(32));
  // A stored image that is the query's flip-y (variant 5) at distance 12, another the original at 31,
  // one at 32 (never returned), and one close to both variants 2 and 6 (the nearer one is reported).
  await index.add({ id: 'm:near5', pdq: flip(dihedral[5] as string, 12), quality: 90, phash: hex(8) });
  await index.add({ id: 'm:edge0', pdq: flip(dihedral[0] as string, 31), quality: 90 });
  await index.add({ id: 'm:far', pdq: flip(dihedral[0] as string, 32), quality: 90 });
  await index.add({ id: 'm:other', pdq: hex(32), quality: 90 });
  const hits = index.queryPdq(dihedral);
  t.same(hits, [
    { id: 'm:near5', distance: 12, hash: 'pdq', variant: 5 },
    { id: 'm:edge0', distance: 31, hash: 'pdq', variant: 0 },
  ]);
  t.same(
    index.queryPdq(dihedral, { maxDistance: 40 }).map((h) => h.id),
    ['m:near5', 'm:edge0', 'm:far'],
    'a larger threshold, per query',
  );
  t.same(
    index.queryPdq(dihedral, { limit: 1 }).map((h) => h.id),
    ['m:near5'],
    'limit keeps the nearest',
  );
  t.same(
    index.queryPdq([dihedral[5] as string]).map((h) => h.variant),
    [0],
    'one hash alone is variant 0',
  );
  t.throws(() => index.queryPdq(['zz']), RangeError);
  t.equal(index.size(), 4);
});

t.test('low PDQ quality falls back to pHash; phash-only entries are found', async (t) => {
  const { open } = await setup(t);
  const index = await open();
  const pdq = hex(32);
  const phash = hex(8);
  await index.add({ id: 'm:flat', pdq: flip(pdq, 3), quality: 20, phash: flip(phash, 10) });
  await index.add({ id: 'b:bank:1', phash: flip(phash, 4) });
  await index.add({ id: 'm:farphash', phash: flip(phash, 11) });
  const dihedral = [pdq, ...Array.from({ length: 7 }, () => hex(32))];
  t.same(index.query({ pdq: dihedral, quality: 30, phash }), [
    { id: 'b:bank:1', distance: 4, hash: 'phash', variant: 0 },
    { id: 'm:flat', distance: 10, hash: 'phash', variant: 0 },
  ]);
  t.same(index.query({ pdq: dihedral, quality: 80, phash }), [
    { id: 'm:flat', distance: 3, hash: 'pdq', variant: 0 },
  ]);
  t.same(index.query({ phash }).length, 2, 'no PDQ at all: pHash');
  t.same(index.query({}), []);
  t.same(index.get('b:bank:1'), { id: 'b:bank:1', phash: index.get('b:bank:1')?.phash });
  t.equal(hammingHex(index.get('m:flat')?.phash as string, phash), 10);
});

t.test('replacing and removing an id; re-adding unchanged writes nothing', async (t) => {
  const { open, redis, k } = await setup(t);
  const index = await open();
  const a = hex(32);
  const b = hex(32);
  await index.add({ id: 'm:x', pdq: a, quality: 70 });
  await index.add({ id: 'm:x', pdq: a, quality: 70 });
  t.equal(await redis.xlen(k.indexStream()), 1, 'an unchanged re-add is not written');
  await index.add({ id: 'm:x', pdq: b, quality: 70 });
  t.same(index.queryPdq([a]), [], 'the old hash no longer matches');
  t.equal(index.queryPdq([b])[0]?.id, 'm:x');
  t.equal(index.size(), 1);
  await index.remove('m:x');
  t.same(index.queryPdq([b]), []);
  t.equal(index.get('m:x'), undefined);
  t.equal(index.size(), 0);
  await index.remove('m:never-added');
  await index.add({ id: 'm:x', pdq: a, quality: 70 });
  t.equal(index.queryPdq([a])[0]?.id, 'm:x', 'an id can come back after removal');
  await t.rejects(index.add({ id: 'm:bad', pdq: 'abc' }), RangeError);
  await t.rejects(index.add({ id: 'm:none' }), RangeError);
  await t.rejects(
    index.addMany([
      { id: 'm:ok', pdq: a },
      { id: 'm:bad', pdq: 'xyz' },
    ]),
    RangeError,
  );
  t.equal(index.get('m:ok'), undefined, 'addMany validates everything before writing anything');
});

t.test('two instances: what one adds or removes the other matches, from the stream', async (t) => {
  const { open, redis, k } = await setup(t);
  const a = await open();
  const b = await open();
  const pdq = hex(32);
  await a.add({ id: 'm:shared', pdq, quality: 99 });
  const ms = await eventually(() => b.queryPdq([pdq]).length === 1);
  t.pass(`visible in the other instance after ${ms.toFixed(1)} ms`);
  t.same(b.get('m:shared'), { id: 'm:shared', pdq, quality: 99 });
  await b.remove('m:shared');
  await eventually(() => a.queryPdq([pdq]).length === 0);
  t.equal(a.size(), 0);
  // Ops on one id from both sides settle to the stream's order everywhere.
  await Promise.all([a.add({ id: 'm:race', pdq, quality: 1 }), b.add({ id: 'm:race', pdq, quality: 2 })]);
  // Both tails read the stream to its newest record, then hold the same entry.
  const newest = (await redis.xrevrange(k.indexStream(), '+', '-', 'COUNT', 1))[0]?.[0] ?? '0-0';
  await eventually(
    () =>
      compareStreamIds(a.stats().lastStreamId, newest) >= 0 &&
      compareStreamIds(b.stats().lastStreamId, newest) >= 0,
  );
  t.equal(a.get('m:race')?.quality, b.get('m:race')?.quality, 'both hold the later write');
});

t.test('a fresh instance loads what is already there (in several chunks), tombstones included', async (t) => {
  const { open, redis, k } = await setup(t);
  const writer = await open();
  const entries = Array.from({ length: 250 }, (_, i) => ({
    id: `m:${i}`,
    pdq: hex(32),
    quality: 60,
    phash: hex(8),
  }));
  await writer.addMany(entries);
  await writer.remove('m:7');
  await writer.add({ id: 'm:8', pdq: (entries[9] as { pdq: string }).pdq, quality: 60 });
  const fresh = await open({ chunk: 17 });
  t.ok(fresh.ready);
  t.equal(fresh.size(), 249);
  t.equal(fresh.stats().lastStreamId, writer.stats().lastStreamId);
  t.same(
    fresh.queryPdq([(entries[100] as { pdq: string }).pdq]).map((h) => h.id),
    ['m:100'],
  );
  t.same(fresh.queryPdq([(entries[7] as { pdq: string }).pdq]), [], 'removed before the load');
  t.same(
    fresh.queryPdq([(entries[9] as { pdq: string }).pdq]).map((h) => h.id),
    ['m:8', 'm:9'],
    'replaced before the load',
  );
  t.same(fresh.queryPhash((entries[3] as { phash: string }).phash)[0]?.id, 'm:3');
  t.equal(await redis.xlen(k.indexStream()), 252);
});

t.test('the tail survives its connection being killed, and misses nothing', async (t) => {
  const { open, redis } = await setup(t);
  const a = await open();
  const b = await open();
  // The blocking connection is internal; kill it from outside, as a Redis restart or a proxy would.
  const blocking = (b as unknown as { sync: { blocking: Redis } }).sync.blocking;
  await eventually(() => blocking.status === 'ready');
  const id = await blocking.client('ID');
  await redis.client('KILL', 'ID', id);
  const pdq = hex(32);
  await a.add({ id: 'm:after-kill', pdq, quality: 80 });
  await eventually(() => b.queryPdq([pdq]).length === 1);
  t.pass('applied after the reconnection');
  await eventually(() => blocking.status === 'ready');
  t.pass('the blocking connection is ready again');
});

t.test('a local op is not undone by an older record that the stream brings afterwards', async (t) => {
  const { redis, k } = await setup(t);
  // Not started: nothing is tailed, the test plays the stream's part by hand.
  const conn = new Redis(REDIS_URL);
  t.teardown(() => conn.disconnect());
  const index = createHashIndex({ redis: conn, keys: k, log });
  const apply = (streamId: string, field: string, record: Buffer) =>
    (
      index as unknown as { state: { applyRecord: (i: Buffer, f: Buffer, v: Buffer) => void } }
    ).state.applyRecord(Buffer.from(streamId), Buffer.from(field), record);
  const pdq = hex(32);
  await index.add({ id: 'm:x', pdq, quality: 50 });
  apply('1-0', 'd', encodeRemoval('m:x'));
  apply('1-1', 'e', encodeEntry({ id: 'm:x', pdq: hex(32), quality: 1 }));
  t.same(index.get('m:x'), { id: 'm:x', pdq, quality: 50 }, 'older records for the id are skipped');
  apply('99999999999999-0', 'd', encodeRemoval('m:x'));
  t.equal(index.get('m:x'), undefined, 'a newer one applies');
  await index.remove('m:y');
  apply('1-2', 'e', encodeEntry({ id: 'm:y', pdq, quality: 1 }));
  t.equal(index.get('m:y'), undefined, 'a local removal of an unknown id also wins over older adds');
  t.equal(await redis.xlen(k.indexStream()), 2);
});
