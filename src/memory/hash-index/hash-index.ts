// The near-duplicate hash index: every image remembered (and every bank item), queried by PDQ within a
// Hamming distance on any of the query's 8 dihedral variants, or by pHash when PDQ cannot be trusted.
//
// Source of truth: one append-only Redis stream (keys.indexStream(), records in record.ts). Every process
// that queries (workers, the API's synchronous lookup) holds the whole index in memory and follows the
// stream (sync.ts), so all processes answer alike and nothing lives only in one process:
//   - add/remove: XADD, then applied locally at once (visible to this process immediately, and to every
//     other within milliseconds: their XREAD BLOCK returns as soon as the record lands);
//   - start: the stream is read from the beginning and indexed in one build (see bench/index.ts for the
//     time at 1 and 10 million), then followed. `ready` says when.
// Memory per million entries (m:<sha256> ids, PDQ and pHash): ~190 MiB of typed arrays (~150 MiB
// resident) in each process, ~95 MiB in Redis. The stream keeps every record; in memory a replaced or removed entry keeps its slot
// (hash and id bytes, ~80 bytes) but leaves the bucket tables when they are next rebuilt.
// An id holds one entry: adding an id again replaces it (unchanged re-adds are not even written), and a
// tombstone removes it. Ops on one id take effect in stream order in every process; a local op applied
// ahead of the stream is not undone by an older record arriving after it.
//
// In memory, per entry: PDQ in a multi-index of 12 (or, in small levels, 16) segments (mih.ts), pHash in
// a 4-segment one, the id in a compact arena (ids.ts), quality and liveness bytes. Queries are synchronous and allocate only for hits.
import { createHash } from 'node:crypto';
import type { RedisClient } from '../../redis.js';
import type { Keys } from '../../keys.js';
import type { Logger } from '../../logger.js';
import { IdStore, encodeId } from './id-store.js';
import { MultiIndex } from './mih.js';
import {
  FIELD_ENTRY,
  FIELD_REMOVAL,
  NO_QUALITY,
  checkPdqHex,
  checkPhashHex,
  encodeEntry,
  encodeRemoval,
  readEntry,
  readRemoval,
  type EntryLayout,
} from './record.js';
import { StreamSync, compareStreamIds } from './sync.js';
import {
  DEFAULT_HIT_LIMIT,
  PDQ_MAX_DISTANCE,
  PDQ_MIN_QUALITY,
  PHASH_MAX_DISTANCE,
  type Hit,
  type IndexEntry,
  type IndexQuery,
  type QueryOptions,
} from './types.js';

/**
 * Segments per hash. PDQ levels of a million entries or more: 12 of 21-22 bits, probed within 2 bits
 * (eight of them) or 1 (four): ~4 entries per bucket at 10 million, where the classic 16 x 16-bit split
 * checks 4.5x more candidates (measured). Smaller levels (the newest entries): 16 of 16 bits, probed
 * within 1 bit, 8x fewer probes. pHash, a fallback: 4 of 16 bits.
 */
export const PDQ_LAYOUT = { segments: 12, smallSegments: 16, smallLevel: 2 ** 20 };
const PHASH_LAYOUT = { segments: 4 };
/** Records per XADD script call in addMany. */
const ADD_BATCH = 1000;
const XADD_MANY = (() => {
  const lua = `local ids = {}
for i = 1, #ARGV do ids[i] = redis.call('XADD', KEYS[1], '*', '${FIELD_ENTRY}', ARGV[i]) end
return ids`;
  return { lua, sha: createHash('sha1').update(lua).digest('hex') };
})();

export interface HashIndexOptions {
  /** Connection for commands; the index makes its own duplicate for the blocking stream read. */
  redis: RedisClient;
  keys: Keys;
  log: Logger;
  /** Defaults for queries (the thresholds; each query may override them). */
  pdqMaxDistance?: number;
  phashMaxDistance?: number;
  /** `query` uses pHash when the image's PDQ quality is below this. */
  minPdqQuality?: number;
  /** Records per stream read; ms an XREAD blocks before it is renewed (tests shorten it). */
  chunk?: number;
  blockMs?: number;
}

export interface HashIndexStats {
  /** Entries that match (ids present and not removed). */
  live: number;
  /** Entry slots held in memory, replaced and removed ones included (freed at the next restart). */
  slots: number;
  pdqLevels: number;
  /** Bytes of typed arrays held by the index, and by part. */
  bytes: number;
  bytesBy: { pdq: number; phash: number; ids: number; flags: number };
  lastStreamId: string;
}

export interface HashIndex {
  /** Loads the stream, then follows it. Resolves once loaded; queries before that see part of it. */
  start(): Promise<void>;
  /** True once start() has loaded the stream. */
  readonly ready: boolean;
  /** Adds (or replaces) an entry everywhere. Visible to this process once the promise resolves. */
  add(entry: IndexEntry): Promise<void>;
  /** Adds many entries, pipelined (bank imports). Entries are validated before anything is written. */
  addMany(entries: readonly IndexEntry[]): Promise<void>;
  /** Removes an id everywhere (a tombstone record). */
  remove(id: string): Promise<void>;
  /** Near-duplicates of an image: PDQ on its dihedral variants, or pHash when PDQ quality is low. */
  query(q: IndexQuery, opts?: QueryOptions): Hit[];
  /** PDQ hits on any of the given dihedral variants (1 to 8 hashes, DIHEDRAL_VARIANTS order). */
  queryPdq(dihedral: readonly string[], opts?: QueryOptions): Hit[];
  queryPhash(phash: string, opts?: QueryOptions): Hit[];
  /** The entry currently held for an id, if any. */
  get(id: string): IndexEntry | undefined;
  /** Live entries. */
  size(): number;
  stats(): HashIndexStats;
  close(): Promise<void>;
}

export function createHashIndex(options: HashIndexOptions): HashIndex {
  return new RedisHashIndex(options);
}

class RedisHashIndex implements HashIndex {
  ready = false;
  private starting: Promise<void> | undefined;
  private readonly redis: RedisClient;
  private readonly key: string;
  private readonly log: Logger;
  private readonly pdqMax: number;
  private readonly phashMax: number;
  private readonly minQuality: number;
  private readonly ids = new IdStore();
  private readonly pdq = new MultiIndex({ words: 8, ...PDQ_LAYOUT });
  private readonly phash = new MultiIndex({ words: 2, ...PHASH_LAYOUT });
  /** Per entry slot: PDQ quality (NO_QUALITY when none), and 1 while it is the live entry of its id. */
  private quality = new Uint8Array(1024);
  private alive = new Uint8Array(1024);
  private live = 0;
  /** Entry slots handed out (ids.ts numbers them; a replaced or removed entry keeps its slot). */
  private slotCount = 0;
  private readonly sync: StreamSync;
  /**
   * Ops this process applied before the stream brought them back: the id's slot -> stream id of the
   * op. Older records for that id are skipped when they arrive (the local op superseded them); the
   * entry is dropped when the op itself comes back.
   */
  private readonly ahead = new Map<number, string>();
  private readonly layout: EntryLayout = { quality: 0, pdq: -1, phash: -1, idFrom: 0 };
  private readonly words = new Uint32Array(8);
  private readonly queryWords = new Uint32Array(64);

  constructor(o: HashIndexOptions) {
    this.redis = o.redis;
    this.key = o.keys.indexStream();
    this.log = o.log;
    this.pdqMax = o.pdqMaxDistance ?? PDQ_MAX_DISTANCE;
    this.phashMax = o.phashMaxDistance ?? PHASH_MAX_DISTANCE;
    this.minQuality = o.minPdqQuality ?? PDQ_MIN_QUALITY;
    this.sync = new StreamSync({
      redis: o.redis,
      key: this.key,
      log: o.log,
      apply: (id, field, value) => this.applyRecord(id, field, value),
      ...(o.chunk ? { chunk: o.chunk } : {}),
      ...(o.blockMs ? { blockMs: o.blockMs } : {}),
    });
  }

  async start(): Promise<void> {
    // Once; after a failure (Redis down) another call resumes after the last record applied.
    this.starting ??= this.load().catch((err: unknown) => {
      this.starting = undefined;
      throw err;
    });
    return this.starting;
  }

  private async load(): Promise<void> {
    const t0 = performance.now();
    const expected = await this.redis.xlen(this.key);
    this.reserve(expected);
    // One level built for everything loaded, instead of many merges on the way.
    this.pdq.beginBulk();
    this.phash.beginBulk();
    let loaded: number;
    try {
      loaded = await this.sync.load();
    } finally {
      this.pdq.endBulk();
      this.phash.endBulk();
    }
    this.sync.tail();
    this.ready = true;
    this.log.info(
      { records: loaded, live: this.live, ms: Math.round(performance.now() - t0) },
      'hash index loaded',
    );
  }

  async add(entry: IndexEntry): Promise<void> {
    const record = encodeEntry(entry);
    if (this.unchanged(record)) return;
    const streamId = (await this.redis.xadd(this.key, '*', FIELD_ENTRY, record)) as string;
    this.applyLocal(streamId, true, record);
  }

  async addMany(entries: readonly IndexEntry[]): Promise<void> {
    const records = entries.map(encodeEntry);
    for (let i = 0; i < records.length; i += ADD_BATCH) {
      const batch: number[] = [];
      for (let j = i; j < Math.min(records.length, i + ADD_BATCH); j++) {
        if (!this.unchanged(records[j] as Buffer)) batch.push(j);
      }
      if (batch.length === 0) continue;
      const streamIds = await this.xaddMany(batch.map((j) => records[j] as Buffer));
      batch.forEach((j, k) => this.applyLocal(streamIds[k] as string, true, records[j] as Buffer));
    }
  }

  /**
   * XADDs many entry records in one command (a Lua loop): one round trip, and a third of the client
   * CPU of a pipeline of XADDs (measured). All or nothing: a script either runs to the end or fails
   * before writing (XADD cannot fail half-way on a valid stream key).
   */
  private async xaddMany(records: Buffer[]): Promise<string[]> {
    try {
      return (await this.redis.evalsha(XADD_MANY.sha, 1, this.key, ...records)) as string[];
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      return (await this.redis.eval(XADD_MANY.lua, 1, this.key, ...records)) as string[];
    }
  }

  async remove(id: string): Promise<void> {
    const record = encodeRemoval(id);
    const streamId = (await this.redis.xadd(this.key, '*', FIELD_REMOVAL, record)) as string;
    this.applyLocal(streamId, false, record);
  }

  query(q: IndexQuery, opts: QueryOptions = {}): Hit[] {
    const pdqUsable = q.pdq && q.pdq.length > 0 && (q.quality ?? 100) >= this.minQuality;
    if (pdqUsable) return this.queryPdq(q.pdq as readonly string[], opts);
    if (q.phash) return this.queryPhash(q.phash, opts);
    return [];
  }

  queryPdq(dihedral: readonly string[], opts: QueryOptions = {}): Hit[] {
    if (dihedral.length < 1 || dihedral.length > 8) throw new RangeError('Give 1 to 8 PDQ hashes');
    const max = opts.maxDistance ?? this.pdqMax;
    const words = this.queryWords;
    dihedral.forEach((hex, v) => {
      checkPdqHex(hex);
      hexInto(hex, words, v * 8);
    });
    // Best (distance, variant) per entry, packed as distance * 8 + variant: smaller is better.
    const best = new Map<number, number>();
    let variant = 0;
    const sink = (e: number, d: number) => {
      const code = d * 8 + variant;
      const prev = best.get(e);
      if (prev === undefined || code < prev) best.set(e, code);
    };
    for (variant = 0; variant < dihedral.length; variant++) this.pdq.search(words, variant * 8, max, sink);
    return this.hits(best, 'pdq', opts.limit ?? DEFAULT_HIT_LIMIT);
  }

  queryPhash(phash: string, opts: QueryOptions = {}): Hit[] {
    checkPhashHex(phash);
    const max = opts.maxDistance ?? this.phashMax;
    hexInto(phash, this.queryWords, 0);
    const best = new Map<number, number>();
    this.phash.search(this.queryWords, 0, max, (e, d) => {
      const prev = best.get(e);
      if (prev === undefined || d * 8 < prev) best.set(e, d * 8);
    });
    return this.hits(best, 'phash', opts.limit ?? DEFAULT_HIT_LIMIT);
  }

  get(id: string): IndexEntry | undefined {
    const e = this.ids.find(encodeId(id));
    if (e < 0 || this.alive[e] !== 1) return undefined;
    const entry: IndexEntry = { id };
    if (this.pdq.has(e)) {
      this.pdq.read(e, this.words);
      entry.pdq = wordsToHex(this.words, 8);
      if (this.quality[e] !== NO_QUALITY) entry.quality = this.quality[e];
    }
    if (this.phash.has(e)) {
      this.phash.read(e, this.words);
      entry.phash = wordsToHex(this.words, 2);
    }
    return entry;
  }

  size(): number {
    return this.live;
  }

  stats(): HashIndexStats {
    const bytesBy = {
      pdq: this.pdq.byteSize(),
      phash: this.phash.byteSize(),
      ids: this.ids.byteSize(),
      flags: this.quality.byteLength + this.alive.byteLength,
    };
    return {
      live: this.live,
      slots: this.slotCount,
      pdqLevels: this.pdq.levelCount(),
      bytes: bytesBy.pdq + bytesBy.phash + bytesBy.ids + bytesBy.flags,
      bytesBy,
      lastStreamId: this.sync.lastId,
    };
  }

  async close(): Promise<void> {
    await this.sync.close();
  }

  // ---- applying records ----

  private reserve(more: number): void {
    if (more <= 0) return;
    const need = this.slotCount + more;
    this.ids.reserve(more);
    this.pdq.reserve(need);
    this.phash.reserve(need);
    this.growBytes(need);
  }

  private growBytes(need: number): void {
    if (need <= this.alive.length) return;
    const size = Math.max(need, Math.ceil(this.alive.length * 1.5));
    const quality = new Uint8Array(size);
    quality.set(this.quality);
    this.quality = quality;
    const alive = new Uint8Array(size);
    alive.set(this.alive);
    this.alive = alive;
  }

  /** A local op, already in the stream as `streamId`: apply it now unless the tail got there first. */
  private applyLocal(streamId: string, isEntry: boolean, record: Buffer): void {
    if (compareStreamIds(streamId, this.sync.lastId) <= 0) return;
    const idFrom = this.idOffset(isEntry, record);
    const before = this.ids.find(record, idFrom, record.length);
    if (before >= 0) this.ahead.delete(before);
    this.ahead.set(this.applyOp(isEntry, record, true), streamId);
  }

  /** A record from the stream, in stream order. */
  private applyRecord(streamId: Buffer, field: Buffer, value: Buffer): void {
    const isEntry = field.length === 1 && field[0] === FIELD_ENTRY.charCodeAt(0);
    const isRemoval = field.length === 1 && field[0] === FIELD_REMOVAL.charCodeAt(0);
    if (!isEntry && !isRemoval) throw new Error(`unknown index record field ${field.toString('latin1')}`);
    if (this.ahead.size > 0) {
      const slot = this.ids.find(value, this.idOffset(isEntry, value), value.length);
      const local = slot >= 0 ? this.ahead.get(slot) : undefined;
      if (local !== undefined) {
        const order = compareStreamIds(streamId.toString('latin1'), local);
        // The very op this process applied already, or an older one it superseded.
        if (order === 0) this.ahead.delete(slot);
        if (order <= 0) return;
        this.ahead.delete(slot);
      }
    }
    this.applyOp(isEntry, value, false);
  }

  private idOffset(isEntry: boolean, record: Buffer): number {
    const at = isEntry ? (readEntry(record, this.layout) ? this.layout.idFrom : -1) : readRemoval(record);
    if (at < 0) throw new Error('unreadable index record');
    return at;
  }

  /**
   * Applies an add (or replacement) or a removal. Returns the slot now standing for the id (for a
   * local removal of an id never seen, a dead slot is made, so that the op can be tracked as ahead).
   */
  private applyOp(isEntry: boolean, record: Buffer, local: boolean): number {
    if (!isEntry) {
      const idFrom = this.idOffset(false, record);
      const e = this.ids.find(record, idFrom, record.length);
      if (e >= 0) this.kill(e);
      else if (local) return this.newSlot(record, idFrom, NO_QUALITY, 0);
      return e;
    }
    const l = this.layout;
    if (!readEntry(record, l)) throw new Error('unreadable index entry record');
    const prev = this.ids.find(record, l.idFrom, record.length);
    if (prev >= 0) {
      if (this.alive[prev] === 1 && this.same(prev, record, l)) return prev;
      this.kill(prev);
    }
    const e = this.newSlot(record, l.idFrom, l.quality, 1);
    if (l.pdq >= 0) {
      for (let i = 0; i < 8; i++) this.words[i] = record.readUInt32BE(l.pdq + i * 4);
      this.pdq.put(e, this.words);
    }
    if (l.phash >= 0) {
      this.words[0] = record.readUInt32BE(l.phash);
      this.words[1] = record.readUInt32BE(l.phash + 4);
      this.phash.put(e, this.words);
    }
    return e;
  }

  private newSlot(record: Buffer, idFrom: number, quality: number, alive: 0 | 1): number {
    // Every caller has just looked the id up (find): its table slot is known.
    const e = this.ids.appendFound(record, idFrom, record.length);
    this.slotCount = e + 1;
    this.growBytes(e + 1);
    this.quality[e] = quality;
    this.alive[e] = alive;
    this.live += alive;
    return e;
  }

  private kill(e: number): void {
    if (this.alive[e] !== 1) return;
    this.alive[e] = 0;
    this.pdq.remove(e);
    this.phash.remove(e);
    this.live--;
  }

  /** Does live entry e hold exactly what this record says? */
  private same(e: number, record: Buffer, l: EntryLayout): boolean {
    if (this.quality[e] !== l.quality) return false;
    if (this.pdq.has(e) !== l.pdq >= 0 || this.phash.has(e) !== l.phash >= 0) return false;
    if (l.pdq >= 0) {
      this.pdq.read(e, this.words);
      for (let i = 0; i < 8; i++) if (this.words[i] !== record.readUInt32BE(l.pdq + i * 4)) return false;
    }
    if (l.phash >= 0) {
      this.phash.read(e, this.words);
      for (let i = 0; i < 2; i++) if (this.words[i] !== record.readUInt32BE(l.phash + i * 4)) return false;
    }
    return true;
  }

  /** True when this id is live with exactly this record's content: re-adding it would change nothing. */
  private unchanged(record: Buffer): boolean {
    const l = this.layout;
    readEntry(record, l);
    const e = this.ids.find(record, l.idFrom, record.length);
    return e >= 0 && this.alive[e] === 1 && this.same(e, record, l);
  }

  /** Hits, nearest first (then variant, then id), at most `limit`. Ids are decoded only for these. */
  private hits(best: Map<number, number>, hash: Hit['hash'], limit: number): Hit[] {
    if (best.size === 0) return [];
    const found = [...best.entries()].sort((a, b) => a[1] - b[1]);
    // Keep every hit tied with the last one kept, so that ties are broken by id, the same everywhere.
    let cut = Math.min(limit, found.length);
    while (cut > 0 && cut < found.length && (found[cut] as number[])[1] === (found[cut - 1] as number[])[1])
      cut++;
    const hits = found.slice(0, cut).map(([e, code]) => ({
      id: this.ids.id(e),
      distance: code >>> 3,
      hash,
      variant: code & 7,
    }));
    hits.sort(
      (a, b) => a.distance - b.distance || a.variant - b.variant || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
    );
    return hits.slice(0, limit);
  }
}

/** 8 hex digits at a time into 32-bit words (as hexToWords in hamming.ts, without allocating). */
function hexInto(hex: string, out: Uint32Array, offset: number): void {
  for (let i = 0; i < hex.length / 8; i++) out[offset + i] = parseInt(hex.slice(i * 8, i * 8 + 8), 16);
}

function wordsToHex(words: Uint32Array, n: number): string {
  let hex = '';
  for (let i = 0; i < n; i++) hex += (words[i] as number).toString(16).padStart(8, '0');
  return hex;
}
