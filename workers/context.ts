// What every worker needs, built once per process and closed once on shutdown.
import type { Redis } from 'ioredis';
import type { Logger } from '../src/logger.js';
import type { Config } from '../src/config.js';
import { keys } from '../src/keys.js';
import { createSafeFetcher, type SafeFetcher } from '../src/net/safe-fetch.js';
import { workerRedis } from '../src/redis.js';
import type { Queue } from 'bullmq';
import type { WebhookJob } from '../schemas/webhook-jobs.js';
import { createWebhookQueue } from '../src/queues.js';
import { createCheckStore, type CheckStore } from '../src/services/check-store.js';
import { createWebhookStore, type WebhookStore } from '../src/services/webhooks.js';

export interface WorkerContext {
  config: Config;
  connection: Redis;
  store: CheckStore;
  fetcher: SafeFetcher;
  webhooks: WebhookStore;
  /** Producer side of the webhooks queue: workers emit events when checks end. */
  webhookQueue: Queue<WebhookJob>;
  log: Logger;
}

export function createWorkerContext(config: Config, log: Logger): WorkerContext {
  const connection = workerRedis(config.redisUrl, log);
  const k = keys(config.keyPrefix);
  return {
    config,
    connection,
    store: createCheckStore(connection, k),
    fetcher: createSafeFetcher(config.fetch),
    webhooks: createWebhookStore(connection, k),
    webhookQueue: createWebhookQueue(config, connection, log),
    log,
  };
}
