// The banks service for the routes: access rules and entries (src/services/bank-service.ts), built on
// the memory's bank store and the API's fetcher.
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { keys } from '../keys.js';
import { announceEarlierMatches } from '../services/bank-announcements.js';
import { createBankService, type BankService } from '../services/bank-service.js';
import { fairShares } from '../services/queues.js';
import { createWebhookStore } from '../services/webhooks.js';
import { hashImage } from '../pipeline/image-hashing.js';

declare module 'fastify' {
  interface FastifyInstance {
    banks: BankService;
  }
}

async function banksPlugin(app: FastifyInstance) {
  const k = keys(app.config.keyPrefix);
  const announcements = {
    hashes: app.memory.hashes,
    media: app.memory.media,
    factChecks: app.memory.factChecks,
    events: {
      store: createWebhookStore(app.redis, k, app.config.webhooks),
      queue: app.webhookQueue,
      fair: fairShares(app.redis, k).webhooks,
    },
    thresholds: app.config.matching,
  };
  app.decorate(
    'banks',
    createBankService({
      store: app.memory.banks,
      fetcher: app.fetcher,
      hashImage: (bytes, contentType, maxPixels) =>
        hashImage(bytes, contentType, maxPixels, app.analysis?.hash),
      config: app.config,
      entryAdded: (bank, entry, dihedral) => announceEarlierMatches(announcements, bank, entry, dihedral),
    }),
  );
}

export default fp(banksPlugin, {
  name: 'banks',
  dependencies: ['redis', 'queues', 'memory', 'fetcher', 'analysis'],
});
