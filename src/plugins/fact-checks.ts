// The fact-checks service for the routes: adding a published fact-check (src/services/fact-checks.ts).
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { feedReview } from '../pipeline/resolve/claim-review.js';
import { createFactCheckService, type FactCheckService } from '../services/fact-checks.js';

declare module 'fastify' {
  interface FastifyInstance {
    factChecks: FactCheckService;
  }
}

async function factChecksPlugin(app: FastifyInstance) {
  app.decorate(
    'factChecks',
    createFactCheckService({
      banks: app.memory.banks,
      factChecks: app.memory.factChecks,
      checks: app.checks,
      config: app.config,
      feedReview,
    }),
  );
}

export default fp(factChecksPlugin, { name: 'fact-checks', dependencies: ['memory', 'checks'] });
