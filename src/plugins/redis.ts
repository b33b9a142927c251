// The API's Redis connection (fail-fast flavour, see src/redis.ts), shared by every route.
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { RedisClient } from '../redis.js';
import type { Config } from '../config.js';
import { apiRedis, waitReady } from '../redis.js';

declare module 'fastify' {
  interface FastifyInstance {
    config: Config;
    redis: RedisClient;
  }
}

async function redisPlugin(app: FastifyInstance, opts: { config: Config }) {
  app.decorate('config', opts.config);
  const redis = apiRedis(opts.config.redis, app.log);
  app.decorate<RedisClient>('redis', redis);
  // Start even when Redis is down (requests answer 503 until it is back), but give it a moment.
  if (!(await waitReady(redis, 3000))) app.log.warn('redis not reachable yet; answering 503 until it is');
  app.addHook('onClose', async () => {
    await redis.quit().catch(() => redis.disconnect());
  });
}

export default fp(redisPlugin, { name: 'redis' });
