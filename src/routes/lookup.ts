import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { LookupRequest, LookupResult } from '../../schemas/banks.js';
import { ErrorResponse } from '../../schemas/errors.js';
import { ref } from '../../schemas/ref.js';
import { AUTH_ERRORS, SECURITY } from './security.js';

const lookupRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/v1/lookup',
    {
      preHandler: app.requireScope('read'),
      schema: {
        tags: ['checks'],
        summary: 'Match a hash you computed yourself against everything seen and your banks, synchronously',
        operationId: 'lookupHash',
        security: SECURITY,
        body: ref(LookupRequest),
        response: { 200: ref(LookupResult), ...AUTH_ERRORS, 400: ref(ErrorResponse) },
      },
    },
    async (request) => ({ matches: await app.memory.lookup(request.principal!.org, request.body) }),
  );
};

export default lookupRoutes;
