// `npm run bench:index-start` (node --expose-gc --import=tsx bench/index-start.ts): how long a process takes
// to start with N entries in the hash index, from the whole stream (as before snapshots) and from a
// snapshot plus the stream after it, against the real Redis.
//
// For each size: N random entries (PDQ, quality, pHash, m:<sha256> ids, as production's) are XADDed
// directly (pipelined: building them through addMany would take minutes more, and is bench/index.ts's
// subject); 1% of them are then removed, so the snapshot has something to leave out.
//   1. Cold start from the stream alone (no snapshot yet).
//   2. That instance writes a snapshot (time, bytes, chunks; Redis MEMORY USAGE of the chunks and stream).
//   3. BENCH_START_TAIL records more are added after it (default 50,000: a quarter of INDEX_SNAPSHOT_EVERY's
//      default, a typical tail), then a second instance starts cold from snapshot + tail: time by phase.
//   4. Both answer 200 PDQ and pHash queries of stored hashes alike, and hold the same entries.
//   5. Compaction: the stream trimmed behind the snapshot, and the Redis memory after it.
// Env: BENCH_START_SIZES (default "1000000,2000000"; the lead runs 10000000), BENCH_START_TAIL, REDIS_URL.
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { Redis } from 'ioredis';
import pino from 'pino';
import { createHashIndex, type HashIndex } from '../src/memory/hash-index/hash-index.js';
import { encodeEntry, encodeRemoval } from '../src/memory/hash-index/record.js';
import { keys } from '../src/keys.js';
import { machine, writeResult } from './lib.js';

const SIZES = (process.env.BENCH_START_SIZES ?? '1000000,2000000').split(',').map(Number);
const TAIL = Number(process.env.BENCH_START_TAIL ?? 50_000);
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const MiB = 2 ** 20;
const log = pino({ level: 'warn' });
const say = (msg: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${msg}\n`);
const gc = (globalThis as { gc?: () => void }).gc;

/** XADDs n random entries (and removes every 100th), 5,000 per pipeline. Returns a sample of hashes. */
async function fill(redis: Redis, stream: string, n: number) {
  const sample: { pdq: string; phash: string; id: string }[] = [];
  for (let i = 0; i < n; i += 5000) {
    const count = Math.min(5000, n - i);
    const raw = randomBytes(count * 72);
    const pipe = redis.pipeline();
    for (let j = 0; j < count; j++) {
      const o = j * 72;
      const e = {
        id: `m:${raw.toString('hex', o, o + 32)}`,
        pdq: raw.toString('hex', o + 32, o + 64),
        quality: 50 + ((raw[o] as number) % 51),
        phash: raw.toString('hex', o + 64, o + 72),
      };
      pipe.xadd(stream, '*', 'e', encodeEntry(e));
      if ((i + j) % 100 === 0) pipe.xadd(stream, '*', 'd', encodeRemoval(e.id));
      else if (sample.length < 200 && (i + j) % 997 === 0) sample.push(e);
    }
    await pipe.exec();
    if ((i + count) % 1_000_000 === 0) say(`${n}: ${(i + count) / 1e6}M written`);
  }
  return sample;
}

async function usage(redis: Redis, key: string): Promise<number> {
  return Number((await redis.call('MEMORY', 'USAGE', key, 'SAMPLES', '0')) ?? 0);
}

async function snapshotBytes(redis: Redis, k: ReturnType<typeof keys>): Promise<number> {
  const p = JSON.parse((await redis.get(k.indexSnapshot())) ?? 'null') as {
    current: { gen: string; chunks: number };
  } | null;
  if (!p) return 0;
  let total = 0;
  for (let i = 0; i < p.current.chunks; i++)
    total += await usage(redis, k.indexSnapshotChunk(p.current.gen, i));
  return total;
}

/** A fresh instance's start: wall seconds and this process's CPU seconds (the machine may be shared). */
async function cold(
  redis: Redis,
  k: ReturnType<typeof keys>,
): Promise<{ index: HashIndex; s: number; cpu: number }> {
  gc?.();
  const index = createHashIndex({ redis, keys: k, log, snapshots: { every: 0, checkMs: 0, graceMs: 0 } });
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await index.start();
  const c = process.cpuUsage(c0);
  return { index, s: (performance.now() - t0) / 1000, cpu: (c.user + c.system) / 1e6 };
}

function same(a: HashIndex, b: HashIndex, sample: { pdq: string; phash: string; id: string }[]): boolean {
  if (a.size() !== b.size()) return false;
  return sample.every(
    (e) =>
      JSON.stringify(a.queryPdq([e.pdq])) === JSON.stringify(b.queryPdq([e.pdq])) &&
      JSON.stringify(a.queryPhash(e.phash)) === JSON.stringify(b.queryPhash(e.phash)) &&
      JSON.stringify(a.get(e.id)) === JSON.stringify(b.get(e.id)),
  );
}

const r1 = (x: number) => Math.round(x * 10) / 10;

async function run(n: number) {
  const prefix = `bench_start_${process.pid}_${n}`;
  const k = keys(prefix);
  const redis = new Redis(REDIS_URL);
  const conns = [redis, new Redis(REDIS_URL), new Redis(REDIS_URL)] as const;
  const clean = async () => {
    const found = await redis.keys(`{${k.indexStream()}}*`);
    for (const key of [...found, k.indexStream()]) await redis.unlink(key);
  };
  await clean();
  const sample = await fill(redis, k.indexStream(), n);
  const streamRecords = await redis.xlen(k.indexStream());
  const streamBytes = await usage(redis, k.indexStream());

  say(`${n}: starting from the stream (${streamRecords} records)`);
  const fromStream = await cold(conns[1], k);
  const streamStats = fromStream.index.stats();

  say(`${n}: writing a snapshot`);
  const t0 = performance.now();
  const written = await fromStream.index.snapshot({ force: true });
  const writeS = (performance.now() - t0) / 1000;
  if (!('written' in written)) throw new Error(`no snapshot: ${written.skipped}`);
  const snapBytes = await snapshotBytes(redis, k);

  // The tail: new entries after the snapshot, seen by the first instance through its tail.
  const tailSample = await fill(redis, k.indexStream(), TAIL);
  sample.push(...tailSample.slice(0, 50));
  const t1 = performance.now();
  while (
    fromStream.index.stats().lastStreamId !==
    (await redis.xrevrange(k.indexStream(), '+', '-', 'COUNT', 1))[0]?.[0]
  ) {
    if (performance.now() - t1 > 60_000) throw new Error('the first instance did not catch up');
    await new Promise((r) => setTimeout(r, 50));
  }

  say(`${n}: starting from the snapshot + ${TAIL} records`);
  const fromSnapshot = await cold(conns[2], k);
  const snapStats = fromSnapshot.index.stats();
  const alike = same(fromStream.index, fromSnapshot.index, sample);

  // Compaction right away (grace 0 for the bench): the stream keeps only what came after the snapshot.
  const compactor = createHashIndex({
    redis,
    keys: k,
    log,
    snapshots: { every: 0, checkMs: 0, graceMs: 0 },
  });
  const trimmed = await compactor.compact();
  const streamAfter = await usage(redis, k.indexStream());

  const result = {
    entries: n,
    live: snapStats.live,
    stream_records: streamRecords,
    start_from_stream_s: r1(fromStream.s),
    start_from_stream_cpu_s: r1(fromStream.cpu),
    start_from_stream_build_s: r1(streamStats.loadedFrom.buildMs / 1000),
    snapshot_write_s: r1(writeS),
    snapshot: { bytes: written.written.bytes, chunks: written.written.chunks },
    start_from_snapshot: {
      seconds: r1(fromSnapshot.s),
      cpu_s: r1(fromSnapshot.cpu),
      snapshot_read_s: r1(snapStats.loadedFrom.snapshotMs / 1000),
      tail_records: snapStats.loadedFrom.streamRecords,
      build_s: r1(snapStats.loadedFrom.buildMs / 1000),
    },
    same_answers: alike,
    redis_mib: {
      stream_before: r1(streamBytes / MiB),
      snapshot: r1(snapBytes / MiB),
      stream_after_trim: r1(streamAfter / MiB),
      records_trimmed: trimmed,
    },
    load_average: loadavg().map((x) => Math.round(x * 100) / 100),
  };
  await fromStream.index.close();
  await fromSnapshot.index.close();
  await compactor.close();
  await clean();
  for (const c of conns) c.disconnect();
  return result;
}

const results = [];
for (const n of SIZES) {
  const r = await run(n);
  results.push(r);
  console.log(
    [
      `\n${n / 1e6}M entries (${r.live} live, ${r.stream_records} stream records)`,
      `  start from the stream: ${r.start_from_stream_s} s, CPU ${r.start_from_stream_cpu_s} s (of which table build ${r.start_from_stream_build_s} s)`,
      `  snapshot written in ${r.snapshot_write_s} s: ${r1(r.snapshot.bytes / MiB)} MiB in ${r.snapshot.chunks} chunks`,
      `  start from snapshot + ${r.start_from_snapshot.tail_records} records: ${r.start_from_snapshot.seconds} s, CPU ${r.start_from_snapshot.cpu_s} s (snapshot read ${r.start_from_snapshot.snapshot_read_s} s, table build ${r.start_from_snapshot.build_s} s)`,
      `  same answers: ${r.same_answers}`,
      `  Redis MiB: stream ${r.redis_mib.stream_before} before; snapshot ${r.redis_mib.snapshot}; stream ${r.redis_mib.stream_after_trim} after trimming ${r.redis_mib.records_trimmed} records`,
      `  load average ${r.load_average.join(' ')}`,
    ].join('\n'),
  );
}
const file = writeResult('index-start', { machine: machine(), tail: TAIL, results });
console.log(`\nwritten to ${file}`);
