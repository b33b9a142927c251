// The webhook subscriptions and their delivery log, for the routes.
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { keys } from '../keys.js';
import { createWebhookStore, type WebhookStore } from '../services/webhooks.js';

declare module 'fastify' {
  interface FastifyInstance {
    webhooks: WebhookStore;
  }
}

async function webhooksPlugin(app: FastifyInstance) {
  app.decorate('webhooks', createWebhookStore(app.redis, keys(app.config.keyPrefix)));
}

export default fp(webhooksPlugin, { name: 'webhooks', dependencies: ['redis', 'queues'] });
