// What every worker needs, built once per process and closed once on shutdown.
import type { Redis } from 'ioredis';
import type { Logger } from '../src/logger.js';
import type { Config } from '../src/config.js';
import { keys } from '../src/keys.js';
import { createSafeFetcher, type SafeFetcher } from '../src/net/safe-fetch.js';
import { workerRedis } from '../src/redis.js';
import { createCheckStore, type CheckStore } from '../src/services/check-store.js';

export interface WorkerContext {
  config: Config;
  connection: Redis;
  store: CheckStore;
  fetcher: SafeFetcher;
  log: Logger;
}

export function createWorkerContext(config: Config, log: Logger): WorkerContext {
  const connection = workerRedis(config.redisUrl, log);
  return {
    config,
    connection,
    store: createCheckStore(connection, keys(config.keyPrefix)),
    fetcher: createSafeFetcher(config.fetch),
    log,
  };
}
