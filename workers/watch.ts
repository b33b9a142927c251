// The `watches` queue's worker: resolves a watched check's posts again and records what changed since
// the check (deleted, made private, text or media changed), once per post and kind of change, as a
// `post.changed` event to the check's organization and an entry in the check's `watch.changes`.
// A job only names its check: the worker reads the organization from the check, and runs only when the
// check has a watch of that same organization (a job added by hand cannot watch another newsroom's
// check, nor send its events anywhere but to the check's organization).
import { createHash } from 'node:crypto';
import { UnrecoverableError, type Worker, type Job } from 'bullmq';
import { createWorker } from './bullmq-worker.js';
import { Value } from 'typebox/value';
import { WatchJob, type PostChange } from '../schemas/watch.js';
import { QUEUES } from '../src/keys.js';
import { resolveTarget } from '../src/pipeline/resolve/index.js';
import { changeSentence, detectChange, postState } from '../src/pipeline/watch.js';
import { emitEvent } from '../src/services/webhooks.js';
import { WATCH_JOB_NAME } from '../src/services/watches.js';
import type { WorkerContext } from './context.js';

const urlDigest = (url: string) => createHash('sha256').update(url).digest('hex').slice(0, 24);

export function startWatchWorker(ctx: WorkerContext): Worker<WatchJob> {
  const { config, store, watches, log } = ctx;
  const events = { store: ctx.webhooks, queue: ctx.webhookQueue, fair: ctx.fair.webhooks };

  const processor = async (job: Job<WatchJob>) => {
    if (job.name !== WATCH_JOB_NAME || !Value.Check(WatchJob, job.data))
      throw new UnrecoverableError(`Malformed ${QUEUES.watches} job ${job.id ?? '?'}`);
    const checkId = job.data.check_id;
    const jobLog = log.child({ check_id: checkId, job_id: job.id });
    const check = await store.get(checkId);
    const watch = await watches.get(checkId);
    if (!check || !watch || watch.check_id !== check.id || watch.org !== check.org)
      throw new UnrecoverableError(`Check ${checkId} has no watch of its own`);
    if (watch.ended_at) return 'ended';
    if (Date.parse(watch.until) <= Date.now()) {
      await watches.stop(watch);
      jobLog.info('watch period over');
      return 'period over';
    }
    if (check.status === 'failed') {
      await watches.stop(watch);
      return 'check failed: nothing to watch';
    }
    // Nothing to compare before the check has its report (watched from its submission): the next run will.
    if (check.status !== 'done' || !check.report) return 'no report yet';
    const report = check.report;
    const runAt = new Date().toISOString();
    let changes = 0;
    for (const post of report.posts) {
      const before = (await watches.seen(checkId, post.url)) ?? postState(post, report.completed_at);
      // Times that stay true whenever, during the request, the platform changed: the post was as seen at
      // some moment after the request went out (`askedAt` is a safe "last seen"), and a change the answer
      // shows had happened before the answer came (`detectedAt`, taken after it, is a safe upper bound).
      const askedAt = new Date().toISOString();
      const now = await resolveTarget(post.url, {
        fetcher: ctx.fetcher,
        endpoints: config.endpoints,
        log: jobLog,
      });
      const detectedAt = new Date().toISOString();
      const change = detectChange(before, now);
      if (!change) {
        // Seen as the check saw it (or not seen at all, when the platform did not answer).
        if (now.kind === 'post') await watches.markSeen(checkId, post.url, { ...before, at: askedAt });
        continue;
      }
      const entry: PostChange = {
        post_url: post.url,
        change,
        last_seen_at: before.at,
        detected_at: detectedAt,
        sentence: changeSentence(change, before.at, detectedAt),
        archive: report.archive?.url ?? null,
      };
      if (!(await watches.recordChange(checkId, entry))) continue;
      changes++;
      jobLog.info({ post_url: post.url, change }, 'watched post changed');
      // The event id is stable per post and change: a run retried after a crash sends it once.
      await emitEvent(events, {
        id: `msg_${checkId}_post_${urlDigest(post.url)}_${change}`,
        type: 'post.changed',
        org: check.org,
        checkId,
        data: {
          check_id: checkId,
          post_url: entry.post_url,
          change,
          last_seen_at: entry.last_seen_at,
          detected_at: entry.detected_at,
          sentence: entry.sentence,
          archive: entry.archive,
        },
      });
    }
    await watches.markRun(checkId, runAt);
    return `${changes} change(s)`;
  };

  const worker = createWorker<WatchJob>(QUEUES.watches, processor, {
    connection: ctx.queueConnection,
    prefix: config.queuePrefix,
    // Waiting on platforms, not on CPU; kept low so watches never crowd the checks' fetches.
    concurrency: 2,
    lockDuration: config.worker.lockMs,
    stalledInterval: config.worker.stalledIntervalMs,
  });
  worker.on('failed', (job, err) =>
    log.warn({ check_id: job?.data.check_id, job_id: job?.id, err: err.message }, 'watch run failed'),
  );
  worker.on('error', (err) => log.error({ err: err.message }, 'watches worker error'));
  return worker;
}
