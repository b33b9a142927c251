// The `checks` queue's worker: a thin BullMQ entry around the pure pipeline in src/pipeline/.
// A job only names its check: the job id must be the check id (the API adds it so) and the targets
// are the check record's, so a job added by hand can neither rewrite another check nor run other URLs
// under an organization's name.
import { UnrecoverableError, type Worker, type Job } from 'bullmq';
import { createWorker } from './bullmq-worker.js';
import { Value } from 'typebox/value';
import { CheckJob } from '../schemas/jobs.js';
import { QUEUES } from '../src/keys.js';
import { CHECK_JOB_NAME } from '../src/services/queues.js';
import { checksFinished, mediaErrors, stageDuration } from '../src/metrics.js';
import {
  checkRetentionSeconds,
  checkView,
  type FactCheckWork,
  type StoredCheck,
} from '../src/services/check-store.js';
import { emitEvent } from '../src/services/webhooks.js';
import { recordFactChecks } from '../src/services/fact-checks.js';
import { createUploadStore } from '../src/services/uploads.js';
import { thumbnailTtlSeconds } from '../src/services/thumbnails.js';
import type { Report } from '../schemas/report.js';
import { archiveCheck, SOFTWARE } from '../src/archive/archive-check.js';
import { createWarcRecorder } from '../src/archive/warc-recorder.js';
import type { WorkerContext } from './context.js';

export function startCheckWorker(ctx: WorkerContext): Worker<CheckJob> {
  const { config, connection, store, log } = ctx;
  const uploads = createUploadStore(connection, ctx.keys, config);
  const events = { store: ctx.webhooks, queue: ctx.webhookQueue, fair: ctx.fair.webhooks };

  /** The check's work is over (done, or failed for good): its upload goes, its rank in the queue too. */
  async function finish(check: Pick<StoredCheck, 'id' | 'org'>) {
    // Sent together (neither depends on the other), not one round trip after the other.
    await Promise.all([uploads.remove(check.org, check.id), ctx.fair.checks.finished(check.org, check.id)]);
  }

  /** A fact-check article's check: its reviews into the bank, and `fact_check.found` to those concerned. */
  const factChecks = (
    check: Pick<StoredCheck, 'id' | 'org'>,
    report: Report,
    jobLog: typeof log,
    work: FactCheckWork | null,
  ) =>
    recordFactChecks(
      {
        banks: ctx.memory.banks,
        factChecks: ctx.memory.factChecks,
        media: ctx.memory.media,
        checks: store,
        events,
        log: jobLog,
      },
      check,
      report,
      work,
    );

  /** check.completed / check.failed to the organization's subscribers and the check's callback. */
  async function announce(
    checkId: string,
    type: 'check.completed' | 'check.failed',
    /** The check as just stored, when the caller has it: not read back (with its whole report) again. */
    stored?: StoredCheck,
    /** Its callback, when the caller read it with the check (null: none); absent, read here. */
    known?: { url: string; secret: string } | null,
  ) {
    const check = stored ?? (await store.get(checkId));
    if (!check) return;
    const callback = known !== undefined ? known : await store.callback(checkId);
    await emitEvent(events, {
      id: `msg_${checkId}_${type === 'check.completed' ? 'completed' : 'failed'}`,
      type,
      org: check.org,
      data: checkView(check),
      checkId,
      callbackCheckId: callback ? checkId : null,
    });
  }

  const processor = async (job: Job<CheckJob>) => {
    if (job.name !== CHECK_JOB_NAME || !Value.Check(CheckJob, job.data)) {
      // A payload that does not fit the schema will never succeed: fail without retrying.
      throw new UnrecoverableError(`Malformed ${QUEUES.checks} job ${job.id ?? '?'}`);
    }
    const checkId = job.data.check_id;
    if (job.id !== checkId)
      throw new UnrecoverableError(`Job ${job.id ?? '?'} is not check ${checkId}'s job`);
    // The check with its callback and fact-check work, in one read (both are fixed when it is created).
    const read = await store.getForWork(checkId);
    if (!read) throw new UnrecoverableError(`No check ${checkId}`);
    const { check, callback, factCheckWork } = read;
    const { org, targets } = check;
    const jobLog = log.child({ check_id: checkId, job_id: job.id, attempt: job.attemptsMade + 1 });
    if (check.status === 'done' && check.report) {
      // A job re-run after its worker died between storing the report and finishing: the work is done
      // (and its upload may be gone), so only what follows the report is repeated. Event ids are stable.
      jobLog.info('check already done: finishing what followed its report');
      await factChecks(check, check.report, jobLog, factCheckWork);
      await announce(checkId, 'check.completed', undefined, callback);
      await announceWatchlistMatches(ctx, events, check, check.report);
      await finish(check);
      return;
    }
    // Thumbnails live as long as this check may show them (CHECK_RETENTION_DAYS, capped at 90 days).
    const thumbnailTtl = thumbnailTtlSeconds(checkRetentionSeconds(config.retention, org));
    const attempts = await store.markRunning(checkId);
    jobLog.info({ starts: attempts }, 'check started');
    const archives = ctx.archives;
    const recorder = archives
      ? await createWarcRecorder({
          checkId,
          maxBytes: config.archive.maxBytes,
          software: SOFTWARE,
          log: jobLog,
          dir: archives.scratch,
        })
      : null;
    const report = await ctx.pipeline
      .check({
        checkId,
        org,
        targets,
        uploads: (sha256) => uploads.read(checkId, sha256),
        recorder,
        thumbnailTtlSeconds: thumbnailTtl,
        // The submission's `views: true`, carried by the job (schemas/jobs.ts): a retry keeps it.
        views: job.data.views === true,
        log: jobLog,
      })
      .catch(async (err: unknown) => {
        await recorder?.abort();
        throw err;
      });
    if (recorder && archives) {
      // The archive is evidence beside the report: a check whose archive could not be kept still
      // completes, and says so by having none.
      report.archive = await archiveCheck({
        recorder,
        store: archives,
        org,
        report,
        timestamper: ctx.timestamper,
      }).catch((err: unknown) => {
        jobLog.error({ err }, 'archive not kept');
        return undefined;
      });
      if (!report.archive) delete report.archive;
    }
    // Before the report is stored: a check shown done has its fact-checks in the bank. A crash in between
    // re-runs the check, which finds them recorded.
    await factChecks(check, report, jobLog, factCheckWork);
    const stored = await store.complete(check, attempts, report);
    for (const item of report.media) {
      for (const [stage, ms] of Object.entries(item.timings_ms)) stageDuration.observe({ stage }, ms / 1000);
      if (item.error) mediaErrors.inc({ code: item.error.code });
    }
    stageDuration.observe(
      { stage: 'check' },
      (Date.parse(report.completed_at) - Date.parse(report.started_at)) / 1000,
    );
    checksFinished.inc({ outcome: 'done' });
    // After the report is stored: a crash in between re-runs the check, and the event keeps its id.
    await announce(checkId, 'check.completed', stored, callback);
    await announceWatchlistMatches(ctx, events, check, report);
    // Last: until here a re-run (after a crash) still finds the check's upload.
    await finish(check);
    jobLog.info({ items: report.media.length }, 'check done');
  };

  const worker = createWorker<CheckJob>(QUEUES.checks, processor, {
    connection: ctx.queueConnection,
    prefix: config.queuePrefix,
    concurrency: config.worker.concurrency,
    lockDuration: config.worker.lockMs,
    stalledInterval: config.worker.stalledIntervalMs,
    maxStalledCount: 2,
  });

  // Final failures (attempts used up, unrecoverable, or stalled too often) mark the check failed so
  // that nobody polls a "running" check forever.
  worker.on('failed', (job, err) => {
    if (!job) return;
    const final = err instanceof UnrecoverableError || job.attemptsMade >= (job.opts.attempts ?? 1);
    const id = (job.data as Partial<CheckJob>).check_id;
    log.warn({ check_id: id, job_id: job.id, final, err: err.message }, 'check attempt failed');
    if (final) checksFinished.inc({ outcome: 'failed' });
    // Only the check's own job may mark it failed (a job naming another check fails alone).
    if (final && typeof id === 'string' && job.id === id) {
      store
        .fail(id, { code: 'check_failed', message: err.message.slice(0, 500) })
        .then(() => store.get(id))
        .then((check) => (check ? finish(check) : undefined))
        .then(() => announce(id, 'check.failed'))
        .catch((e: Error) => log.error({ check_id: id, err: e.message }, 'could not mark check failed'));
    }
  });
  worker.on('error', (err) => log.error({ err: err.message }, 'checks worker error'));
  return worker;
}

/**
 * `match.found` to the check's own organization for every watchlist bank an image of its check matched
 * (its own watchlists, and those the operator shares): "a watched image reappeared in your check".
 * Never to the bank's owner when that is another organization: an event carries no other newsroom's
 * URLs or ids (SECURITY.md).
 */
async function announceWatchlistMatches(
  ctx: WorkerContext,
  events: Parameters<typeof emitEvent>[0],
  check: StoredCheck,
  report: Report,
): Promise<void> {
  const checkId = check.id;
  for (const item of report.media) {
    for (const match of item.provenance?.matches ?? []) {
      if (match.bank?.kind !== 'watchlist') continue;
      const bank = await ctx.memory.banks.get(match.bank.id);
      if (!bank || (bank.org !== check.org && !bank.shared)) continue;
      const post = item.post_index === null ? null : report.posts[item.post_index];
      await emitEvent(events, {
        id: `msg_${checkId}_match_${item.index}_${match.bank.id}_${match.bank.entry_id}`,
        type: 'match.found',
        org: check.org,
        checkId,
        data: {
          check_id: checkId,
          bank: { id: bank.id, name: bank.name },
          entry: { id: match.bank.entry_id, label: match.bank.label, verdict: match.bank.verdict },
          hash: match.hash,
          distance: match.distance,
          transform: match.transform,
          seen_at: report.completed_at,
          media_url: item.source_url,
          sha256: item.sha256 ?? null,
          post_url: post?.url ?? null,
          posted_at: post?.posted_at ?? null,
        },
      });
    }
  }
}
