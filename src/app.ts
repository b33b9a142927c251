// The application as a Fastify plugin. src/server.ts and the tests build it through the same
// function (buildServer), with the same options.
import type { FastifyInstance } from 'fastify';
import type { Config } from './config.js';
import checksPlugin from './plugins/checks.js';
import errorsPlugin from './plugins/errors.js';
import redisPlugin from './plugins/redis.js';
import swaggerPlugin from './plugins/swagger.js';
import workersPlugin from './plugins/workers.js';
import checkRoutes from './routes/checks/index.js';
import healthRoutes from './routes/health.js';

export interface AppOptions {
  config: Config;
}

export default async function app(fastify: FastifyInstance, opts: AppOptions) {
  // External plugins, then app services, then routes (STYLE.md).
  await fastify.register(redisPlugin, { config: opts.config });
  await fastify.register(swaggerPlugin);
  await fastify.register(errorsPlugin);
  await fastify.register(checksPlugin);
  await fastify.register(workersPlugin);
  await fastify.register(healthRoutes);
  await fastify.register(checkRoutes);
}
