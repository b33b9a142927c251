import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { LookupRequest, LookupResult } from '../../schemas/banks.js';
import { ErrorResponse } from '../../schemas/errors.js';
import { ref } from '../../schemas/ref.js';
import { HttpErrors } from '../errors.js';
import { createMatcher } from '../pipeline/match.js';
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
    async (request) => {
      const body = request.body;
      if (!body.pdq && !body.phash) throw new HttpErrors.invalid_request('Give a pdq or a phash');
      // The same choice the matcher makes: PDQ unless its quality is too low to trust, then pHash.
      const { pdqMaxDistance, phashMaxDistance, minPdqQuality } = app.config.matching;
      const byPdq = !!body.pdq && (body.quality === undefined || body.quality >= minPdqQuality);
      const cap = byPdq ? pdqMaxDistance : phashMaxDistance;
      if (body.max_distance !== undefined && body.max_distance > cap)
        throw new HttpErrors.invalid_request(
          `max_distance may be at most ${cap} (${byPdq ? 'PDQ_MATCH_DISTANCE' : 'PHASH_MATCH_DISTANCE'})`,
        );
      const matcher = createMatcher({
        index: app.hashIndex,
        media: app.media,
        banks: app.bankStore,
        checkId: '',
        org: request.principal!.org,
        thresholds: app.config.matching,
      });
      const matches = await matcher.lookup({
        pdq: body.pdq ? [body.pdq.toLowerCase()] : undefined,
        quality: body.quality,
        phash: body.phash?.toLowerCase(),
        maxDistance: body.max_distance,
      });
      return { matches: matches.slice(0, body.limit ?? matches.length) };
    },
  );
};

export default lookupRoutes;
