// The memory (src/memory/) for the API: banks, media records, the image index for /v1/lookup and bank
// entries. Loaded from Redis at start and kept current; with ROLE=all the in-process workers share it.
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { keys } from '../keys.js';
import { createMemory, type Memory } from '../memory/memory.js';
import { workerRedis } from '../redis.js';

declare module 'fastify' {
  interface FastifyInstance {
    memory: Memory;
  }
}

async function memoryPlugin(app: FastifyInstance) {
  // The index loads on a connection that waits for Redis rather than failing fast: loading it is not a
  // request. Requests use the API's own connection, which fails fast (503) when Redis is down.
  const indexRedis = workerRedis(app.config.redis, app.log);
  const memory = await createMemory({
    config: app.config,
    redis: app.redis,
    indexRedis,
    keys: keys(app.config.keyPrefix),
    log: app.log,
    verifier: app.analysis?.verify,
  });
  app.decorate('memory', memory);
  app.addHook('onClose', async () => {
    await memory.close();
    await indexRedis.quit().catch(() => indexRedis.disconnect());
  });
}

export default fp(memoryPlugin, { name: 'memory', dependencies: ['redis', 'analysis'] });
