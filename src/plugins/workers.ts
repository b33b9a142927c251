// With ROLE=all the API process also runs the workers (one machine, `npm start`). They are closed
// before the API's own connections, letting running jobs finish.
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { startWorkers } from '../../workers/index.js';

async function workersPlugin(app: FastifyInstance) {
  if (app.config.role !== 'all') return;
  const running = await startWorkers(app.config, app.log, { index: app.hashIndex });
  app.addHook('onClose', async () => {
    await running.close();
  });
}

export default fp(workersPlugin, { name: 'workers', dependencies: ['redis', 'hash-index'] });
