// Snapshots of the hash index against a real Redis: a process started from a snapshot and the stream after
// it answers exactly as one that read the whole stream (removals, replacements and records added while the
// snapshot was written included); trimming the stream never leaves a starting or a lagging process with a
// hole; two processes racing write one snapshot; a damaged snapshot is ignored, with a log line.
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import pino from 'pino';
import t, { type Test } from 'tap';
import { keys, type Keys } from '../../../src/keys.js';
import {
  createHashIndex,
  type HashIndex,
  type HashIndexOptions,
} from '../../../src/memory/hash-index/hash-index.js';
import type { SnapshotPointer } from '../../../src/memory/hash-index/snapshot.js';
import { compareStreamIds } from '../../../src/memory/hash-index/sync.js';
import type { IndexEntry } from '../../../src/memory/hash-index/types.js';
import { removePrefix } from '../../helpers/app.js';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const hex = (bytes: number) => randomBytes(bytes).toString('hex');

/** `h` with exactly `d` distinct bits flipped. */
function flip(h: string, d: number): string {
  const buf = Buffer.from(h, 'hex');
  const bits = new Set<number>();
  while (bits.size < d) bits.add(Math.floor(Math.random() * buf.length * 8));
  for (const b of bits) buf[b >> 3] = (buf[b >> 3] as number) ^ (0x80 >> (b & 7));
  return buf.toString('hex');
}

/** Log lines, kept for assertions. */
function capturingLog() {
  const lines: { msg: string; level: number }[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line));
      done();
    },
  });
  return { log: pino({ level: 'info' }, sink), lines };
}

const NO_TIMER = { checkMs: 0, graceMs: 0, every: 100, chunkBytes: 16 * 1024 };

async function setup(t: Test) {
  const prefix = `fstest_snap_${process.pid}_${randomBytes(4).toString('hex')}`;
  const k = keys(prefix);
  const redis = new Redis(REDIS_URL);
  const opened: { index: HashIndex; conn: Redis }[] = [];
  const { log, lines } = capturingLog();
  /** An index with its own connection (as another process would have); `conn` is patched before start. */
  const open = async (
    extra: Partial<HashIndexOptions> = {},
    patch: (conn: Redis) => void = () => undefined,
    on: Keys = k,
  ) => {
    const conn = new Redis(REDIS_URL);
    patch(conn);
    const index = createHashIndex({
      redis: conn,
      keys: on,
      log,
      blockMs: 200,
      chunk: 500,
      snapshots: NO_TIMER,
      ...extra,
    });
    opened.push({ index, conn });
    await index.start();
    return index;
  };
  t.teardown(async () => {
    for (const { index, conn } of opened) {
      await index.close();
      conn.disconnect();
    }
    await removePrefix(prefix);
    await removePrefix(`${prefix}_ref`);
    redis.disconnect();
  });
  /**
   * A process that reads the whole stream, no snapshot: the stream is copied under another prefix (where
   * no snapshot exists) and loaded there. Only valid while the stream has not been trimmed.
   */
  const reference = async () => {
    const other = keys(`${prefix}_ref`);
    await redis.del(other.indexStream());
    await redis.copy(k.indexStream(), other.indexStream());
    return open({}, undefined, other);
  };
  const pointer = async () => JSON.parse((await redis.get(k.indexSnapshot())) ?? 'null') as SnapshotPointer;
  return { redis, k, open, reference, lines, pointer };
}

/** Waits until `b`'s tail has read the stream's newest record (a hang guard only: 60 s). */
async function caughtUp(b: HashIndex, redis: Redis, k: Keys): Promise<void> {
  const newest = (await redis.xrevrange(k.indexStream(), '+', '-', 'COUNT', 1))[0]?.[0] ?? '0-0';
  const t0 = Date.now();
  while (compareStreamIds(b.stats().lastStreamId, newest) < 0) {
    if (Date.now() - t0 > 60_000) throw new Error(`the tail never reached ${newest}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Random entries, some of them near `base` (so queries have hits at several distances). */
function entries(n: number, base: string[], tag: string): IndexEntry[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `m:${tag}${i.toString().padStart(5, '0')}${hex(24)}`,
    pdq: i % 4 === 0 ? flip(base[(i / 4) % base.length] as string, i % 30) : hex(32),
    quality: 40 + (i % 60),
    ...(i % 3 === 0 ? {} : { phash: i % 5 === 0 ? flip('0123456789abcdef', i % 10) : hex(8) }),
  }));
}

/** Adds, replaces and removes: what the stream holds in real life. */
async function churn(index: HashIndex, base: string[], tag: string, n: number): Promise<string[]> {
  const added = entries(n, base, tag);
  await index.addMany(added);
  // Replace every 7th (new hashes, same id) and remove every 11th.
  for (let i = 0; i < added.length; i += 7) {
    const e = added[i] as IndexEntry;
    await index.add({ ...e, pdq: flip(base[0] as string, i % 25), phash: hex(8) });
  }
  for (let i = 5; i < added.length; i += 11) await index.remove((added[i] as IndexEntry).id);
  return added.map((e) => e.id);
}

/** A second dihedral variant per base hash, the same for every call. */
const variants = new Map<string, string>();
function variant(b: string): string {
  let v = variants.get(b);
  if (v === undefined) variants.set(b, (v = flip(b, 3)));
  return v;
}

/** What users see: answers to PDQ and pHash queries, and the entries by id. */
function answers(index: HashIndex, base: string[], ids: string[]) {
  return {
    size: index.size(),
    pdq: base.map((b) => index.queryPdq([b, variant(b)], { limit: 1000 })),
    phash: index.queryPhash('0123456789abcdef', { limit: 1000 }),
    entries: ids.map((id) => index.get(id) ?? null),
  };
}

t.test('snapshot + the stream after it answers exactly as the whole stream', async (t) => {
  const { open, reference, pointer, redis, k } = await setup(t);
  const base = Array.from({ length: 8 }, () => hex(32));
  const a = await open();
  const ids = await churn(a, base, 'a', 3000);
  const before = await redis.xlen(k.indexStream());
  const r = await a.snapshot();
  t.ok('written' in r, 'due: the stream grew by more than `every`');
  const meta = (await pointer()).current;
  t.equal(meta.entries, a.size(), 'the snapshot holds the live entries only');
  t.ok(meta.chunks > 5, `written in ${meta.chunks} chunks`);
  t.equal(meta.streamLength, before);
  t.same(await a.snapshot(), { skipped: 'not due' }, 'not due again until the stream grows');
  // After the snapshot: more adds, replacements and removals, some of ids inside the snapshot.
  ids.push(...(await churn(a, base, 'b', 500)));
  for (const id of ids.slice(0, 200)) if (id.endsWith('0')) await a.remove(id);
  await a.add({ id: ids[1] as string, pdq: base[1], quality: 99 });

  const b = await open();
  t.equal(b.stats().loadedFrom.snapshot, meta.gen, 'loaded from the snapshot');
  t.equal(b.stats().loadedFrom.snapshotEntries, meta.entries);
  t.ok(b.stats().loadedFrom.streamRecords < before, 'and only part of the stream');
  const full = await reference();
  t.equal(full.stats().loadedFrom.snapshot, null, 'the reference read the whole stream');
  const expected = answers(full, base, ids);
  t.ok(
    expected.pdq.every((hits) => hits.length > 0),
    'the queries have hits',
  );
  t.same(answers(b, base, ids), expected, 'same answers');
  t.same(answers(a, base, ids), expected, 'as the writer');
});

t.test('records added while the snapshot is written are in the snapshot or after it', async (t) => {
  const { open, reference } = await setup(t);
  const base = Array.from({ length: 4 }, () => hex(32));
  const a = await open();
  const w = await open();
  const ids = await churn(a, base, 'a', 2000);
  const more = entries(400, base, 'c');
  // The snapshot is written chunk by chunk (16 KiB each), while another process adds, replaces, removes.
  const writing = a.snapshot({ force: true });
  for (let i = 0; i < more.length; i++) {
    await w.add(more[i] as IndexEntry);
    if (i % 10 === 0) await w.remove(ids[i] as string);
  }
  t.ok('written' in (await writing));
  ids.push(...more.map((e) => e.id));
  const b = await open();
  t.ok(b.stats().loadedFrom.snapshot);
  const full = await reference();
  t.same(answers(b, base, ids), answers(full, base, ids));
});

t.test('two processes racing to snapshot write one', async (t) => {
  const { open, redis, k, pointer } = await setup(t);
  const a = await open();
  const b = await open();
  await churn(a, [hex(32)], 'a', 500);
  await caughtUp(b, redis, k); // b's tail has it all
  const results = await Promise.all([a.snapshot(), b.snapshot()]);
  const written = results.filter((r) => 'written' in r);
  t.equal(
    written.length,
    1,
    `one written (${JSON.stringify(results.map((r) => ('skipped' in r ? r.skipped : 'written')))})`,
  );
  const gen = (await pointer()).current.gen;
  const chunkKeys = await redis.keys(`{${k.indexStream()}}:snapshot:*`);
  t.ok(chunkKeys.length > 0);
  t.ok(
    chunkKeys.every((key) => key.includes(`:snapshot:${gen}:`)),
    'no chunks of another generation',
  );
  t.same(await redis.get(k.indexSnapshotLock()), null, 'the lock is released');
});

t.test('a damaged or partial snapshot is ignored: the stream is read instead, with a log line', async (t) => {
  const { open, reference, pointer, redis, k, lines } = await setup(t);
  const base = [hex(32)];
  const a = await open();
  const ids = await churn(a, base, 'a', 1500);
  t.ok('written' in (await a.snapshot()));
  const meta = (await pointer()).current;
  const expected = answers(await reference(), base, ids);

  // The byte at 100 inverted: writing a fixed 'x' left the chunk as it was whenever that byte already was
  // one (about one run in 256, the ids being random), and the damage went unseen.
  const chunk = k.indexSnapshotChunk(meta.gen, 1);
  const byte = (await redis.getrangeBuffer(chunk, 100, 100))[0] as number;
  await redis.setrange(chunk, 100, Buffer.from([byte ^ 0xff]));
  const damaged = await open();
  t.equal(damaged.stats().loadedFrom.snapshot, null, 'a CRC mismatch: not used');
  t.same(answers(damaged, base, ids), expected);
  t.ok(lines.some((l) => l.msg.startsWith('index snapshot unusable') && l.level === 40));

  await redis.del(k.indexSnapshotChunk(meta.gen, 2));
  const partial = await open();
  t.equal(partial.stats().loadedFrom.snapshot, null, 'a chunk missing: not used');
  t.same(answers(partial, base, ids), expected);

  await redis.set(k.indexSnapshot(), '{not json');
  const junk = await open();
  t.equal(junk.stats().loadedFrom.snapshot, null, 'an unreadable pointer: not used');
  t.same(answers(junk, base, ids), expected);
  t.ok(lines.some((l) => l.msg.startsWith('index snapshot pointer unreadable')));
});

/** Makes `conn`'s `method` wait for the gate the first time it is called, and says when it is waiting. */
function gateFirst(conn: Redis, method: 'getBuffer' | 'xrangeBuffer') {
  let open!: () => void;
  const gate = new Promise<void>((r) => (open = r));
  let reached!: () => void;
  const waiting = new Promise<void>((r) => (reached = r));
  let first = true;
  const original = (conn[method] as (...a: unknown[]) => Promise<unknown>).bind(conn);
  (conn as unknown as Record<string, unknown>)[method] = async (...args: unknown[]) => {
    const key = String(args[0]);
    if (first && (method === 'xrangeBuffer' || key.includes(':snapshot:'))) {
      first = false;
      reached();
      await gate;
    }
    return original(...args);
  };
  return { open: () => open(), waiting };
}

t.test('trimming never leaves a starting process with a hole', async (t) => {
  const { open, reference, pointer, redis, k } = await setup(t);
  const base = [hex(32)];
  const a = await open();
  const ids = await churn(a, base, 'a', 1000);
  t.ok('written' in (await a.snapshot()));
  const gen1 = (await pointer()).current;

  // 1. Stopped after reading the pointer, before the chunks: meanwhile a new snapshot is written and the
  //    stream compacted (gen1 deleted, the stream trimmed at gen2).
  let gated!: ReturnType<typeof gateFirst>;
  const starting = open({}, (conn) => (gated = gateFirst(conn, 'getBuffer')));
  await gated.waiting;
  ids.push(...(await churn(a, base, 'b', 300)));
  t.ok('written' in (await a.snapshot()));
  t.ok((await a.compact()) > 0, 'records trimmed');
  t.equal(await redis.exists(k.indexSnapshotChunk(gen1.gen, 0)), 0, 'gen1 is gone');
  ids.push(...(await churn(a, base, 'c', 300)));
  gated.open();
  const s1 = await starting;
  const gen2 = (await pointer()).current;
  t.equal(s1.stats().loadedFrom.snapshot, gen2.gen, 'it read the newer snapshot instead');

  // 2. Stopped after the snapshot, before the stream: the stream is trimmed past it meanwhile.
  const starting2 = open({}, (conn) => (gated = gateFirst(conn, 'xrangeBuffer')));
  await gated.waiting;
  ids.push(...(await churn(a, base, 'd', 300)));
  t.ok('written' in (await a.snapshot()));
  t.ok((await a.compact()) > 0, 'records trimmed');
  ids.push(...(await churn(a, base, 'e', 100)));
  gated.open();
  const s2 = await starting2;
  t.equal(s2.stats().loadedFrom.snapshot, (await pointer()).current.gen, 'it loaded again, from the newest');

  // The writer has read every record as it came: it is the reference here (the stream is trimmed).
  const expected = answers(a, base, ids);
  t.same(answers(s1, base, ids), expected, 'nothing missing in the first');
  t.same(answers(s2, base, ids), expected, 'nor in the second');
  // And a process that read the stream copy only would miss the trimmed part: the test would notice.
  const streamOnly = await reference();
  t.ok(streamOnly.size() < a.size(), 'the stream alone no longer has everything');
});

t.test('a tailing process that falls behind the trim point reloads from the snapshot', async (t) => {
  const { open, pointer, lines, redis, k } = await setup(t);
  const base = [hex(32)];
  const a = await open();
  const ids = await churn(a, base, 'a', 500);
  t.ok('written' in (await a.snapshot()));

  // b's blocking connection (the tail's) is held back on demand.
  let hold: Promise<void> | undefined;
  const b = await open({}, (conn) => {
    const duplicate = conn.duplicate.bind(conn);
    conn.duplicate = (...args: Parameters<Redis['duplicate']>) => {
      const d = duplicate(...args);
      const pipeline = d.pipeline.bind(d);
      d.pipeline = (...p: Parameters<Redis['pipeline']>) => {
        const pipe = pipeline(...p);
        const exec = pipe.exec.bind(pipe);
        pipe.exec = async () => {
          await hold;
          return exec();
        };
        return pipe;
      };
      return d;
    };
  });
  let release!: () => void;
  hold = new Promise((r) => (release = r));
  await new Promise((r) => setTimeout(r, 400)); // its XREAD in flight returns (200 ms) and the next waits
  const missed = await churn(a, base, 'b', 300);
  t.ok('written' in (await a.snapshot()));
  t.ok((await a.compact()) > 0, 'the stream is trimmed past b');
  ids.push(...missed, ...(await churn(a, base, 'c', 100)));
  release();
  hold = undefined;
  const t0 = Date.now();
  while (b.stats().loadedFrom.snapshot !== (await pointer()).current.gen && Date.now() - t0 < 60_000) {
    await new Promise((r) => setTimeout(r, 20));
  }
  await b.settled();
  t.ok(
    lines.some((l) => l.msg.startsWith('index stream trimmed past this process')),
    'logged',
  );
  t.equal(b.stats().loadedFrom.snapshot, (await pointer()).current.gen, 'reloaded from the newest snapshot');
  // The records trimmed while b was held are there: without the reload they would be missing.
  await caughtUp(b, redis, k);
  t.same(answers(b, base, ids), answers(a, base, ids));
  t.ok(b.get(missed[0] as string), 'a record added while it was behind');
});

t.test(
  'the periodic check writes a snapshot when due and trims the stream after the grace period',
  async (t) => {
    const { open, redis, k, pointer } = await setup(t);
    // A grace long enough that a loaded machine still reads the stream before the trim.
    const a = await open({ snapshots: { every: 200, checkMs: 50, graceMs: 4000 } });
    await churn(a, [hex(32)], 'a', 150);
    await new Promise((r) => setTimeout(r, 200));
    t.equal(await redis.get(k.indexSnapshot()), null, 'not due yet: the stream grew by fewer than `every`');
    await churn(a, [hex(32)], 'b', 150);
    const t0 = Date.now();
    while (!(await redis.get(k.indexSnapshot())) && Date.now() - t0 < 60_000) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const meta = (await pointer()).current;
    t.ok(meta.entries > 0, 'written by the check');
    t.ok((await redis.xlen(k.indexStream())) > 200, 'the stream is kept during the grace period');
    while ((await redis.get(k.indexFloor())) !== meta.id && Date.now() - t0 < 60_000) {
      await new Promise((r) => setTimeout(r, 20));
    }
    t.equal(await redis.get(k.indexFloor()), meta.id, 'then trimmed at the snapshot');
    const first = (await redis.xrange(k.indexStream(), '-', '+', 'COUNT', 1))[0]?.[0] ?? meta.id;
    t.ok(compareStreamIds(first, meta.id) >= 0, 'nothing before the snapshot id is left');
    const b = await open();
    t.equal(b.size(), a.size(), 'a new process has everything');
  },
);

t.test(
  'a damaged snapshot after the stream was trimmed: the process says it is incomplete and writes none',
  async (t) => {
    const { open, redis, k, pointer, lines } = await setup(t);
    const a = await open();
    await churn(a, [hex(32)], 'a', 300);
    t.ok('written' in (await a.snapshot()));
    t.ok((await a.compact()) > 0);
    await redis.del(k.indexSnapshotChunk((await pointer()).current.gen, 0));
    const b = await open();
    t.ok(b.size() < a.size(), 'it could not read everything');
    t.ok(
      lines.some((l) => l.msg.startsWith('index incomplete') && l.level === 50),
      'an error is logged',
    );
    t.same(await b.snapshot({ force: true }), { skipped: 'incomplete' }, 'it never writes a snapshot');
    await a.add({ id: 'm:after', pdq: hex(32) });
    t.ok('written' in (await a.snapshot({ force: true })), 'a complete process does');
    const c = await open();
    t.equal(c.size(), a.size(), 'and the next process to start has everything again');
  },
);
