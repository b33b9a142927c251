// The near-duplicate hash index: every image remembered (and every bank item), queried by PDQ within a
// Hamming distance on any of the query's 8 dihedral variants, or by pHash when PDQ cannot be trusted.
//
// Source of truth: one Redis stream (keys.indexStream(), records in record.ts) and a snapshot of the live
// entries as of one of its ids (snapshot.ts). Every process that queries (workers, the API's synchronous
// lookup) holds the whole index in memory (state.ts) and follows the stream (sync.ts), so all processes
// answer alike and nothing lives only in one process:
//   - add/remove: XADD, then applied locally at once (visible to this process immediately, and to every
//     other within milliseconds: their XREAD BLOCK returns as soon as the record lands);
//   - start: the latest snapshot is read (a few large strings), then the stream after its id, and
//     everything is indexed in one build (see bench/index.ts, bench/index-start.ts and
//     bench/index-start-snapshot.ts for the times),
//     then followed. `ready` says when. Without a snapshot (or with a damaged one) the stream is read from
//     its start, as before snapshots existed;
//   - snapshots: every `snapshot.checkMs` each process looks whether the stream has grown by
//     `snapshot.every` records since the last snapshot; if so, the one that takes the lock writes the next
//     from its own memory. After `snapshot.graceMs` the stream is trimmed behind it. A process whose tail
//     falls behind the trim point reloads (the old state answers queries meanwhile).
// Memory per million entries (m:<sha256> ids, PDQ and pHash): ~190 MiB of typed arrays (~150 MiB
// resident) in each process; in Redis ~80 MiB of snapshot plus ~95 MiB per million stream records not yet
// trimmed. An id holds one entry: adding an id again replaces it (unchanged re-adds are not even written),
// and a tombstone removes it. Ops on one id take effect in stream order in every process; a local op
// applied ahead of the stream is not undone by an older record arriving after it.
import { createHash } from 'node:crypto';
import type { RedisClient } from '../../redis.js';
import type { Keys } from '../../keys.js';
import type { Logger } from '../../logger.js';
import { BuildPool, buildThreadCount } from './build-pool.js';
import { FIELD_ENTRY, FIELD_REMOVAL, encodeEntry, encodeRemoval } from './record.js';
import {
  CHUNK_BYTES,
  SnapshotStore,
  SnapshotUnusable,
  type SnapshotMeta,
  type SnapshotPointer,
} from './snapshot.js';
import { IndexState, type Capture } from './state.js';
import { StreamSync, compareStreamIds } from './sync.js';
import {
  PDQ_MAX_DISTANCE,
  PDQ_MIN_QUALITY,
  PHASH_MAX_DISTANCE,
  type Hit,
  type IndexEntry,
  type IndexQuery,
  type QueryOptions,
} from './types.js';

export { PDQ_LAYOUT } from './state.js';

/** Records per XADD script call in addMany. */
const ADD_BATCH = 1000;
const XADD_MANY = (() => {
  const lua = `local ids = {}
for i = 1, #ARGV do ids[i] = redis.call('XADD', KEYS[1], '*', '${FIELD_ENTRY}', ARGV[i]) end
return ids`;
  return { lua, sha: createHash('sha1').update(lua).digest('hex') };
})();
/** Loads tried before a process settles for what it could read (each retry follows a newer snapshot). */
const LOAD_ATTEMPTS = 5;
/** A snapshot writer's lock lives this long at most (a writer that dies holds it no longer). */
const LOCK_MS = 10 * 60_000;

export interface SnapshotOptions {
  /** Stream records since the last snapshot that make a process write the next one (0: never write). */
  every: number;
  /** How often each process looks whether a snapshot is due, or the stream can be trimmed (ms; 0: never). */
  checkMs: number;
  /** How long the previous generation (and the stream behind the current one) is kept after a new one (ms). */
  graceMs: number;
  /** Bytes per snapshot chunk (tests make it small to have many). */
  chunkBytes?: number;
}

export const DEFAULT_SNAPSHOTS: SnapshotOptions = { every: 200_000, checkMs: 60_000, graceMs: 120_000 };

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
  snapshots?: Partial<SnapshotOptions>;
  /** Threads that build the tables of a large load (INDEX_BUILD_THREADS; 0: one per core, at most 4). */
  buildThreads?: number;
}

export interface HashIndexStats {
  /** Entries that match (ids present and not removed). */
  live: number;
  /** Entry slots held in memory, replaced and removed ones included (freed at the next load). */
  slots: number;
  pdqLevels: number;
  /** Bytes of typed arrays held by the index, and by part. */
  bytes: number;
  bytesBy: { pdq: number; phash: number; ids: number; flags: number };
  lastStreamId: string;
  /**
   * How the last load went: the snapshot generation read (null: none), its entries and the ms spent reading
   * and applying it, the stream records after it, the ms spent building the tables, and the whole time.
   */
  loadedFrom: {
    snapshot: string | null;
    snapshotEntries: number;
    snapshotMs: number;
    streamRecords: number;
    buildMs: number;
    ms: number;
  };
}

/** What `snapshot()` did. */
export type SnapshotResult =
  | { written: SnapshotMeta }
  | { skipped: 'not due' | 'locked' | 'previous kept' | 'not loaded' | 'incomplete' | 'busy' | 'moved' };

export interface HashIndex {
  /** Loads the snapshot and the stream after it, then follows it. Resolves once loaded. */
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
  /**
   * Writes a snapshot from this process's memory if one is due (`force`: whatever the stream's growth),
   * unless another process holds the writers' lock. The periodic check calls it; so may operators.
   */
  snapshot(opts?: { force?: boolean }): Promise<SnapshotResult>;
  /** Trims the stream behind the current snapshot once its grace period is over; records trimmed or -1. */
  compact(): Promise<number>;
  /** Resolves when a reload (after falling behind the trim point) in progress is over. */
  settled(): Promise<void>;
  close(): Promise<void>;
}

export function createHashIndex(options: HashIndexOptions): HashIndex {
  return new RedisHashIndex(options);
}

class RedisHashIndex implements HashIndex {
  ready = false;
  private starting: Promise<void> | undefined;
  private reloading: Promise<void> | undefined;
  private readonly redis: RedisClient;
  private readonly key: string;
  private readonly log: Logger;
  private readonly o: HashIndexOptions;
  private readonly snap: SnapshotOptions;
  private readonly store: SnapshotStore;
  private state: IndexState;
  private sync: StreamSync | undefined;
  /** Local ops made while a reload runs: applied to the new state as well when it is swapped in. */
  private pendingLocal: { streamId: string; isEntry: boolean; record: Buffer }[] | undefined;
  /** False when the last load could not read everything (snapshot damaged and stream trimmed). */
  private complete = true;
  private writing = false;
  /** A reload failed (Redis down): the next periodic check tries again. */
  private reloadNeeded = false;
  private closed = false;
  private timer: NodeJS.Timeout | undefined;
  private loadedFrom: HashIndexStats['loadedFrom'] = {
    snapshot: null,
    snapshotEntries: 0,
    snapshotMs: 0,
    streamRecords: 0,
    buildMs: 0,
    ms: 0,
  };

  constructor(o: HashIndexOptions) {
    this.o = o;
    this.redis = o.redis;
    this.key = o.keys.indexStream();
    this.log = o.log;
    this.snap = { ...DEFAULT_SNAPSHOTS, ...o.snapshots };
    this.store = new SnapshotStore(o.redis, o.keys, o.log, this.snap.chunkBytes ?? CHUNK_BYTES);
    this.state = this.freshState();
  }

  private freshState(): IndexState {
    return new IndexState({
      pdqMax: this.o.pdqMaxDistance ?? PDQ_MAX_DISTANCE,
      phashMax: this.o.phashMaxDistance ?? PHASH_MAX_DISTANCE,
      minQuality: this.o.minPdqQuality ?? PDQ_MIN_QUALITY,
    });
  }

  async start(): Promise<void> {
    // Once; after a failure (Redis down) another call loads again.
    this.starting ??= this.load().catch((err: unknown) => {
      this.starting = undefined;
      throw err;
    });
    await this.starting;
    if (this.snap.checkMs > 0 && !this.timer && !this.closed) {
      this.timer = setInterval(() => void this.periodic(), this.snap.checkMs);
      this.timer.unref();
    }
  }

  /** Builds a state from the snapshot and the stream after it, swaps it in and follows the stream. */
  private async load(): Promise<void> {
    const t0 = performance.now();
    for (let attempt = 1; ; attempt++) {
      const loaded = await this.loadOnce();
      const floor = await this.store.floor();
      // Trimmed past where this load started reading the stream: records may be missing. Read again: the
      // trim follows a newer snapshot, which covers them.
      const holed = compareStreamIds(floor, loaded.startId) > 0;
      if (holed && attempt < LOAD_ATTEMPTS && !this.closed) {
        this.log.warn(
          { from: loaded.startId, floor, attempt },
          'index stream trimmed while loading; loading again from the newer snapshot',
        );
        await loaded.sync.close();
        continue;
      }
      if (holed) {
        this.log.error(
          { from: loaded.startId, floor },
          'index incomplete: no usable snapshot covers the trimmed part of the stream; this process will not write snapshots',
        );
      }
      this.complete = !holed;
      this.swap(loaded.state, loaded.sync);
      const ms = Math.round(performance.now() - t0);
      this.loadedFrom = { ...loaded.from, ms };
      this.log.info({ ...this.loadedFrom, live: this.state.size() }, 'hash index loaded');
      return;
    }
  }

  private async loadOnce(): Promise<{
    state: IndexState;
    sync: StreamSync;
    startId: string;
    from: Omit<HashIndexStats['loadedFrom'], 'ms'>;
  }> {
    let pointer = await this.store.pointer();
    let moves = 0;
    // The current generation, then the previous one (still kept for a while), then the whole stream.
    const candidates = [pointer?.current, pointer?.previous].filter((m): m is SnapshotMeta => !!m);
    for (let i = 0; i <= candidates.length; i++) {
      const meta = candidates[i];
      const state = this.freshState();
      const sync = new StreamSync({
        redis: this.redis,
        key: this.key,
        log: this.log,
        floorKey: this.o.keys.indexFloor(),
        apply: (id, field, value) => state.applyRecord(id, field, value),
        onBehind: () => this.fellBehind(sync),
        ...(this.o.chunk ? { chunk: this.o.chunk } : {}),
        ...(this.o.blockMs ? { blockMs: this.o.blockMs } : {}),
      });
      // One level built for everything loaded, instead of many merges on the way.
      state.beginBulk();
      const t0 = performance.now();
      // Room for the snapshot's entries and the records after it, reserved once: growing the arrays
      // after the snapshot would copy them all, and fresh memory is costly (see mih.ts, `spare`). Only
      // the records after the snapshot count (the stream may still hold those before it, until
      // compaction): growing the id table for all of them would rehash every entry once more.
      const length = await this.redis.xlen(this.key);
      const after = meta ? Math.max(0, length - meta.streamLength) + 1024 : length;
      if (meta) {
        state.reserve(meta.entries + after, false);
        try {
          await this.store.read(meta, (chunk, from, to) => state.applySnapshotEntry(chunk, from, to));
          state.endSnapshot(after);
        } catch (err) {
          if (!(err instanceof SnapshotUnusable)) throw err;
          // A newer generation was published and this one compacted away while it was read: take the new one.
          const now = await this.store.pointer();
          if (now && now.current.gen !== pointer?.current.gen && moves++ < LOAD_ATTEMPTS) {
            pointer = now;
            candidates.splice(0, candidates.length, now.current, ...(now.previous ? [now.previous] : []));
            i = -1;
            continue;
          }
          this.log.warn(
            { gen: meta.gen, reason: err.message },
            'index snapshot unusable; trying the previous one or the stream',
          );
          continue;
        }
        sync.lastId = meta.id;
      }
      const t1 = performance.now();
      if (!meta) state.reserve(after);
      const records = await sync.load();
      const t2 = performance.now();
      // A large load's tables are built by threads (the segments at once); small ones on this thread.
      const pool = new BuildPool(buildThreadCount(this.o.buildThreads ?? 0));
      try {
        await state.endBulkShared(pool, (err) =>
          this.log.warn({ err }, 'index build threads failed; building on the main thread'),
        );
      } finally {
        pool.close();
      }
      return {
        state,
        sync,
        startId: meta?.id ?? '0-0',
        from: {
          snapshot: meta?.gen ?? null,
          snapshotEntries: meta?.entries ?? 0,
          snapshotMs: Math.round(t1 - t0),
          streamRecords: records,
          buildMs: Math.round(performance.now() - t2),
        },
      };
    }
    throw new Error('unreachable');
  }

  private swap(state: IndexState, sync: StreamSync): void {
    const old = this.sync;
    if (old && old !== sync) void old.close();
    const pending = this.pendingLocal;
    this.pendingLocal = undefined;
    for (const op of pending ?? []) state.applyLocal(op.streamId, sync.lastId, op.isEntry, op.record);
    this.state = state;
    this.sync = sync;
    this.ready = true;
    if (this.closed) void sync.close();
    else sync.tail();
  }

  /** The tail found the stream trimmed past it: load again in the background (the old state answers meanwhile). */
  private fellBehind(sync: StreamSync): void {
    if (sync !== this.sync || this.reloading || this.closed) return;
    this.pendingLocal = [];
    this.reloading = this.load()
      .catch((err: unknown) => {
        this.log.error({ err: (err as Error).message }, 'index reload failed; retrying at the next check');
        this.pendingLocal = undefined;
        this.reloadNeeded = true;
      })
      .finally(() => {
        this.reloading = undefined;
      });
  }

  async settled(): Promise<void> {
    await this.reloading;
  }

  async add(entry: IndexEntry): Promise<void> {
    const record = encodeEntry(entry);
    if (this.state.unchanged(record)) return;
    const streamId = (await this.redis.xadd(this.key, '*', FIELD_ENTRY, record)) as string;
    this.applyLocal(streamId, true, record);
  }

  async addMany(entries: readonly IndexEntry[]): Promise<void> {
    const records = entries.map(encodeEntry);
    for (let i = 0; i < records.length; i += ADD_BATCH) {
      const batch: number[] = [];
      for (let j = i; j < Math.min(records.length, i + ADD_BATCH); j++) {
        if (!this.state.unchanged(records[j] as Buffer)) batch.push(j);
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

  private applyLocal(streamId: string, isEntry: boolean, record: Buffer): void {
    this.state.applyLocal(streamId, this.sync?.lastId ?? '0-0', isEntry, record);
    this.pendingLocal?.push({ streamId, isEntry, record });
  }

  query(q: IndexQuery, opts: QueryOptions = {}): Hit[] {
    return this.state.query(q, opts);
  }

  queryPdq(dihedral: readonly string[], opts: QueryOptions = {}): Hit[] {
    return this.state.queryPdq(dihedral, opts);
  }

  queryPhash(phash: string, opts: QueryOptions = {}): Hit[] {
    return this.state.queryPhash(phash, opts);
  }

  get(id: string): IndexEntry | undefined {
    return this.state.get(id);
  }

  size(): number {
    return this.state.size();
  }

  stats(): HashIndexStats {
    const bytesBy = this.state.bytesBy();
    return {
      live: this.state.size(),
      slots: this.state.slots(),
      pdqLevels: this.state.pdqLevels(),
      bytes: bytesBy.pdq + bytesBy.phash + bytesBy.ids + bytesBy.flags,
      bytesBy,
      lastStreamId: this.sync?.lastId ?? '0-0',
      loadedFrom: this.loadedFrom,
    };
  }

  // ---- snapshots ----

  private async periodic(): Promise<void> {
    try {
      if (this.reloadNeeded && !this.reloading && this.sync) {
        this.reloadNeeded = false;
        this.fellBehind(this.sync);
      }
      await this.compact();
      const r = await this.snapshot();
      if ('written' in r) {
        const { gen, id, entries, bytes, chunks } = r.written;
        this.log.info({ gen, id, entries, bytes, chunks }, 'index snapshot written');
      }
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'index snapshot check failed');
    }
  }

  async compact(): Promise<number> {
    const trimmed = await this.store.compact(this.snap.graceMs);
    if (trimmed >= 0) this.log.info({ trimmed }, 'index stream trimmed behind its snapshot');
    return trimmed;
  }

  async snapshot(opts: { force?: boolean } = {}): Promise<SnapshotResult> {
    if (!this.ready || this.reloading || !this.sync) return { skipped: 'not loaded' };
    if (!this.complete) return { skipped: 'incomplete' };
    if (this.writing) return { skipped: 'busy' };
    if (!opts.force && this.snap.every <= 0) return { skipped: 'not due' };
    if (!opts.force && !(await this.due(await this.store.pointer()))) return { skipped: 'not due' };
    const token = await this.store.lock(LOCK_MS);
    if (!token) return { skipped: 'locked' };
    this.writing = true;
    try {
      // Looked at again under the lock: another process may have written one just before.
      const pointer = await this.store.pointer();
      if (pointer?.previous) return { skipped: 'previous kept' };
      if (!opts.force && !(await this.due(pointer))) return { skipped: 'not due' };
      const streamLength = await this.redis.xlen(this.key);
      const capture = await this.captureSoon();
      if (!capture) return { skipped: 'busy' };
      if (pointer && compareStreamIds(capture.id, pointer.current.id) <= 0) return { skipped: 'not due' };
      const state = this.state;
      const meta = await this.store.write(
        { id: capture.id, entries: capture.entries, streamLength },
        pointer?.current.gen ?? '',
        (out) => fillChunk(state, capture, out),
      );
      return meta ? { written: meta } : { skipped: 'moved' };
    } finally {
      this.writing = false;
      await this.store.unlock(token);
    }
  }

  /** Due when the stream has grown by `every` records since the current snapshot was taken. */
  private async due(pointer: SnapshotPointer | null): Promise<boolean> {
    const since = (await this.redis.xlen(this.key)) - (pointer?.current.streamLength ?? 0);
    return since >= this.snap.every;
  }

  /** A capture as soon as no local op is ahead of the stream (the tail catches up within milliseconds). */
  private async captureSoon(): Promise<Capture | undefined> {
    for (let i = 0; i < 100; i++) {
      const c = this.sync ? this.state.capture(this.sync.lastId) : undefined;
      if (c) return c;
      await new Promise((r) => setTimeout(r, 20));
    }
    return undefined;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await this.reloading;
    await this.sync?.close();
  }
}

/** Fills `out` with the next captured entries' records (each behind a 2-byte length). */
function fillChunk(state: IndexState, c: Capture, out: Buffer): { bytes: number; entries: number } {
  let at = 0;
  let entries = 0;
  for (; c.fill < c.slots; c.fill++) {
    if (c.alive[c.fill] !== 1) continue;
    const len = state.encodeSlot(c.fill, out, at + 2, out.length - at - 2);
    if (len === 0) break;
    out.writeUInt16BE(len, at);
    at += 2 + len;
    entries++;
  }
  return { bytes: at, entries };
}
