// Starts every queue's worker in this process. Used by `npm run worker` (workers/main.ts) and by the
// API process when ROLE=all.
import type { Worker } from 'bullmq';
import type { Logger } from '../src/logger.js';
import type { Config } from '../src/config.js';
import { keys, QUEUES, type QueueName } from '../src/keys.js';
import { configureSharp } from '../src/sharp-settings.js';
import { startHeartbeat } from '../src/worker-heartbeat.js';
import { startCheckWorker } from './check.js';
import { startWebhookWorker } from './webhook.js';
import { startWatchWorker } from './watch.js';
import { startViewsWorker } from './views.js';
import { closeWorker } from './bullmq-worker.js';
import { createWorkerContext, type WorkerContext } from './context.js';
import { buildServer } from '../src/server.js';
import type { Memory } from '../src/memory/memory.js';
import type { AnalysisPool } from '../src/pipeline/analyze/pool.js';

// One entry per queue; the process refuses to start when a queue has no worker (Immich's habit).
const STARTERS: Record<QueueName, (ctx: WorkerContext) => Worker> = {
  [QUEUES.checks]: startCheckWorker as (ctx: WorkerContext) => Worker,
  [QUEUES.webhooks]: startWebhookWorker as (ctx: WorkerContext) => Worker,
  [QUEUES.watches]: startWatchWorker as (ctx: WorkerContext) => Worker,
  [QUEUES.views]: startViewsWorker as (ctx: WorkerContext) => Worker,
};

export interface RunningWorkers {
  workers: Worker[];
  /**
   * Lets running jobs finish (bounded by the caller), then closes connections (a worker's left to the
   * exit when its close outlasts its jobs by CLOSE_GRACE_MS: bullmq-worker.ts).
   */
  close(): Promise<void>;
}

export async function startWorkers(
  config: Config,
  log: Logger,
  shared?: { memory: Memory; analysis: AnalysisPool | null },
): Promise<RunningWorkers> {
  for (const q of Object.values(QUEUES)) {
    if (!STARTERS[q]) throw new Error(`No worker for queue ${q}`);
  }
  configureSharp();
  const ctx = await createWorkerContext(config, log.child({ role: 'worker' }), shared);
  const workers = Object.values(QUEUES).map((q) => STARTERS[q](ctx));
  const heartbeat = await startHeartbeat(ctx.connection, keys(config.keyPrefix), ctx.log);
  log.info(
    {
      queues: Object.values(QUEUES),
      concurrency: config.worker.concurrency,
      analysis_threads: ctx.analysis?.threads ?? 0,
    },
    'workers started',
  );
  return {
    workers,
    async close() {
      await heartbeat.stop();
      // Bounded once their jobs have ended: BullMQ's own close can hang after a cluster failover.
      await Promise.all(workers.map((w) => closeWorker(w, ctx.log)));
      await ctx.close();
    },
  };
}

/**
 * The API server with, when ROLE=all, every queue's worker in the same process: what `npm start` runs
 * (workers/server.ts), and what tests and benchmarks build.
 */
export function buildService(config: Config) {
  return buildServer(config, { startWorkers });
}
