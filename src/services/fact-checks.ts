// Published fact-checks coming in, and going out to the newsrooms they concern.
//
// In: `POST /v1/fact-checks {url}` is a check of the article, marked with the fact-check bank it feeds.
// The check runs like any other (queued, fair, archived, crash-safe): the web resolver reads the page's
// ClaimReview/MediaReview, puts the pictures the reviews name first and resolves the posts where the
// reviewed item appeared, and every picture is analyzed and remembered. Once the report is stored, the
// worker calls `recordFactChecks`: each review becomes an entry of the bank, linked to its pictures.
//
// Out: the pictures' matches in that report are the images seen before that the fact-check is about.
// Their records gain the fact-check (so later checks matching them meet it too), and every organization
// whose check saw one of them, and may see the bank, gets one `fact_check.found` event naming its own
// check: never another organization's check, URL or id.
import { setImmediate } from 'node:timers/promises';
import type { Queue } from 'bullmq';
import type {
  FactCheckAccepted,
  FactCheckImportResult,
  FactCheckRequest,
} from '../../schemas/fact-check-submission.js';
import type { PublishedReview } from '../../schemas/fact-checks.js';
import type { WebhookJob } from '../../schemas/webhook-jobs.js';
import type { MediaItem, Report } from '../../schemas/report.js';
import type { Config } from '../config.js';
import { HttpErrors } from '../errors.js';
import type { Logger } from '../logger.js';
import { bankVisibleTo, mayPublishShared, type BankStore, type StoredBank } from '../memory/banks.js';
import type { FactCheckStore } from '../memory/fact-checks.js';
import { isPrivateSighting, type MediaStore } from '../memory/media-store.js';
import type { Principal } from './api-keys.js';
import type { ChecksService } from './checks.js';
import type { CheckStore, FactCheckWork } from './check-store.js';
import type { FairShare } from './fair-share.js';
import { emitEvent, type WebhookStore } from './webhooks.js';

/** Items one import request reads (the CLI sends bigger feeds in chunks), and errors it lists. */
export const MAX_FEED_ITEMS = 20_000;
const MAX_ERRORS = 100;
/** Imported reviews whose pictures one import request queues checks for; the rest stay text only. */
export const MAX_PICTURE_CHECKS = 200;
/** Items read, and entries written, per turn of the event loop: a feed never holds the API long. */
const IMPORT_BATCH = 500;

type Json = Record<string, unknown>;
const obj = (v: unknown): Json | undefined =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined;

export function createFactCheckService(deps: {
  banks: BankStore;
  factChecks: FactCheckStore;
  checks: ChecksService;
  config: Pick<Config, 'sharedBankPublishers'>;
  /**
   * Reads one feed item as a review (src/pipeline/resolve/claim-review.ts `feedReview`). Given in rather
   * than imported: the pipeline sits above the services (.dependency-cruiser.cjs).
   */
  feedReview: (item: unknown) => PublishedReview | { error: string };
}) {
  const { feedReview } = deps;
  /** The bank a caller adds fact-checks to: one of its own `fact_check` banks, or its default one. */
  async function bankFor(principal: Principal, bankId: string | undefined): Promise<StoredBank> {
    if (!bankId) {
      // Fact-checks reach other organizations only from those that may publish shared banks.
      const shared = mayPublishShared(principal.org, deps.config.sharedBankPublishers);
      return deps.factChecks.defaultBank(principal.org, shared);
    }
    const bank = await deps.banks.get(bankId);
    // Another organization's bank, shared or not, is not the caller's to add to.
    if (!bank || bank.org !== principal.org) throw new HttpErrors.not_found(`No bank ${bankId}`);
    if (bank.kind !== 'fact_check')
      throw new HttpErrors.invalid_request(`Bank ${bank.id} is a ${bank.kind} bank, not a fact_check one`);
    return bank;
  }

  /** The reviews of a feed's items, and why the others are not reviews. */
  async function readFeed(feed: unknown) {
    const root = obj(feed);
    if (!root) throw new HttpErrors.invalid_request('Not a JSON object (a schema.org DataFeed)');
    const elements = Array.isArray(root.dataFeedElement) ? (root.dataFeedElement as unknown[]) : null;
    if (!elements)
      throw new HttpErrors.invalid_request('No dataFeedElement list: not a ClaimReview DataFeed');
    const reviews: PublishedReview[] = [];
    const errors: FactCheckImportResult['errors'] = [];
    let rejected = 0;
    let line = 0;
    for (const element of elements) {
      const el = obj(element);
      // An element holds its reviews in `item` (one or a list), or is a review itself.
      const items: unknown[] =
        el && el.item !== undefined
          ? Array.isArray(el.item)
            ? (el.item as unknown[])
            : [el.item]
          : [element];
      for (const item of items) {
        if (line % IMPORT_BATCH === 0) await setImmediate();
        if (++line > MAX_FEED_ITEMS)
          throw new HttpErrors.invalid_request(
            `More than ${MAX_FEED_ITEMS} items in one request: send the feed in chunks`,
          );
        const read = feedReview(item);
        if ('error' in read) {
          rejected++;
          if (errors.length < MAX_ERRORS) errors.push({ line, reason: read.error });
        } else reviews.push(read);
      }
    }
    return { reviews, errors, rejected };
  }

  return {
    async submit(
      principal: Principal,
      body: FactCheckRequest,
      idempotencyKey?: string,
    ): Promise<FactCheckAccepted> {
      const bank = await bankFor(principal, body.bank_id);
      const accepted = await deps.checks.submitFactCheck(body.url, bank.id, principal, idempotencyKey);
      return { ...accepted, bank_id: bank.id };
    },

    /**
     * A ClaimReview data feed (schema.org `DataFeed`, `dataFeedElement[].item[]`, as the public feeds are
     * published), or one chunk of a big one: every review becomes an entry at once (per-item errors for the
     * rest); a review that names pictures or posts gets a check that fetches them and links them to it
     * (MAX_PICTURE_CHECKS per request).
     */
    async importFeed(principal: Principal, feed: unknown, bankId?: string): Promise<FactCheckImportResult> {
      const bank = await bankFor(principal, bankId);
      const { reviews, errors, rejected } = await readFeed(feed);
      const ids: string[] = [];
      for (let i = 0; i < reviews.length; i += IMPORT_BATCH)
        ids.push(...(await deps.factChecks.addMany(bank, reviews.slice(i, i + IMPORT_BATCH))));
      let queued = 0;
      for (const [i, review] of reviews.entries()) {
        const urls = [...review.media_urls, ...review.item_urls];
        if (!urls.length) continue;
        if (queued >= MAX_PICTURE_CHECKS) break;
        await deps.checks.submitFactCheckPictures(
          urls,
          { bank: bank.id, entry: ids[i] as string },
          principal,
        );
        queued++;
      }
      const now = await deps.banks.get(bank.id);
      return {
        bank_id: bank.id,
        imported: reviews.length,
        rejected,
        errors,
        pictures_queued: queued,
        entries: now?.entries ?? 0,
      };
    },
  };
}

export type FactCheckService = ReturnType<typeof createFactCheckService>;

/** The pictures of a page's report that its reviews are about. */
function picturesOf(report: Report, targetIndex: number, review: PublishedReview): MediaItem[] {
  const target = report.targets[targetIndex];
  const page = target?.page;
  if (!page) return [];
  // Named by the review; the article's share image (often the reviewed picture, stamped); the media of
  // the posts it names or embeds. Not the article body's other images: logos, authors, related stories.
  const named = new Set(review.media_urls);
  const share = page.media.find((m) => m.origin === 'og:image')?.url;
  if (share) named.add(share);
  const posts = new Set(target.post_indexes ?? []);
  return report.media.filter(
    (item) =>
      item.status === 'ok' &&
      !!item.sha256 &&
      item.target_index === targetIndex &&
      (named.has(item.source_url) || (item.post_index !== null && posts.has(item.post_index))),
  );
}

export interface RecordDeps {
  banks: BankStore;
  factChecks: FactCheckStore;
  media: MediaStore;
  checks: CheckStore;
  events: { store: WebhookStore; queue: Queue<WebhookJob>; fair: FairShare };
  log: Logger;
}

/**
 * After a fact-check article's check: its reviews go into the bank, linked to their pictures and to the
 * images seen before that match them, and the organizations that checked those images are told. Runs
 * once per check (a re-run after a crash finds it done); events keep stable ids.
 */
export async function recordFactChecks(
  deps: RecordDeps,
  check: { id: string; org: string },
  report: Report,
  /** The check's fact-check work, read with the check (CheckStore.getForWork); null: none. */
  work: FactCheckWork | null,
): Promise<void> {
  if (!work || (await deps.checks.factChecksRecorded(check.id))) return;
  const bank = await deps.banks.get(work.bank);
  if (!bank || bank.org !== check.org || bank.kind !== 'fact_check') {
    deps.log.warn({ bank_id: work.bank }, 'fact-check bank gone or not the check’s: reviews not recorded');
    return;
  }
  if (work.entry) {
    // The pictures an imported review named: every one this check could analyze is the review's.
    const stored = await deps.factChecks.get(bank.id, work.entry);
    if (!stored) return;
    const pictures = report.media.filter((item) => item.status === 'ok' && !!item.sha256);
    await deps.factChecks.link(
      bank.id,
      work.entry,
      pictures.map((p) => p.sha256 as string),
    );
    await announceEarlier(deps, check, bank, work.entry, stored.review, pictures);
    await deps.checks.markFactChecksRecorded(check.id, [work.entry]);
    return;
  }
  const entries: string[] = [];
  for (const target of report.targets) {
    for (const review of target.page?.reviews ?? []) {
      const pictures = picturesOf(report, target.index, review);
      const entryId = await deps.factChecks.add(
        bank,
        review,
        pictures.map((p) => p.sha256 as string),
      );
      entries.push(entryId);
      await announceEarlier(deps, check, bank, entryId, review, pictures);
    }
  }
  await deps.checks.markFactChecksRecorded(check.id, entries);
  deps.log.info({ bank_id: bank.id, entries: entries.length }, 'fact-checks recorded');
}

/** Images seen before that a new fact-check's pictures match: linked, and their organizations told. */
async function announceEarlier(
  deps: RecordDeps,
  check: { id: string; org: string },
  bank: StoredBank,
  entryId: string,
  review: PublishedReview,
  pictures: MediaItem[],
): Promise<void> {
  for (const picture of pictures) {
    const earlier = (picture.provenance?.matches ?? []).filter((m) => m.source === 'seen' && m.sha256);
    await deps.factChecks.link(
      bank.id,
      entryId,
      earlier.map((m) => m.sha256 as string),
    );
    for (const match of earlier) {
      const sha256 = match.sha256 as string;
      // Per organization, its own checks that saw the image (never this fact-check's own check).
      const byOrg = new Map<string, { checks: Set<string>; url: string }>();
      for (const s of await deps.media.sightings(sha256)) {
        if (s.check_id === check.id || !bankVisibleTo(bank, s.org)) continue;
        const seen = byOrg.get(s.org) ?? { checks: new Set<string>(), url: s.source_url };
        seen.checks.add(s.check_id);
        byOrg.set(s.org, seen);
      }
      for (const [org, seen] of byOrg) {
        const checkIds = [...seen.checks].sort();
        await emitEvent(deps.events, {
          id: `msg_fc_${bank.id}_${entryId}_${sha256.slice(0, 16)}_${org}`,
          type: 'fact_check.found',
          org,
          checkId: checkIds[0] as string,
          data: {
            check_ids: checkIds,
            sha256,
            // The URL where this organization saw it (an upload stays named as the upload it was).
            media_url: isPrivateSighting({ source_url: seen.url }) ? null : seen.url,
            match: {
              kind: match.kind,
              hash: match.hash,
              distance: match.distance,
              ...(match.inliers !== undefined && { inliers: match.inliers }),
            },
            fact_check: {
              url: review.url,
              title: review.title,
              claim: review.claim,
              rating: review.rating,
              publisher: review.publisher,
              reviewed_at: review.reviewed_at,
              language: review.language,
            },
            bank: { id: bank.id, name: bank.name, kind: bank.kind, publisher: bank.org, entry_id: entryId },
          },
        });
      }
    }
  }
}
