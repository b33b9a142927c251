// The `checks` queue's worker: a thin BullMQ entry around the pure pipeline in src/pipeline/.
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import { Value } from 'typebox/value';
import { CheckJob } from '../schemas/jobs.js';
import { QUEUES } from '../src/keys.js';
import { processCheck } from '../src/pipeline/process-check.js';
import { CHECK_JOB_NAME } from '../src/queues.js';
import { checksFinished, mediaErrors, stageDuration } from '../src/metrics.js';
import { checkView } from '../src/services/check-store.js';
import { emitEvent } from '../src/services/webhooks.js';
import { createMatcher } from '../src/pipeline/match.js';
import { storeThumbnail, THUMBNAIL_TTL_SECONDS, thumbnailKey } from '../src/services/thumbnails.js';
import { createVideoStage } from '../src/pipeline/video/stage.js';
import type { Report } from '../schemas/report.js';
import { archiveCheck, SOFTWARE } from '../src/archive/archive-check.js';
import { createWarcRecorder } from '../src/archive/warc-recorder.js';
import type { WorkerContext } from './context.js';

export function startCheckWorker(ctx: WorkerContext): Worker<CheckJob> {
  const { config, connection, store, log } = ctx;

  /** check.completed / check.failed to the organization's subscribers and the check's callback. */
  async function announce(checkId: string, type: 'check.completed' | 'check.failed') {
    const check = await store.get(checkId);
    if (!check) return;
    const callback = await store.callback(checkId);
    await emitEvent(
      { store: ctx.webhooks, queue: ctx.webhookQueue },
      {
        id: `msg_${checkId}_${type === 'check.completed' ? 'completed' : 'failed'}`,
        type,
        org: check.org,
        data: checkView(check),
        callbackCheckId: callback ? checkId : null,
      },
    );
  }

  const processor = async (job: Job<CheckJob>) => {
    if (job.name !== CHECK_JOB_NAME || !Value.Check(CheckJob, job.data)) {
      // A payload that does not fit the schema will never succeed: fail without retrying.
      throw new UnrecoverableError(`Malformed ${QUEUES.checks} job ${job.id ?? '?'}`);
    }
    const checkId = job.data.check_id;
    const jobLog = log.child({ check_id: checkId, job_id: job.id, attempt: job.attemptsMade + 1 });
    const attempts = await store.markRunning(checkId);
    jobLog.info({ starts: attempts }, 'check started');
    const org = (await store.get(checkId))?.org ?? '';
    const matcher = createMatcher({
      index: ctx.index,
      media: ctx.media,
      banks: ctx.banks,
      checkId,
      org,
      thresholds: config.matching,
      partial: {
        regionPdqMaxDistance: config.partial.regionPdqMaxDistance,
        minInliers: config.partial.minInliers,
        features: ctx.features,
        featureOptions: { side: config.partial.side, maxKeypoints: config.partial.maxKeypoints },
      },
    });
    const archives = ctx.archives;
    const recorder = archives
      ? await createWarcRecorder({
          checkId,
          maxBytes: config.archive.maxBytes,
          software: SOFTWARE,
          log: jobLog,
        })
      : null;
    const report = await processCheck(
      { checkId, targets: job.data.targets },
      {
        recorder,
        fetcher: ctx.fetcher,
        uploads: (sha256) => ctx.connection.getBuffer(ctx.keys.upload(sha256)),
        thumbnails: (sha, bytes, pixels) =>
          storeThumbnail(ctx.connection, config.keyPrefix, sha, bytes, {
            maxPixels: config.maxInputPixels,
            pixels,
          }),
        endpoints: config.endpoints,
        waybackCache: config.waybackEnabled ? ctx.cache : null,
        matcher,
        video: createVideoStage({
          options: { ...config.video, maxPixels: config.maxInputPixels },
          thresholds: config.video.vpdq,
          index: ctx.videoIndex,
          media: ctx.media,
          banks: ctx.banks,
          frames: matcher,
          imageIndex: ctx.index,
          thumbnails: (id, webp) =>
            ctx.connection.set(thumbnailKey(config.keyPrefix, id), webp, 'EX', THUMBNAIL_TTL_SECONDS),
          checkId,
          org,
        }),
        maxInputPixels: config.maxInputPixels,
        thresholds: config.provenance,
        log: jobLog,
      },
    ).catch(async (err: unknown) => {
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
    await store.complete(checkId, report);
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
    await announce(checkId, 'check.completed');
    await announceWatchlistMatches(ctx, checkId, report);
    jobLog.info({ items: report.media.length }, 'check done');
  };

  const worker = new Worker<CheckJob>(QUEUES.checks, processor, {
    connection,
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
    if (final && typeof id === 'string') {
      store
        .fail(id, { code: 'check_failed', message: err.message.slice(0, 500) })
        .then(() => announce(id, 'check.failed'))
        .catch((e: Error) => log.error({ check_id: id, err: e.message }, 'could not mark check failed'));
    }
  });
  worker.on('error', (err) => log.error({ err: err.message }, 'checks worker error'));
  return worker;
}

/**
 * `match.found` to the owner of every watchlist bank an image of this check matched: "a watched image
 * reappeared". The event names where it reappeared (public URLs), not the other newsroom's check.
 */
async function announceWatchlistMatches(ctx: WorkerContext, checkId: string, report: Report): Promise<void> {
  for (const item of report.media) {
    for (const match of item.provenance?.matches ?? []) {
      if (match.bank?.kind !== 'watchlist') continue;
      const bank = await ctx.banks.get(match.bank.id);
      if (!bank) continue;
      const post = item.post_index === null ? null : report.posts[item.post_index];
      await emitEvent(
        { store: ctx.webhooks, queue: ctx.webhookQueue },
        {
          id: `msg_${checkId}_match_${item.index}_${match.bank.id}_${match.bank.entry_id}`,
          type: 'match.found',
          org: bank.org,
          data: {
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
        },
      );
    }
  }
}
