// Worker processes announce themselves in Redis every few seconds; /readyz counts the recent ones.
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { RedisClient } from './redis.js';
import type { Keys } from './keys.js';
import type { Logger } from './logger.js';

export const HEARTBEAT_INTERVAL_MS = 5000;
export const HEARTBEAT_TTL_MS = 3 * HEARTBEAT_INTERVAL_MS;

/** Starts beating; resolves after the first beat, so a process counts as ready once it has started. */
export async function startHeartbeat(
  redis: RedisClient,
  keys: Keys,
  log: Logger,
): Promise<{ stop(): Promise<void> }> {
  const name = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  const beat = async () => {
    const now = Date.now();
    await redis.zadd(keys.workers(), now, name);
    // Forget processes that stopped beating long ago (crashed without saying goodbye).
    await redis.zremrangebyscore(keys.workers(), '-inf', now - 10 * HEARTBEAT_TTL_MS);
  };
  const tick = () => beat().catch((err: Error) => log.warn({ err: err.message }, 'heartbeat failed'));
  await tick();
  const timer = setInterval(() => void tick(), HEARTBEAT_INTERVAL_MS);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await redis.zrem(keys.workers(), name).catch(() => undefined);
    },
  };
}
