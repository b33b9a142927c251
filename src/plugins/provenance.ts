// What the API needs to answer from memory: the bank store, media records, the video index, and a safe
// fetcher for images given by URL (bank entries). The routes reach banks through the service
// (src/plugins/banks.ts, `app.banks`), never through the store.
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { keys } from '../keys.js';
import { createSafeFetcher, type SafeFetcher } from '../net/safe-fetch.js';
import { createBankStore, type BankStore } from '../services/banks.js';
import { createMediaStore, type MediaStore } from '../services/media-store.js';
import { createVideoIndex, type VideoIndex } from '../pipeline/video/video-index.js';

declare module 'fastify' {
  interface FastifyInstance {
    bankStore: BankStore;
    media: MediaStore;
    fetcher: SafeFetcher;
    videoIndex: VideoIndex;
  }
}

async function provenancePlugin(app: FastifyInstance) {
  const k = keys(app.config.keyPrefix);
  app.decorate(
    'bankStore',
    createBankStore(app.redis, k, app.hashIndex, { publishers: app.config.sharedBankPublishers }),
  );
  app.decorate('media', createMediaStore(app.redis, k));
  app.decorate('videoIndex', createVideoIndex(app.redis, k));
  const fetcher = createSafeFetcher(app.config.fetch);
  app.decorate('fetcher', fetcher);
  app.addHook('onClose', () => fetcher.close());
}

export default fp(provenancePlugin, { name: 'provenance', dependencies: ['redis', 'hash-index'] });
