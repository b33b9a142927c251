// /metrics for Prometheus: this process's metrics plus queue depths per queue and state.
// Operators only (SECURITY.md): on the API port it needs a key with the operator scope (Prometheus sends
// it as a bearer token); with METRICS_PORT set, a second listener serves it without a key, to be bound
// to a private network. Queue depths are read from Redis at most once every few seconds, however often
// it is scraped.
import Fastify, { type FastifyInstance } from 'fastify';
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
/** How long queue depths read from Redis are reused. */
const QUEUE_COUNTS_TTL_MS = 5000;

async function metricsPlugin(app: FastifyInstance) {
  enableDefaultMetrics();
  // Per app instance (tests build several in one process), merged with the global registry on scrape.
  const local = new Registry();
  const queues = app.queues;
  let counts: { at: number; values: Promise<Array<Record<string, number>>> } | null = null;
  const queueCounts = () => {
    if (!counts || Date.now() - counts.at > QUEUE_COUNTS_TTL_MS) {
      const values = Promise.all(queues.map((q) => q.getJobCounts(...STATES)));
      counts = { at: Date.now(), values };
      values.catch(() => (counts = null));
    }
    return counts.values;
  };
  new Gauge({
    name: 'firstseen_queue_jobs',
    help: 'Jobs per queue and state, read from Redis (at most every 5 s).',
    labelNames: ['queue', 'state'],
    registers: [local],
    async collect() {
      const all = await queueCounts();
      queues.forEach((queue, i) => {
        for (const state of STATES) this.set({ queue: queue.name, state }, all[i]?.[state] ?? 0);
      });
    },
  });

  const index = app.memory.hashes;
  new Gauge({
    name: 'firstseen_index_entries',
    help: 'Images and bank entries in the near-duplicate index, as this process holds it.',
    registers: [local],
    collect() {
      this.set(index.size());
    },
  });

  const scrape = async () => {
    const merged = Registry.merge([register, local]);
    return { type: merged.contentType, body: await merged.metrics() };
  };

  app.get(
    '/metrics',
    { schema: { hide: true }, preHandler: app.requireScope('operator') },
    async (_r, reply) => {
      const { type, body } = await scrape();
      return reply.type(type).send(body);
    },
  );

  if (app.config.metricsPort > 0) {
    const listener = Fastify({ logger: false });
    listener.get('/metrics', async (_r, reply) => {
      const { type, body } = await scrape();
      return reply.type(type).send(body);
    });
    app.addHook('onReady', async () => {
      await listener.listen({ host: app.config.host, port: app.config.metricsPort });
      app.log.info(
        { port: app.config.metricsPort },
        'metrics listener (no key): bind it to a private network',
      );
    });
    app.addHook('onClose', async () => {
      await listener.close();
    });
  }
}

export default fp(metricsPlugin, { name: 'metrics', dependencies: ['queues', 'memory', 'auth'] });
