// The banks service for the routes: access rules and entries (src/services/bank-service.ts), built on
// the memory's bank store and the API's fetcher.
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { keys } from '../keys.js';
import {
  announceEarlierMatches,
  announceImportedEntries,
  type BankAnnouncementDeps,
} from '../services/bank-announcements.js';
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
  const p = app.config.partial;
  // `partial` matches of entries given as images use the feature index of the workers in this process
  // (ROLE=all). An API-only process holds none: it would load every image's features (~65 KiB each, up
  // to FEATURE_INDEX_MAX_IMAGES) for the odd bank entry, so there entries are matched by hashes only.
  const features = app.config.role === 'all' ? app.memory.features : null;
  const announcements: BankAnnouncementDeps = {
    hashes: app.memory.hashes,
    media: app.memory.media,
    factChecks: app.memory.factChecks,
    events: {
      store: createWebhookStore(app.redis, k, app.config.webhooks),
      queue: app.webhookQueue,
      fair: fairShares(app.redis, k).webhooks,
    },
    thresholds: app.config.matching,
    partial: features ? { features, minInliers: p.minInliers } : null,
  };
  const featureOptions = features ? { side: p.side, maxKeypoints: p.maxKeypoints, engine: p.orb } : null;
  app.decorate(
    'banks',
    createBankService({
      store: app.memory.banks,
      fetcher: app.fetcher,
      hashImage: (bytes, contentType, maxPixels) =>
        hashImage(bytes, contentType, maxPixels, {
          features: featureOptions,
          hash: app.analysis?.hashAndFeatures,
        }),
      config: app.config,
      entryAdded: (bank, entry, picture) => announceEarlierMatches(announcements, bank, entry, picture),
      entriesImported: async (bank, entries) => {
        const sent = await announceImportedEntries(announcements, bank, entries);
        if (sent)
          app.log.info({ bank_id: bank.id, entries: entries.length, events: sent }, 'import announced');
      },
    }),
  );
}

export default fp(banksPlugin, {
  name: 'banks',
  dependencies: ['redis', 'queues', 'memory', 'fetcher', 'analysis'],
});
