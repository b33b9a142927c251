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
    const report = await processCheck(
      { checkId, targets: job.data.targets },
      { fetcher: ctx.fetcher, maxInputPixels: config.maxInputPixels, log: jobLog },
    );
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
