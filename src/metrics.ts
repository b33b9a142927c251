// Prometheus metrics. Defined once per process on prom-client's global registry; every process (API,
// worker) serves its own /metrics and Prometheus scrapes each. Queue depths are read from Redis at
// scrape time, so any one API process reports them for the whole deployment.
import { collectDefaultMetrics, Counter, Histogram, register } from 'prom-client';

let defaults = false;
/** Process metrics (CPU, memory, event loop lag, GC); once per process. */
export function enableDefaultMetrics(): void {
  if (defaults) return;
  defaults = true;
  collectDefaultMetrics({ prefix: 'firstseen_' });
}

export const stageDuration = new Histogram({
  name: 'firstseen_stage_duration_seconds',
  help: 'Time spent per pipeline stage and media item (fetch, probe, decode, hashes, metadata, c2pa) and per check (check).',
  labelNames: ['stage'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
});

export const mediaErrors = new Counter({
  name: 'firstseen_media_errors_total',
  help: 'Media items that failed, by error code.',
  labelNames: ['code'] as const,
});

export const checksFinished = new Counter({
  name: 'firstseen_checks_finished_total',
  help: 'Checks finished by a worker of this process, by outcome (done, failed).',
  labelNames: ['outcome'] as const,
});

export const webhookDeliveries = new Counter({
  name: 'firstseen_webhook_deliveries_total',
  help: 'Webhook delivery attempts by outcome (delivered, failed, gone, dead, skipped).',
  labelNames: ['outcome'] as const,
});

export { register };
