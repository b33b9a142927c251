// Watches: a check's posts resolved again on a schedule after the check (issue 22, item 4). One hash
// per watched check and one zset per organization (its cap), see src/keys.ts; one BullMQ job scheduler
// per watched check, whose jobs name only the check (workers/watch.ts verifies the rest).
import type { Queue } from 'bullmq';
import type { RedisClient } from '../redis.js';
import type { PostChange, Watch, WatchJob } from '../../schemas/watch.js';
import type { Config } from '../config.js';
import { HttpErrors } from '../errors.js';
import type { Keys } from '../keys.js';
import { addCapped } from './capped-set.js';

export const WATCH_JOB_NAME = 'watch';
export const schedulerId = (checkId: string) => `watch-${checkId}`;

/** What a post looked like when last seen: compared with what it shows now. */
export interface SeenPost {
  text: string;
  media: string[];
  at: string;
}

export interface StoredWatch {
  check_id: string;
  org: string;
  started_at: string;
  until: string;
  ended_at: string | null;
  last_run_at: string | null;
}

export function createWatchStore(
  redis: RedisClient,
  keys: Keys,
  queue: Queue<WatchJob>,
  limits: Config['watch'],
) {
  const read = (h: Record<string, string>): StoredWatch | null =>
    h.check_id && h.org
      ? {
          check_id: h.check_id,
          org: h.org,
          started_at: h.started_at ?? '',
          until: h.until ?? '',
          ended_at: h.ended_at || null,
          last_run_at: h.last_run_at || null,
        }
      : null;

  const store = {
    async get(checkId: string): Promise<StoredWatch | null> {
      return read(await redis.hgetall(keys.watch(checkId)));
    },

    /** Starts (or restarts, for a new period) watching a check of `org`. */
    async start(checkId: string, org: string): Promise<StoredWatch> {
      const now = Date.now();
      const until = now + limits.periodMs;
      // Ended watches free their place; one round trip, so two requests cannot both take the last one.
      const added = await addCapped(redis, keys.orgWatches(org), {
        member: checkId,
        until,
        cap: limits.maxPerOrg,
        now,
      });
      if (!added) throw new HttpErrors.too_many_watches(limits.maxPerOrg);
      const previous = await store.get(checkId);
      const watch: StoredWatch = {
        check_id: checkId,
        org,
        started_at: previous && !previous.ended_at ? previous.started_at : new Date(now).toISOString(),
        until: new Date(until).toISOString(),
        ended_at: null,
        last_run_at: previous?.last_run_at ?? null,
      };
      await redis.hset(keys.watch(checkId), { ...watch, ended_at: '', last_run_at: watch.last_run_at ?? '' });
      try {
        await queue.upsertJobScheduler(
          schedulerId(checkId),
          { every: limits.intervalMs, endDate: until },
          { name: WATCH_JOB_NAME, data: { check_id: checkId } },
        );
      } catch (err) {
        await redis.zrem(keys.orgWatches(org), checkId);
        await redis.hset(keys.watch(checkId), 'ended_at', new Date().toISOString());
        throw err;
      }
      return watch;
    },

    /** Ends a watch (cancelled, or its period is over); what it found stays on the check. */
    async stop(watch: Pick<StoredWatch, 'check_id' | 'org'>): Promise<void> {
      await queue.removeJobScheduler(schedulerId(watch.check_id));
      await redis.zrem(keys.orgWatches(watch.org), watch.check_id);
      if (await redis.exists(keys.watch(watch.check_id)))
        await redis.hset(keys.watch(watch.check_id), 'ended_at', new Date().toISOString());
    },

    async seen(checkId: string, url: string): Promise<SeenPost | null> {
      const raw = await redis.hget(keys.watch(checkId), `seen:${url}`);
      return raw ? (JSON.parse(raw) as SeenPost) : null;
    },

    async markSeen(checkId: string, url: string, seen: SeenPost): Promise<void> {
      await redis.hset(keys.watch(checkId), `seen:${url}`, JSON.stringify(seen));
    },

    async markRun(checkId: string, at: string): Promise<void> {
      await redis.hset(keys.watch(checkId), 'last_run_at', at);
    },

    /** Records a change once: false when this post already had this change recorded. */
    async recordChange(checkId: string, change: PostChange): Promise<boolean> {
      const field = `change:${change.post_url}:${change.change}`;
      return (await redis.hsetnx(keys.watch(checkId), field, JSON.stringify(change))) === 1;
    },

    /** The watch as GET /v1/checks/:id shows it, or null for a check never watched. */
    async view(checkId: string): Promise<Watch | null> {
      const h = await redis.hgetall(keys.watch(checkId));
      const watch = read(h);
      if (!watch) return null;
      const changes = Object.entries(h)
        .filter(([k]) => k.startsWith('change:'))
        .map(([, v]) => JSON.parse(v) as PostChange)
        .sort((a, b) => a.detected_at.localeCompare(b.detected_at) || a.post_url.localeCompare(b.post_url));
      return {
        active: !watch.ended_at && Date.parse(watch.until) > Date.now(),
        started_at: watch.started_at,
        until: watch.until,
        interval_seconds: Math.round(limits.intervalMs / 1000),
        last_run_at: watch.last_run_at,
        changes,
      };
    },
  };
  return store;
}

export type WatchStore = ReturnType<typeof createWatchStore>;
