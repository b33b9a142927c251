// The process's analysis thread pool (src/pipeline/analyze/pool.ts) for the API: bank entries given as
// images are hashed there, the feature index's geometric checks run there, and with ROLE=all the workers
// in this process use the same pool. Null when ANALYZE_IN_THREADS is false. Closed after the workers (a
// later plugin, closed first), so running checks finish their analyses.
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { createAnalysisPool, type AnalysisPool } from '../pipeline/analyze/pool.js';

declare module 'fastify' {
  interface FastifyInstance {
    analysis: AnalysisPool | null;
  }
}

async function analysisPlugin(app: FastifyInstance) {
  const { threads, maxQueue, timeoutMs, nice, initialHeapMb } = app.config.analysis;
  const pool =
    threads === null
      ? null
      : // The API alone only hashes the odd bank entry: its threads need not stay.
        createAnalysisPool({
          threads,
          maxQueue,
          timeoutMs,
          nice,
          initialHeapMb,
          keepAlive: app.config.role === 'all',
        });
  app.decorate('analysis', pool);
  app.addHook('onClose', async () => {
    await pool?.close();
  });
}

export default fp(analysisPlugin, { name: 'analysis' });
