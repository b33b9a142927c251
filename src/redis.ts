// Redis connections. Two flavours, as BullMQ's production guide prescribes:
//  - the API's: fail fast (no offline queue, one retry), so a request answers 503 at once when Redis
//    is down instead of hanging;
//  - workers': retry forever (maxRetriesPerRequest: null, required by BullMQ's blocking commands).
import { Redis } from 'ioredis';
import type { Logger } from './logger.js';

export function apiRedis(url: string, log: Logger): Redis {
  const redis = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectionName: 'firstseen-api',
    retryStrategy: (times) => Math.min(times * 200, 2000),
  });
  redis.on('error', (err) => log.warn({ err: err.message }, 'redis (api) connection error'));
  return redis;
}

export function workerRedis(url: string, log: Logger): Redis {
  const redis = new Redis(url, {
    maxRetriesPerRequest: null,
    connectionName: 'firstseen-worker',
    retryStrategy: (times) => Math.min(times * 200, 2000),
  });
  redis.on('error', (err) => log.warn({ err: err.message }, 'redis (worker) connection error'));
  return redis;
}

/** Waits until the connection is ready, at most `ms`; never throws (the caller decides what to do). */
export async function waitReady(redis: Redis, ms: number): Promise<boolean> {
  if (redis.status === 'ready') return true;
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      clearTimeout(timer);
      redis.off('ready', onReady);
      resolve(ok);
    };
    const onReady = () => done(true);
    const timer = setTimeout(() => done(false), ms);
    redis.once('ready', onReady);
  });
}
