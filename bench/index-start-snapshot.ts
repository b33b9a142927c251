// `npm run bench:index-start-snapshot`: a process's start from a snapshot at sizes where filling the
// stream first (bench/index-start.ts) would take most of an hour: the snapshot of N random entries is
// written straight into Redis (SnapshotStore.write, as a process writes one), BENCH_START_TAIL records are
// XADDed after it, and a fresh index starts from both, BENCH_START_RUNS times. Wall and this process's
// CPU seconds (the machine may be shared), the load's phases, bytes held, and a check that sampled
// entries are found (by id, and by their PDQ and pHash at distance 0).
// Env: BENCH_START_SIZES (default "2000000,10000000"), BENCH_START_TAIL (default 50,000),
// BENCH_START_RUNS (default 1), REDIS_URL.
import { randomFillSync } from 'node:crypto';
import { loadavg } from 'node:os';
import { Redis } from 'ioredis';
import pino from 'pino';
import { createHashIndex } from '../src/memory/hash-index/hash-index.js';
import { encodeEntry } from '../src/memory/hash-index/record.js';
import { SnapshotStore } from '../src/memory/hash-index/snapshot.js';
import { keys } from '../src/keys.js';
import { machine, writeResult } from './lib.js';

const SIZES = (process.env.BENCH_START_SIZES ?? '2000000,10000000').split(',').map(Number);
const TAIL = Number(process.env.BENCH_START_TAIL ?? 50_000);
const RUNS = Number(process.env.BENCH_START_RUNS ?? 1);
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const log = pino({ level: 'warn' });
const say = (msg: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${msg}\n`);
const gc = (globalThis as { gc?: () => void }).gc;
const r2 = (x: number) => Math.round(x * 100) / 100;

// A record of production's shape (m:<sha256> id, PDQ, quality, pHash), its random parts overwritten.
const TEMPLATE = encodeEntry({
  id: `m:${'0'.repeat(64)}`,
  pdq: '0'.repeat(64),
  phash: '0'.repeat(16),
  quality: 90,
});
const HASHES = [3, 43] as const;
const ID_SUFFIX = TEMPLATE.length - 32;

interface Sample {
  id: string;
  pdq: string;
  phash: string;
}

/** A random record into out[at..]; every 5,000th is kept as a sample. */
function randomRecord(out: Buffer, at: number, n: number, samples: Sample[]): number {
  TEMPLATE.copy(out, at);
  randomFillSync(out, at + HASHES[0], HASHES[1] - HASHES[0]);
  randomFillSync(out, at + ID_SUFFIX, 32);
  out[at + 2] = 50 + (n % 51);
  if (n % 5000 === 0) {
    samples.push({
      id: `m:${out.toString('hex', at + ID_SUFFIX, at + TEMPLATE.length)}`,
      pdq: out.toString('hex', at + 3, at + 35),
      phash: out.toString('hex', at + 35, at + 43),
    });
  }
  return TEMPLATE.length;
}

async function run(n: number) {
  const k = keys(`bench_start_snap_${process.pid}_${n}`);
  const redis = new Redis(REDIS_URL);
  const clean = async () => {
    for (const key of await redis.keys(`{${k.indexStream()}}*`)) await redis.unlink(key);
    await redis.unlink(k.indexStream());
  };
  await clean();
  const samples: Sample[] = [];
  const record = Buffer.allocUnsafe(TEMPLATE.length);
  // The snapshot is as of the stream's first record (the stream must exist, as in production).
  randomRecord(record, 0, 1, []);
  const first = (await redis.xadd(k.indexStream(), '*', 'e', record)) as string;
  const store = new SnapshotStore(redis, k, log);
  let done = 0;
  const meta = await store.write({ id: first, entries: n, streamLength: 1 }, '', (out) => {
    let at = 0;
    let entries = 0;
    while (done < n && at + 2 + TEMPLATE.length <= out.length) {
      const len = randomRecord(out, at + 2, done, samples);
      out.writeUInt16BE(len, at);
      at += 2 + len;
      entries++;
      done++;
      if (done % 1_000_000 === 0) say(`${n}: ${done / 1e6}M written`);
    }
    return { bytes: at, entries };
  });
  if (!meta) throw new Error('snapshot not published');
  for (let i = 0; i < TAIL; i += 5000) {
    const pipe = redis.pipeline();
    for (let j = i; j < Math.min(TAIL, i + 5000); j++) {
      randomRecord(record, 0, n + j, samples);
      pipe.xadd(k.indexStream(), '*', 'e', Buffer.from(record));
    }
    await pipe.exec();
  }
  const runs = [];
  for (let r = 0; r < RUNS; r++) {
    gc?.();
    say(`${n}: start ${r + 1} of ${RUNS}`);
    const index = createHashIndex({ redis, keys: k, log, snapshots: { every: 0, checkMs: 0, graceMs: 0 } });
    const load0 = loadavg()[0] as number;
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await index.start();
    const c = process.cpuUsage(c0);
    const seconds = (performance.now() - t0) / 1000;
    const s = index.stats();
    const found = samples.filter(
      (e) =>
        index.get(e.id)?.pdq === e.pdq &&
        index.queryPdq([e.pdq], { maxDistance: 0 }).some((h) => h.id === e.id) &&
        index.queryPhash(e.phash, { maxDistance: 0 }).some((h) => h.id === e.id),
    ).length;
    runs.push({
      seconds: r2(seconds),
      cpu_s: r2((c.user + c.system) / 1e6),
      snapshot_read_s: r2(s.loadedFrom.snapshotMs / 1000),
      tail_records: s.loadedFrom.streamRecords,
      build_s: r2(s.loadedFrom.buildMs / 1000),
      live: s.live,
      bytes_per_entry: Math.round(s.bytes / s.slots),
      rss_mib: Math.round(process.memoryUsage().rss / 2 ** 20),
      samples_found: `${found}/${samples.length}`,
      load_average: [r2(load0), r2(loadavg()[0] as number)],
    });
    await index.close();
  }
  await clean();
  redis.disconnect();
  return { entries: n, tail: TAIL, snapshot_bytes: meta.bytes, chunks: meta.chunks, runs };
}

const results = [];
for (const n of SIZES) {
  const r = await run(n);
  results.push(r);
  for (const x of r.runs) {
    console.log(
      `${n / 1e6}M + ${x.tail_records} records: ${x.seconds} s wall, ${x.cpu_s} CPU s (snapshot read ${x.snapshot_read_s} s, ` +
        `build ${x.build_s} s wall), ${x.live} live, ${x.bytes_per_entry} B per entry, RSS ${x.rss_mib} MiB, ` +
        `samples found ${x.samples_found}, load average ${x.load_average.join(' -> ')}`,
    );
  }
}
console.log(`\nwritten to ${writeResult('index-start-snapshot', { machine: machine(), results })}`);
