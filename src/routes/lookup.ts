import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { LookupRequest } from '../../schemas/banks.js';
import { ErrorResponse } from '../../schemas/errors.js';
import { Match } from '../../schemas/provenance.js';
import { ref } from '../../schemas/ref.js';
import { AUTH_ERRORS, SECURITY } from './security.js';

const LookupResult = Type.Object({ matches: Type.Array(ref(Match)) }, { additionalProperties: false });

export default async function lookupRoutes(app: FastifyInstance) {
  app.post(
    '/v1/lookup',
    {
      preHandler: app.requireScope('read'),
      schema: {
        tags: ['checks'],
        summary: 'Match a hash you computed yourself against everything seen and your banks, synchronously',
        security: SECURITY,
        body: ref(LookupRequest),
        response: { 200: LookupResult, ...AUTH_ERRORS, 400: ref(ErrorResponse) },
      },
    },
    async (request) => ({
      matches: await app.memory.lookup(request.principal!.org, request.body as LookupRequest),
    }),
  );
}
