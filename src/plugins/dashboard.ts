// The queue dashboard (@bull-board) at /admin/queues, for keys with the admin scope. A browser cannot
// send an API key header, so the dashboard also takes HTTP Basic auth with the key as the password.
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

export const DASHBOARD_PATH = '/admin/queues';

async function dashboardPlugin(app: FastifyInstance) {
  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(DASHBOARD_PATH);
  createBullBoard({ queues: app.queues.map((q) => new BullMQAdapter(q)), serverAdapter });
  await app.register(async (scope) => {
    scope.addHook('onRequest', async (request, reply) => {
      if (!request.principal) void reply.header('www-authenticate', 'Basic realm="firstseen admin"');
    });
    scope.addHook('onRequest', app.requireScope('admin'));
    await scope.register(serverAdapter.registerPlugin(), { prefix: DASHBOARD_PATH });
  });
}

export default fp(dashboardPlugin, { name: 'dashboard', dependencies: ['auth', 'queues'] });
