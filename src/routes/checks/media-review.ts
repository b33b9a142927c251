// GET /v1/checks/:id/mediareview: a schema.org MediaReview draft per media item of a finished check
// (src/schema-org/media-review.ts), as JSON-LD, to the check's organization only: another
// organization's check is a 404, like every other check resource.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { CheckParams } from '../../../schemas/check.js';
import { ErrorResponse } from '../../../schemas/errors.js';
import { MEDIA_REVIEW_MIME, MediaReviewDraft } from '../../../schemas/media-review.js';
import { ref } from '../../../schemas/ref.js';
import { HttpErrors } from '../../errors.js';
import { mediaReviewDraft } from '../../schema-org/media-review.js';
import { AUTH_ERRORS, SECURITY } from '../security.js';

const mediaReviewRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/v1/checks/:id/mediareview',
    {
      preHandler: app.requireScope('read'),
      schema: {
        tags: ['checks'],
        summary: 'A schema.org MediaReview draft (JSON-LD) per media item, for the fact-checker to complete',
        operationId: 'getCheckMediaReview',
        security: SECURITY,
        params: CheckParams,
        response: {
          200: {
            description:
              'JSON-LD: one MediaReview per media item analyzed, with the file (contentUrl, sha256), when it was first seen online (uploadDate) and where (originalMediaLink). The rating fields are left for the fact-checker.',
            content: { [MEDIA_REVIEW_MIME]: { schema: ref(MediaReviewDraft) } },
          },
          ...AUTH_ERRORS,
          404: ref(ErrorResponse),
          503: ref(ErrorResponse),
        },
      },
    },
    async (request, reply) => {
      // Throws not_found for a check of another organization.
      const check = await app.checks.get(request.params.id, request.principal!);
      if (!check.report)
        throw new HttpErrors.not_found(`Check ${check.id} is ${check.status}: no report yet`);
      return reply.type(MEDIA_REVIEW_MIME).send(mediaReviewDraft(check.report));
    },
  );
};

export default mediaReviewRoutes;
