// GET /v1/media/:sha256/thumbnail: the small thumbnail kept of an image seen (src/services/thumbnails.ts).
//
// Who may read it: any key with the `read` scope, whatever its organization. The images are the
// public ones people asked about; the sha256 that names one is shown only to those who checked that
// file or a copy of the same picture (a match), who already hold the picture. Uploaded files are the
// exception to "public": their thumbnail is still reachable only through their sha256, i.e. by whoever
// has the file or a near-identical copy. A per-organization rule would need an index of which
// organizations saw each sha256, which the data model does not keep.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ErrorResponse } from '../../schemas/errors.js';
import { MediaParams } from '../../schemas/media.js';
import { ref } from '../../schemas/ref.js';
import { BinaryBody, NotModified } from '../../schemas/responses.js';
import { HttpErrors } from '../errors.js';
import { loadThumbnail, THUMBNAIL_MIME } from '../services/thumbnails.js';
import { AUTH_ERRORS, basicChallengeOn401, SECURITY, sendStoredImage } from './security.js';

const mediaRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/v1/media/:sha256/thumbnail',
    {
      onSend: basicChallengeOn401,
      preHandler: app.requireScope('read'),
      schema: {
        tags: ['checks'],
        summary: 'Thumbnail of an image seen (WebP, at most 320 px), for report pages',
        operationId: 'getMediaThumbnail',
        security: SECURITY,
        params: MediaParams,
        response: {
          200: {
            description: 'The thumbnail. Immutable: the same sha256 always has the same picture.',
            content: { [THUMBNAIL_MIME]: { schema: BinaryBody } },
          },
          304: NotModified,
          ...AUTH_ERRORS,
          404: ref(ErrorResponse),
          503: ref(ErrorResponse),
        },
      },
    },
    async (request, reply) => {
      const { sha256 } = request.params;
      const thumbnail = await loadThumbnail(app.redis, app.config.keyPrefix, sha256);
      if (!thumbnail) throw new HttpErrors.not_found(`No thumbnail kept for ${sha256}`);
      return sendStoredImage(request, reply, `"${sha256}"`, THUMBNAIL_MIME, thumbnail);
    },
  );
};

export default mediaRoutes;
