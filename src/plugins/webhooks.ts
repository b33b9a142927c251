// The webhooks service for the routes: subscriptions, their delivery log and redeliveries
// (src/services/webhook-service.ts over the store in src/services/webhooks.ts).
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { keys } from '../keys.js';
import { fairShares } from '../services/queues.js';
import { createWebhookService, type WebhookService } from '../services/webhook-service.js';
import { createWebhookStore } from '../services/webhooks.js';

declare module 'fastify' {
  interface FastifyInstance {
    webhooks: WebhookService;
  }
}

async function webhooksPlugin(app: FastifyInstance) {
  const k = keys(app.config.keyPrefix);
  app.decorate(
    'webhooks',
    createWebhookService({
      store: createWebhookStore(app.redis, k, app.config.webhooks),
      queue: app.webhookQueue,
      fair: fairShares(app.redis, k).webhooks,
    }),
  );
}

export default fp(webhooksPlugin, { name: 'webhooks', dependencies: ['redis', 'queues'] });
