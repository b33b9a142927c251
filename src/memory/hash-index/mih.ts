// Multi-index hashing (Norouzi et al., "Fast Search in Hamming Space with Multi-Index Hashing", 2012),
// in memory, for one kind of hash: PDQ (8 words of 32 bits) or pHash (2 words). Hand-written because
// no maintained npm package does MIH for 256-bit hashes, and this is a few hundred lines of typed arrays.
//
// Each hash is cut into `segments` contiguous bit ranges. Pigeonhole: if two hashes are within distance
// D, then for any radii r_i with sum(r_i + 1) > D, some segment i differs in at most r_i bits. So each
// segment's value is looked up in its own table, together with every value within r_i bits, and every
// candidate found is verified on its full hash. Radii are derived from D at query time (radiiFor), so
// recall is exact for any threshold; a larger one is only slower.
//
// Layout (no per-entry objects):
//   hashes   Uint32Array, entry e's words at e * words (entry numbers are the caller's, increasing)
//   present  Uint8Array, 1 while entry e holds a hash here and is not removed
//   levels   immutable CSR tables over consecutive entry ranges: per segment, bucket offsets and one
//            postings array of entry numbers (4 bytes per entry per segment)
//   tail     the newest entries (< tailMax) not yet in a level, scanned linearly
// A level's bucket is the top `bits` bits of a segment, bits ~ log2(level size) - 1 (capped at the
// segment's width): bucket tables stay proportional to the level, a few entries per bucket. Probing the
// top bits within the same radius finds a superset of the segment's neighbours; verification filters.
// Each level picks its cut: a level costs about probes x entries-per-bucket candidate checks whatever its
// size, so small levels use many short segments (radius 1: few probes), large ones fewer, longer ones.
// When the tail is full it becomes a level, and the newest levels merge while the older one is at most
// twice the size of the newer (a binary counter, as in an LSM tree): O(log n) levels, each entry rebuilt
// O(log n) times over its life. A bulk load (start-up) builds one level for everything at once.
// Builds run on the caller's thread: a merge into the largest level pauses the event loop for about a
// second per few million entries (rare: the rest must reach half its size first). A large bulk load's
// build (endBulkShared) shares its segments out among worker threads (build-pool.ts), off the event loop.
// Removal clears `present`; postings keep the entry until its level is rebuilt, and hits skip it.
import { popcount32 } from '../../similarity/hamming.js';
import type { BuildPool } from './build-pool.js';
import { buildSegment, type SegmentTask } from './mih-build.js';

/** Widest segment: keeps segment values and bucket masks small non-negative integers. */
const MAX_SEGMENT_BITS = 28;
/** Fewest entries of a bulk build shared out among threads by default (endBulkShared). */
const PARALLEL_MIN = 2 ** 18;
/** Build scratch always kept up to 4 MiB. */
const SCRATCH_KEEP = 4 * 2 ** 20;
/** Words of build scratch per entry built (entry list, partitioned keys and entries). */
export const SCRATCH_PER_ENTRY = 3;

/** How a hash is cut into segments, and the probe radii per threshold for that cut. */
class Layout {
  readonly segments: number;
  /** Per segment: first bit (0 = most significant bit of word 0) and width. */
  readonly start: Uint16Array;
  readonly width: Uint8Array;
  /** Segments ordered narrowest first: extra probe radius goes to the cheapest segments. */
  private readonly byWidth: number[];
  private readonly radii = new Map<number, Int8Array>();

  constructor(bits: number, segments: number) {
    if (!Number.isInteger(segments) || segments < 1 || Math.ceil(bits / segments) > MAX_SEGMENT_BITS) {
      throw new RangeError(`segments must cut ${bits} bits into pieces of at most ${MAX_SEGMENT_BITS}`);
    }
    this.segments = segments;
    this.start = new Uint16Array(segments);
    this.width = new Uint8Array(segments);
    for (let s = 0, at = 0; s < segments; s++) {
      const w = Math.floor(bits / segments) + (s < bits % segments ? 1 : 0);
      this.start[s] = at;
      this.width[s] = w;
      at += w;
    }
    this.byWidth = [...this.width.keys()].sort(
      (a, b) => (this.width[a] as number) - (this.width[b] as number),
    );
  }

  /**
   * Probe radius per segment for threshold D: D + 1 "units" shared out as evenly as possible (the
   * narrowest segments get the extra ones), radius = units - 1 (-1: that segment need not be probed).
   * If every segment i differed in more than r_i bits, the distance would be at least
   * sum(r_i + 1) = D + 1: so some segment is within its radius.
   */
  radiiFor(maxDistance: number): Int8Array {
    let radii = this.radii.get(maxDistance);
    if (!radii) {
      const r = new Int8Array(this.segments);
      const units = maxDistance + 1;
      this.byWidth.forEach((s, rank) => {
        const u = Math.floor(units / this.segments) + (rank < units % this.segments ? 1 : 0);
        r[s] = Math.min(this.width[s] as number, u - 1);
      });
      this.radii.set(maxDistance, r);
      radii = r;
    }
    return radii;
  }
}

interface Level {
  start: number;
  end: number;
  layout: Layout;
  /** Per segment: bucket bits (top bits of the segment used as bucket number). */
  bits: Uint8Array;
  /** Per segment: first index of its bucket offsets in `offsets` (2^bits + 1 of them). */
  base: Uint32Array;
  /** Absolute positions into postings, segment after segment. */
  offsets: Uint32Array;
  postings: Uint32Array;
}

export type HitSink = (entry: number, distance: number) => void;

export interface MultiIndexOptions {
  /** 32-bit words per hash: 8 for PDQ, 2 for a 64-bit hash. */
  words: number;
  /** Number of segments the hash is cut into (widths as equal as possible). */
  segments: number;
  /**
   * Segments for levels of fewer than `smallLevel` entries (default: as `segments`). Each level costs
   * about (probes x entries per bucket) candidate checks whatever its size, so small levels want short
   * segments and radius 1 (few probes); large ones long segments (few entries per bucket).
   */
  smallSegments?: number;
  smallLevel?: number;
  /** Entries kept in the linearly scanned tail before they become a level. */
  tailMax?: number;
  /** Initial room, in entries. */
  capacity?: number;
  /** Fewest entries a bulk build shares out among threads (endBulkShared); default 2^18. */
  parallelMin?: number;
}

export class MultiIndex {
  readonly words: number;
  private readonly large: Layout;
  private readonly small: Layout;
  private readonly smallLevel: number;
  private readonly tailMax: number;
  private readonly parallelMin: number;
  private hashes: Uint32Array;
  private present: Uint8Array;
  private count = 0;
  private sealed = 0;
  private live = 0;
  private levels: Level[] = [];
  private deferSeal = false;
  /** Candidates gathered from many small buckets, verified together (see verify). */
  private readonly gathered = new Uint32Array(4096);
  /**
   * Arrays of levels merged away, for the next builds to reuse, and the builds' scratch space. Fresh
   * memory costs a page fault per 4 KiB on first touch (0.42-0.5 CPU s per GiB on the benchmark VM on a
   * quiet day, up to 5 s on others), and a build that merges levels would otherwise fault in its whole
   * size again every time.
   */
  private spare: Uint32Array[] = [];
  private slack = 1.25;
  private scratch: Uint32Array = new Uint32Array(0);

  constructor(o: MultiIndexOptions) {
    const { words, segments, tailMax = 4096, capacity = 1024 } = o;
    if (!Number.isInteger(words) || words < 1) throw new RangeError('words must be a positive integer');
    this.words = words;
    this.large = new Layout(words * 32, segments);
    this.small = o.smallSegments ? new Layout(words * 32, o.smallSegments) : this.large;
    this.smallLevel = o.smallLevel ?? 0;
    this.tailMax = tailMax;
    this.parallelMin = o.parallelMin ?? PARALLEL_MIN;
    this.hashes = sharedWords(capacity * words);
    this.present = new Uint8Array(capacity);
  }

  /** Entries holding a hash, removed ones excepted. */
  size(): number {
    return this.live;
  }

  levelCount(): number {
    return this.levels.length;
  }

  /** Makes room for entries up to number `entries - 1`. */
  reserve(entries: number): void {
    if (entries <= this.present.length) return;
    const hashes = sharedWords(entries * this.words);
    hashes.set(this.hashes.subarray(0, this.count * this.words));
    this.hashes = hashes;
    const present = new Uint8Array(entries);
    present.set(this.present.subarray(0, this.count));
    this.present = present;
  }

  /** While bulk, new entries stay in the tail; `endBulk` builds them into one level (start-up load). */
  beginBulk(): void {
    this.deferSeal = true;
  }

  /**
   * `scratch`: build space lent by the caller for this build only (a load shares one between its bulk
   * builds: fresh memory costs a page fault per 4 KiB, see `spare`). It is not kept afterwards.
   */
  endBulk(scratch?: Uint32Array): void {
    this.deferSeal = false;
    this.slack = 1;
    if (scratch && scratch.length > this.scratch.length) this.scratch = scratch;
    this.seal();
    if (this.scratch === scratch) this.scratch = new Uint32Array(0);
    this.slack = 1.25;
  }

  /**
   * As endBulk, with the level's segments built by `pool`'s threads when the bulk holds at least
   * `parallelMin` entries (fewer: not worth starting threads). If a thread fails, builds on this thread.
   */
  async endBulkShared(
    pool: BuildPool,
    scratch?: Uint32Array,
    onFallback?: (err: unknown) => void,
  ): Promise<void> {
    if (this.count - this.sealed < this.parallelMin || this.levels.length > 0) return this.endBulk(scratch);
    this.slack = 1;
    if (scratch && scratch.length > this.scratch.length) this.scratch = scratch;
    try {
      const level = await this.buildShared(this.sealed, this.count, pool);
      this.levels.push(level);
      this.sealed = this.count;
    } catch (err) {
      onFallback?.(err);
    }
    this.deferSeal = false;
    this.seal();
    if (this.scratch === scratch) this.scratch = new Uint32Array(0);
    this.slack = 1.25;
  }

  /**
   * Stores entry `entry`'s hash (words read from `src` at `offset`). Entry numbers must increase;
   * numbers skipped hold no hash here.
   */
  put(entry: number, src: ArrayLike<number>, offset = 0): void {
    if (entry < this.count) throw new RangeError(`Entry ${entry} is not after the last one`);
    if (entry >= this.present.length) this.reserve(Math.max(entry + 1, Math.ceil(this.present.length * 1.5)));
    const w = this.words;
    for (let i = 0; i < w; i++) this.hashes[entry * w + i] = (src[offset + i] as number) >>> 0;
    this.present[entry] = 1;
    this.count = entry + 1;
    this.live++;
    if (!this.deferSeal && this.count - this.sealed >= this.tailMax) this.seal();
  }

  /** As put, with the hash's words read big-endian from bytes[offset..] (a record: no words copy). */
  putBytes(entry: number, bytes: Uint8Array, offset: number): void {
    if (entry < this.count) throw new RangeError(`Entry ${entry} is not after the last one`);
    if (entry >= this.present.length) this.reserve(Math.max(entry + 1, Math.ceil(this.present.length * 1.5)));
    const w = this.words;
    const h = this.hashes;
    for (let i = 0, at = entry * w, o = offset; i < w; i++, at++, o += 4) {
      h[at] =
        (((bytes[o] as number) << 24) |
          ((bytes[o + 1] as number) << 16) |
          ((bytes[o + 2] as number) << 8) |
          (bytes[o + 3] as number)) >>>
        0;
    }
    this.present[entry] = 1;
    this.count = entry + 1;
    this.live++;
    if (!this.deferSeal && this.count - this.sealed >= this.tailMax) this.seal();
  }

  has(entry: number): boolean {
    return this.present[entry] === 1;
  }

  /** Copies entry `entry`'s words into `out` (at `offset`). */
  read(entry: number, out: Uint32Array, offset = 0): void {
    const w = this.words;
    out.set(this.hashes.subarray(entry * w, entry * w + w), offset);
  }

  remove(entry: number): void {
    if (this.present[entry] !== 1) return;
    this.present[entry] = 0;
    this.live--;
  }

  /**
   * Calls `sink(entry, distance)` for every present entry within `maxDistance` of the query (words read
   * from `query` at `offset`). An entry may be reported more than once (found through several segments).
   * Returns the number of candidates whose full hash was compared, for the benchmark.
   */
  search(query: Uint32Array, offset: number, maxDistance: number, sink: HitSink): number {
    if (!Number.isInteger(maxDistance) || maxDistance < 0) {
      throw new RangeError('maxDistance must be a non-negative integer');
    }
    const q = query.subarray(offset, offset + this.words);
    const buf = this.gathered;
    let n = 0;
    let examined = 0;
    for (const level of this.levels) {
      const { offsets, postings, layout } = level;
      const radii = layout.radiiFor(maxDistance);
      for (let s = 0; s < layout.segments; s++) {
        const r = radii[s] as number;
        if (r < 0) continue;
        const width = layout.width[s] as number;
        const bits = level.bits[s] as number;
        const key = segmentValue(q, 0, layout.start[s] as number, width) >>> (width - bits);
        const masks = maskTable(bits, r);
        const base = level.base[s] as number;
        // The probed buckets are random places in large tables: touch their offsets, then their first
        // postings, in loops without branches (many misses in flight, as in verify), before reading
        // them for real. Measured ~20% less CPU per query at 10 million.
        let t = 0;
        for (let m = 0; m < masks.length; m++) t ^= offsets[base + (key ^ (masks[m] as number))] as number;
        for (let m = 0; m < masks.length; m++) {
          t ^= postings[offsets[base + (key ^ (masks[m] as number))] as number] as number;
        }
        touched.sink ^= t;
        for (let m = 0; m < masks.length; m++) {
          const b = base + (key ^ (masks[m] as number));
          const from = offsets[b] as number;
          const to = offsets[b + 1] as number;
          if (from === to) continue;
          examined += to - from;
          if (n + (to - from) > buf.length) {
            verify(this.words, this.hashes, this.present, buf, 0, n, q, maxDistance, sink);
            n = 0;
          }
          if (to - from > buf.length) {
            verify(this.words, this.hashes, this.present, postings, from, to, q, maxDistance, sink);
            continue;
          }
          for (let j = from; j < to; j++) buf[n++] = postings[j] as number;
        }
      }
    }
    verify(this.words, this.hashes, this.present, buf, 0, n, q, maxDistance, sink);
    if (this.count > this.sealed) {
      examined += this.count - this.sealed;
      scanRange(this.words, this.hashes, this.present, this.sealed, this.count, q, maxDistance, sink);
    }
    return examined;
  }

  /** Bytes of typed arrays held (hashes, flags, levels). */
  byteSize(): number {
    let n = this.hashes.byteLength + this.present.byteLength + this.scratch.byteLength;
    for (const l of this.levels) n += l.offsets.buffer.byteLength + l.postings.buffer.byteLength;
    for (const a of this.spare) n += a.byteLength;
    return n;
  }

  /** Turns the tail into a level, then merges levels while the older is at most twice the newer. */
  seal(): void {
    if (this.count > this.sealed) {
      this.levels.push(this.build(this.sealed, this.count));
      this.sealed = this.count;
    }
    for (;;) {
      const n = this.levels.length;
      const older = this.levels[n - 2];
      const newer = this.levels[n - 1];
      if (!older || !newer) break;
      if (older.end - older.start > 2 * (newer.end - newer.start)) break;
      const merged = this.build(older.start, newer.end);
      this.levels.splice(n - 2, 2, merged);
      this.release(older);
      this.release(newer);
    }
    // Scratch and spares are kept within a fraction of the levels' size (oldest spares dropped first).
    let levelBytes = 0;
    for (const l of this.levels) levelBytes += l.offsets.buffer.byteLength + l.postings.buffer.byteLength;
    if (this.scratch.byteLength > Math.max(SCRATCH_KEEP, levelBytes / 8)) this.scratch = new Uint32Array(0);
    let spareBytes = this.spare.reduce((sum, a) => sum + a.byteLength, 0);
    while (this.spare.length > 0 && spareBytes > levelBytes / 2) {
      spareBytes -= (this.spare.shift() as Uint32Array).byteLength;
    }
  }

  /** An array of `length` from the spares (at most twice that size), else a fresh one. */
  private take(length: number): Uint32Array {
    let best = -1;
    this.spare.forEach((a, i) => {
      if (a.length >= length && a.length <= 2 * length + 1024) {
        if (best < 0 || a.length < (this.spare[best] as Uint32Array).length) best = i;
      }
    });
    // Fresh arrays get some slack (not in a bulk load), so that a later, larger build can reuse them.
    if (best < 0) return new Uint32Array(Math.ceil(length * this.slack)).subarray(0, length);
    const [a] = this.spare.splice(best, 1);
    return (a as Uint32Array).subarray(0, length);
  }

  private release(level: Level): void {
    this.spare.push(new Uint32Array(level.offsets.buffer), new Uint32Array(level.postings.buffer));
  }

  /**
   * A level for entries [start, end): its cut, bucket bits and tables, and one task per segment
   * (mih-build.ts). `shared`: the entry list and tables on SharedArrayBuffers, for the build threads.
   */
  private plan(start: number, end: number, shared: boolean) {
    const { present } = this;
    let n = 0;
    for (let e = start; e < end; e++) n += present[e] as number;
    const layout = n < this.smallLevel ? this.small : this.large;
    const segments = layout.segments;
    if (this.scratch.length < SCRATCH_PER_ENTRY * n) this.scratch = new Uint32Array(SCRATCH_PER_ENTRY * n);
    const entries =
      shared && !(this.scratch.buffer instanceof SharedArrayBuffer)
        ? sharedWords(n)
        : this.scratch.subarray(0, n);
    for (let e = start, i = 0; e < end; e++) if (present[e] === 1) entries[i++] = e;
    const bits = new Uint8Array(segments);
    const base = new Uint32Array(segments);
    const tasks: SegmentTask[] = [];
    let total = 0;
    for (let s = 0; s < segments; s++) {
      bits[s] = Math.min(layout.width[s] as number, Math.max(1, Math.ceil(Math.log2(Math.max(2, n))) - 1));
      base[s] = total;
      tasks.push({
        s,
        start: layout.start[s] as number,
        width: layout.width[s] as number,
        bits: bits[s] as number,
        base: total,
      });
      total += (1 << (bits[s] as number)) + 1;
    }
    // Every offset and posting is written by the segment builds: reused arrays need no clearing.
    const offsets = shared ? sharedWords(total) : this.take(total);
    const postings = shared ? sharedWords(segments * n) : this.take(segments * n);
    const level: Level = { start, end, layout, bits, base, offsets, postings };
    return { n, entries, tasks, level };
  }

  /** Buckets entries [start, end) by each segment, on this thread. */
  private build(start: number, end: number): Level {
    const { n, entries, tasks, level } = this.plan(start, end, false);
    const arrays = {
      hashes: this.hashes,
      words: this.words,
      entries,
      partKeys: this.scratch.subarray(n, 2 * n),
      partEntries: this.scratch.subarray(2 * n, 3 * n),
      offsets: level.offsets,
      postings: level.postings,
    };
    for (const task of tasks) buildSegment(arrays, task);
    return level;
  }

  /** As build, the segments shared out among `pool`'s threads (the same bytes). */
  private async buildShared(start: number, end: number, pool: BuildPool): Promise<Level> {
    const { entries, tasks, level } = this.plan(start, end, true);
    const { offsets, postings } = level;
    await pool.run({ hashes: this.hashes, words: this.words, entries, offsets, postings }, tasks);
    return level;
  }
}

/** A zeroed Uint32Array of `length` on a SharedArrayBuffer (build threads write into it). */
function sharedWords(length: number): Uint32Array {
  return new Uint32Array(new SharedArrayBuffer(length * 4));
}

/** Bits [start, start + width) of the hash at h[base..] (bit 0 = most significant of the first word). */
export function segmentValue(h: Uint32Array, base: number, start: number, width: number): number {
  const i = base + (start >>> 5);
  const end = (start & 31) + width;
  if (end <= 32) return ((h[i] as number) >>> (32 - end)) & ((1 << width) - 1);
  const over = end - 32;
  const high = (h[i] as number) & ((1 << (width - over)) - 1);
  return ((high << over) | ((h[i + 1] as number) >>> (32 - over))) >>> 0;
}

/** Candidates are verified in chunks this size: touched first, then compared (see verify). */
const CHUNK = 256;
/** Where the touching loads go, so that the compiler cannot drop them as unused. */
const touched = { sink: 0 };

/**
 * Compares the query with the entries listed in candidates[from..to). Candidates are random places in a
 * large array, so each is a cache (and TLB) miss: comparing one by one, with a data-dependent branch per
 * candidate, keeps few misses in flight. So each chunk is first touched with a tiny loop (one load per
 * candidate, no branch: the CPU overlaps many misses), then compared while its lines are in L1. Measured
 * ~3x fewer CPU ns per candidate at 10 million PDQ hashes. `present` is checked only for hits.
 */
function verify(
  words: number,
  h: Uint32Array,
  present: Uint8Array,
  candidates: Uint32Array,
  from: number,
  to: number,
  q: Uint32Array,
  max: number,
  sink: HitSink,
): void {
  for (let a = from; a < to; a += CHUNK) {
    const z = Math.min(to, a + CHUNK);
    let t = 0;
    for (let j = a; j < z; j++) t ^= h[(candidates[j] as number) * words] as number;
    touched.sink ^= t;
    if (words === 8) {
      const q0 = q[0] as number,
        q1 = q[1] as number,
        q2 = q[2] as number,
        q3 = q[3] as number;
      const q4 = q[4] as number,
        q5 = q[5] as number,
        q6 = q[6] as number,
        q7 = q[7] as number;
      for (let j = a; j < z; j++) {
        const e = candidates[j] as number;
        const b = e * 8;
        let d = popcount32((h[b] as number) ^ q0) + popcount32((h[b + 1] as number) ^ q1);
        if (d > max) continue;
        d += popcount32((h[b + 2] as number) ^ q2) + popcount32((h[b + 3] as number) ^ q3);
        if (d > max) continue;
        d +=
          popcount32((h[b + 4] as number) ^ q4) +
          popcount32((h[b + 5] as number) ^ q5) +
          popcount32((h[b + 6] as number) ^ q6) +
          popcount32((h[b + 7] as number) ^ q7);
        if (d <= max && present[e] === 1) sink(e, d);
      }
    } else {
      for (let j = a; j < z; j++) {
        const e = candidates[j] as number;
        const d = distance(h, e * words, words, q, max);
        if (d <= max && present[e] === 1) sink(e, d);
      }
    }
  }
}

/** Compares the query with entries from..to-1 (the tail: sequential, the prefetcher does the rest). */
function scanRange(
  words: number,
  h: Uint32Array,
  present: Uint8Array,
  from: number,
  to: number,
  q: Uint32Array,
  max: number,
  sink: HitSink,
): void {
  for (let e = from; e < to; e++) {
    if (present[e] === 0) continue;
    const d = distance(h, e * words, words, q, max);
    if (d <= max) sink(e, d);
  }
}

/** Distance of h[b..b+words) to q, stopping once it exceeds max (then any value > max). */
function distance(h: Uint32Array, b: number, words: number, q: Uint32Array, max: number): number {
  let d = 0;
  for (let w = 0; w < words && d <= max; w++) d += popcount32((h[b + w] as number) ^ (q[w] as number));
  return d;
}

const maskCache = new Map<number, Uint32Array>();

/** Every `bits`-bit value with at most `radius` bits set (0 first): XOR masks of the probed buckets. */
export function maskTable(bits: number, radius: number): Uint32Array {
  const key = bits * 64 + radius;
  let masks = maskCache.get(key);
  if (!masks) {
    const out: number[] = [];
    const add = (from: number, left: number, acc: number) => {
      out.push(acc);
      if (left === 0) return;
      for (let b = from; b < bits; b++) add(b + 1, left - 1, acc | (1 << b));
    };
    add(0, Math.min(radius, bits), 0);
    masks = Uint32Array.from(out);
    maskCache.set(key, masks);
  }
  return masks;
}
