import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { ErrorResponse } from '../../schemas/errors.js';
import { ref } from '../../schemas/ref.js';

const Health = Type.Object({ status: Type.Literal('ok') }, { additionalProperties: false });

export default async function healthRoutes(app: FastifyInstance) {
  app.get(
    '/healthz',
    { schema: { tags: ['ops'], summary: 'The process is up', response: { 200: Health } } },
    async () => ({ status: 'ok' as const }),
  );
  app.get(
    '/readyz',
    {
      schema: { tags: ['ops'], summary: 'Redis answers', response: { 200: Health, 503: ref(ErrorResponse) } },
    },
    async () => {
      await app.redis.ping();
      return { status: 'ok' as const };
    },
  );
}
