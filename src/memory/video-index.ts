// The video index: every video seen and every bank video, matchable by vPDQ from any worker on any
// machine. It lives entirely in Redis (no process state), unlike the image index, because a video is
// matched far less often than an image and a few hundred small Redis reads per video are cheap next to
// decoding it.
//
// Candidate search is exact multi-index hashing on the frames: a PDQ hash is cut into 16 segments of 16
// bits, and every unique frame of quality >= 50 puts the video's number into one set per segment value,
// `<p>:vidx:<segment>:<4 hex>`. Two frames within 31 bits differ in at most 1 bit in at least one segment
// (31 bits over 16 segments), so probing each segment's value and its 16 one-bit neighbours (272 sets)
// finds every indexed frame within 31 bits of a query frame. A video needs only a sample of its frames
// probed: if a candidate must match a share q of the query's frames, any (1 - q) share + 1 of them holds
// at least one that matches. Candidates are then compared in full (brute force, as the reference does)
// from their stored vPDQ.
//
// Set members are small integers (a per-video number), so Redis stores most sets as compact intsets:
// about 16 x 4 bytes per indexed frame. Removal is by forgetting the number (see `remove`): bucket
// entries of a removed video are skipped when met.
import { batch, type RedisClient } from '../redis.js';
import type { Keys } from '../keys.js';
import { comparableFrames, compareHashLists, parseVpdq, type VpdqThresholds } from '../similarity/vpdq.js';

const SEGMENTS = 16;
const SEGMENT_HEX = 4;
/** Candidates compared in full at most (the ones sharing the most probed frames first). */
const MAX_CANDIDATES = 200;
/** Frames indexed per video at most (its unique frames of enough quality, evenly spread). */
export const MAX_INDEXED_FRAMES = 1200;

export interface IndexedVideo {
  /** `m:<sha256>` for a video seen, `b:<bank>:<entry>` for a bank entry. */
  id: string;
  /** vPDQ lines as decoded, and cropped to the content region (empty when none). */
  vpdq: string[];
  contentVpdq: string[];
}

export interface VideoHit {
  id: string;
  method: 'vpdq' | 'vpdq_content_region';
  query_match_percent: number;
  compared_match_percent: number;
  plain_query_match_percent: number;
  plain_compared_match_percent: number;
  /** Median distance of the matched query frames to their closest frame of the other video. */
  distance: number;
}

function segments(hex: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < SEGMENTS; i++) out.push(hex.slice(i * SEGMENT_HEX, (i + 1) * SEGMENT_HEX));
  return out;
}

/** The segment value and its 16 one-bit neighbours. */
function neighbours(seg: string): string[] {
  const v = parseInt(seg, 16);
  const out = [seg];
  for (let b = 0; b < 16; b++) out.push((v ^ (1 << b)).toString(16).padStart(SEGMENT_HEX, '0'));
  return out;
}

/** `count` items spread evenly over `list` (all of it when count >= length). */
function spread<T>(list: readonly T[], count: number): T[] {
  if (count >= list.length) return [...list];
  const out: T[] = [];
  for (let i = 0; i < count; i++) out.push(list[Math.floor((i * list.length) / count)] as T);
  return out;
}

export function createVideoIndex(redis: RedisClient, keys: Keys) {
  const hashesOf = (v: Pick<IndexedVideo, 'vpdq' | 'contentVpdq'>, minQuality: number) => {
    const plain = comparableFrames(parseVpdq(v.vpdq.join('\n')).frames, minQuality);
    const content = v.contentVpdq.length
      ? comparableFrames(parseVpdq(v.contentVpdq.join('\n')).frames, minQuality)
      : plain;
    return { plain, content };
  };

  /** The video's number, handed out on its first add. */
  async function numberOf(id: string): Promise<string> {
    const known = await redis.get(keys.videoNumber(id));
    if (known) return known;
    const next = String(await redis.incr(keys.videoSequence()));
    // Two workers adding the same video at once agree on the first number written.
    await redis.set(keys.videoNumber(id), next, 'NX');
    const num = (await redis.get(keys.videoNumber(id))) ?? next;
    await redis.set(keys.videoByNumber(num), id);
    return num;
  }

  return {
    /** Adds (or replaces the hashes of) a video. Idempotent: the same id keeps its number. */
    async add(video: IndexedVideo, minQuality: number): Promise<void> {
      const num = await numberOf(video.id);
      await redis.hset(keys.videoHashes(video.id), {
        vpdq: video.vpdq.join('\n'),
        content_vpdq: video.contentVpdq.join('\n'),
      });
      const { plain, content } = hashesOf(video, minQuality);
      const frames = spread([...new Set([...plain, ...content])], MAX_INDEXED_FRAMES);
      const buckets = [
        ...new Set(frames.flatMap((hex) => segments(hex).map((seg, i) => keys.videoBucket(i, seg)))),
      ];
      await batch(redis, buckets, (pipe, bucket) => pipe.sadd(bucket, num));
    },

    /** Forgets a video: its number no longer resolves, so its bucket entries are skipped. */
    async remove(id: string): Promise<void> {
      const num = await redis.get(keys.videoNumber(id));
      if (num) await redis.del(keys.videoByNumber(num));
      // Two DELs, not one: the keys lie in different cluster slots.
      await redis.del(keys.videoNumber(id));
      await redis.del(keys.videoHashes(id));
    },

    async get(id: string): Promise<IndexedVideo | null> {
      const h = await redis.hgetall(keys.videoHashes(id));
      if (h.vpdq === undefined) return null;
      const lines = (s: string | undefined) => (s ? s.split('\n').filter(Boolean) : []);
      return { id, vpdq: lines(h.vpdq), contentVpdq: lines(h.content_vpdq) };
    },

    /**
     * Videos matching the query by vPDQ, plain or cropped to the content region, under the thresholds.
     * `exclude`: the query's own id (a video is not its own match).
     */
    async query(
      q: Pick<IndexedVideo, 'vpdq' | 'contentVpdq'>,
      th: VpdqThresholds,
      exclude?: string,
    ): Promise<VideoHit[]> {
      const { plain, content } = hashesOf(q, th.minQuality);
      if (!plain.length && !content.length) return [];
      // Enough query frames that any video matching the required share matches one of them.
      const needed = (n: number) =>
        th.queryMatchPercent > 0 ? Math.floor(((100 - th.queryMatchPercent) / 100) * n) + 1 : n;
      const probes = [
        ...new Set([...spread(plain, needed(plain.length)), ...spread(content, needed(content.length))]),
      ];
      const buckets = probes.flatMap((hex) =>
        segments(hex).flatMap((seg, i) => neighbours(seg).map((v) => keys.videoBucket(i, v))),
      );
      const replies = await batch(redis, buckets, (pipe, bucket) => pipe.smembers(bucket));
      const hits = new Map<string, number>();
      for (const [err, members] of replies) {
        if (err || !Array.isArray(members)) continue;
        for (const m of members as string[]) hits.set(m, (hits.get(m) ?? 0) + 1);
      }
      const numbers = [...hits.entries()]
        .sort((a, b) => b[1] - a[1])
        .slice(0, MAX_CANDIDATES)
        .map(([n]) => n);
      if (!numbers.length) return [];
      // One GET each (batched), not MGET: the keys lie in different cluster slots.
      const ids = (await batch(redis, numbers, (pipe, n) => pipe.get(keys.videoByNumber(n)))).map(([, id]) =>
        typeof id === 'string' ? id : null,
      );
      const out: VideoHit[] = [];
      for (const id of ids) {
        if (!id || id === exclude) continue;
        const other = await this.get(id);
        if (!other) continue;
        const o = hashesOf(other, th.minQuality);
        const p = compareHashLists(plain, o.plain, th);
        const c = compareHashLists(content, o.content, th);
        if (!p.match && !c.match) continue;
        const best = p.match ? p : c;
        out.push({
          id,
          method: p.match ? 'vpdq' : 'vpdq_content_region',
          query_match_percent: best.query_match_percent,
          compared_match_percent: best.compared_match_percent,
          plain_query_match_percent: p.query_match_percent,
          plain_compared_match_percent: p.compared_match_percent,
          distance: best.median_distance,
        });
      }
      return out.sort((a, b) => b.query_match_percent - a.query_match_percent || a.distance - b.distance);
    },
  };
}

export type VideoIndex = ReturnType<typeof createVideoIndex>;
