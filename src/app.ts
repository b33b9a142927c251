// The application as a Fastify plugin. src/server.ts and the tests build it through the same
// function (buildServer), with the same options.
import type { FastifyInstance } from 'fastify';
import type { Config } from './config.js';
import archivesPlugin from './plugins/archives.js';
import authPlugin from './plugins/auth.js';
import banksPlugin from './plugins/banks.js';
import checksPlugin from './plugins/checks.js';
import dashboardPlugin from './plugins/dashboard.js';
import errorsPlugin from './plugins/errors.js';
import factChecksPlugin from './plugins/fact-checks.js';
import fetcherPlugin from './plugins/fetcher.js';
import metricsPlugin from './plugins/metrics.js';
import protectionPlugin from './plugins/protection.js';
import analysisPlugin from './plugins/analysis.js';
import memoryPlugin from './plugins/memory.js';
import queuesPlugin from './plugins/queues.js';
import uploadGatePlugin from './plugins/upload-gate.js';
import redisPlugin from './plugins/redis.js';
import swaggerPlugin from './plugins/swagger.js';
import webhooksPlugin from './plugins/webhooks.js';
import workersPlugin, { type StartWorkers } from './plugins/workers.js';
import adminKeyRoutes from './routes/admin/keys.js';
import archiveRoutes from './routes/archive.js';
import bankRoutes from './routes/banks/index.js';
import factCheckRoutes from './routes/fact-checks/index.js';
import lookupRoutes from './routes/lookup.js';
import pagesRoutes from './routes/pages/index.js';
import checkRoutes from './routes/checks/index.js';
import mediaReviewRoutes from './routes/checks/media-review.js';
import healthRoutes from './routes/health.js';
import webhookRoutes from './routes/webhooks/index.js';

export interface AppOptions {
  config: Config;
  /** The workers to run in this process when ROLE=all (workers/index.ts `startWorkers`). */
  startWorkers?: StartWorkers | undefined;
}

export default async function app(fastify: FastifyInstance, opts: AppOptions) {
  // External plugins, then app services, then routes (STYLE.md). Order matters for hooks: the caller
  // is identified (auth) before rate limits count it.
  await fastify.register(redisPlugin, { config: opts.config });
  await fastify.register(errorsPlugin);
  await fastify.register(swaggerPlugin);
  await fastify.register(authPlugin);
  await fastify.register(protectionPlugin);
  await fastify.register(uploadGatePlugin);
  await fastify.register(queuesPlugin);
  await fastify.register(analysisPlugin);
  await fastify.register(memoryPlugin);
  await fastify.register(fetcherPlugin);
  await fastify.register(banksPlugin);
  // Before the checks service: uploads whose views are asked for after their check are read back there.
  await fastify.register(archivesPlugin);
  await fastify.register(checksPlugin);
  await fastify.register(factChecksPlugin);
  await fastify.register(webhooksPlugin);
  await fastify.register(metricsPlugin);
  await fastify.register(dashboardPlugin);
  await fastify.register(workersPlugin, { startWorkers: opts.startWorkers });
  await fastify.register(healthRoutes);
  await fastify.register(checkRoutes);
  await fastify.register(mediaReviewRoutes);
  await fastify.register(archiveRoutes);
  await fastify.register(adminKeyRoutes);
  await fastify.register(webhookRoutes);
  await fastify.register(bankRoutes);
  await fastify.register(factCheckRoutes);
  await fastify.register(lookupRoutes);
  await fastify.register(pagesRoutes);
}
