// Submitting and reading checks: the API's only business logic. Routes call these and reply.
import { createHash } from 'node:crypto';
import type { Queue } from 'bullmq';
import type { RedisClient } from '../redis.js';
import type { Check, CheckAccepted, CheckRequest, Target } from '../../schemas/check.js';
import type { CheckJob } from '../../schemas/jobs.js';
import type { Config } from '../config.js';
import { HttpErrors } from '../errors.js';
import type { Keys } from '../keys.js';
import type { FairShare } from './fair-share.js';
import { UPLOAD_SCHEME, type UploadStore } from './uploads.js';
import type { WatchStore } from './watches.js';
import type { Watch } from '../../schemas/watch.js';
import { targetsFingerprint, targetsOf } from './targets.js';
import { CHECK_JOB_NAME } from './queues.js';
import type { Principal } from './api-keys.js';
import {
  checkLinks,
  checkRetentionSeconds,
  checkView,
  newCheckId,
  type CheckStore,
  type FactCheckWork,
  type StoredCheck,
} from './check-store.js';
import { newSecret } from './webhooks.js';
import { hasArchivedFile } from '../archive/archived-file.js';
import type { ArchiveStore } from '../archive/store.js';
import type { BestCopies } from '../memory/best-copy.js';
import type { ViewsJob } from '../../schemas/jobs.js';
import type { ViewsRequested } from '../../schemas/views.js';
import { VIEWS_JOB_NAME, viewsJobId } from './queues.js';
import {
  forensicViewsField,
  RETRYABLE_VIEW_SKIPS,
  thumbnailTtlSeconds,
  type ForensicViewStore,
} from './thumbnails.js';

export interface ChecksDeps {
  config: Config;
  redis: RedisClient;
  keys: Keys;
  store: CheckStore;
  queue: Queue<CheckJob>;
  fair: FairShare;
  uploads: UploadStore;
  watches: WatchStore;
  /** Brings a stored report's best copies up to date when it is read (absent: reports as stored). */
  copies?: Pick<BestCopies, 'refresh'> | undefined;
  /** Forensic views asked for after a check: where they are kept, and the queue that makes them. */
  views: { store: ForensicViewStore; queue: Queue<ViewsJob> };
  /** Checks' evidence archives (null: ARCHIVE_ENABLED false): uploads asked views of are read back there. */
  archives?: ArchiveStore | null | undefined;
}

// Deletes a claim only while it still points at this check (another submission may have taken it over).
const RELEASE_CLAIM = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

export function createChecksService({
  config,
  redis,
  keys,
  store,
  queue,
  fair,
  uploads,
  watches,
  copies,
  views,
  archives = null,
}: ChecksDeps) {
  /**
   * An uploaded file of the check can still be read: its upload is kept (the check is unfinished), or the
   * check's own evidence archive holds it whole (src/archive/archived-file.ts; the views worker reads it
   * back from there and checks its sha256).
   */
  async function uploadKept(check: StoredCheck, url: string, sha256: string): Promise<boolean> {
    if (await uploads.read(check.id, sha256)) return true;
    if (!archives || !check.report?.archive) return false;
    const query = { org: check.org, checkId: check.id, url, sha256, maxBytes: config.fetch.maxBytes };
    return hasArchivedFile(archives, query);
  }

  /** A check of the caller's organization; another organization's check is as good as missing. */
  async function ownCheck(id: string, principal: Principal): Promise<StoredCheck> {
    const check = await store.get(id);
    if (!check || check.org !== principal.org) throw new HttpErrors.not_found(`No check ${id}`);
    return check;
  }

  async function reuse(id: string): Promise<CheckAccepted> {
    // The winner of a race may not have written its record yet: it is then still "queued".
    const status = (await store.status(id)) ?? 'queued';
    return { id, status, reused: true, links: checkLinks(id) };
  }

  /**
   * Claims `key` for `id` unless another check holds it. Returns the holder's id when there is one.
   * SET NX makes concurrent identical submissions agree on one check.
   */
  async function claim(key: string, id: string, ttlSeconds: number): Promise<string | null> {
    const ok = await redis.set(key, id, 'EX', ttlSeconds, 'NX');
    return ok ? null : ((await redis.get(key)) ?? null);
  }

  /**
   * Idempotency, dedup, then `prepare` (an upload's bytes), the record and the job. When any of the last
   * three fails, the claims made for this check are released and what was written is removed, so the same
   * submission sent again runs instead of being "reused" as a check that never will.
   */
  async function enqueue(
    targets: Target[],
    principal: Principal,
    options: {
      idempotencyKey?: string | undefined;
      callbackUrl?: string | undefined;
      prepare?: (id: string) => Promise<void>;
      factCheck?: FactCheckWork;
      /** Forensic views made with the check (the submission's `views: true`). */
      views?: boolean | undefined;
    } = {},
  ): Promise<CheckAccepted> {
    const { idempotencyKey, callbackUrl: callbackInput, prepare, factCheck } = options;
    const views = options.views === true;
    const org = principal.org;
    const callback = callbackInput ? { url: callbackUrl(callbackInput), secret: newSecret() } : undefined;
    const id = newCheckId();
    const claims: string[] = [];
    if (idempotencyKey) {
      const key = keys.idempotency(org, idempotencyKey);
      const holder = await claim(key, id, config.idempotencyTtlSeconds);
      if (holder) return reuse(holder);
      claims.push(key);
    }
    // A submission with its own callback_url wants its own events: it is never folded into another.
    if (config.dedupWindowSeconds > 0 && !callback) {
      // A fact-check article added to a bank is not the same work as a check of that article.
      // Nor is a check asked with its forensic views one that was not (its report would lack them).
      const fingerprint =
        targetsFingerprint(targets) +
        (factCheck ? `|fact-check:${factCheck.bank}/${factCheck.entry ?? ''}` : '') +
        (views ? '|views' : '');
      const dedupKey = keys.dedup(org, fingerprint);
      const holder = await claim(dedupKey, id, config.dedupWindowSeconds);
      if (holder) {
        // A failed check is not worth reusing: this submission takes the key over and runs again.
        if ((await store.status(holder)) !== 'failed') {
          // The Idempotency-Key claimed above must lead to the check the client is given.
          if (idempotencyKey)
            await redis.set(
              keys.idempotency(org, idempotencyKey),
              holder,
              'EX',
              config.idempotencyTtlSeconds,
            );
          return reuse(holder);
        }
        await redis.set(dedupKey, id, 'EX', config.dedupWindowSeconds);
      }
      claims.push(dedupKey);
    }
    // The record is written before the job exists, so a worker always finds it. The 202 goes out
    // only after both are in Redis: an acknowledged check cannot be lost by a crash of the API.
    try {
      await prepare?.(id);
      await store.create(id, org, targets, callback, factCheck);
      const priority = await fair.priority(org, id);
      // The option travels in the job, so a retry or another worker makes the views too.
      const job: CheckJob = { check_id: id, targets, ...(views && { views: true }) };
      await queue.add(CHECK_JOB_NAME, job, { jobId: id, priority });
    } catch (err) {
      await Promise.allSettled([
        ...claims.map((key) => redis.eval(RELEASE_CLAIM, 1, key, id)),
        store.remove(id),
        fair.finished(org, id),
        uploads.remove(org, id),
      ]);
      throw err;
    }
    return {
      id,
      status: 'queued',
      reused: false,
      links: checkLinks(id),
      ...(callback && { callback_secret: callback.secret }),
    };
  }

  return {
    async submit(
      request: CheckRequest,
      principal: Principal,
      idempotencyKey?: string,
    ): Promise<CheckAccepted> {
      if ((request.url === undefined) === (request.text === undefined)) {
        throw new HttpErrors.invalid_request('Give exactly one of "url" or "text"');
      }
      const found = targetsOf(request);
      if (!found.ok) {
        if (found.reason === 'invalid')
          throw new HttpErrors.invalid_url(`Not an http(s) URL: ${found.input}`);
        throw new HttpErrors.no_target();
      }
      if (found.targets.length > config.maxTargets) throw new HttpErrors.too_many_targets(config.maxTargets);
      const accepted = await enqueue(found.targets, principal, {
        idempotencyKey,
        callbackUrl: request.callback_url,
        views: request.views,
      });
      if (!request.watch) return accepted;
      // The check is accepted whatever happens to its watch: a full cap is said, not an error.
      try {
        await watches.start(accepted.id, principal.org);
        return { ...accepted, watching: true };
      } catch (err) {
        if (err instanceof HttpErrors.too_many_watches) return { ...accepted, watching: false };
        throw err;
      }
    },

    /**
     * A fact-check article to read and remember (POST /v1/fact-checks): a check of its URL whose worker,
     * once the report is stored, records the reviews it found in `bankId` (src/services/fact-checks.ts).
     */
    async submitFactCheck(
      url: string,
      bankId: string,
      principal: Principal,
      idempotencyKey?: string,
    ): Promise<CheckAccepted> {
      const found = targetsOf({ url });
      if (!found.ok) throw new HttpErrors.invalid_url(`Not an http(s) URL: ${url}`);
      return enqueue(found.targets.slice(0, 1), principal, { idempotencyKey, factCheck: { bank: bankId } });
    },

    /** The pictures (and posts) an imported review names, fetched by a check that links them to its entry. */
    async submitFactCheckPictures(
      urls: readonly string[],
      work: Required<FactCheckWork>,
      principal: Principal,
    ): Promise<CheckAccepted> {
      const found = targetsOf({ text: urls.join(' ') });
      if (!found.ok) throw new HttpErrors.no_target();
      return enqueue(found.targets.slice(0, config.maxTargets), principal, { factCheck: work });
    },

    /**
     * A file sent by the caller instead of a link. The bytes wait in Redis under the check's id until its
     * worker is done with them (src/services/uploads.ts); the job carries only `upload:<sha256>`, never
     * the bytes. A resubmission folded into an earlier check (dedup, Idempotency-Key) stores nothing.
     */
    async submitUpload(
      bytes: Buffer,
      input: { filename?: string | undefined; callbackUrl?: string | undefined; views?: boolean | undefined },
      principal: Principal,
      idempotencyKey?: string,
    ): Promise<CheckAccepted> {
      if (bytes.length === 0) throw new HttpErrors.invalid_request('The upload is empty');
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      const name = input.filename?.replace(/[^\w.\- ]/g, '_').slice(0, 100) || sha256.slice(0, 12);
      const target = { input: `upload:${name}`, url: `${UPLOAD_SCHEME}${sha256}` };
      return enqueue([target], principal, {
        idempotencyKey,
        callbackUrl: input.callbackUrl,
        prepare: (id) => uploads.save(principal.org, id, bytes),
        views: input.views,
      });
    },

    /** A check of the caller's organization; another organization's check is as good as missing. */
    async get(id: string, principal: Principal): Promise<Check> {
      const check = await ownCheck(id, principal);
      // A copy of a picture checked after this check may be closer to the original: the report names it
      // as this organization may see it (src/memory/best-copy.ts); the stored report is not rewritten.
      if (check.report && copies) await copies.refresh(check.report, check.org);
      const watch = await watches.view(id);
      return { ...checkView(check), ...(watch && { watch }) };
    },

    /**
     * The forensic views of item `index` of a check of the caller's organization: at once when the item
     * has them, or views of the same file are kept (never made twice), else queued (workers/views.ts).
     */
    async requestViews(id: string, index: number, principal: Principal): Promise<ViewsRequested> {
      const check = await ownCheck(id, principal);
      const links = { check: checkLinks(id).self };
      if (check.status !== 'done' || !check.report) {
        throw new HttpErrors.views_unavailable(
          `Check ${id} is ${check.status}: ask for views of its media once it is done`,
        );
      }
      const item = check.report.media[index];
      if (!item) throw new HttpErrors.not_found(`Check ${id} has no media item ${index}`);
      const had = item.views;
      if (had && (had.ela || had.noise || (had.skipped && !RETRYABLE_VIEW_SKIPS.has(had.skipped.code))))
        return { status: 'done', views: had, links };
      const sha256 = item.sha256;
      if (item.status !== 'ok' || !sha256 || !item.decode) {
        throw new HttpErrors.views_unavailable(
          `Item ${index} of check ${id} is not a still image the check analyzed: it has no views`,
        );
      }
      const ttl = thumbnailTtlSeconds(checkRetentionSeconds(config.retention, check.org));
      const kept = await views.store.kept(sha256, ttl);
      if (kept) {
        const field = forensicViewsField(kept, id, index);
        await store.setViews(id, index, field);
        return { status: 'done', views: field, links };
      }
      if (item.source_url.startsWith(UPLOAD_SCHEME) && !(await uploadKept(check, item.source_url, sha256))) {
        throw new HttpErrors.upload_gone(
          `Item ${index} of check ${id} was uploaded, and uploads are deleted when their check is done${archives ? ' (its archive does not hold it)' : ''}: its views cannot be made now. Upload the file again with a new check, asking for its views at submission (views=true).`,
        );
      }
      await store.markViewsAsked(id, index);
      await views.queue.add(VIEWS_JOB_NAME, { check_id: id, index }, { jobId: viewsJobId(id, index) });
      return { status: 'queued', links };
    },

    /** Items of a check whose views are being made (its page says so). */
    async viewsAsked(id: string, principal: Principal): Promise<Set<number>> {
      await ownCheck(id, principal);
      return store.viewsAsked(id);
    },

    /** Watches the posts of a check of the caller's organization (restarting the period if watched). */
    async watch(id: string, principal: Principal): Promise<Watch> {
      const check = await ownCheck(id, principal);
      await watches.start(id, check.org);
      return (await watches.view(id))!;
    },

    /** Stops watching; the changes found so far stay on the check. */
    async unwatch(id: string, principal: Principal): Promise<void> {
      const check = await store.get(id);
      const watch = await watches.get(id);
      if (!check || check.org !== principal.org || !watch || watch.org !== check.org)
        throw new HttpErrors.not_found(`Check ${id} is not watched`);
      await watches.stop(watch);
    },
  };
}

/** A callback URL must be http(s) without credentials; where it points is checked at each delivery. */
export function callbackUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new HttpErrors.invalid_url(`callback_url is not a URL`);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.username || url.password) {
    throw new HttpErrors.invalid_url('callback_url must be an http(s) URL without credentials');
  }
  return url.toString();
}

export type ChecksService = ReturnType<typeof createChecksService>;
