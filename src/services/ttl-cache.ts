// A small TTL cache on Redis for answers of outside services (Wayback first captures, web search
// sightings), shared by every worker so one lookup serves all.
import type { RedisClient } from '../redis.js';
import type { Keys } from '../keys.js';

export interface TtlCache {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, ttlSeconds: number): Promise<void>;
}

export function createRedisCache(redis: RedisClient, keys: Keys): TtlCache {
  return {
    get: (key) => redis.get(keys.cache(key)),
    async set(key, value, ttlSeconds) {
      await redis.set(keys.cache(key), value, 'EX', Math.max(1, Math.round(ttlSeconds)));
    },
  };
}
