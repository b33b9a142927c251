// Entry ids held compactly: at 10 million entries, one JS string per id would cost ~90 bytes each
// (~0.9 GB per process), so ids live as bytes in one arena and a flat open-addressing table maps an id
// back to its latest entry number (for upserts and tombstones). Strings are made only for hits.
//
// Id encoding (also the form stored in the Redis stream, so loading never builds a string):
//   [0][utf-8 of the id]                                   any id
//   [1][prefix length][utf-8 prefix][suffix as raw bytes]  ids ending in an even run of >= 16 lowercase
//                                                          hex digits, e.g. "m:<sha256>": 36 bytes, not 67
// The encoding is a function of the string, so equal ids have equal bytes.

const MAX_ID_CHARS = 512;
const MIN_HEX_RUN = 16;

const isLowerHex = (c: number) => (c >= 48 && c <= 57) || (c >= 97 && c <= 102);

export function encodeId(id: string): Buffer {
  if (id.length === 0 || id.length > MAX_ID_CHARS) {
    throw new RangeError(`An index id must have 1 to ${MAX_ID_CHARS} characters`);
  }
  let start = id.length;
  while (start > 0 && isLowerHex(id.charCodeAt(start - 1))) start--;
  if ((id.length - start) % 2 === 1) start++;
  const prefix = id.slice(0, start);
  const prefixBytes = Buffer.byteLength(prefix, 'utf8');
  if (id.length - start >= MIN_HEX_RUN && prefixBytes <= 255) {
    const out = Buffer.allocUnsafe(2 + prefixBytes + (id.length - start) / 2);
    out[0] = 1;
    out[1] = prefixBytes;
    out.write(prefix, 2, 'utf8');
    out.write(id.slice(start), 2 + prefixBytes, 'hex');
    return out;
  }
  const out = Buffer.allocUnsafe(1 + Buffer.byteLength(id, 'utf8'));
  out[0] = 0;
  out.write(id, 1, 'utf8');
  return out;
}

export function decodeId(bytes: Uint8Array): string {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b[0] === 1) {
    const plen = b[1] ?? 0;
    return b.toString('utf8', 2, 2 + plen) + b.toString('hex', 2 + plen);
  }
  if (b[0] === 0) return b.toString('utf8', 1);
  throw new RangeError('Unknown index id encoding');
}

/** FNV-1a over bytes: cheap, and good enough for a table whose keys are mostly hashes already. */
function fnv1a(bytes: Uint8Array, from: number, to: number): number {
  let h = 0x811c9dc5;
  for (let i = from; i < to; i++) h = Math.imul(h ^ (bytes[i] as number), 0x01000193);
  return h >>> 0;
}

/**
 * Ids of entries 0..count-1 (entry numbers are handed out in order), and id -> latest entry number.
 * Several entries may share an id (an upsert appends a new entry); the table points at the last one.
 */
export class IdStore {
  private arena: Uint8Array;
  private used = 0;
  /** offsets[e]..offsets[e+1] are entry e's id bytes in the arena (the arena stays under 4 GiB). */
  private offsets: Uint32Array;
  private count = 0;
  /** entry number + 1 per slot (0 = empty), linear probing; tags = top byte of the hash, to skip compares. */
  private slots: Uint32Array;
  private tags: Uint8Array;
  private distinct = 0;
  /** Where the last find() stopped: the id's slot or the empty one it would take (-1: unknown). */
  private probe = -1;
  private probeTag = 0;

  constructor(expected = 1024) {
    this.arena = new Uint8Array(Math.max(1024, expected * 40));
    this.offsets = new Uint32Array(expected + 1);
    const cap = tableCapacity(expected);
    this.slots = new Uint32Array(cap);
    this.tags = new Uint8Array(cap);
  }

  /** Makes room for `more` further entries without growing in between (the loader knows the total). */
  reserve(more: number, bytesEach = 40, table = true): void {
    this.growOffsets(this.count + more + 1);
    this.growArena(this.used + more * bytesEach);
    if (table) this.growTable(this.distinct + more);
  }

  /** The latest entry holding this id (encoded with encodeId), or -1. */
  find(id: Uint8Array, from = 0, to = id.length): number {
    const h = fnv1a(id, from, to);
    const mask = this.slots.length - 1;
    const tag = h >>> 24;
    this.probeTag = tag;
    for (let s = h & mask; ; s = (s + 1) & mask) {
      const v = this.slots[s] as number;
      this.probe = s;
      if (v === 0) return -1;
      if (this.tags[s] === tag && this.equals(v - 1, id, from, to)) return v - 1;
    }
  }

  /**
   * As append, for the id the immediately preceding find() looked up: its slot is known already (the
   * loader looks every id up first, to replace an older entry).
   */
  appendFound(id: Uint8Array, from = 0, to = id.length): number {
    const s = this.probe;
    if (s < 0 || this.distinct + 1 > this.slots.length * 0.7) return this.append(id, from, to);
    this.probe = -1;
    const e = this.store(id, from, to);
    if (this.slots[s] === 0) {
      this.tags[s] = this.probeTag;
      this.distinct++;
    }
    this.slots[s] = e + 1;
    return e;
  }

  /** Records the id of the next entry (number `count`) and points the id at it. Returns the number. */
  append(id: Uint8Array, from = 0, to = id.length): number {
    this.probe = -1;
    const e = this.store(id, from, to);
    if (this.distinct + 1 > this.slots.length * 0.7) this.growTable(this.distinct + 1);
    const h = fnv1a(id, from, to);
    const mask = this.slots.length - 1;
    const tag = h >>> 24;
    for (let s = h & mask; ; s = (s + 1) & mask) {
      const v = this.slots[s] as number;
      if (v === 0) {
        this.slots[s] = e + 1;
        this.tags[s] = tag;
        this.distinct++;
        return e;
      }
      if (this.tags[s] === tag && this.equals(v - 1, id, from, to)) {
        this.slots[s] = e + 1;
        return e;
      }
    }
  }

  private store(id: Uint8Array, from: number, to: number): number {
    const e = this.count;
    this.growOffsets(e + 2);
    this.growArena(this.used + (to - from));
    // A byte loop, not arena.set(id.subarray(...)): ids are short, and a view per id is garbage.
    const arena = this.arena;
    for (let i = from, at = this.used; i < to; i++, at++) arena[at] = id[i] as number;
    this.used += to - from;
    this.offsets[e + 1] = this.used;
    this.count = e + 1;
    return e;
  }

  /**
   * Records the id of the next entry without touching the table: for a snapshot's entries, whose ids are
   * distinct, loaded in bulk. `find` does not see them until `buildTable` runs. Returns the number.
   */
  appendUnindexed(id: Uint8Array, from = 0, to = id.length): number {
    this.probe = -1;
    return this.store(id, from, to);
  }

  /**
   * Builds the table afresh over every entry stored (after appendUnindexed). Returns the entries whose
   * id a later entry also holds (none in a sound snapshot), so the caller can retire them.
   *
   * Inserting ids one by one in entry order lands each at a random slot: at 10 million ids (a 16M-slot
   * table, 80 MiB with its tags) nearly every insert is a cache miss, and the loader's find-then-insert
   * took ~0.7 us per id (bench:index-start, 2M entries). Here the ids' hashes are computed in one
   * sequential pass, the entries are ordered by the top 8 bits of their home slot (a stable counting
   * sort, so a later entry with the same id still comes later and wins), and inserted in that order: each
   * run of inserts stays inside 1/256 of the table. Linear probing is correct for any insertion order.
   * The sort moves each entry's hash along with its number, so that the inserts read both in sequence:
   * looking the hash up by entry number was two cache and TLB misses per id at 10 million (measured:
   * 3.1 of a start's 17 CPU s). The id bytes are read only when a tag matches.
   *
   * `more`: ids still to come (the records after a snapshot), so that the table need not grow for them.
   * `scratch`: 3 words per entry lent by the caller (fresh memory costs a page fault per 4 KiB, see
   * mih.ts `spare`), else allocated here.
   */
  buildTable(more = 0, scratch?: Uint32Array): number[] {
    const n = this.count;
    const cap = tableCapacity(n + more);
    this.probe = -1;
    this.slots = new Uint32Array(cap);
    this.tags = new Uint8Array(cap);
    this.distinct = 0;
    const mask = cap - 1;
    const shift = Math.max(0, Math.log2(cap) - 8);
    const space = scratch && scratch.length >= 3 * n ? scratch : new Uint32Array(3 * n);
    const hashes = space.subarray(0, n);
    const sortedHashes = space.subarray(n, 2 * n);
    const sortedEntries = space.subarray(2 * n, 3 * n);
    const parts = new Uint32Array(257);
    const { arena, offsets } = this;
    for (let e = 0; e < n; e++) {
      const h = fnv1a(arena, offsets[e] as number, offsets[e + 1] as number);
      hashes[e] = h;
      const p = ((h & mask) >>> shift) + 1;
      parts[p] = (parts[p] as number) + 1;
    }
    for (let p = 1; p <= 256; p++) parts[p] = (parts[p] as number) + (parts[p - 1] as number);
    for (let e = 0; e < n; e++) {
      const h = hashes[e] as number;
      const p = (h & mask) >>> shift;
      const at = parts[p] as number;
      sortedHashes[at] = h;
      sortedEntries[at] = e;
      parts[p] = at + 1;
    }
    const superseded: number[] = [];
    const { slots, tags } = this;
    for (let i = 0; i < n; i++) {
      const e = sortedEntries[i] as number;
      const h = sortedHashes[i] as number;
      const tag = h >>> 24;
      for (let s = h & mask; ; s = (s + 1) & mask) {
        const v = slots[s] as number;
        if (v === 0) {
          slots[s] = e + 1;
          tags[s] = tag;
          this.distinct++;
          break;
        }
        if (tags[s] === tag && this.equals(v - 1, arena, offsets[e] as number, offsets[e + 1] as number)) {
          superseded.push(v - 1);
          slots[s] = e + 1;
          break;
        }
      }
    }
    return superseded;
  }

  /** Entry e's id bytes (a view into the arena: copy before the next append). */
  bytes(e: number): Uint8Array {
    return this.arena.subarray(this.offsets[e], this.offsets[e + 1]);
  }

  id(e: number): string {
    return decodeId(this.bytes(e));
  }

  /** Bytes held (arena, offsets and table), for the memory figures. */
  byteSize(): number {
    return this.arena.byteLength + this.offsets.byteLength + this.slots.byteLength + this.tags.byteLength;
  }

  private equals(e: number, id: Uint8Array, from: number, to: number): boolean {
    const a = this.offsets[e] as number;
    const len = (this.offsets[e + 1] as number) - a;
    if (len !== to - from) return false;
    for (let i = 0; i < len; i++) if (this.arena[a + i] !== id[from + i]) return false;
    return true;
  }

  private growOffsets(need: number): void {
    if (need <= this.offsets.length) return;
    const next = new Uint32Array(Math.max(need, Math.ceil(this.offsets.length * 1.5)));
    next.set(this.offsets.subarray(0, this.count + 1));
    this.offsets = next;
  }

  private growArena(need: number): void {
    if (need <= this.arena.length) return;
    if (need > 0xffffffff) throw new RangeError('Index id arena full (4 GiB of ids)');
    const next = new Uint8Array(Math.min(0xffffffff, Math.max(need, Math.ceil(this.arena.length * 1.5))));
    next.set(this.arena.subarray(0, this.used));
    this.arena = next;
  }

  /** Rehashes into a table sized for `need` distinct ids (each id's latest entry is kept). */
  private growTable(need: number): void {
    const cap = tableCapacity(need);
    if (cap <= this.slots.length) return;
    const old = this.slots;
    this.probe = -1;
    this.slots = new Uint32Array(cap);
    this.tags = new Uint8Array(cap);
    const mask = cap - 1;
    for (const v of old) {
      if (v === 0) continue;
      const a = this.offsets[v - 1] as number;
      const h = fnv1a(this.arena, a, this.offsets[v] as number);
      let s = h & mask;
      while (this.slots[s] !== 0) s = (s + 1) & mask;
      this.slots[s] = v;
      this.tags[s] = h >>> 24;
    }
  }
}

/** Power of two keeping the load factor at or under 0.7. */
function tableCapacity(n: number): number {
  let cap = 1024;
  while (n > cap * 0.7) cap *= 2;
  return cap;
}
