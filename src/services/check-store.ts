// Checks and their reports in Redis: one hash per check (see src/keys.ts).
import { randomBytes } from 'node:crypto';
import type { RedisClient } from '../redis.js';
import type { Check, CheckStatus, Target } from '../../schemas/check.js';
import type { Report } from '../../schemas/report.js';
import type { ForensicViews } from '../../schemas/views.js';
import type { Keys } from '../keys.js';
import type { Config } from '../config.js';

export interface StoredCheck {
  id: string;
  /** The organization that submitted it: only its keys can read it. */
  org: string;
  status: CheckStatus;
  created_at: string;
  updated_at: string;
  targets: Target[];
  attempts: number;
  error?: { code: string; message: string };
  report?: Report;
}

/**
 * What a check does for the fact-check memory (read with the check: CheckStore.getForWork): of an article
 * (POST /v1/fact-checks), whose reviews go into `bank`, or of the pictures an imported review names,
 * linked to its `entry`. Null for other checks.
 */
export interface FactCheckWork {
  bank: string;
  /** An imported review's entry id, whose pictures this check fetches. */
  entry?: string;
}

// KEYS[1] a check's hash; ARGV: field, value, field to delete. Only on a check that still exists: a write
// to an expired one would bring back a hash without its TTL.
const SET_IF_KEPT = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
if ARGV[3] ~= '' then redis.call('HDEL', KEYS[1], ARGV[3]) end
return 1
`;

/** How long a request for views counts as under way (a worker lost with its job: asked again after this). */
export const VIEWS_ASKED_MS = 10 * 60_000;

export const newCheckId = () => `chk_${randomBytes(12).toString('base64url')}`;

export function checkLinks(id: string): Check['links'] {
  return { self: `/v1/checks/${id}`, report: `/v1/checks/${id}/report` };
}

/** What the API shows of a stored check (the owning organization stays internal). */
export function checkView({ org: _org, ...check }: StoredCheck): Check {
  return { ...check, links: checkLinks(check.id) };
}

/** Seconds a finished check of `org` is kept (CHECK_RETENTION_DAYS, _BY_ORG); 0: forever. */
export function checkRetentionSeconds(retention: Config['retention'] | undefined, org: string): number {
  if (!retention) return 0;
  return retention.checkSecondsByOrg[org] ?? retention.checkSeconds;
}

/** A check's hash as read (HGETALL), or null when there is none. */
function storedCheck(h: Record<string, string>): StoredCheck | null {
  if (!h.id) return null;
  return {
    id: h.id,
    org: h.org ?? '',
    status: h.status as CheckStatus,
    created_at: h.created_at ?? '',
    updated_at: h.updated_at ?? '',
    targets: JSON.parse(h.targets ?? '[]') as Target[],
    attempts: Number(h.attempts ?? 0),
    ...(h.error ? { error: JSON.parse(h.error) as { code: string; message: string } } : {}),
    ...(h.report ? { report: withViews(JSON.parse(h.report) as Report, h) } : {}),
  };
}

/** A check's callback from its `callback_url` and `callback_secret` fields, or null when it has none. */
const callbackOf = (url?: string | null, secret?: string | null): { url: string; secret: string } | null =>
  url && secret ? { url, secret } : null;

/** A check's fact-check work from its `fact_check_bank` and `fact_check_entry` fields, or null. */
const factCheckWorkOf = (bank?: string | null, entry?: string | null): FactCheckWork | null =>
  bank ? { bank, ...(entry && { entry }) } : null;

export function createCheckStore(redis: RedisClient, keys: Keys, retention?: Config['retention']) {
  const now = () => new Date().toISOString();

  /**
   * The check is finished (done, or failed for good): its record expires after its organization's
   * retention, counted from now. Set in the same MULTI as the final status, so no finished check is
   * left without its TTL. A forever retention removes any TTL an earlier finish set (a re-run).
   * Only the check hash: its idempotency and dedup keys expire on their own (shorter TTLs), its upload
   * is deleted by the worker, its archive has ARCHIVE_TTL_DAYS, its thumbnails renew per sighting
   * (src/services/thumbnails.ts), and the media records and index are the memory: they stay.
   */
  async function finishWith(
    id: string,
    fields: Record<string, string>,
    drop?: string,
    knownOrg?: string,
  ): Promise<void> {
    const org = knownOrg ?? (await redis.hget(keys.check(id), 'org')) ?? '';
    const ttl = checkRetentionSeconds(retention, org);
    const tx = redis.multi().hset(keys.check(id), fields);
    if (drop) tx.hdel(keys.check(id), drop);
    if (ttl > 0) tx.expire(keys.check(id), ttl);
    else tx.persist(keys.check(id));
    await tx.exec();
  }

  return {
    async create(
      id: string,
      org: string,
      targets: Target[],
      callback?: { url: string; secret: string },
      factCheck?: FactCheckWork,
    ): Promise<StoredCheck> {
      const at = now();
      const check: StoredCheck = {
        id,
        org,
        status: 'queued',
        created_at: at,
        updated_at: at,
        targets,
        attempts: 0,
      };
      await redis.hset(keys.check(id), {
        id,
        org,
        status: check.status,
        created_at: at,
        updated_at: at,
        targets: JSON.stringify(targets),
        attempts: 0,
        ...(callback && { callback_url: callback.url, callback_secret: callback.secret }),
        ...(factCheck && { fact_check_bank: factCheck.bank }),
        ...(factCheck?.entry && { fact_check_entry: factCheck.entry }),
      });
      return check;
    },

    async get(id: string): Promise<StoredCheck | null> {
      return storedCheck(await redis.hgetall(keys.check(id)));
    },

    /**
     * The check as a worker starts it, with what its end needs (`callback`, `factCheckWork`) from the same
     * read: one round trip where these took three. Both are written when the check is created, never after.
     */
    async getForWork(id: string): Promise<{
      check: StoredCheck;
      callback: { url: string; secret: string } | null;
      factCheckWork: FactCheckWork | null;
    } | null> {
      const h = await redis.hgetall(keys.check(id));
      const check = storedCheck(h);
      return (
        check && {
          check,
          callback: callbackOf(h.callback_url, h.callback_secret),
          factCheckWork: factCheckWorkOf(h.fact_check_bank, h.fact_check_entry),
        }
      );
    },

    /**
     * The forensic views of item `index`, made after the check (POST /v1/checks/:id/media/:index/views):
     * kept beside the report, which shows them when read. A field of their own, so that views of two items
     * made at once never overwrite each other. False when the check is gone.
     */
    async setViews(id: string, index: number, views: ForensicViews): Promise<boolean> {
      const k = keys.check(id);
      const ok = await redis.eval(
        SET_IF_KEPT,
        1,
        k,
        `views:${index}`,
        JSON.stringify(views),
        `views-asked:${index}`,
      );
      return ok === 1;
    },

    /** Views of item `index` are being made (shown on the page until they are, or VIEWS_ASKED_MS passed). */
    async markViewsAsked(id: string, index: number): Promise<void> {
      await redis.eval(SET_IF_KEPT, 1, keys.check(id), `views-asked:${index}`, new Date().toISOString(), '');
    },

    /** Making the views of item `index` failed for good: no longer shown as under way (it may be asked again). */
    async clearViewsAsked(id: string, index: number): Promise<void> {
      await redis.hdel(keys.check(id), `views-asked:${index}`);
    },

    /** Items whose views are being made. */
    async viewsAsked(id: string): Promise<Set<number>> {
      const h = await redis.hgetall(keys.check(id));
      const out = new Set<number>();
      for (const [field, at] of Object.entries(h)) {
        const m = /^views-asked:(\d+)$/.exec(field);
        if (m && Date.now() - Date.parse(at) < VIEWS_ASKED_MS) out.add(Number(m[1]));
      }
      return out;
    },

    /** Removes a check that was never queued (its job could not be added). */
    async remove(id: string): Promise<void> {
      await redis.del(keys.check(id));
    },

    /** Where to POST this check's events, when the submitter gave a callback_url. */
    async callback(id: string): Promise<{ url: string; secret: string } | null> {
      const [url, secret] = await redis.hmget(keys.check(id), 'callback_url', 'callback_secret');
      return callbackOf(url, secret);
    },

    /** Marks a fact-check check's reviews as recorded (true the first time only). */
    async markFactChecksRecorded(id: string, entries: readonly string[]): Promise<boolean> {
      return (await redis.hsetnx(keys.check(id), 'fact_checks_recorded', entries.join(','))) === 1;
    },

    async factChecksRecorded(id: string): Promise<boolean> {
      return (await redis.hexists(keys.check(id), 'fact_checks_recorded')) === 1;
    },

    async status(id: string): Promise<CheckStatus | null> {
      return (await redis.hget(keys.check(id), 'status')) as CheckStatus | null;
    },

    /** A worker starts (or restarts, after a crash) this check. */
    async markRunning(id: string): Promise<number> {
      const [[, attempts]] = (await redis
        .multi()
        .hincrby(keys.check(id), 'attempts', 1)
        .hset(keys.check(id), { status: 'running', updated_at: now() })
        .exec()) as [[Error | null, number]];
      return attempts;
    },

    /**
     * Stores the report: the check is done. Returns the check as stored, as `get` would read it back
     * (the worker announces it without reading its report again); `check` is the check as read before
     * it ran (its organization sets the retention).
     */
    async complete(
      check: Pick<StoredCheck, 'id' | 'org' | 'created_at' | 'targets'>,
      attempts: number,
      report: Report,
    ): Promise<StoredCheck> {
      const at = now();
      const fields = { status: 'done', updated_at: at, report: JSON.stringify(report) };
      await finishWith(check.id, fields, 'error', check.org);
      return {
        id: check.id,
        org: check.org,
        status: 'done',
        created_at: check.created_at,
        updated_at: at,
        targets: check.targets,
        attempts,
        report,
      };
    },

    async fail(id: string, error: { code: string; message: string }): Promise<void> {
      await finishWith(id, { status: 'failed', updated_at: now(), error: JSON.stringify(error) });
    },
  };
}

export type CheckStore = ReturnType<typeof createCheckStore>;

/** The report with the views made after the check (`views:<index>` fields) in its items. */
function withViews(report: Report, fields: Record<string, string>): Report {
  for (const [field, value] of Object.entries(fields)) {
    const m = /^views:(\d+)$/.exec(field);
    const item = m ? report.media[Number(m[1])] : undefined;
    if (item) item.views = JSON.parse(value) as ForensicViews;
  }
  return report;
}
