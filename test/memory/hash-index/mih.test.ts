// The multi-index against brute force: random hashes with planted neighbours at every distance, several
// thresholds and segment layouts, incrementally built (levels, merges, tail) and bulk built.
import t, { type Test } from 'tap';
import { popcount32 } from '../../../src/similarity/hamming.js';
import {
  MultiIndex,
  SCRATCH_PER_ENTRY,
  maskTable,
  segmentValue,
} from '../../../src/memory/hash-index/mih.js';
import { BuildPool } from '../../../src/memory/hash-index/build-pool.js';

// One pool of build threads for the file's bulk builds (threads start once under tsx: ~1 s each).
const pool = new BuildPool(2);
t.teardown(() => pool.close());

/** mulberry32: a seeded generator, so a failure can be replayed. */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return (x ^ (x >>> 14)) >>> 0;
  };
}

/**
 * A copy of `words` words of `src` at `at`, with exactly `d` distinct bits flipped: anywhere, or (spread)
 * dealt round-robin over the segments in a random order, the worst case for the pigeonhole argument
 * (as many segments as possible beyond their probe radius).
 */
function plant(
  src: Uint32Array,
  at: number,
  words: number,
  d: number,
  next: () => number,
  spreadOver = 0,
): Uint32Array {
  const out = src.slice(at, at + words);
  const total = words * 32;
  const bits = new Set<number>();
  if (spreadOver === 0) {
    while (bits.size < d) bits.add(next() % total);
  } else {
    const bounds = Array.from({ length: spreadOver + 1 }, (_, s) => {
      let start = 0;
      for (let i = 0; i < s; i++) start += Math.floor(total / spreadOver) + (i < total % spreadOver ? 1 : 0);
      return start;
    });
    const order = [...Array(spreadOver).keys()].sort(() => (next() & 1 ? 1 : -1));
    for (let k = 0; bits.size < d; k++) {
      const s = order[k % spreadOver] as number;
      const from = bounds[s] as number;
      const width = (bounds[s + 1] as number) - from;
      // The top bits first: small levels bucket by a segment's top bits only, so flips there are the
      // ones that decide which buckets must be probed.
      const top = [0, 1, 2, 3].map((i) => from + i).filter((b) => !bits.has(b));
      let b = top[next() % Math.max(1, top.length)] ?? from;
      while (bits.has(b)) b = from + (next() % width);
      bits.add(b);
    }
  }
  for (const b of bits) out[b >>> 5] = ((out[b >>> 5] as number) ^ (1 << (31 - (b & 31)))) >>> 0;
  return out;
}

function distance(a: Uint32Array, ai: number, b: Uint32Array, bi: number, words: number): number {
  let d = 0;
  for (let w = 0; w < words; w++) d += popcount32((a[ai + w] as number) ^ (b[bi + w] as number));
  return d;
}

interface Case {
  words: number;
  segments: number;
  /** Levels under `smallLevel` entries cut into `smallSegments` (as the PDQ index does). */
  smallSegments?: number;
  smallLevel?: number;
  random: number;
  queries: number;
  plantedUpTo: number;
  thresholds: number[];
}

async function runCase(t: Test, c: Case, seed: number) {
  const next = rng(seed);
  const { words } = c;
  const queries = new Uint32Array(c.queries * words).map(() => next());
  // Entries: random hashes, plus for each query one neighbour at every distance 0..plantedUpTo.
  const rows: Uint32Array[] = [];
  for (let i = 0; i < c.random; i++) rows.push(new Uint32Array(words).map(() => next()));
  for (let q = 0; q < c.queries; q++) {
    for (let d = 0; d <= c.plantedUpTo; d++) {
      rows.push(plant(queries, q * words, words, d, next));
      rows.push(plant(queries, q * words, words, d, next, c.segments));
      if (c.smallSegments) rows.push(plant(queries, q * words, words, d, next, c.smallSegments));
    }
  }
  // Shuffle, so planted neighbours land in every level and in the tail.
  for (let i = rows.length - 1; i > 0; i--) {
    const j = next() % (i + 1);
    [rows[i], rows[j]] = [rows[j] as Uint32Array, rows[i] as Uint32Array];
  }
  const all = new Uint32Array(rows.length * words);
  rows.forEach((r, i) => all.set(r, i * words));

  const layout = { segments: c.segments, smallSegments: c.smallSegments, smallLevel: c.smallLevel };
  const incremental = new MultiIndex({ words, ...layout, tailMax: Math.max(97, c.random >> 6) });
  const bulk = new MultiIndex({ words, ...layout });
  bulk.beginBulk();
  // The same bulk load built by threads (a process's start-up load over 2^18 entries): the same hits.
  const threaded = new MultiIndex({ words, ...layout, parallelMin: 1 });
  threaded.beginBulk();
  // The same hashes as big-endian bytes, as records hold them: half of the bulk entries come from there.
  const bytes = Buffer.alloc(all.length * 4);
  all.forEach((w, i) => bytes.writeUInt32BE(w, i * 4));
  // Entry numbers with gaps (entries without this kind of hash), as the facade produces them.
  rows.forEach((_, i) => {
    incremental.put(i * 2 + 1, all, i * words);
    if (i % 2) bulk.putBytes(i * 2 + 1, bytes, i * words * 4);
    else bulk.put(i * 2 + 1, all, i * words);
    threaded.putBytes(i * 2 + 1, bytes, i * words * 4);
  });
  // Build space lent by the caller, full of garbage: the build must not rely on it being zeroed.
  bulk.endBulk(new Uint32Array(SCRATCH_PER_ENTRY * rows.length).fill(0xdeadbeef));
  t.ok(incremental.levelCount() > 1, `incremental build has ${incremental.levelCount()} levels`);
  t.equal(bulk.levelCount(), 1);
  let fellBack: unknown;
  await threaded.endBulkShared(
    pool,
    new Uint32Array(new SharedArrayBuffer(SCRATCH_PER_ENTRY * rows.length * 4)).fill(0xdeadbeef),
    (err) => (fellBack = err),
  );
  t.equal(fellBack, undefined, 'the threads built it');
  t.equal(threaded.levelCount(), 1);
  // Remove a few entries: they must never be reported.
  const removed = new Set<number>();
  for (let k = 0; k < 25; k++) removed.add(next() % rows.length);
  for (const i of removed) {
    incremental.remove(i * 2 + 1);
    bulk.remove(i * 2 + 1);
    threaded.remove(i * 2 + 1);
  }

  let checked = 0;
  for (const [name, index] of [
    ['incremental', incremental],
    ['bulk', bulk],
    ['bulk by threads', threaded],
  ] as const) {
    for (const max of c.thresholds) {
      let mismatches = 0;
      for (let q = 0; q < c.queries; q++) {
        const expected = new Map<number, number>();
        for (let i = 0; i < rows.length; i++) {
          if (removed.has(i)) continue;
          const d = distance(queries, q * words, all, i * words, words);
          if (d <= max) expected.set(i * 2 + 1, d);
        }
        const got = new Map<number, number>();
        index.search(queries, q * words, max, (e, d) => {
          if (got.has(e) && got.get(e) !== d) mismatches++;
          got.set(e, d);
        });
        checked += expected.size;
        if (got.size !== expected.size) mismatches++;
        for (const [e, d] of expected) if (got.get(e) !== d) mismatches++;
      }
      const cut = c.smallSegments ? `${c.segments} (small levels ${c.smallSegments})` : c.segments;
      t.equal(mismatches, 0, `${name}, ${words * 32} bits / ${cut} segments, threshold ${max}`);
    }
  }
  t.ok(checked > c.queries, 'the planted neighbours were found');
}

t.test('PDQ (256 bits, 12 segments): same hits as brute force at every threshold', async (t) => {
  await runCase(
    t,
    {
      words: 8,
      segments: 12,
      random: 6000,
      queries: 12,
      plantedUpTo: 40,
      thresholds: [0, 1, 7, 12, 31, 32, 40],
    },
    1,
  );
});

t.test('PDQ as the index cuts it: 12 segments, small levels 16; same hits as brute force', async (t) => {
  await runCase(
    t,
    {
      words: 8,
      segments: 12,
      smallSegments: 16,
      smallLevel: 3000,
      random: 6000,
      queries: 8,
      plantedUpTo: 40,
      thresholds: [0, 9, 31, 33],
    },
    9,
  );
});

t.test('PDQ with 16 segments of 16 bits, and 11 uneven ones: same hits as brute force', async (t) => {
  await runCase(
    t,
    { words: 8, segments: 16, random: 4000, queries: 8, plantedUpTo: 40, thresholds: [31, 40] },
    2,
  );
  await runCase(
    t,
    { words: 8, segments: 11, random: 4000, queries: 8, plantedUpTo: 40, thresholds: [31] },
    3,
  );
});

t.test('pHash (64 bits, 4 and 3 segments): same hits as brute force', async (t) => {
  await runCase(
    t,
    { words: 2, segments: 4, random: 6000, queries: 12, plantedUpTo: 16, thresholds: [0, 3, 10, 11, 16] },
    4,
  );
  await runCase(t, { words: 2, segments: 3, random: 3000, queries: 8, plantedUpTo: 14, thresholds: [10] }, 5);
});

t.test('full-width buckets (16-bit segments, 2^17 entries): same hits as brute force', async (t) => {
  // Small levels bucket by a segment's top bits only; this size makes buckets use all 16 bits.
  await runCase(
    t,
    { words: 8, segments: 16, random: 140000, queries: 4, plantedUpTo: 34, thresholds: [31] },
    6,
  );
  await runCase(
    t,
    { words: 2, segments: 4, random: 140000, queries: 4, plantedUpTo: 12, thresholds: [10] },
    7,
  );
});

t.test('segment values: every bit range, across word boundaries, matches a bit-by-bit reading', async (t) => {
  const next = rng(8);
  const h = new Uint32Array(8).map(() => next());
  const bit = (b: number) => ((h[b >>> 5] as number) >>> (31 - (b & 31))) & 1;
  let wrong = 0;
  for (let width = 1; width <= 28; width++) {
    for (let start = 0; start + width <= 256; start++) {
      let expected = 0;
      for (let b = start; b < start + width; b++) expected = expected * 2 + bit(b);
      if (segmentValue(h, 0, start, width) !== expected) wrong++;
    }
  }
  t.equal(wrong, 0);
});

t.test('probe masks: every value within the radius, once', async (t) => {
  t.equal(maskTable(16, 1).length, 17);
  t.equal(maskTable(21, 2).length, 1 + 21 + 210);
  t.equal(maskTable(3, 5).length, 8, 'a radius beyond the width covers every bucket');
  t.equal(new Set(maskTable(10, 3)).size, maskTable(10, 3).length);
  t.equal(maskTable(16, 1)[0], 0, 'the exact bucket first');
});

t.test('entry numbers must increase; reserve keeps what is stored', async (t) => {
  const m = new MultiIndex({ words: 2, segments: 4, capacity: 2 });
  m.put(0, [1, 2]);
  m.put(5, [3, 4]);
  t.throws(() => m.put(5, [0, 0]), RangeError);
  m.reserve(1000);
  const out = new Uint32Array(2);
  m.read(5, out);
  t.same([...out], [3, 4]);
  t.equal(m.size(), 2);
  t.notOk(m.has(3));
});

t.test('a bulk build whose threads fail is built on the caller thread instead', async (t) => {
  const next = rng(11);
  const words = 8;
  const index = new MultiIndex({ words, segments: 12, parallelMin: 1 });
  const hashes = new Uint32Array(3000 * words).map(() => next());
  index.beginBulk();
  for (let i = 0; i < 3000; i++) index.put(i, hashes, i * words);
  const broken = new BuildPool(2);
  broken.close();
  let fellBack: unknown;
  await index.endBulkShared(broken, undefined, (err) => (fellBack = err));
  t.match(String(fellBack), /closed/, 'the failure was reported');
  t.equal(index.levelCount(), 1);
  const hits: number[] = [];
  index.search(hashes, 1234 * words, 0, (e) => hits.push(e));
  t.same(hits, [1234], 'and the index finds its entries');
});
