// `npm run bench:fanout`: what sharding the near-duplicate hash index costs a query (docs/scaling.md).
//
// Simulates the sharded design in one process: the corpus is partitioned by a hash of each image's id
// into S shards, each shard one MultiIndex with the production PDQ layout (src/memory/hash-index/mih.ts, as
// src/memory/hash-index/hash-index.ts builds it); a query is sent to every shard (its 8 dihedral variants each) and
// the shards' hits are merged (best distance per id, nearest first, limit 100). S = 1 is the single
// index of today. For S = 1, 2, 4, 8 it prints, per query:
//   - cpu: the CPU time of the whole fan-out (every shard searched one after the other, plus the merge):
//     what the shard owners together spend per query;
//   - parallel: the slowest shard's search plus the merge: the latency when shards answer in parallel
//     (network round trips not included: add one RTT, ~0.1-0.3 ms in one data centre);
//   - recall: the merged hits are the single index's hits, exactly (same ids, same distances), for
//     every query. Planted neighbours at distances 0..31 must all come back.
// Env: BENCH_FANOUT_SIZE (default 300000 images), BENCH_FANOUT_QUERIES (300), BENCH_FANOUT_SHARDS
// ("1,2,4,8"). Prints a table and writes bench/results/fanout.json.
import { createHash, randomBytes } from 'node:crypto';
import { MultiIndex } from '../src/memory/hash-index/mih.js';
import { PDQ_LAYOUT } from '../src/memory/hash-index/hash-index.js';
import { DEFAULT_HIT_LIMIT, PDQ_MAX_DISTANCE } from '../src/memory/hash-index/types.js';
import { cpuMs, machine, summarize, writeResult } from './lib.js';
import { indexId } from '../src/memory/index-ids.js';

const SIZE = Number(process.env.BENCH_FANOUT_SIZE ?? 300_000);
const QUERIES = Number(process.env.BENCH_FANOUT_QUERIES ?? 300);
const SHARDS = (process.env.BENCH_FANOUT_SHARDS ?? '1,2,4,8').split(',').map(Number);
const WORDS = 8;
const VARIANTS = 8;

/** Shard of an image id: the first 4 bytes of sha256(id), modulo the shard count (stable, even). */
function shardOf(id: string, shards: number): number {
  return createHash('sha256').update(id).digest().readUInt32BE(0) % shards;
}

function randomHash(): Uint32Array {
  const b = randomBytes(WORDS * 4);
  return new Uint32Array(b.buffer, b.byteOffset, WORDS).slice();
}

/** A copy of `h` with `d` distinct random bits flipped. */
function flip(h: Uint32Array, d: number): Uint32Array {
  const out = h.slice();
  const bits = new Set<number>();
  while (bits.size < d) bits.add(Math.floor(Math.random() * WORDS * 32));
  for (const b of bits) out[b >>> 5] = ((out[b >>> 5] as number) ^ (1 << (b & 31))) >>> 0;
  return out;
}

// --- the corpus: random hashes, and per query neighbours planted at distances spread over 0..31 ---
const ids: string[] = [];
const corpus = new Uint32Array(SIZE * WORDS);
const queries: Uint32Array[] = [];
for (let q = 0; q < QUERIES; q++) {
  const variants = new Uint32Array(VARIANTS * WORDS);
  for (let v = 0; v < VARIANTS; v++) variants.set(randomHash(), v * WORDS);
  queries.push(variants);
}
let planted = 0;
for (let i = 0; i < SIZE; i++) {
  ids.push(indexId.media(randomBytes(32).toString('hex')));
  if (i % 97 === 0) {
    // every 97th entry is a neighbour of some query, on a random variant
    const query = queries[planted % QUERIES] as Uint32Array;
    const v = Math.floor(Math.random() * VARIANTS);
    corpus.set(
      flip(query.subarray(v * WORDS, v * WORDS + WORDS), planted % (PDQ_MAX_DISTANCE + 1)),
      i * WORDS,
    );
    planted++;
  } else {
    corpus.set(randomHash(), i * WORDS);
  }
}

interface Shard {
  index: MultiIndex;
  /** local entry number -> corpus position */
  global: Uint32Array;
}

function build(shards: number): Shard[] {
  const members: number[][] = Array.from({ length: shards }, () => []);
  for (let i = 0; i < SIZE; i++) members[shardOf(ids[i] as string, shards)]?.push(i);
  return members.map((list) => {
    const index = new MultiIndex({ words: WORDS, ...PDQ_LAYOUT, capacity: list.length + 1 });
    index.beginBulk();
    list.forEach((g, local) => index.put(local, corpus, g * WORDS));
    index.endBulk();
    return { index, global: Uint32Array.from(list) };
  });
}

/** One shard's answer: corpus position -> best distance over the variants. */
function searchShard(shard: Shard, query: Uint32Array): Map<number, number> {
  const best = new Map<number, number>();
  for (let v = 0; v < VARIANTS; v++) {
    shard.index.search(query, v * WORDS, PDQ_MAX_DISTANCE, (entry, d) => {
      const g = shard.global[entry] as number;
      const prev = best.get(g);
      if (prev === undefined || d < prev) best.set(g, d);
    });
  }
  return best;
}

/** The merge a router does: best distance per id over the shards, nearest first, then by id. */
function merge(answers: Map<number, number>[]): Array<[number, number]> {
  const best = new Map<number, number>();
  for (const a of answers) {
    for (const [g, d] of a) {
      const prev = best.get(g);
      if (prev === undefined || d < prev) best.set(g, d);
    }
  }
  return [...best]
    .sort((x, y) => x[1] - y[1] || (ids[x[0]] as string).localeCompare(ids[y[0]] as string))
    .slice(0, DEFAULT_HIT_LIMIT);
}

let reference: string[] | null = null;
const rows: Array<Record<string, unknown>> = [];
console.log(`fan-out over ${SIZE} images, ${QUERIES} queries x ${VARIANTS} variants, ${planted} planted`);
for (const s of SHARDS) {
  const t0 = performance.now();
  const shards = build(s);
  const buildMs = performance.now() - t0;
  for (let w = 0; w < 10; w++) shards.forEach((sh) => searchShard(sh, queries[w % QUERIES] as Uint32Array));
  const cpu: number[] = [];
  const parallel: number[] = [];
  const mergeTimes: number[] = [];
  const results: string[] = [];
  for (const query of queries) {
    const c0 = cpuMs();
    const answers: Map<number, number>[] = [];
    let slowest = 0;
    for (const sh of shards) {
      const p0 = performance.now();
      answers.push(searchShard(sh, query));
      slowest = Math.max(slowest, performance.now() - p0);
    }
    const m0 = performance.now();
    const merged = merge(answers);
    const mergeMs = performance.now() - m0;
    cpu.push(cpuMs() - c0);
    parallel.push(slowest + mergeMs);
    mergeTimes.push(mergeMs);
    results.push(merged.map(([g, d]) => `${g}:${d}`).join(','));
  }
  reference ??= results;
  const identical = results.every((r, i) => r === reference?.[i]);
  const found = results.reduce((n, r) => n + (r ? r.split(',').length : 0), 0);
  const row = {
    shards: s,
    build_ms: Math.round(buildMs),
    cpu_ms: summarize(cpu),
    parallel_ms: summarize(parallel),
    merge_ms: summarize(mergeTimes),
    hits: found,
    same_hits_as_single_index: identical,
  };
  rows.push(row);
  console.log(
    `shards ${String(s).padStart(2)}  cpu p50/p99 ${row.cpu_ms.p50}/${row.cpu_ms.p99} ms  ` +
      `parallel p50/p99 ${row.parallel_ms.p50}/${row.parallel_ms.p99} ms  merge p99 ${row.merge_ms.p99} ms  ` +
      `hits ${found} (planted ${planted})  same as single: ${identical}  build ${row.build_ms} ms`,
  );
}
const file = writeResult('fanout', { machine: machine(), size: SIZE, queries: QUERIES, planted, rows });
console.log(`written ${file}`);
if (rows.some((r) => !r.same_hits_as_single_index)) process.exitCode = 1;
