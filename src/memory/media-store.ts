// Every image firstseen has analyzed, keyed by sha256: when and where it was first seen, its hashes,
// and every later sighting. The near-duplicate index (src/memory/hash-index/) holds its hashes as `m:<sha256>`.
//
// The memory is shared between organizations, but a file a newsroom uploaded (a tip, a picture sent to
// it directly) is its own: other organizations never see that sighting. They see the file's first
// public sighting (a URL anyone could fetch) if there is one, and otherwise nothing at all (`getFor`).
import type { ChainableCommander } from 'ioredis';
import { batch, type RedisClient } from '../redis.js';
import type { Keys } from '../keys.js';

const SIGHTINGS_KEPT = 100;
/** Sightings of uploaded files: private to the organization that uploaded them. */
export const isPrivateSighting = (s: Pick<Sighting, 'source_url'>) => s.source_url.startsWith('upload:');
/** How long a check's sightings are remembered against a re-run: far beyond its retries and stalls. */
const RERUN_WINDOW_SECONDS = 86_400;

/**
 * A sighting's writes to the record's hash (KEYS[1]), atomically. ARGV: sha256, check id, source URL,
 * time, public ('1' or '0'), post URL, the post time to write ('' none: not earlier than the record's),
 * the post time read before it (compare-and-set: written only if still that; '' none), then the
 * first-seen fields as name, value pairs (written only by the sighting that creates the record).
 * Returns [isNew, post time conflict (1: another sighting wrote one meanwhile, not written), the
 * record's post time then]. isNew is 1 for the sighting that creates the record, and also for the same
 * check and URL again (a re-run after a crash before the mark: the killed attempt may not have indexed
 * it).
 */
const RECORD = `
local key = KEYS[1]
local isNew = redis.call('HSETNX', key, 'sha256', ARGV[1])
if isNew == 1 then
  redis.call('HSET', key, unpack(ARGV, 9))
elseif redis.call('HGET', key, 'first_check_id') == ARGV[2] and redis.call('HGET', key, 'first_seen_url') == ARGV[3] then
  isNew = 1
end
if ARGV[5] == '1' and redis.call('HEXISTS', key, 'first_public_at') == 0 then
  redis.call('HSET', key, 'first_public_at', ARGV[4], 'first_public_url', ARGV[3], 'first_public_post_url', ARGV[6])
end
local conflict = 0
local current = redis.call('HGET', key, 'posted_at')
if ARGV[7] ~= '' then
  if (current or '') == ARGV[8] then
    redis.call('HSET', key, 'posted_at', ARGV[7], 'post_url', ARGV[6])
    current = ARGV[7]
  else
    conflict = 1
  end
end
redis.call('HINCRBY', key, 'sightings', 1)
return {isNew, conflict, current}`;
const RECORD_COMMAND = 'firstseenMediaRecord';

/**
 * The compare-and-set of a post time alone (KEYS[1] the record; ARGV: post time, post URL, the post
 * time expected): writes it if the record's is still the one expected; returns nil when written, else
 * the record's post time now (to compare with again).
 */
const EARLIER_POST = `
local current = redis.call('HGET', KEYS[1], 'posted_at')
if (current or '') ~= ARGV[3] then return current or '' end
redis.call('HSET', KEYS[1], 'posted_at', ARGV[1], 'post_url', ARGV[2])
return nil`;
const EARLIER_POST_COMMAND = 'firstseenMediaEarlierPost';

type WithRecord = ChainableCommander & {
  [RECORD_COMMAND](key: string, ...args: string[]): ChainableCommander;
};
type WithEarlierPost = {
  [EARLIER_POST_COMMAND](key: string, ...args: string[]): Promise<string | null>;
};

export interface Sighting {
  at: string;
  check_id: string;
  org: string;
  source_url: string;
  post_url: string | null;
  posted_at: string | null;
}

/**
 * What the file is as a copy of its picture, for ranking copies (src/memory/best-copy.ts): intrinsic to
 * the bytes, written with the first sighting. Kept as one compact field, `copy`, a JSON array
 * `[width, height, jpeg quality, camera, region]` (camera: 0 none, 1 camera EXIF without make or model,
 * else "Make Model"; region: "" or b/l/e for a border, letterbox bars, a picture embedded in a
 * screenshot): e.g. `[640,480,75,"NIKON COOLPIX P6000",""]`, 38 bytes of value, about 45 bytes per image in
 * Redis with the field name and the hash entry's overhead (more with a long camera name, capped at 40
 * characters).
 */
export interface StoredCopy {
  width: number | null;
  height: number | null;
  jpeg_quality: number | null;
  camera_exif: boolean;
  camera: string | null;
  region: 'border' | 'letterbox' | 'embedded' | null;
}

const REGION_CODES = { border: 'b', letterbox: 'l', embedded: 'e' } as const;
const CAMERA_MAX = 40;

export function encodeCopy(c: StoredCopy): string {
  const camera = c.camera_exif ? (c.camera?.slice(0, CAMERA_MAX) ?? 1) : 0;
  return JSON.stringify([c.width, c.height, c.jpeg_quality, camera, c.region ? REGION_CODES[c.region] : '']);
}

const int = (v: unknown) => (typeof v === 'number' && Number.isInteger(v) ? v : null);

export function decodeCopy(raw: string | null | undefined): StoredCopy | null {
  if (!raw) return null;
  try {
    const a = JSON.parse(raw) as unknown;
    if (!Array.isArray(a)) return null;
    const [w, h, q, camera, r] = a as unknown[];
    const region = (Object.keys(REGION_CODES) as Array<keyof typeof REGION_CODES>).find(
      (k) => REGION_CODES[k] === r,
    );
    return {
      width: int(w),
      height: int(h),
      jpeg_quality: int(q),
      camera_exif: camera !== 0 && camera !== undefined && camera !== null,
      camera: typeof camera === 'string' ? camera : null,
      region: region ?? null,
    };
  } catch {
    return null;
  }
}

export interface MediaRecord {
  sha256: string;
  first_seen_at: string;
  first_check_id: string;
  first_org: string;
  first_seen_url: string;
  first_post_url: string | null;
  /** The earliest post time known for any post that carried it. */
  posted_at: string | null;
  post_url: string | null;
  captured_at: string | null;
  pdq: string | null;
  quality: number | null;
  phash: string | null;
  sightings: number;
  /** Null for records written before copy facts were kept. */
  copy: StoredCopy | null;
}

interface PublicFirst {
  at: string;
  url: string;
  post_url: string | null;
}

/**
 * Sends groups of commands without waiting in between, each group on keys of one slot (one item of
 * `batch`: one pipeline on a single Redis), and returns the replies in order; throws the first error.
 */
async function together(
  redis: RedisClient,
  groups: ReadonlyArray<(pipe: ChainableCommander) => unknown>,
): Promise<unknown[]> {
  const replies = await batch(redis, groups, (pipe, add) => add(pipe));
  return replies.map(([err, value]) => {
    if (err) throw err;
    return value;
  });
}

export function createMediaStore(redis: RedisClient, keys: Keys) {
  // ioredis sends a defined command as EVALSHA (the script itself after NOSCRIPT), in pipelines too.
  if (!(RECORD_COMMAND in redis)) {
    redis.defineCommand(RECORD_COMMAND, { lua: RECORD, numberOfKeys: 1 });
    redis.defineCommand(EARLIER_POST_COMMAND, { lua: EARLIER_POST, numberOfKeys: 1 });
  }
  const read = (h: Record<string, string>): (MediaRecord & { publicFirst: PublicFirst | null }) | null =>
    h.sha256
      ? {
          sha256: h.sha256,
          first_seen_at: h.first_seen_at ?? '',
          first_check_id: h.first_check_id ?? '',
          first_org: h.first_org ?? '',
          first_seen_url: h.first_seen_url ?? '',
          first_post_url: h.first_post_url || null,
          posted_at: h.posted_at || null,
          post_url: h.post_url || null,
          captured_at: h.captured_at || null,
          pdq: h.pdq || null,
          quality: h.quality ? Number(h.quality) : null,
          phash: h.phash || null,
          sightings: Number(h.sightings ?? 0),
          copy: decodeCopy(h.copy),
          publicFirst: h.first_public_at
            ? {
                at: h.first_public_at,
                url: h.first_public_url ?? '',
                post_url: h.first_public_post_url || null,
              }
            : null,
        }
      : null;

  const withFirst = (r: MediaRecord, first: PublicFirst): MediaRecord => ({
    ...r,
    first_seen_at: first.at,
    first_seen_url: first.url,
    first_post_url: first.post_url,
  });

  /** A record as `org` may see it (getFor). */
  async function visibleTo(r: ReturnType<typeof read>, org: string): Promise<MediaRecord | null> {
    if (!r) return null;
    const { publicFirst, ...record } = r;
    if (!record.first_seen_url.startsWith('upload:') || record.first_org === org) return record;
    const own = await redis.hget(keys.mediaPrivate(record.sha256), org);
    const mine = own ? (JSON.parse(own) as Sighting) : null;
    const candidates: PublicFirst[] = [
      ...(publicFirst ? [publicFirst] : []),
      ...(mine ? [{ at: mine.at, url: mine.source_url, post_url: null }] : []),
    ].sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
    return candidates[0] ? withFirst(record, candidates[0]) : null;
  }

  return {
    /** The whole record, private sightings included: for the memory's own bookkeeping, never for a report. */
    get: async (sha256: string): Promise<MediaRecord | null> => {
      const r = read(await redis.hgetall(keys.media(sha256)));
      if (!r) return null;
      const { publicFirst: _p, ...record } = r;
      return record;
    },

    /**
     * The record as `org` may see it: first seen where the public, or this organization itself, first saw
     * it; null when only other organizations' uploads ever held the file.
     */
    async getFor(sha256: string, org: string): Promise<MediaRecord | null> {
      return visibleTo(read(await redis.hgetall(keys.media(sha256))), org);
    },

    /** getFor of many files, their records read in one batch (a check's hits); in the same order. */
    async getManyFor(sha256s: readonly string[], org: string): Promise<Array<MediaRecord | null>> {
      const replies = await batch(redis, sha256s, (pipe, sha) => pipe.hgetall(keys.media(sha)));
      return Promise.all(
        replies.map(([err, h]) => {
          if (err) throw err;
          return visibleTo(read(h as Record<string, string>), org);
        }),
      );
    },

    /**
     * Records a sighting. The first sighting of a sha256 wins the record (HSETNX, so two workers seeing
     * the same new file at once agree on one); later ones add to the count and the list.
     */
    async record(
      sha256: string,
      sighting: Sighting,
      facts: {
        pdq: string | null;
        quality: number | null;
        phash: string | null;
        captured_at: string | null;
        copy?: StoredCopy | undefined;
      },
    ): Promise<{ isNew: boolean }> {
      const key = keys.media(sha256);
      const list = keys.mediaSightings(sha256);
      // A check re-run after its worker died mid-check (the job's lock expired) records again what the
      // killed attempt recorded: that is one sighting, not two. The mark is set after the writes, so a
      // crash in between counts a sighting twice rather than losing it. The killed attempt may also
      // have died before adding to the index, so the record's own check still counts as new for the
      // caller (adding the same hashes to the index again changes nothing), marked or not.
      //
      // Three round trips, each one batch (one pipeline on a single Redis), where this took ten one after
      // the other: (1) the mark, with the record's first check and post time; (2) the record's writes in
      // one script on its own hash (one key: one slot on a cluster; atomic, so no reader sees a record
      // without its first-seen fields), with the private sighting and the list beside it; (3) the mark,
      // once all of those are written.
      const seen = keys.mediaSeen(sha256, sighting.check_id, sighting.source_url);
      const [marked, read] = await together(redis, [
        (pipe) => pipe.exists(seen),
        (pipe) => pipe.hmget(key, 'first_check_id', 'posted_at'),
      ]);
      const [firstCheck, postedAt] = read as [string | null, string | null];
      if (marked === 1) return { isNew: firstCheck === sighting.check_id };

      const first = [
        ['first_seen_at', sighting.at],
        ['first_check_id', sighting.check_id],
        ['first_org', sighting.org],
        ['first_seen_url', sighting.source_url],
        ['first_post_url', sighting.post_url ?? ''],
        ['pdq', facts.pdq ?? ''],
        ['quality', facts.quality === null ? '' : String(facts.quality)],
        ['phash', facts.phash ?? ''],
        ['captured_at', facts.captured_at ?? ''],
        ...(facts.copy ? [['copy', encodeCopy(facts.copy)]] : []),
      ].flat();
      const earlier = (current: string | null) =>
        !current || Date.parse(sighting.posted_at as string) < Date.parse(current);
      const privateSighting = isPrivateSighting(sighting);
      const [written] = await together(redis, [
        (pipe) =>
          (pipe as WithRecord)[RECORD_COMMAND](
            key,
            sha256,
            sighting.check_id,
            sighting.source_url,
            sighting.at,
            privateSighting ? '0' : '1',
            sighting.post_url ?? '',
            sighting.posted_at && earlier(postedAt) ? sighting.posted_at : '',
            postedAt ?? '',
            ...first,
          ),
        ...(privateSighting
          ? [
              (pipe: ChainableCommander) =>
                pipe.hsetnx(keys.mediaPrivate(sha256), sighting.org, JSON.stringify(sighting)),
            ]
          : []),
        (pipe) => pipe.lpush(list, JSON.stringify(sighting)).ltrim(list, 0, SIGHTINGS_KEPT - 1),
      ]);
      const [isNew, conflict, current] = written as [number, number, string | null];
      // Another sighting wrote a post time between this one's read and its script: compare again with
      // what is there now, and write only if this one is still the earliest and nothing changed since.
      let now = conflict === 1 ? current : null;
      while (now !== null && sighting.posted_at && earlier(now)) {
        now = await (redis as unknown as WithEarlierPost)[EARLIER_POST_COMMAND](
          key,
          sighting.posted_at,
          sighting.post_url ?? '',
          now,
        );
      }
      await redis.set(seen, '1', 'EX', RERUN_WINDOW_SECONDS);
      return { isNew: isNew === 1 };
    },

    async sightings(sha256: string): Promise<Sighting[]> {
      return (await redis.lrange(keys.mediaSightings(sha256), 0, SIGHTINGS_KEPT - 1)).map(
        (s) => JSON.parse(s) as Sighting,
      );
    },

    /** The sightings of many files in one batch of reads (a bulk import's announcements). */
    async sightingsOf(sha256s: readonly string[]): Promise<Map<string, Sighting[]>> {
      const replies = await batch(redis, sha256s, (pipe, sha) =>
        pipe.lrange(keys.mediaSightings(sha), 0, SIGHTINGS_KEPT - 1),
      );
      const out = new Map<string, Sighting[]>();
      sha256s.forEach((sha, i) => {
        const [err, list] = replies[i] ?? [null, []];
        if (err) throw err;
        out.set(
          sha,
          (list as string[]).map((s) => JSON.parse(s) as Sighting),
        );
      });
      return out;
    },
  };
}

export type MediaStore = ReturnType<typeof createMediaStore>;
