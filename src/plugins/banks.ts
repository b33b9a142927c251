// The banks service for the routes: access rules and entries (src/services/bank-service.ts), built on
// the memory's bank store and the API's fetcher.
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { createBankService, type BankService } from '../services/bank-service.js';
import { hashImage } from '../pipeline/image-hashing.js';

declare module 'fastify' {
  interface FastifyInstance {
    banks: BankService;
  }
}

async function banksPlugin(app: FastifyInstance) {
  app.decorate(
    'banks',
    createBankService({
      store: app.memory.banks,
      fetcher: app.fetcher,
      hashImage: (bytes, contentType, maxPixels) =>
        hashImage(bytes, contentType, maxPixels, app.analysis?.hash),
      config: app.config,
    }),
  );
}

export default fp(banksPlugin, { name: 'banks', dependencies: ['memory', 'fetcher', 'analysis'] });
