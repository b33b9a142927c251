import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ErrorResponse } from '../../schemas/errors.js';
import { Health, Ready } from '../../schemas/health.js';
import { ref } from '../../schemas/ref.js';
import { HttpErrors } from '../errors.js';
import { keys } from '../keys.js';
import { HEARTBEAT_TTL_MS } from '../worker-heartbeat.js';
import { NO_AUTH } from './security.js';

const healthRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const k = keys(app.config.keyPrefix);
  app.get(
    '/healthz',
    {
      config: { rateLimit: false },
      schema: {
        tags: ['ops'],
        summary: 'The process is up',
        operationId: 'getHealth',
        security: NO_AUTH,
        response: { 200: ref(Health), 401: ref(ErrorResponse) },
      },
    },
    async () => ({ status: 'ok' as const }),
  );
  app.get(
    '/readyz',
    {
      config: { rateLimit: false },
      schema: {
        tags: ['ops'],
        summary: 'Redis answers and at least one worker is heartbeating',
        operationId: 'getReadiness',
        security: NO_AUTH,
        response: { 200: ref(Ready), 401: ref(ErrorResponse), 503: ref(ErrorResponse) },
      },
    },
    async () => {
      await app.redis.ping();
      const workers = await app.redis.zcount(k.workers(), Date.now() - HEARTBEAT_TTL_MS, '+inf');
      if (workers === 0) throw new HttpErrors.not_ready('No worker has sent a heartbeat recently');
      return { status: 'ok' as const, redis: 'ok' as const, workers };
    },
  );
};

export default healthRoutes;
