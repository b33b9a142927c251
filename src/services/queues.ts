// The queues and their job options, defined once for producers (the API) and consumers (workers).
import { Queue } from 'bullmq';
import type { RedisClient } from '../redis.js';
import type { Logger } from '../logger.js';
import type { CheckJob } from '../../schemas/jobs.js';
import type { WebhookJob } from '../../schemas/webhook-jobs.js';
import type { WatchJob } from '../../schemas/watch.js';
import type { ViewsJob } from '../../schemas/jobs.js';
import type { Config } from '../config.js';
import { QUEUES, type Keys } from '../keys.js';
import { createFairShare, type FairShare } from './fair-share.js';

export const CHECK_JOB_NAME = 'check';

export function checkJobOptions(config: Config) {
  return {
    attempts: config.worker.attempts,
    backoff: { type: 'exponential', delay: 2000 },
    // The report lives in the check's own key; finished jobs are only kept for the dashboard.
    removeOnComplete: { age: 24 * 3600, count: 10000 },
    removeOnFail: { age: 7 * 24 * 3600 },
  };
}

export function createCheckQueue(config: Config, connection: RedisClient, log: Logger): Queue<CheckJob> {
  const queue = new Queue<CheckJob>(QUEUES.checks, {
    connection,
    prefix: config.queuePrefix,
    defaultJobOptions: checkJobOptions(config),
    // The API must answer 503 at once when Redis is down, not wait for it (BullMQ: failing fast).
    skipWaitingForReady: true,
  });
  queue.on('error', (err) => log.warn({ err: err.message }, 'checks queue error'));
  return queue;
}

export function createWebhookQueue(config: Config, connection: RedisClient, log: Logger): Queue<WebhookJob> {
  const queue = new Queue<WebhookJob>(QUEUES.webhooks, {
    connection,
    prefix: config.queuePrefix,
    defaultJobOptions: {
      attempts: config.webhooks.attempts,
      // Doubling delays: with the defaults, 8 attempts span about a day (Standard Webhooks' advice).
      backoff: { type: 'exponential', delay: config.webhooks.backoffMs },
      removeOnComplete: { age: 24 * 3600, count: 10000 },
      removeOnFail: { age: 7 * 24 * 3600 },
    },
    skipWaitingForReady: true,
  });
  queue.on('error', (err) => log.warn({ err: err.message }, 'webhooks queue error'));
  return queue;
}

/** Watched checks: one job scheduler per check (src/services/watches.ts); a run failed is retried next time. */
export function createWatchQueue(config: Config, connection: RedisClient, log: Logger): Queue<WatchJob> {
  const queue = new Queue<WatchJob>(QUEUES.watches, {
    connection,
    prefix: config.queuePrefix,
    defaultJobOptions: {
      attempts: 1,
      removeOnComplete: { age: 24 * 3600, count: 1000 },
      removeOnFail: { age: 7 * 24 * 3600, count: 1000 },
    },
    skipWaitingForReady: true,
  });
  queue.on('error', (err) => log.warn({ err: err.message }, 'watches queue error'));
  return queue;
}

export const VIEWS_JOB_NAME = 'views';

/**
 * One job per check and item at a time: asking again while it waits or runs adds nothing (BullMQ keeps
 * the first job of an id). Ids are made of the check id's own characters and `-`, never `:`.
 */
export const viewsJobId = (checkId: string, index: number) => `views-${checkId}-${index}`;

/** Forensic views asked for after a check (workers/views.ts). */
export function createViewsQueue(config: Config, connection: RedisClient, log: Logger): Queue<ViewsJob> {
  const queue = new Queue<ViewsJob>(QUEUES.views, {
    connection,
    prefix: config.queuePrefix,
    defaultJobOptions: {
      attempts: 2,
      backoff: { type: 'exponential', delay: 2000 },
      // Removed when finished, so the same item can be asked for again (the result is in the check).
      removeOnComplete: true,
      removeOnFail: { age: 24 * 3600, count: 1000 },
    },
    skipWaitingForReady: true,
  });
  queue.on('error', (err) => log.warn({ err: err.message }, 'views queue error'));
  return queue;
}

/**
 * Each queue's fair share between organizations (src/services/fair-share.ts). A job counts in its
 * organization's rank until it finishes, or for at most this long (webhook retries span about a day).
 */
export function fairShares(redis: RedisClient, keys: Keys): { checks: FairShare; webhooks: FairShare } {
  return {
    checks: createFairShare(redis, keys, QUEUES.checks, { pendingMs: 24 * 3600_000 }),
    webhooks: createFairShare(redis, keys, QUEUES.webhooks, { pendingMs: 2 * 24 * 3600_000 }),
  };
}
