// The producer side of every queue, for the API process. Closed when the app closes.
//
// The queues have a connection of their own, as the workers' do (workers/context.ts, queueConnection):
// BullMQ defines its ~64 Lua scripts on the connection it is given, and ioredis copies every command
// defined on a connection onto each pipeline and MULTI made from it, ~35 µs of CPU each, which every
// route's own pipelines on app.redis would pay.
import type { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { apiRedis, waitReady } from '../redis.js';
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
  const connection = apiRedis(app.config.redis, app.log);
  // As app.redis (plugins/redis.ts): it fails fast while not connected, so give it the same moment.
  if (!(await waitReady(connection, 3000))) app.log.warn('redis not reachable yet for the queues');
  const checkQueue = createCheckQueue(app.config, connection, app.log);
  const webhookQueue = createWebhookQueue(app.config, connection, app.log);
  app.decorate('checkQueue', checkQueue);
  const watchQueue = createWatchQueue(app.config, connection, app.log);
  app.decorate('webhookQueue', webhookQueue);
  app.decorate('watchQueue', watchQueue);
  const viewsQueue = createViewsQueue(app.config, connection, app.log);
  app.decorate('viewsQueue', viewsQueue);
  app.decorate('queues', [
    checkQueue as Queue,
    webhookQueue as Queue,
    watchQueue as Queue,
    viewsQueue as Queue,
  ]);
  app.addHook('onClose', async () => {
    await Promise.all(app.queues.map((q) => q.close()));
    await connection.quit().catch(() => connection.disconnect());
  });
}

export default fp(queuesPlugin, { name: 'queues', dependencies: ['redis'] });
