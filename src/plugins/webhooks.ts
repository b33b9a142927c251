// The webhook subscriptions and their delivery log, for the routes.
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { keys } from '../keys.js';
import { fairShares } from '../services/queues.js';
import type { FairShare } from '../services/fair-share.js';
import { createWebhookStore, type WebhookStore } from '../services/webhooks.js';

declare module 'fastify' {
  interface FastifyInstance {
    webhooks: WebhookStore;
    /** The webhooks queue's share between organizations (priorities of redeliveries). */
    webhookFair: FairShare;
  }
}

async function webhooksPlugin(app: FastifyInstance) {
  const k = keys(app.config.keyPrefix);
  app.decorate('webhooks', createWebhookStore(app.redis, k, app.config.webhooks));
  app.decorate('webhookFair', fairShares(app.redis, k).webhooks);
}

export default fp(webhooksPlugin, { name: 'webhooks', dependencies: ['redis', 'queues'] });
