// Fact-checks over HTTP: validation and answers only (src/services/fact-checks.ts, `app.factChecks`).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { IdempotencyHeaders } from '../../../schemas/check.js';
import { ErrorResponse } from '../../../schemas/errors.js';
import { FactCheckAccepted, FactCheckRequest } from '../../../schemas/fact-check-submission.js';
import { ref } from '../../../schemas/ref.js';
import { AUTH_ERRORS, SECURITY } from '../security.js';

const factCheckRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/v1/fact-checks',
    {
      preHandler: app.requireScope('submit'),
      schema: {
        tags: ['banks'],
        summary: 'Add a published fact-check: its ClaimReview is read and its pictures remembered',
        operationId: 'addFactCheck',
        security: SECURITY,
        headers: IdempotencyHeaders,
        body: ref(FactCheckRequest),
        response: {
          200: ref(FactCheckAccepted),
          202: ref(FactCheckAccepted),
          ...AUTH_ERRORS,
          400: ref(ErrorResponse),
          404: ref(ErrorResponse),
          503: ref(ErrorResponse),
        },
      },
    },
    async (request, reply) => {
      const key = request.headers['idempotency-key'];
      const accepted = await app.factChecks.submit(request.principal!, request.body, key);
      request.log.info({ check_id: accepted.id, bank_id: accepted.bank_id }, 'fact-check submitted');
      return reply
        .code(accepted.reused ? 200 : 202)
        .header('location', accepted.links.self)
        .send(accepted);
    },
  );
};

export default factCheckRoutes;
