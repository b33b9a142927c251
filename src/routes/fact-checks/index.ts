// Fact-checks over HTTP: validation and answers only (src/services/fact-checks.ts, `app.factChecks`).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { IdempotencyHeaders } from '../../../schemas/check.js';
import { ErrorResponse } from '../../../schemas/errors.js';
import {
  FactCheckAccepted,
  FactCheckImportQuery,
  FactCheckImportResult,
  FactCheckRequest,
} from '../../../schemas/fact-check-submission.js';
import { ref } from '../../../schemas/ref.js';
import { AUTH_ERRORS, SECURITY } from '../security.js';

/** One import request at most, as for hash lists: Fastify gathers a body in one go (see src/routes/banks). */
const FEED_MAX_BYTES = 8 * 1024 * 1024;

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

  // A feed as sent: JSON up to 8 MiB (a bigger feed goes in chunks, each answered with progress), read
  // by the service, which takes nothing of it on trust.
  const feeds: FastifyPluginAsyncTypebox = async (scope) => {
    scope.post(
      '/v1/fact-checks/import',
      {
        bodyLimit: FEED_MAX_BYTES,
        preHandler: app.requireScope('submit'),
        schema: {
          tags: ['banks'],
          summary: 'Import a ClaimReview data feed (or a chunk of one) into a fact-check bank',
          operationId: 'importFactChecks',
          security: SECURITY,
          querystring: FactCheckImportQuery,
          response: {
            200: ref(FactCheckImportResult),
            ...AUTH_ERRORS,
            400: ref(ErrorResponse),
            404: ref(ErrorResponse),
            413: ref(ErrorResponse),
          },
        },
      },
      async (request) => app.factChecks.importFeed(request.principal!, request.body, request.query.bank_id),
    );
  };
  await app.register(feeds);
};

export default factCheckRoutes;
