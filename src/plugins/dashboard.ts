// The queue dashboard (@bull-board) at /admin/queues, for the operator only: jobs name every
// organization's checks and URLs, and a writable dashboard could add or retry any job. It is read-only
// unless DASHBOARD_READ_ONLY=false; even then workers never trust a job to name another check
// (workers/check.ts, workers/webhook.ts). A browser cannot send an API key header, so the dashboard also
// takes HTTP Basic auth with the key as the password.
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { HttpErrors } from '../errors.js';

export const DASHBOARD_PATH = '/admin/queues';

async function dashboardPlugin(app: FastifyInstance) {
  const readOnlyMode = app.config.dashboardReadOnly;
  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(DASHBOARD_PATH);
  createBullBoard({
    queues: app.queues.map((q) => new BullMQAdapter(q, { readOnlyMode })),
    serverAdapter,
  });
  await app.register(async (scope) => {
    scope.addHook('onRequest', async (request, reply) => {
      if (!request.principal) void reply.header('www-authenticate', 'Basic realm="firstseen admin"');
    });
    scope.addHook('onRequest', app.requireScope('operator'));
    // bull-board refuses writes to read-only queues itself; this refuses every write of the board
    // (pause all, clean, add, retry, promote…) before any of its handlers runs.
    scope.addHook('onRequest', async (request) => {
      if (readOnlyMode && request.method !== 'GET' && request.method !== 'HEAD')
        throw new HttpErrors.method_not_allowed('The queue dashboard is read-only (DASHBOARD_READ_ONLY)');
    });
    await scope.register(serverAdapter.registerPlugin(), { prefix: DASHBOARD_PATH });
  });
}

export default fp(dashboardPlugin, { name: 'dashboard', dependencies: ['auth', 'queues'] });
