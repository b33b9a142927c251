// The local-feature index: ORB descriptors of every image in scope, queried by votes then a geometric check,
// for copies whole-image hashes cannot find (crops, strips cut off, collages).
//
// Source of truth is Redis, so every worker on every machine answers alike: one binary value per image
// (keys.features(id), ~18 KB at 500 keypoints) and a sorted set of ids by time added (keys.featureIds()).
// Each querying process holds what is in scope in memory and follows the sorted set before each query (one
// ZRANGEBYSCORE of what was added since the last look; a full reconcile, for removals, every
// RECONCILE_MS). Scope is bounded by time: media are kept `scopeDays` (the Redis value expires then, and
// ids older than that leave the set and the process).
//
// Memory bound: each process holds at most `maxImages` (FEATURE_INDEX_MAX_IMAGES) images, ~65 KiB resident
// each; past it the oldest (by time added) are dropped from this process first, and not loaded again.
// Redis still holds their features for the scope, but this process no longer votes for them: such an
// image is then found only by its hashes (whole-image and content-region PDQ), i.e. crops and collages of
// it are missed. Every process drops the same ones (the oldest), so all answer alike.
//
// Votes: each descriptor goes into TABLES hash tables keyed by KEY_BITS fixed bit positions (locality-
// sensitive hashing for Hamming space: a descriptor within ~40 bits of another shares a key in at least one
// table more often than not); a query descriptor votes once per image for which a bucket mate is within
// `voteDistance` bits. The best `maxCandidates` images with at least `minVotes` votes are checked
// geometrically (verify.ts); only those cost OpenCV time.
import { batch, type RedisClient } from '../redis.js';
import type { Keys } from '../keys.js';
import {
  DESCRIPTOR_BYTES,
  decodeFeatures,
  encodeFeatures,
  featureCount,
  type ImageFeatures,
  MAX_KEYPOINTS_PER_IMAGE,
} from '../similarity/features/orb.js';
import {
  verifyInProcess,
  type FeatureVerifier,
  type Verified,
  type VerifyOptions,
} from '../similarity/features/verify.js';

const TABLES = 8;
const KEY_BITS = 16;
const RECONCILE_MS = 60_000;
/** Ids added within this much before the last one seen are read again (clocks of writers differ). */
const CLOCK_SLACK_MS = 5_000;
const DAY_MS = 86_400_000;
/** A table entry is slot * KP_SPAN + keypoint: one small integer (8 bytes in a JS array), not two. */
const KP_SPAN = MAX_KEYPOINTS_PER_IMAGE;

export interface FeatureIndexOptions {
  redis: RedisClient;
  keys: Keys;
  /** Media stay in scope this many days after they were indexed. */
  scopeDays: number;
  /** Most images held in this process (oldest dropped first); default: no bound. */
  maxImages?: number;
  minVotes: number;
  maxCandidates: number;
  voteDistance: number;
  verify: VerifyOptions;
  /** Runs the geometric checks (OpenCV): the analysis pool's threads; default: this thread. */
  verifier?: FeatureVerifier | undefined;
  now?: () => number;
}

export interface FeatureHit extends Verified {
  id: string;
  votes: number;
}

export interface FeatureIndex {
  add(id: string, features: ImageFeatures): Promise<void>;
  remove(id: string): Promise<void>;
  /**
   * Images in scope that share a picture with these features, best first. `exclude`: ids not to check (the
   * query's own, and images already matched by their hashes: the geometric check is the costly part).
   */
  query(features: ImageFeatures, opts?: { exclude?: ReadonlySet<string> }): Promise<FeatureHit[]>;
  /** Whether this process holds `id` in scope (as of its last query or add). */
  has(id: string): boolean;
  /** Images held in this process, and bytes of descriptor memory they take. */
  stats(): { images: number; descriptors: number; bytes: number };
}

// Fixed bit positions (a seeded shuffle), so every process builds the same tables.
const TABLE_BITS: number[][] = (() => {
  let seed = 0x9e3779b9;
  const rand = () => {
    seed = (seed * 1664525 + 1013904223) >>> 0;
    return seed / 2 ** 32;
  };
  return Array.from({ length: TABLES }, () => {
    const bits = Array.from({ length: 256 }, (_, i) => i);
    for (let i = bits.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [bits[i], bits[j]] = [bits[j] as number, bits[i] as number];
    }
    return bits.slice(0, KEY_BITS);
  });
})();

function bucketKey(d: Uint8Array, off: number, table: number): number {
  let k = 0;
  for (const bit of TABLE_BITS[table] as number[])
    k = (k << 1) | (((d[off + (bit >> 3)] as number) >> (bit & 7)) & 1);
  return k;
}

/** 32-bit words per descriptor. */
const DESCRIPTOR_WORDS = DESCRIPTOR_BYTES / 4;

/** Set bits of a 32-bit word (SWAR: no table, no loop). */
function popcount32(v: number): number {
  v -= (v >>> 1) & 0x55555555;
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
}

/**
 * Hamming distance of two descriptors given as 32-bit words (offsets in words), or some number above
 * `limit` once it is passed. A word at a time rather than a byte at a time through a table: the vote loop
 * was the worker's largest JS function (5% of its main thread under `npm run bench`), and a comparison
 * takes ~25 ns instead of 70-87 (random pairs, half within the vote distance, this machine at load 12);
 * the count is the same (test/memory/feature-index.test.ts compares both on random descriptors).
 */
export function hammingWords(a: Uint32Array, ao: number, b: Uint32Array, bo: number, limit: number): number {
  let n = 0;
  for (let i = 0; i < DESCRIPTOR_WORDS; i++) {
    n += popcount32(((a[ao + i] as number) ^ (b[bo + i] as number)) >>> 0);
    if (n > limit) return n;
  }
  return n;
}

/** Descriptors as 32-bit words: a view of the same bytes when they are 4-aligned (as decoded), else a copy. */
export function descriptorWords(d: Uint8Array): Uint32Array {
  const length = d.length >> 2;
  return d.byteOffset % 4 === 0
    ? new Uint32Array(d.buffer, d.byteOffset, length)
    : new Uint32Array(d.slice(0, length * 4).buffer);
}

/**
 * One hash table: for each bucket key, its entries (slot * KP_SPAN + keypoint) in the order added, as
 * chains in typed arrays. Not a Map of one JS array per bucket: with a few hundred images that was a few
 * hundred thousand small arrays in the worker's heap, which every full GC of the process marked again
 * (most of a worker's GC work); typed arrays are a handful of objects whose contents the GC never visits.
 * The same order as the arrays had, so votes and candidates come out exactly as before.
 */
class Table {
  private readonly head = new Int32Array(1 << KEY_BITS).fill(-1);
  private readonly tail = new Int32Array(1 << KEY_BITS).fill(-1);
  /** entries[i]: an entry; next[i]: the next entry of its bucket (-1: none). */
  entries = new Uint32Array(1024);
  next = new Int32Array(1024);
  private size = 0;

  push(key: number, entry: number) {
    if (this.size === this.entries.length) {
      const entries = new Uint32Array(this.size * 2);
      entries.set(this.entries);
      const next = new Int32Array(this.size * 2);
      next.set(this.next);
      this.entries = entries;
      this.next = next;
    }
    const i = this.size++;
    this.entries[i] = entry;
    this.next[i] = -1;
    const last = this.tail[key] as number;
    if (last < 0) this.head[key] = i;
    else this.next[last] = i;
    this.tail[key] = i;
  }

  /** The first entry's position in the bucket (-1: empty); then `next[i]`. */
  first(key: number): number {
    return this.head[key] as number;
  }

  clear() {
    this.head.fill(-1);
    this.tail.fill(-1);
    this.size = 0;
    this.entries = new Uint32Array(1024);
    this.next = new Int32Array(1024);
  }
}

interface Slot {
  id: string;
  features: ImageFeatures;
  /** features.descriptors as 32-bit words. */
  words: Uint32Array;
  addedAt: number;
  alive: boolean;
}

/** Votes per slot (`count`, indexed by slot) and the slots voted for, in the order of their first vote. */
interface Votes {
  count: Int32Array;
  order: Int32Array;
}

/**
 * The vote loop of `query`, a function of its own (synchronous, module-level, typed arrays only). Inside
 * the async `query` it was on-stack replaced each call, and that OSR code deoptimized ("wrong map") at
 * the first array after the loop whose elements kind differs between a query with candidates and one
 * without (`chosen.length`, `hits.sort`): 41-51 deopts of the same code per worker process in one
 * `npm run bench` (400 checks after a 200-check warm-up) and a recompile of the whole of `query`
 * (~100 ms of the compiler thread each) every few. Counts in an Int32Array rather than a Map: the order
 * of first votes is kept apart, so candidates come out in the same order as before. After the change: no
 * deopt of query, vote compiled ~5 times per process. CPU per check after the warm-up did not move beyond
 * the noise (52.5 against 52.3 ms, three interleaved runs each at load 5-6): the deopts were cheap, the
 * recompiles mostly fell in the warm-up.
 */
function vote(features: ImageFeatures, slots: Slot[], tables: Table[], voteDistance: number): Votes {
  const n = featureCount(features);
  const count = new Int32Array(slots.length);
  const order = new Int32Array(slots.length);
  let voted = 0;
  const stamp = new Int32Array(slots.length).fill(-1);
  const q = features.descriptors;
  const qw = descriptorWords(q);
  for (let k = 0; k < n; k++) {
    const qo = k * DESCRIPTOR_BYTES;
    for (let t = 0; t < TABLES; t++) {
      const table = tables[t] as Table;
      const entries = table.entries;
      const next = table.next;
      for (let i = table.first(bucketKey(q, qo, t)); i >= 0; i = next[i] as number) {
        const entry = entries[i] as number;
        const s = Math.floor(entry / KP_SPAN);
        if (stamp[s] === k) continue;
        const slot = slots[s] as Slot;
        if (!slot.alive) continue;
        const d = hammingWords(
          qw,
          k * DESCRIPTOR_WORDS,
          slot.words,
          (entry % KP_SPAN) * DESCRIPTOR_WORDS,
          voteDistance,
        );
        if (d <= voteDistance) {
          stamp[s] = k;
          if ((count[s] as number) === 0) order[voted++] = s;
          count[s] = (count[s] as number) + 1;
        }
      }
    }
  }
  return { count, order: order.subarray(0, voted) };
}

/** The geometric check of a query's candidates (slots, best first), all in one trip to a pool thread. */
async function verifyCandidates(
  features: ImageFeatures,
  candidates: number[],
  count: Int32Array,
  slots: Slot[],
  o: FeatureIndexOptions,
): Promise<FeatureHit[]> {
  const chosen = candidates.map((s) => slots[s] as Slot);
  const verified = await (o.verifier ?? verifyInProcess)(
    features,
    chosen.map((slot) => slot.features),
    o.verify,
  );
  const hits: FeatureHit[] = [];
  chosen.forEach((slot, i) => {
    const found = verified[i];
    if (found) hits.push({ id: slot.id, votes: count[candidates[i] as number] as number, ...found });
  });
  return hits.sort((a, b) => b.inliers - a.inliers);
}

export function createFeatureIndex(o: FeatureIndexOptions): FeatureIndex {
  const now = o.now ?? Date.now;
  const slots: Slot[] = [];
  const byId = new Map<string, number>();
  // Per table: bucket key -> entries (slot * KP_SPAN + keypoint).
  const tables: Table[] = Array.from({ length: TABLES }, () => new Table());
  let dead = 0;
  /** Latest time added of an image dropped for the bound: older ones are not loaded again. */
  let droppedBefore = -Infinity;
  const maxImages = o.maxImages ?? Infinity;
  let lastScore = 0;
  let lastReconcile = 0;

  const cutoff = () => now() - o.scopeDays * DAY_MS;

  function insert(id: string, features: ImageFeatures, addedAt: number) {
    const old = byId.get(id);
    if (old !== undefined) drop(old);
    const s =
      slots.push({ id, features, words: descriptorWords(features.descriptors), addedAt, alive: true }) - 1;
    byId.set(id, s);
    const n = Math.min(featureCount(features), KP_SPAN);
    for (let k = 0; k < n; k++)
      for (let t = 0; t < TABLES; t++)
        (tables[t] as Table).push(bucketKey(features.descriptors, k * DESCRIPTOR_BYTES, t), s * KP_SPAN + k);
  }

  function drop(s: number) {
    const slot = slots[s];
    if (!slot?.alive) return;
    slot.alive = false;
    slot.features = { width: 0, height: 0, points: new Float32Array(0), descriptors: new Uint8Array(0) };
    byId.delete(slot.id);
    dead++;
  }

  /** Drops the oldest images held until at most `maxImages` remain. */
  function bound() {
    const excess = byId.size - maxImages;
    if (excess <= 0) return;
    let victims: number[];
    if (excess === 1) {
      // One more than allowed (an add): a linear scan for the oldest, no sort.
      let oldest = -1;
      for (const s of byId.values()) {
        if (oldest < 0 || (slots[s] as Slot).addedAt < (slots[oldest] as Slot).addedAt) oldest = s;
      }
      victims = [oldest];
    } else {
      victims = [...byId.values()]
        .sort((a, b) => (slots[a] as Slot).addedAt - (slots[b] as Slot).addedAt)
        .slice(0, excess);
    }
    for (const s of victims) {
      droppedBefore = Math.max(droppedBefore, (slots[s] as Slot).addedAt);
      drop(s);
    }
  }

  /** Dropped slots stay in the tables (skipped) until they are a third of them; then all is rebuilt. */
  function compact() {
    if (dead * 3 < slots.length || dead === 0) return;
    const live = slots.filter((s) => s.alive);
    slots.length = 0;
    byId.clear();
    for (const t of tables) t.clear();
    dead = 0;
    for (const s of live) insert(s.id, s.features, s.addedAt);
  }

  async function load(ids: Array<{ id: string; at: number }>) {
    let fresh = ids.filter(
      (x) =>
        x.at >= cutoff() &&
        x.at > droppedBefore &&
        (byId.get(x.id) === undefined || slots[byId.get(x.id) as number]?.addedAt !== x.at),
    );
    // Only the newest can stay: do not fetch what the bound would drop at once.
    if (fresh.length > maxImages) fresh = fresh.sort((a, b) => a.at - b.at).slice(-maxImages);
    for (let i = 0; i < fresh.length; i += 100) {
      const part = fresh.slice(i, i + 100);
      // One GET each (batched), not MGET: the keys lie in different cluster slots.
      const values = await batch(o.redis, part, (pipe, x) => pipe.getBuffer(o.keys.features(x.id)));
      part.forEach((x, j) => {
        const v = values[j]?.[1];
        const f = Buffer.isBuffer(v) ? decodeFeatures(v) : null;
        if (f) insert(x.id, f, x.at);
      });
      bound();
    }
  }

  const pairs = (flat: string[]) => {
    const out: Array<{ id: string; at: number }> = [];
    for (let i = 0; i + 1 < flat.length; i += 2) out.push({ id: flat[i] as string, at: Number(flat[i + 1]) });
    return out;
  };

  async function sync() {
    const t = now();
    if (t - lastReconcile > RECONCILE_MS) {
      lastReconcile = t;
      const all = pairs(await o.redis.zrangebyscore(o.keys.featureIds(), cutoff(), '+inf', 'WITHSCORES'));
      const keep = new Set(all.map((x) => x.id));
      for (const [id, s] of [...byId]) if (!keep.has(id)) drop(s);
      await load(all);
      lastScore = Math.max(lastScore, ...all.map((x) => x.at));
    } else {
      const since = pairs(
        await o.redis.zrangebyscore(
          o.keys.featureIds(),
          Math.max(cutoff(), lastScore - CLOCK_SLACK_MS),
          '+inf',
          'WITHSCORES',
        ),
      );
      await load(since);
      if (since.length) lastScore = Math.max(lastScore, ...since.map((x) => x.at));
    }
    const c = cutoff();
    for (const [, s] of [...byId]) if ((slots[s]?.addedAt ?? 0) < c) drop(s);
    compact();
  }

  return {
    async add(id, features) {
      if (!featureCount(features)) return;
      const at = now();
      const ttl = Math.max(1, Math.round((o.scopeDays * DAY_MS) / 1000));
      // The features first, then their id: a process that sees the id can load them. (Two steps, not
      // a MULTI: the keys lie in different cluster slots; an id whose features are missing is skipped.)
      await o.redis.set(o.keys.features(id), encodeFeatures(features), 'EX', ttl);
      await o.redis
        .multi()
        .zadd(o.keys.featureIds(), at, id)
        .zremrangebyscore(o.keys.featureIds(), '-inf', `(${cutoff()}`)
        .exec();
      insert(id, features, at);
      bound();
    },

    async remove(id) {
      // The id first, then the features (see `add`).
      await o.redis.zrem(o.keys.featureIds(), id);
      await o.redis.del(o.keys.features(id));
      const s = byId.get(id);
      if (s !== undefined) drop(s);
    },

    async query(features, opts = {}) {
      await sync();
      const voted = vote(features, slots, tables, o.voteDistance);
      const candidates: number[] = [];
      for (let j = 0; j < voted.order.length; j++) {
        const s = voted.order[j] as number;
        if ((voted.count[s] as number) >= o.minVotes && !opts.exclude?.has((slots[s] as Slot).id))
          candidates.push(s);
      }
      // No candidate (most queries): nothing to check, and no array of objects made.
      if (candidates.length === 0) return [];
      // Stable: equal votes keep the order of their first vote, as the Map of votes this replaced did.
      candidates.sort((a, b) => (voted.count[b] as number) - (voted.count[a] as number));
      if (candidates.length > o.maxCandidates) candidates.length = o.maxCandidates;
      return verifyCandidates(features, candidates, voted.count, slots, o);
    },

    has(id) {
      const s = byId.get(id);
      return s !== undefined && !!slots[s]?.alive && (slots[s]?.addedAt ?? 0) >= cutoff();
    },

    stats() {
      let descriptors = 0;
      let bytes = 0;
      for (const s of slots)
        if (s.alive) {
          const n = featureCount(s.features);
          descriptors += n;
          // Descriptors, points (float32 x, y), and one entry per table (4 bytes, and 4 of its chain).
          bytes += n * (DESCRIPTOR_BYTES + 8 + TABLES * 8);
        }
      return { images: byId.size, descriptors, bytes };
    },
  };
}
