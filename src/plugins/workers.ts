// With ROLE=all the API process also runs the workers (one machine, `npm start`). They are closed
// before the API's own connections, letting running jobs finish. The workers live above src/ (they are
// the BullMQ entries of workers/), so the process entry (workers/server.ts) hands their starter in.
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { Memory } from '../memory/memory.js';
import type { AnalysisPool } from '../pipeline/analyze/pool.js';

export type StartWorkers = (
  config: Config,
  log: Logger,
  shared: { memory: Memory; analysis: AnalysisPool | null },
) => Promise<{ close(): Promise<void> }>;

async function workersPlugin(app: FastifyInstance, opts: { startWorkers?: StartWorkers | undefined }) {
  if (app.config.role !== 'all') return;
  if (!opts.startWorkers)
    throw new Error('ROLE=all runs the workers in this process: start it with workers/server.ts (npm start)');
  const running = await opts.startWorkers(app.config, app.log, {
    memory: app.memory,
    analysis: app.analysis,
  });
  app.addHook('onClose', async () => {
    await running.close();
  });
}

export default fp(workersPlugin, { name: 'workers', dependencies: ['redis', 'memory', 'analysis'] });
