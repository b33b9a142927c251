// One process's in-memory copy of the near-duplicate index: entries applied from stream records (or from a
// snapshot's records, the same format), queried synchronously. No Redis here: hash-index.ts feeds it, and
// swaps in a fresh one when the process must reload (it fell behind the stream's trim point).
//
// Per entry: PDQ in a multi-index of 12 (or, in small levels, 16) segments (mih.ts), pHash in a 4-segment
// one, the id in a compact arena (id-store.ts), quality, kind and liveness bytes. Queries allocate only for
// hits. A replaced or removed entry keeps its slot (hash and id bytes, ~80 bytes) until the next load.
import type { BuildPool } from './build-pool.js';
import { IdStore, encodeId } from './id-store.js';
import { MultiIndex, SCRATCH_PER_ENTRY } from './mih.js';
import {
  FIELD_ENTRY,
  FIELD_REMOVAL,
  HAS_PDQ,
  HAS_PHASH,
  NO_QUALITY,
  RECORD_VERSION,
  checkPdqHex,
  checkPhashHex,
  readEntry,
  readRemoval,
  type EntryLayout,
} from './record.js';
import { compareStreamIds } from './sync.js';
import { DEFAULT_HIT_LIMIT, type Hit, type IndexEntry, type IndexQuery, type QueryOptions } from './types.js';

/**
 * Segments per hash. PDQ levels of a million entries or more: 12 of 21-22 bits, probed within 2 bits
 * (eight of them) or 1 (four): ~4 entries per bucket at 10 million, where the classic 16 x 16-bit split
 * checks 4.5x more candidates (measured). Smaller levels (the newest entries): 16 of 16 bits, probed
 * within 1 bit, 8x fewer probes. pHash, a fallback: 4 of 16 bits.
 */
export const PDQ_LAYOUT = { segments: 12, smallSegments: 16, smallLevel: 2 ** 20 };
const PHASH_LAYOUT = { segments: 4 };

export interface Thresholds {
  pdqMax: number;
  phashMax: number;
  minQuality: number;
}

/** What a snapshot writer copies at one instant: the entries live as of stream id `id`. */
export interface Capture {
  id: string;
  /** Slots 0..slots-1 existed then; alive[e] === 1 for those live then (a copy: later ops do not touch it). */
  slots: number;
  alive: Uint8Array;
  entries: number;
  /** The next slot a snapshot writer encodes (it advances as chunks are filled). */
  fill: number;
}

export class IndexState {
  private readonly ids = new IdStore();
  private readonly pdq = new MultiIndex({ words: 8, ...PDQ_LAYOUT });
  private readonly phash = new MultiIndex({ words: 2, ...PHASH_LAYOUT });
  /**
   * Per entry slot: PDQ quality (NO_QUALITY when none); HAS_PDQ | HAS_PHASH, kept after the entry dies
   * (a snapshot in progress may still need it); 1 while it is the live entry of its id.
   */
  private quality = new Uint8Array(1024);
  private kinds = new Uint8Array(1024);
  private alive = new Uint8Array(1024);
  private live = 0;
  /** Entry slots handed out (id-store.ts numbers them; a replaced or removed entry keeps its slot). */
  private slotCount = 0;
  /** Entry slots reserved (reserve), and the bulk builds' shared scratch while a load runs. */
  private reserved = 0;
  private bulkScratch: Uint32Array | undefined;
  /**
   * Ops this process applied before the stream brought them back: the id's slot -> stream id of the
   * op. Older records for that id are skipped when they arrive (the local op superseded them); the
   * entry is dropped when the op itself comes back.
   */
  private readonly ahead = new Map<number, string>();
  private readonly layout: EntryLayout = { quality: 0, pdq: -1, phash: -1, idFrom: 0 };
  private readonly words = new Uint32Array(8);
  private readonly queryWords = new Uint32Array(64);

  constructor(private readonly limits: Thresholds) {}

  // ---- loading ----

  /** Room for `more` entries; `table: false` for a snapshot's (endSnapshot sizes the id table). */
  reserve(more: number, table = true): void {
    if (more <= 0) return;
    const need = this.slotCount + more;
    this.reserved = Math.max(this.reserved, need);
    this.ids.reserve(more, 40, table);
    this.pdq.reserve(need);
    this.phash.reserve(need);
    this.growBytes(need);
  }

  /** While bulk, entries are only stored; endBulkShared builds them into one level (start-up load). */
  beginBulk(): void {
    this.pdq.beginBulk();
    this.phash.beginBulk();
  }

  /**
   * Builds what the bulk stored into one level per multi-index: their segments by `pool`'s threads
   * (build-pool.ts) when the load is large, else on this thread; `onFallback` hears of a thread that
   * failed (that index is then built on this thread).
   */
  async endBulkShared(pool: BuildPool, onFallback?: (err: unknown) => void): Promise<void> {
    const scratch = this.scratch();
    await this.pdq.endBulkShared(pool, scratch, onFallback);
    await this.phash.endBulkShared(pool, scratch, onFallback);
    this.bulkScratch = undefined;
  }

  /**
   * Build space for the bulk builds of one load (the id table's, then both multi-indexes'), allocated
   * once for all of them: fresh memory costs a page fault per 4 KiB (filling a fresh GiB cost 0.42-0.5 CPU s
   * on the 2-core benchmark VM on a quiet day, 3.7 s on another). Dropped at endBulkShared.
   */
  private scratch(): Uint32Array {
    const need = SCRATCH_PER_ENTRY * Math.max(this.reserved, this.slotCount);
    if (!this.bulkScratch || this.bulkScratch.length < need) {
      // Shared: the bulk builds' threads read the entry list from it (build-pool.ts).
      this.bulkScratch = new Uint32Array(new SharedArrayBuffer(need * 4));
    }
    return this.bulkScratch;
  }

  /** A record from the stream, in stream order. */
  applyRecord(streamId: Buffer, field: Buffer, value: Buffer): void {
    const isEntry = field.length === 1 && field[0] === FIELD_ENTRY.charCodeAt(0);
    const isRemoval = field.length === 1 && field[0] === FIELD_REMOVAL.charCodeAt(0);
    if (!isEntry && !isRemoval) throw new Error(`unknown index record field ${field.toString('latin1')}`);
    if (this.ahead.size > 0) {
      const slot = this.ids.find(value, this.idOffset(isEntry, value, 0), value.length);
      const local = slot >= 0 ? this.ahead.get(slot) : undefined;
      if (local !== undefined) {
        const order = compareStreamIds(streamId.toString('latin1'), local);
        // The very op this process applied already, or an older one it superseded.
        if (order === 0) this.ahead.delete(slot);
        if (order <= 0) return;
        this.ahead.delete(slot);
      }
    }
    this.applyOp(isEntry, value, 0, value.length, false);
  }

  /**
   * An entry record of a snapshot, at buf[from, to) (no Buffer per record). A snapshot holds each live id
   * once, so its ids are not looked up one by one: they are stored, and `endSnapshot` builds the id table
   * for all of them at once (id-store.ts buildTable). Only for a fresh state, before any other record.
   */
  applySnapshotEntry(buf: Buffer, from: number, to: number): void {
    const l = this.layout;
    if (!readEntry(buf, l, from, to)) throw new Error('unreadable index entry record');
    const kind = (l.pdq >= 0 ? HAS_PDQ : 0) | (l.phash >= 0 ? HAS_PHASH : 0);
    const e = this.ids.appendUnindexed(buf, l.idFrom, to);
    this.initSlot(e, l.quality, kind, 1);
    this.putHashes(e, buf, l);
  }

  /**
   * After a snapshot's entries: the id table for them (an id held twice keeps its last entry only), with
   * room for `more` ids to come (the records after the snapshot).
   */
  endSnapshot(more = 0): void {
    for (const e of this.ids.buildTable(more, this.scratch())) this.kill(e);
  }

  /** A local op, already in the stream as `streamId`: apply it now unless the tail (at `lastId`) got there first. */
  applyLocal(streamId: string, lastId: string, isEntry: boolean, record: Buffer): void {
    if (compareStreamIds(streamId, lastId) <= 0) return;
    const idFrom = this.idOffset(isEntry, record, 0);
    const before = this.ids.find(record, idFrom, record.length);
    if (before >= 0) this.ahead.delete(before);
    this.ahead.set(this.applyOp(isEntry, record, 0, record.length, true), streamId);
  }

  // ---- snapshots ----

  /**
   * The live entries as of `lastId`, or undefined while a local op is ahead of the stream (the state
   * is then not that of any one stream id; the caller tries again once the tail has caught up).
   */
  capture(lastId: string): Capture | undefined {
    if (this.ahead.size > 0) return undefined;
    const slots = this.slotCount;
    return { id: lastId, slots, alive: this.alive.slice(0, slots), entries: this.live, fill: 0 };
  }

  /**
   * Writes entry slot e as a version-1 entry record at out[at..]; returns its length, or 0 if it does
   * not fit in `room` bytes. Reads only what never changes once a slot is written (its hashes, quality,
   * kind and id bytes), so a capture stays valid while later records are applied.
   */
  encodeSlot(e: number, out: Buffer, at: number, room: number): number {
    const kind = this.kinds[e] as number;
    const id = this.ids.bytes(e);
    const len = 3 + (kind & HAS_PDQ ? 32 : 0) + (kind & HAS_PHASH ? 8 : 0) + id.length;
    if (len > room) return 0;
    out[at] = RECORD_VERSION;
    out[at + 1] = kind;
    out[at + 2] = this.quality[e] as number;
    let p = at + 3;
    if (kind & HAS_PDQ) {
      this.pdq.read(e, this.words);
      for (let i = 0; i < 8; i++, p += 4) out.writeUInt32BE(this.words[i] as number, p);
    }
    if (kind & HAS_PHASH) {
      this.phash.read(e, this.words);
      for (let i = 0; i < 2; i++, p += 4) out.writeUInt32BE(this.words[i] as number, p);
    }
    out.set(id, p);
    return len;
  }

  // ---- queries ----

  query(q: IndexQuery, opts: QueryOptions = {}): Hit[] {
    const pdqUsable = q.pdq && q.pdq.length > 0 && (q.quality ?? 100) >= this.limits.minQuality;
    if (pdqUsable) return this.queryPdq(q.pdq as readonly string[], opts);
    if (q.phash) return this.queryPhash(q.phash, opts);
    return [];
  }

  queryPdq(dihedral: readonly string[], opts: QueryOptions = {}): Hit[] {
    if (dihedral.length < 1 || dihedral.length > 8) throw new RangeError('Give 1 to 8 PDQ hashes');
    const max = opts.maxDistance ?? this.limits.pdqMax;
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
    const max = opts.maxDistance ?? this.limits.phashMax;
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

  slots(): number {
    return this.slotCount;
  }

  pdqLevels(): number {
    return this.pdq.levelCount();
  }

  bytesBy(): { pdq: number; phash: number; ids: number; flags: number } {
    return {
      pdq: this.pdq.byteSize(),
      phash: this.phash.byteSize(),
      ids: this.ids.byteSize(),
      flags: this.quality.byteLength + this.kinds.byteLength + this.alive.byteLength,
    };
  }

  /** True when this id is live with exactly this record's content: re-adding it would change nothing. */
  unchanged(record: Buffer): boolean {
    const l = this.layout;
    readEntry(record, l);
    const e = this.ids.find(record, l.idFrom, record.length);
    return e >= 0 && this.alive[e] === 1 && this.same(e, record, l);
  }

  // ---- applying records ----

  private growBytes(need: number): void {
    if (need <= this.alive.length) return;
    const size = Math.max(need, Math.ceil(this.alive.length * 1.5));
    const grow = (a: Uint8Array) => {
      const b = new Uint8Array(size);
      b.set(a);
      return b;
    };
    this.quality = grow(this.quality);
    this.kinds = grow(this.kinds);
    this.alive = grow(this.alive);
  }

  private idOffset(isEntry: boolean, record: Buffer, from: number): number {
    const at = isEntry
      ? readEntry(record, this.layout, from)
        ? this.layout.idFrom
        : -1
      : readRemoval(record, from);
    if (at < 0) throw new Error('unreadable index record');
    return at;
  }

  /**
   * Applies an add (or replacement) or a removal held at record[from, to). Returns the slot now standing
   * for the id (for a local removal of an id never seen, a dead slot is made, so that the op can be
   * tracked as ahead).
   */
  private applyOp(isEntry: boolean, record: Buffer, from: number, to: number, local: boolean): number {
    if (!isEntry) {
      const idFrom = this.idOffset(false, record, from);
      const e = this.ids.find(record, idFrom, to);
      if (e >= 0) this.kill(e);
      else if (local) return this.newSlot(record, idFrom, to, NO_QUALITY, 0, 0);
      return e;
    }
    const l = this.layout;
    if (!readEntry(record, l, from, to)) throw new Error('unreadable index entry record');
    const prev = this.ids.find(record, l.idFrom, to);
    if (prev >= 0) {
      if (this.alive[prev] === 1 && this.same(prev, record, l)) return prev;
      this.kill(prev);
    }
    const kind = (l.pdq >= 0 ? HAS_PDQ : 0) | (l.phash >= 0 ? HAS_PHASH : 0);
    const e = this.newSlot(record, l.idFrom, to, l.quality, kind, 1);
    this.putHashes(e, record, l);
    return e;
  }

  private putHashes(e: number, record: Buffer, l: EntryLayout): void {
    if (l.pdq >= 0) this.pdq.putBytes(e, record, l.pdq);
    if (l.phash >= 0) this.phash.putBytes(e, record, l.phash);
  }

  private newSlot(
    record: Buffer,
    idFrom: number,
    to: number,
    quality: number,
    kind: number,
    alive: 0 | 1,
  ): number {
    // Every caller has just looked the id up (find): its table slot is known.
    const e = this.ids.appendFound(record, idFrom, to);
    this.initSlot(e, quality, kind, alive);
    return e;
  }

  private initSlot(e: number, quality: number, kind: number, alive: 0 | 1): void {
    this.slotCount = e + 1;
    this.growBytes(e + 1);
    this.quality[e] = quality;
    this.kinds[e] = kind;
    this.alive[e] = alive;
    this.live += alive;
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
