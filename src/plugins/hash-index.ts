// The near-duplicate index for the API process (synchronous /v1/lookup, bank entries), loaded from
// Redis at start and kept current. With ROLE=all the in-process workers share this one.
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { createIndex } from '../../workers/context.js';
import type { HashIndex } from '../index/hash-index.js';
import { keys } from '../keys.js';
import { workerRedis } from '../redis.js';

declare module 'fastify' {
  interface FastifyInstance {
    hashIndex: HashIndex;
  }
}

async function hashIndexPlugin(app: FastifyInstance) {
  // A connection that waits for Redis rather than failing fast: loading the index is not a request.
  const redis = workerRedis(app.config.redis, app.log);
  const index = createIndex(app.config, redis, keys(app.config.keyPrefix), app.log);
  await index.start();
  app.decorate('hashIndex', index);
  app.addHook('onClose', async () => {
    await index.close();
    await redis.quit().catch(() => redis.disconnect());
  });
}

export default fp(hashIndexPlugin, { name: 'hash-index', dependencies: ['redis'] });
