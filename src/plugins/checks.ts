// The checks service (store + queue) for the routes.
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { keys } from '../keys.js';
import { createCheckStore } from '../services/check-store.js';
import { fairShares } from '../services/queues.js';
import { createChecksService, type ChecksService } from '../services/checks.js';
import { createUploadStore } from '../services/uploads.js';
import { createForensicViewStore } from '../services/thumbnails.js';
import { createWatchStore } from '../services/watches.js';

declare module 'fastify' {
  interface FastifyInstance {
    checks: ChecksService;
  }
}

async function checksPlugin(app: FastifyInstance) {
  const k = keys(app.config.keyPrefix);
  const store = createCheckStore(app.redis, k, app.config.retention);
  app.decorate(
    'checks',
    createChecksService({
      config: app.config,
      redis: app.redis,
      keys: k,
      store,
      queue: app.checkQueue,
      fair: fairShares(app.redis, k).checks,
      uploads: createUploadStore(app.redis, k, app.config),
      watches: createWatchStore(app.redis, k, app.watchQueue, app.config.watch),
      copies: app.memory.copies,
      views: {
        store: createForensicViewStore(app.redis, app.config.keyPrefix),
        queue: app.viewsQueue,
      },
      archives: app.archives,
    }),
  );
}

export default fp(checksPlugin, { name: 'checks', dependencies: ['redis', 'queues', 'memory', 'archives'] });
