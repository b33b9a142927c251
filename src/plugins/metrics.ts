// GET /metrics for Prometheus: this process's metrics plus queue depths per queue and state.
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Gauge, Registry } from 'prom-client';
import { enableDefaultMetrics, register } from '../metrics.js';

const STATES = [
  'waiting',
  'active',
  'delayed',
  'prioritized',
  'waiting-children',
  'completed',
  'failed',
] as const;

async function metricsPlugin(app: FastifyInstance) {
  enableDefaultMetrics();
  // Per app instance (tests build several in one process), merged with the global registry on scrape.
  const local = new Registry();
  const queues = app.queues;
  new Gauge({
    name: 'firstseen_queue_jobs',
    help: 'Jobs per queue and state, read from Redis at scrape time.',
    labelNames: ['queue', 'state'],
    registers: [local],
    async collect() {
      for (const queue of queues) {
        const counts = await queue.getJobCounts(...STATES);
        for (const state of STATES) this.set({ queue: queue.name, state }, counts[state] ?? 0);
      }
    },
  });

  const index = app.hashIndex;
  new Gauge({
    name: 'firstseen_index_entries',
    help: 'Images and bank entries in the near-duplicate index, as this process holds it.',
    registers: [local],
    collect() {
      this.set(index.size());
    },
  });

  app.get('/metrics', { schema: { hide: true }, config: { rateLimit: false } }, async (_request, reply) => {
    const merged = Registry.merge([register, local]);
    return reply.type(merged.contentType).send(await merged.metrics());
  });
}

export default fp(metricsPlugin, { name: 'metrics', dependencies: ['queues', 'hash-index'] });
