// The banks service for the routes: access rules and entries (src/services/bank-service.ts), built on
// the bank store, the video index and the fetcher that src/plugins/provenance.ts sets up.
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { createBankService, type BankService } from '../services/bank-service.js';

declare module 'fastify' {
  interface FastifyInstance {
    banks: BankService;
  }
}

async function banksPlugin(app: FastifyInstance) {
  app.decorate(
    'banks',
    createBankService({
      store: app.bankStore,
      videoIndex: app.videoIndex,
      fetcher: app.fetcher,
      config: app.config,
    }),
  );
}

export default fp(banksPlugin, { name: 'banks', dependencies: ['provenance'] });
