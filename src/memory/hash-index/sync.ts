// Keeps a process's in-memory index in step with the Redis stream, the index's source of truth:
// at start, every record is read in chunks (XRANGE, the next chunk requested before the current one is
// applied, so Redis and this process work at the same time); then the stream is tailed with XREAD BLOCK
// on a connection of its own, so a record added by any process is applied here within milliseconds.
// Records are applied in stream order, each exactly once; after a lost connection the tail resumes
// from the last id applied, so nothing is missed or applied twice.
//
// The stream is trimmed behind the index's snapshot (snapshot.ts), and the trim point is written to a
// key of the stream's slot (`floor`) before each trim. A process that fell so far behind that records it
// still needed were trimmed must not carry on with a hole: each XREAD is sent with a GET of the floor in
// the same pipeline, which Redis runs right after the XREAD returns. If the floor then is past the id the
// read started from, records may have been trimmed before this process read them: the tail stops and
// `onBehind` is called (the index reloads from the snapshot). Why this is enough: records are only ever
// deleted by a trim, a trim only deletes ids below the floor, and the floor is written first; so a floor
// read after the XREAD that is <= its start id proves nothing after that id was gone when it ran. (A trim
// landing between the two commands gives a needless reload, never a missed record.)
import { duplicateForBlocking, type RedisClient } from '../../redis.js';
import type { Logger } from '../../logger.js';

/** Called for each record, in stream order: its stream id, its field name, its value. */
export type ApplyRecord = (streamId: Buffer, field: Buffer, value: Buffer) => void;

export interface StreamSyncOptions {
  redis: RedisClient;
  key: string;
  log: Logger;
  apply: ApplyRecord;
  /** Key holding the stream id below which records may have been trimmed (absent: never trimmed). */
  floorKey: string;
  /** Called once, and the tail stops, when records after lastId may have been trimmed unread. */
  onBehind: () => void;
  /** Records per XRANGE / XREAD reply. */
  chunk?: number;
  /** How long one XREAD blocks before it is sent again (ms). */
  blockMs?: number;
}

type StreamReply = [id: Buffer, fields: Buffer[]][];

/** Orders stream ids ("<ms>-<seq>"): negative, zero or positive as a is before, equal to or after b. */
export function compareStreamIds(a: string, b: string): number {
  const da = a.indexOf('-');
  const db = b.indexOf('-');
  const ma = Number(a.slice(0, da));
  const mb = Number(b.slice(0, db));
  if (ma !== mb) return ma < mb ? -1 : 1;
  const sa = Number(a.slice(da + 1));
  const sb = Number(b.slice(db + 1));
  return sa === sb ? 0 : sa < sb ? -1 : 1;
}

export class StreamSync {
  /** Id of the last record applied ("0-0": none yet). */
  lastId = '0-0';
  private readonly opts: Required<StreamSyncOptions>;
  private blocking: RedisClient | undefined;
  private tailing: Promise<void> | undefined;
  private closed = false;

  constructor(opts: StreamSyncOptions) {
    // 5000 records: a ~0.4 MB reply, a few ms of Redis time per XRANGE, so a restarting process never
    // holds Redis for long; larger chunks load only slightly faster (measured).
    this.opts = { chunk: 5000, blockMs: 5000, ...opts };
  }

  /** Applies every record now in the stream (after lastId). Returns how many. */
  async load(): Promise<number> {
    const { redis, key, chunk } = this.opts;
    const range = (after: string) =>
      redis.xrangeBuffer(key, after === '0-0' ? '-' : `(${after}`, '+', 'COUNT', chunk);
    let applied = 0;
    let reply: StreamReply = await range(this.lastId);
    while (reply.length > 0 && !this.closed) {
      const last = (reply[reply.length - 1] as StreamReply[number])[0].toString('latin1');
      const next = reply.length === chunk ? range(last) : undefined;
      // The next chunk is on its way while this one is applied; its rejection is awaited below.
      next?.catch(() => undefined);
      applied += this.applyAll(reply);
      if (!next) break;
      reply = await next;
    }
    return applied;
  }

  /** Starts following the stream from lastId on a dedicated connection (XREAD BLOCK). */
  tail(): void {
    if (this.tailing || this.closed) return;
    // A blocking read needs its own connection, queueing while it reconnects and retrying for ever:
    // whatever the caller's connection is configured to do on errors.
    this.blocking = duplicateForBlocking(this.opts.redis, 'firstseen-index-tail');
    this.blocking.on('error', (err: Error) =>
      this.opts.log.warn({ err: err.message }, 'redis (index tail) connection error'),
    );
    this.tailing = this.follow(this.blocking);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.blocking?.disconnect();
    await this.tailing;
  }

  private async follow(conn: RedisClient): Promise<void> {
    const { key, chunk, blockMs, log } = this.opts;
    let failures = 0;
    while (!this.closed) {
      try {
        const from = this.lastId;
        const replies = await conn
          .pipeline()
          .xreadBuffer('COUNT', chunk, 'BLOCK', blockMs, 'STREAMS', key, from)
          .get(this.opts.floorKey)
          .exec();
        const [readErr, reply] = replies?.[0] ?? [new Error('no reply')];
        const [floorErr, floor] = replies?.[1] ?? [new Error('no reply')];
        if (readErr) throw readErr;
        if (floorErr) throw floorErr;
        failures = 0;
        if (typeof floor === 'string' && compareStreamIds(floor, from) > 0) {
          log.warn({ lastId: from, floor }, 'index stream trimmed past this process; reloading');
          this.closed = true;
          this.opts.onBehind();
          break;
        }
        const records = (reply as [Buffer, StreamReply][] | null)?.[0]?.[1];
        if (records) this.applyAll(records);
      } catch (err) {
        if (this.closed) break;
        failures++;
        log.warn({ err: (err as Error).message, failures }, 'index stream tail failed; retrying');
        await new Promise((r) => setTimeout(r, Math.min(200 * failures, 2000)));
      }
    }
  }

  private applyAll(records: StreamReply): number {
    const { apply, log } = this.opts;
    for (const [id, fields] of records) {
      const field = fields[0];
      const value = fields[1];
      if (field && value) {
        try {
          apply(id, field, value);
        } catch (err) {
          // A record this version cannot read must not stop the index: skip it, loudly.
          log.error({ err: (err as Error).message, id: id.toString('latin1') }, 'index record skipped');
        }
      }
    }
    const last = records[records.length - 1];
    if (last) this.lastId = last[0].toString('latin1');
    return records.length;
  }
}
