// The producer side of every queue, for the API process. Closed when the app closes.
import type { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { CheckJob } from '../../schemas/jobs.js';
import type { WebhookJob } from '../../schemas/webhook-jobs.js';
import type { WatchJob } from '../../schemas/watch.js';
import type { ViewsJob } from '../../schemas/jobs.js';
import {
  createCheckQueue,
  createViewsQueue,
  createWatchQueue,
  createWebhookQueue,
} from '../services/queues.js';

declare module 'fastify' {
  interface FastifyInstance {
    checkQueue: Queue<CheckJob>;
    webhookQueue: Queue<WebhookJob>;
    watchQueue: Queue<WatchJob>;
    viewsQueue: Queue<ViewsJob>;
    /** Every queue, for the dashboard and the metrics. */
    queues: Queue[];
  }
}

async function queuesPlugin(app: FastifyInstance) {
  const checkQueue = createCheckQueue(app.config, app.redis, app.log);
  const webhookQueue = createWebhookQueue(app.config, app.redis, app.log);
  app.decorate('checkQueue', checkQueue);
  const watchQueue = createWatchQueue(app.config, app.redis, app.log);
  app.decorate('webhookQueue', webhookQueue);
  app.decorate('watchQueue', watchQueue);
  const viewsQueue = createViewsQueue(app.config, app.redis, app.log);
  app.decorate('viewsQueue', viewsQueue);
  app.decorate('queues', [
    checkQueue as Queue,
    webhookQueue as Queue,
    watchQueue as Queue,
    viewsQueue as Queue,
  ]);
  app.addHook('onClose', async () => {
    await Promise.all(app.queues.map((q) => q.close()));
  });
}

export default fp(queuesPlugin, { name: 'queues', dependencies: ['redis'] });
