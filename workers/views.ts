// The `views` queue's worker: forensic views of one media item of a finished check, asked for after it
// (POST /v1/checks/:id/media/:index/views), made by the plain stage in src/pipeline/views-on-demand.ts.
// A job only names the check and the item: the file's URL and sha256 are the stored report's, the
// organization the check's, so a job added by hand can neither fetch other URLs nor write to another
// check than the one it names.
import { UnrecoverableError, type Worker, type Job } from 'bullmq';
import { createWorker } from './bullmq-worker.js';
import { Value } from 'typebox/value';
import { ViewsJob } from '../schemas/jobs.js';
import { QUEUES } from '../src/keys.js';
import { readArchivedFile } from '../src/archive/archived-file.js';
import { viewsKeeper } from '../src/pipeline/pipeline.js';
import { viewsOnDemand } from '../src/pipeline/views-on-demand.js';
import { checkRetentionSeconds } from '../src/services/check-store.js';
import { VIEWS_JOB_NAME, viewsJobId } from '../src/services/queues.js';
import { createForensicViewStore, thumbnailTtlSeconds } from '../src/services/thumbnails.js';
import { createUploadStore } from '../src/services/uploads.js';
import type { WorkerContext } from './context.js';

/** Jobs one process runs at once: each is a download and one picture's views in the analysis threads. */
const CONCURRENCY = 2;

export function startViewsWorker(ctx: WorkerContext): Worker<ViewsJob> {
  const { config, connection, store, log } = ctx;
  const uploads = createUploadStore(connection, ctx.keys, config);
  const viewStore = createForensicViewStore(connection, config.keyPrefix);
  const archives = ctx.archives;

  const processor = async (job: Job<ViewsJob>) => {
    if (job.name !== VIEWS_JOB_NAME || !Value.Check(ViewsJob, job.data))
      throw new UnrecoverableError(`Malformed ${QUEUES.views} job ${job.id ?? '?'}`);
    const { check_id: checkId, index } = job.data;
    if (job.id !== viewsJobId(checkId, index))
      throw new UnrecoverableError(`Job ${job.id ?? '?'} is not the views job of ${checkId} item ${index}`);
    const check = await store.get(checkId);
    const item = check?.report?.media[index];
    if (!check || !item) throw new UnrecoverableError(`No item ${index} in a report of check ${checkId}`);
    const jobLog = log.child({ check_id: checkId, job_id: job.id, media: index });
    // The views live as long as the check may show them, like its thumbnails.
    const ttl = thumbnailTtlSeconds(checkRetentionSeconds(config.retention, check.org));
    const views = await viewsOnDemand(
      { checkId, item },
      {
        views: viewsKeeper(viewStore, ttl)!,
        fetcher: ctx.fetcher,
        uploads: (sha256) => uploads.read(checkId, sha256),
        // Once the upload is gone: its original in the check's own archive, under the check's organization.
        archived:
          archives && check.report?.archive
            ? (sha256) =>
                readArchivedFile(archives, {
                  org: check.org,
                  checkId,
                  url: item.source_url,
                  sha256,
                  maxBytes: config.fetch.maxBytes,
                })
            : undefined,
        compute: ctx.analysis?.views,
        maxInputPixels: config.maxInputPixels,
        log: jobLog,
      },
    );
    if (!(await store.setViews(checkId, index, views))) return 'check gone';
    jobLog.info({ skipped: views.skipped?.code }, 'forensic views ready');
    return views.skipped ? `skipped: ${views.skipped.code}` : 'made';
  };

  const worker = createWorker<ViewsJob>(QUEUES.views, processor, {
    connection: ctx.queueConnection,
    prefix: config.queuePrefix,
    concurrency: CONCURRENCY,
    lockDuration: config.worker.lockMs,
    stalledInterval: config.worker.stalledIntervalMs,
  });
  worker.on('failed', (job, err) => {
    const final = !job || err instanceof UnrecoverableError || job.attemptsMade >= (job.opts.attempts ?? 1);
    log.warn(
      { check_id: job?.data.check_id, media: job?.data.index, job_id: job?.id, final, err: err.message },
      'views job failed',
    );
    // The page stops saying the views are being made (and reloading), and offers the button again.
    const data = job?.data;
    if (final && data && job.id === viewsJobId(data.check_id, data.index)) {
      store
        .clearViewsAsked(data.check_id, data.index)
        .catch((e: Error) =>
          log.error({ check_id: data.check_id, err: e.message }, 'views mark not cleared'),
        );
    }
  });
  worker.on('error', (err) => log.error({ err: err.message }, 'views worker error'));
  return worker;
}
