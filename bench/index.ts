// `npm run bench:index` (node --expose-gc --import=tsx bench/index.ts): the near-duplicate hash index at
// 1 and 10 million synthetic images, against the real Redis.
//
// For each size: 200 queries, each 8 independent random PDQ hashes (the worst case: real dihedral variants
// share structure), and per query 11 planted neighbours on random variants: 8 at distances spread over
// 0..31 (every distance covered), 3 at 32..40 that must not come back; half of them with their flipped
// bits dealt evenly over the index's segments, 12 or 16 (the worst case for the pigeonhole argument).
// Planted pHash neighbours ride on the same entries: 4 at 0..10, 2 at 11..14. Everything else is random,
// with ids like production's (m:<sha256>).
//   1. A writer instance adds all N through addMany (batched XADDs + local apply): the insert rate.
//   2. A fresh instance starts from the stream: the cold load (restart) time.
//   3. Query latency (wall and CPU), recall of planted neighbours <= 31, results beyond the threshold
//      (checked against each stored hash with hammingHex), on both instances; pHash queries as well.
//   4. Sync delay: the writer adds, the other instance sees it.
//   5. Memory: process RSS / heap / array buffers per million (after gc), Redis MEMORY USAGE per million.
// Env: BENCH_INDEX_SIZES (default "1000000,10000000"), BENCH_INDEX_QUERIES (200), REDIS_URL.
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { Redis } from 'ioredis';
import pino from 'pino';
import { createHashIndex, type HashIndex } from '../src/memory/hash-index/hash-index.js';
import type { IndexEntry } from '../src/memory/hash-index/types.js';
import { keys } from '../src/keys.js';
import { hammingHex } from '../src/similarity/hamming.js';
import { machine, summarize, writeResult } from './lib.js';
import { indexId } from '../src/memory/index-ids.js';

const SIZES = (process.env.BENCH_INDEX_SIZES ?? '1000000,10000000').split(',').map(Number);
const QUERIES = Number(process.env.BENCH_INDEX_QUERIES ?? 200);
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const THRESHOLD = 31;
const PHASH_THRESHOLD = 10;
// As PDQ_LAYOUT in src/memory/hash-index/hash-index.ts (large levels 12 segments, small ones 16), for the worst-case
// planting.
const LAYOUTS = [12, 16];
const BATCH = 10000;
const MiB = 2 ** 20;

const log = pino({ level: 'warn' });
const say = (msg: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${msg}\n`);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) say('run with node --expose-gc for meaningful memory figures');

/** `hex` with exactly `d` distinct bits flipped; spread: dealt round-robin over that many segments. */
function flip(hex: string, d: number, spread = 0): string {
  const buf = Buffer.from(hex, 'hex');
  const total = buf.length * 8;
  const bits = new Set<number>();
  const segs = Math.max(1, spread);
  const order = [...Array(segs).keys()].sort(() => Math.random() - 0.5);
  const start = (s: number) => {
    let at = 0;
    for (let i = 0; i < s; i++) at += Math.floor(total / segs) + (i < total % segs ? 1 : 0);
    return at;
  };
  for (let k = 0; bits.size < d; k++) {
    const s = order[k % segs] as number;
    const from = start(s);
    const width = start(s + 1) - from;
    let b: number;
    do b = from + Math.floor(Math.random() * width);
    while (bits.has(b));
    bits.add(b);
  }
  for (const b of bits) buf[b >> 3] = (buf[b >> 3] as number) ^ (0x80 >> (b & 7));
  return buf.toString('hex');
}

interface Planted {
  query: number;
  pdqDistance: number;
  variant: number;
  phashDistance: number | null;
}

function makeQueries() {
  const queries = Array.from({ length: QUERIES }, () => ({
    dihedral: Array.from({ length: 8 }, () => randomBytes(32).toString('hex')),
    phash: randomBytes(8).toString('hex'),
  }));
  const planted = new Map<string, Planted>();
  const entries: IndexEntry[] = [];
  queries.forEach((q, qi) => {
    for (let j = 0; j < 11; j++) {
      const pdqDistance = j < 8 ? (qi * 8 + j) % 32 : 32 + ((qi * 3 + j - 8) % 9);
      const variant = Math.floor(Math.random() * 8);
      const phashDistance = j < 4 ? (qi * 4 + j) % 11 : j < 6 ? 11 + ((qi * 2 + j - 4) % 4) : null;
      const id = indexId.media(randomBytes(32).toString('hex'));
      planted.set(id, { query: qi, pdqDistance, variant, phashDistance });
      entries.push({
        id,
        pdq: flip(q.dihedral[variant] as string, pdqDistance, j % 2 === 0 ? LAYOUTS[(j >> 1) % 2] : 0),
        quality: 90,
        phash: phashDistance === null ? randomBytes(8).toString('hex') : flip(q.phash, phashDistance),
      });
    }
  });
  return { queries, planted, entries };
}

/** Random entries [from, to) of the load, with the planted ones placed evenly among them. */
function chunk(from: number, to: number, n: number, plantedEntries: IndexEntry[]): IndexEntry[] {
  const out: IndexEntry[] = [];
  const every = Math.floor(n / plantedEntries.length);
  const raw = randomBytes((to - from) * 72);
  for (let i = from; i < to; i++) {
    const p = i % every === 0 ? plantedEntries[i / every] : undefined;
    if (p) {
      out.push(p);
      continue;
    }
    const o = (i - from) * 72;
    out.push({
      id: indexId.media(raw.toString('hex', o, o + 32)),
      pdq: raw.toString('hex', o + 32, o + 64),
      quality: 50 + ((raw[o] as number) % 51),
      phash: raw.toString('hex', o + 64, o + 72),
    });
  }
  return out;
}

function memory() {
  gc?.();
  gc?.();
  const m = process.memoryUsage();
  return { rss: m.rss, heap: m.heapUsed, arrayBuffers: m.arrayBuffers };
}

const perMillion = (bytes: number, n: number) => Math.round((bytes / MiB / n) * 1e6 * 10) / 10;

function evaluate(
  index: HashIndex,
  queries: ReturnType<typeof makeQueries>['queries'],
  planted: Map<string, Planted>,
) {
  const wall: number[] = [];
  const cpu: number[] = [];
  let expected = 0;
  let found = 0;
  let beyond = 0;
  let wrongDistance = 0;
  let unplanted = 0;
  for (let w = 0; w < 5; w++) index.queryPdq(queries[w % queries.length]?.dihedral as string[]); // JIT warm-up
  queries.forEach((q, qi) => {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const hits = index.queryPdq(q.dihedral, { maxDistance: THRESHOLD, limit: 1000 });
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
    for (const p of planted.values()) if (p.query === qi && p.pdqDistance <= THRESHOLD) expected++;
    for (const h of hits) {
      const stored = index.get(h.id)?.pdq as string;
      const actual = hammingHex(stored, q.dihedral[h.variant] as string);
      if (actual !== h.distance) wrongDistance++;
      if (actual > THRESHOLD || h.distance > THRESHOLD) beyond++;
      const p = planted.get(h.id);
      if (p && p.query === qi && p.pdqDistance <= THRESHOLD && p.variant === h.variant) found++;
      else if (!p || p.query !== qi) unplanted++;
    }
  });
  return {
    latency_ms: summarize(wall),
    cpu_ms: summarize(cpu),
    recall: expected ? found / expected : NaN,
    planted_within_threshold: expected,
    found,
    results_beyond_threshold: beyond,
    wrong_distances: wrongDistance,
    other_hits: unplanted,
  };
}

function evaluatePhash(
  index: HashIndex,
  queries: ReturnType<typeof makeQueries>['queries'],
  planted: Map<string, Planted>,
) {
  const wall: number[] = [];
  let expected = 0;
  let found = 0;
  let beyond = 0;
  queries.forEach((q, qi) => {
    const t0 = performance.now();
    const hits = index.queryPhash(q.phash, { maxDistance: PHASH_THRESHOLD, limit: 1000 });
    wall.push(performance.now() - t0);
    for (const p of planted.values()) {
      if (p.query === qi && p.phashDistance !== null && p.phashDistance <= PHASH_THRESHOLD) expected++;
    }
    for (const h of hits) {
      const actual = hammingHex(index.get(h.id)?.phash as string, q.phash);
      if (actual > PHASH_THRESHOLD || actual !== h.distance) beyond++;
      const p = planted.get(h.id);
      if (p && p.query === qi && p.phashDistance === actual) found++;
    }
  });
  return {
    latency_ms: summarize(wall),
    recall: expected ? found / expected : NaN,
    results_beyond_threshold: beyond,
  };
}

async function run(n: number) {
  const k = keys(`bench_idx_${process.pid}_${n}`);
  const stream = k.indexStream();
  const conns = [new Redis(REDIS_URL), new Redis(REDIS_URL)] as const;
  const [wconn, rconn] = conns;
  await wconn.unlink(stream);
  const { queries, planted, entries: plantedEntries } = makeQueries();

  // 1. Insert through a live instance.
  const mem0 = memory();
  const writer = createHashIndex({ redis: wconn, keys: k, log });
  await writer.start();
  // Timed: addMany only (the synthetic entries are made outside the clock).
  let insertMs = 0;
  for (let i = 0; i < n; i += BATCH) {
    const batch = chunk(i, Math.min(n, i + BATCH), n, plantedEntries);
    const t0 = performance.now();
    await writer.addMany(batch);
    insertMs += performance.now() - t0;
    if ((i + BATCH) % 1_000_000 === 0) {
      say(`${n}: ${(i + BATCH) / 1e6}M added, ${Math.round((i + BATCH) / (insertMs / 1000))}/s`);
    }
  }
  const insertS = insertMs / 1000;
  const memWriter = memory();
  const writerStats = writer.stats();
  const redisBytes = Number(await wconn.call('MEMORY', 'USAGE', stream, 'SAMPLES', '0'));
  say(`${n}: inserted in ${insertS.toFixed(1)} s; querying the writer`);
  const onWriter = evaluate(writer, queries, planted);

  // 2. Cold start of a second instance (what a restarted worker does).
  const mem1 = memory();
  const reader = createHashIndex({ redis: rconn, keys: k, log });
  const t1 = performance.now();
  await reader.start();
  const loadS = (performance.now() - t1) / 1000;
  const memReader = memory();
  say(`${n}: cold load in ${loadS.toFixed(1)} s; querying`);
  const onReader = evaluate(reader, queries, planted);
  const phash = evaluatePhash(reader, queries, planted);

  // 4. Sync delay between the two instances.
  const delays: number[] = [];
  for (let i = 0; i < 100; i++) {
    const e = chunk(0, 1, 1e12, [])[0] as IndexEntry;
    const t = performance.now();
    await writer.add(e);
    while (!reader.get(e.id)) await new Promise((r) => setImmediate(r));
    delays.push(performance.now() - t);
  }

  const result = {
    entries: n,
    insert: { seconds: Math.round(insertS * 10) / 10, per_second: Math.round(n / insertS) },
    cold_load: { seconds: Math.round(loadS * 10) / 10, per_second: Math.round(n / loadS) },
    query_pdq_8_variants: onReader,
    query_pdq_8_variants_on_writer: { ...onWriter, levels: writerStats.pdqLevels },
    query_phash: phash,
    sync_delay_ms: summarize(delays),
    memory_per_million_mib: {
      loaded_instance: {
        rss: perMillion(memReader.rss - mem1.rss, n),
        heap: perMillion(memReader.heap - mem1.heap, n),
        array_buffers: perMillion(memReader.arrayBuffers - mem1.arrayBuffers, n),
        index_typed_arrays: perMillion(reader.stats().bytes, n),
        index_typed_arrays_by_part: Object.fromEntries(
          Object.entries(reader.stats().bytesBy).map(([part, bytes]) => [part, perMillion(bytes, n)]),
        ),
      },
      writer_instance: {
        rss: perMillion(memWriter.rss - mem0.rss, n),
        heap: perMillion(memWriter.heap - mem0.heap, n),
        array_buffers: perMillion(memWriter.arrayBuffers - mem0.arrayBuffers, n),
        index_typed_arrays: perMillion(writerStats.bytes, n),
      },
      redis_stream: perMillion(redisBytes, n),
    },
    load_average: loadavg().map((x) => Math.round(x * 100) / 100),
  };
  await writer.close();
  await reader.close();
  await wconn.unlink(stream);
  for (const c of conns) c.disconnect();
  return result;
}

const results = [];
for (const n of SIZES) {
  const r = await run(n);
  results.push(r);
  const q = r.query_pdq_8_variants;
  console.log(
    [
      `\n${(n / 1e6).toString()}M entries`,
      `  query (8 variants, <= ${THRESHOLD}): p50 ${q.latency_ms.p50} ms, p99 ${q.latency_ms.p99} ms (CPU p50 ${q.cpu_ms.p50}, p99 ${q.cpu_ms.p99}); on the writer p50 ${r.query_pdq_8_variants_on_writer.latency_ms.p50}, p99 ${r.query_pdq_8_variants_on_writer.latency_ms.p99}`,
      `  recall ${(q.recall * 100).toFixed(2)}% of ${q.planted_within_threshold} planted; beyond threshold ${q.results_beyond_threshold}; wrong distances ${q.wrong_distances}; other hits ${q.other_hits} (writer: recall ${(r.query_pdq_8_variants_on_writer.recall * 100).toFixed(2)}%, beyond ${r.query_pdq_8_variants_on_writer.results_beyond_threshold})`,
      `  pHash (<= ${PHASH_THRESHOLD}): p50 ${r.query_phash.latency_ms.p50} ms, p99 ${r.query_phash.latency_ms.p99} ms, recall ${(r.query_phash.recall * 100).toFixed(2)}%, beyond ${r.query_phash.results_beyond_threshold}`,
      `  insert ${r.insert.per_second}/s (${r.insert.seconds} s); cold load ${r.cold_load.per_second}/s (${r.cold_load.seconds} s)`,
      `  sync delay p50 ${r.sync_delay_ms.p50} ms, p99 ${r.sync_delay_ms.p99} ms`,
      `  memory per million (MiB): loaded instance RSS ${r.memory_per_million_mib.loaded_instance.rss}, heap ${r.memory_per_million_mib.loaded_instance.heap}, array buffers ${r.memory_per_million_mib.loaded_instance.array_buffers} (index ${r.memory_per_million_mib.loaded_instance.index_typed_arrays}: ${JSON.stringify(r.memory_per_million_mib.loaded_instance.index_typed_arrays_by_part)}); writer RSS ${r.memory_per_million_mib.writer_instance.rss}; Redis ${r.memory_per_million_mib.redis_stream}`,
      `  load average ${r.load_average.join(' ')}`,
    ].join('\n'),
  );
}
const file = writeResult('index', { machine: machine(), queries: QUERIES, results });
console.log(`\nwritten to ${file}`);
