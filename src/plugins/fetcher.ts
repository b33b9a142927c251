// The SSRF-safe fetcher (src/net/safe-fetch.ts) for what the API downloads itself: bank entries given
// by image URL.
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { createSafeFetcher, type SafeFetcher } from '../net/safe-fetch.js';

declare module 'fastify' {
  interface FastifyInstance {
    fetcher: SafeFetcher;
  }
}

async function fetcherPlugin(app: FastifyInstance) {
  const fetcher = createSafeFetcher(app.config.fetch);
  app.decorate('fetcher', fetcher);
  app.addHook('onClose', () => fetcher.close());
}

export default fp(fetcherPlugin, { name: 'fetcher' });
