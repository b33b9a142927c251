// Snapshots of the hash index in Redis, so that a starting process reads the live entries in a few large
// strings instead of every record ever added, and so that the stream can be trimmed behind them.
//
// A snapshot ("generation") is the index's live entries as of one stream id: version-1 entry records
// (record.ts), each behind a 2-byte length, packed into chunks of CHUNK_BYTES (no record straddles two),
// one Redis string per chunk, with a pointer key holding its description (JSON: generation, stream id,
// entries, chunk count, CRC-32 per chunk). ~80 bytes per live entry, so Redis holds about what the stream
// held, less the replaced and removed entries; while a new generation is written and for `graceMs` after
// it is published, the previous one is kept as well (twice that, for that long).
//
// Writing (any process, one at a time: a lock taken with SET NX PX): chunks are written under a new random
// generation with a TTL (a writer that dies leaves nothing behind for long), then one Lua script checks
// that the pointer still names the generation the writer started from, removes the TTLs and flips the
// pointer, keeping the old generation as `previous`. Readers therefore see a whole generation or none.
//
// Compaction: once the previous generation has been superseded for `graceMs` (time for any process that
// was loading it to finish), one script sets the floor key to the current generation's stream id, trims
// the stream below it (XTRIM MINID) and deletes the previous generation. A process that is still behind
// then (loading the old generation, or tailing behind the floor) notices (missing chunk, or the floor in
// sync.ts) and loads again from the current generation: it never carries on with a hole.
//
// Keys (src/keys.ts) share the hash tag `{<p>:index:stream}`, whose slot is the stream's own (the stream's
// name has no braces, so its slot is that of its whole name): on a Redis Cluster the scripts may touch the
// stream, the pointer, the floor and the chunks together. The index therefore lives on one primary.
import { setImmediate } from 'node:timers/promises';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { crc32 } from 'node:zlib';
import type { RedisClient } from '../../redis.js';
import type { Keys } from '../../keys.js';
import type { Logger } from '../../logger.js';
import { RECORD_VERSION } from './record.js';

/** Bytes per chunk: a few ms of Redis time to GET or SET, and a reader holds two at a time. */
export const CHUNK_BYTES = 4 * 2 ** 20;
/** Chunks of a generation being written expire after this unless it is published (ms). */
const WRITE_TTL_MS = 30 * 60_000;
const FORMAT = 1;

export interface SnapshotMeta {
  format: number;
  gen: string;
  /** Stream id the snapshot is the state as of: a loader applies the stream after it. */
  id: string;
  entries: number;
  /**
   * Length of the stream when the snapshot was taken, less what compaction trimmed since: the stream's
   * length minus this is about how many records came after the snapshot (what makes the next one due).
   */
  streamLength: number;
  bytes: number;
  chunks: number;
  /** CRC-32 of each chunk. */
  crc: number[];
  /** When it was published (ms, the writer's clock), and by whom (host:pid), for operators. */
  at: number;
  by: string;
}

export interface SnapshotPointer {
  current: SnapshotMeta;
  /** The generation before, kept until `current.at + graceMs` for processes still loading it. */
  previous?: SnapshotMeta;
}

/** A generation that cannot be used (a chunk missing, its length or CRC wrong, a record unreadable). */
export class SnapshotUnusable extends Error {}

// Flip: KEYS = pointer, chunk keys of the new generation. ARGV = generation the writer started from ("" for
// none), new meta (JSON).
const FLIP = `local raw = redis.call('GET', KEYS[1])
local prev = raw and cjson.decode(raw) or nil
local cur = prev and prev.current.gen or ''
if cur ~= ARGV[1] then return 0 end
if prev and prev.previous then return 0 end
for i = 2, #KEYS do redis.call('PERSIST', KEYS[i]) end
local ptr = { current = cjson.decode(ARGV[2]) }
if prev then ptr.previous = prev.current end
redis.call('SET', KEYS[1], cjson.encode(ptr))
return 1`;

// Compact: KEYS = pointer, floor, stream, chunk keys of the previous generation. ARGV = previous
// generation ("" for none), current generation, current stream id. Returns 0 if there was nothing to do
// (or the pointer moved), else 1 + the records trimmed.
const COMPACT = `local raw = redis.call('GET', KEYS[1])
if not raw then return 0 end
local ptr = cjson.decode(raw)
local prev = ptr.previous and ptr.previous.gen or ''
if prev ~= ARGV[1] or ptr.current.gen ~= ARGV[2] then return 0 end
if prev == '' and redis.call('GET', KEYS[2]) == ARGV[3] then return 0 end
redis.call('SET', KEYS[2], ARGV[3])
local trimmed = redis.call('XTRIM', KEYS[3], 'MINID', ARGV[3])
for i = 4, #KEYS do redis.call('DEL', KEYS[i]) end
ptr.previous = nil
ptr.current.streamLength = math.max(0, ptr.current.streamLength - trimmed)
redis.call('SET', KEYS[1], cjson.encode(ptr))
return trimmed + 1`;

const UNLOCK = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

/** Yields the chunks of a generation, each filled by `fill(out)`, which returns the bytes written. */
export type ChunkFiller = (out: Buffer) => number;

export class SnapshotStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
    private readonly log: Logger,
    private readonly chunkBytes = CHUNK_BYTES,
  ) {}

  async pointer(): Promise<SnapshotPointer | null> {
    const raw = await this.redis.get(this.keys.indexSnapshot());
    if (!raw) return null;
    try {
      const p = JSON.parse(raw) as SnapshotPointer;
      return p.current?.format === FORMAT ? p : null;
    } catch {
      this.log.error({ key: this.keys.indexSnapshot() }, 'index snapshot pointer unreadable; ignored');
      return null;
    }
  }

  /** Stream id below which records may have been trimmed ("0-0": never trimmed). */
  async floor(): Promise<string> {
    return (await this.redis.get(this.keys.indexFloor())) ?? '0-0';
  }

  /**
   * Reads generation `meta`, handing each entry record to `apply(chunk, from, to)` as it arrives (the next
   * chunk is on its way meanwhile). Throws SnapshotUnusable if any part is missing or damaged; records of
   * the chunks before were applied by then, so the caller starts again on a fresh state.
   */
  async read(meta: SnapshotMeta, apply: (chunk: Buffer, from: number, to: number) => void): Promise<void> {
    const get = (i: number) => this.redis.getBuffer(this.keys.indexSnapshotChunk(meta.gen, i));
    let entries = 0;
    let next: Promise<Buffer | null> | undefined = meta.chunks > 0 ? get(0) : undefined;
    for (let i = 0; i < meta.chunks; i++) {
      const chunk = await (next as Promise<Buffer | null>);
      next = i + 1 < meta.chunks ? get(i + 1) : undefined;
      next?.catch(() => undefined);
      if (!chunk) throw new SnapshotUnusable(`chunk ${i} of ${meta.chunks} missing`);
      if (crc32(chunk) !== meta.crc[i]) throw new SnapshotUnusable(`chunk ${i}: CRC mismatch`);
      for (let at = 0; at < chunk.length;) {
        if (at + 2 > chunk.length) throw new SnapshotUnusable(`chunk ${i}: truncated record`);
        const len = chunk.readUInt16BE(at);
        const from = at + 2;
        if (len < 4 || from + len > chunk.length || chunk[from] !== RECORD_VERSION) {
          throw new SnapshotUnusable(`chunk ${i}: bad record at byte ${at}`);
        }
        apply(chunk, from, from + len);
        entries++;
        at = from + len;
      }
    }
    if (entries !== meta.entries) throw new SnapshotUnusable(`${entries} entries, ${meta.entries} expected`);
  }

  /** Takes the writers' lock for `ms`; returns its token, or null if another process holds it. */
  async lock(ms: number): Promise<string | null> {
    const token = `${hostname()}:${process.pid}:${randomBytes(6).toString('hex')}`;
    const ok = await this.redis.set(this.keys.indexSnapshotLock(), token, 'PX', ms, 'NX');
    return ok ? token : null;
  }

  async unlock(token: string): Promise<void> {
    await this.redis.eval(UNLOCK, 1, this.keys.indexSnapshotLock(), token);
  }

  /**
   * Writes a generation as of stream id `at.id` (chunks from `fill` until it returns 0 bytes) and publishes
   * it if the pointer still names `basedOn` (its gen, or "" for none). Returns the meta, or null if the
   * pointer moved meanwhile (the chunks then expire by themselves).
   */
  async write(
    at: { id: string; entries: number; streamLength: number },
    basedOn: string,
    fill: (out: Buffer) => { bytes: number; entries: number },
  ): Promise<SnapshotMeta | null> {
    const { id, entries, streamLength } = at;
    const gen = `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
    const out = Buffer.allocUnsafe(this.chunkBytes);
    const crc: number[] = [];
    let bytes = 0;
    let written = 0;
    for (;;) {
      const filled = fill(out);
      if (filled.bytes === 0) break;
      const chunk = out.subarray(0, filled.bytes);
      crc.push(crc32(chunk));
      await this.redis.set(this.keys.indexSnapshotChunk(gen, crc.length - 1), chunk, 'PX', WRITE_TTL_MS);
      bytes += filled.bytes;
      written += filled.entries;
      // Let the event loop breathe between chunks (each is a few ms of encoding).
      await setImmediate();
    }
    if (written !== entries) throw new Error(`snapshot wrote ${written} entries, ${entries} captured`);
    const meta: SnapshotMeta = {
      format: FORMAT,
      gen,
      id,
      entries,
      streamLength,
      bytes,
      chunks: crc.length,
      crc,
      at: Date.now(),
      by: `${hostname()}:${process.pid}`,
    };
    const chunkKeys = crc.map((_, i) => this.keys.indexSnapshotChunk(gen, i));
    const flipped = await this.redis.eval(
      FLIP,
      1 + chunkKeys.length,
      this.keys.indexSnapshot(),
      ...chunkKeys,
      basedOn,
      JSON.stringify(meta),
    );
    return flipped === 1 ? meta : null;
  }

  /**
   * Once the current generation has been published for `graceMs`: sets the floor to its stream id, trims
   * the stream below it and deletes the previous generation. Returns the records trimmed, or -1 if there
   * was nothing to do (yet).
   */
  async compact(graceMs: number, now = Date.now()): Promise<number> {
    const p = await this.pointer();
    if (!p || now - p.current.at < graceMs) return -1;
    const old = p.previous;
    const chunkKeys = old
      ? Array.from({ length: old.chunks }, (_, i) => this.keys.indexSnapshotChunk(old.gen, i))
      : [];
    const done = (await this.redis.eval(
      COMPACT,
      3 + chunkKeys.length,
      this.keys.indexSnapshot(),
      this.keys.indexFloor(),
      this.keys.indexStream(),
      ...chunkKeys,
      old?.gen ?? '',
      p.current.gen,
      p.current.id,
    )) as number;
    return done - 1;
  }
}
