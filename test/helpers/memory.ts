// A memory (src/memory/memory.ts) on the real Redis under the test config's own prefix, closed and its
// keys removed when the test ends.
import { Redis } from 'ioredis';
import pino from 'pino';
import type { Test } from 'tap';
import type { Config } from '../../src/config.js';
import { keys } from '../../src/keys.js';
import { createMemory, type Memory } from '../../src/memory/memory.js';
import { REDIS_URL, removePrefix } from './app.js';

export async function testMemory(
  t: Test,
  config: Config,
  log = pino({ level: 'silent' }),
): Promise<{ memory: Memory; redis: Redis }> {
  const redis = new Redis(REDIS_URL);
  const memory = await createMemory({ config, redis, keys: keys(config.keyPrefix), log, indexBlockMs: 200 });
  t.teardown(async () => {
    await memory.close();
    redis.disconnect();
    await removePrefix(config.keyPrefix, config.redis);
  });
  return { memory, redis };
}
