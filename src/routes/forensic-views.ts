// GET /v1/checks/:id/media/:index/views/:kind: a forensic view (error levels or noise) of a checked image
// (src/pipeline/analyze/views.ts), for its report page. Unlike thumbnails, views are served through the
// check that asked for them, so only to that check's organization: another organization's check is a
// 404, like every other check resource. They are stored once per sha256 (src/services/thumbnails.ts).
// POST /v1/checks/:id/media/:index/views asks for them after the check (src/services/checks.ts).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ErrorResponse } from '../../schemas/errors.js';
import { ref } from '../../schemas/ref.js';
import { BinaryBody, NotModified } from '../../schemas/responses.js';
import { ForensicViewParams, MediaItemParams, ViewsRequested } from '../../schemas/views.js';
import { HttpErrors } from '../errors.js';
import { FORENSIC_VIEW_MIME, loadForensicView } from '../services/thumbnails.js';
import { AUTH_ERRORS, basicChallengeOn401, SECURITY, sendStoredImage } from './security.js';

const forensicViewRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/v1/checks/:id/media/:index/views/:kind',
    {
      onSend: basicChallengeOn401,
      preHandler: app.requireScope('read'),
      schema: {
        tags: ['checks'],
        summary: 'A forensic view (error levels or noise, WebP) of a checked image, for report pages',
        operationId: 'getMediaForensicView',
        description:
          'Listed in the media item’s `views` when the check made them (FORENSIC_VIEWS). To the check’s organization only.',
        security: SECURITY,
        params: ForensicViewParams,
        response: {
          200: {
            description: 'The view. Immutable: the same check and item always have the same picture.',
            content: { [FORENSIC_VIEW_MIME]: { schema: BinaryBody } },
          },
          304: NotModified,
          ...AUTH_ERRORS,
          404: ref(ErrorResponse),
          503: ref(ErrorResponse),
        },
      },
    },
    async (request, reply) => {
      const { id, kind } = request.params;
      const index = Number(request.params.index);
      // Throws not_found for a check of another organization, before anything else is looked at.
      const check = await app.checks.get(id, request.principal!);
      const item = check.report?.media[index];
      const sha256 = item?.sha256;
      if (!sha256 || !item.views?.[kind]) {
        throw new HttpErrors.not_found(`Check ${check.id} has no ${kind} view of item ${index}`);
      }
      const view = await loadForensicView(app.redis, app.config.keyPrefix, kind, sha256);
      if (!view) throw new HttpErrors.not_found(`The ${kind} view of item ${index} is no longer kept`);
      return sendStoredImage(request, reply, `"${kind}-${sha256}"`, FORENSIC_VIEW_MIME, view);
    },
  );

  app.post(
    '/v1/checks/:id/media/:index/views',
    {
      preHandler: app.requireScope('submit'),
      schema: {
        tags: ['checks'],
        summary: 'Ask for the forensic views (error levels, noise) of a checked image',
        operationId: 'requestMediaForensicViews',
        description:
          'For deployments that do not make them for every check (FORENSIC_VIEWS=false): the views of one media item of a done check. 200 when they are in the report now (views of the same file are never made twice), 202 while they are made: they appear in the item’s `views`. A URL is downloaded again and used only if it still serves the same file (else `views.skipped`: `not_fetched` or `file_changed`, which may be asked again); an uploaded file is gone once its check is done, so it is read back from the check’s own evidence archive (ARCHIVE_ENABLED) and used if its sha256 matches; without an archive that holds it, 410 `upload_gone`. To the check’s organization only.',
        security: SECURITY,
        params: MediaItemParams,
        response: {
          200: ref(ViewsRequested),
          202: ref(ViewsRequested),
          ...AUTH_ERRORS,
          404: ref(ErrorResponse),
          409: ref(ErrorResponse),
          410: ref(ErrorResponse),
          503: ref(ErrorResponse),
        },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const asked = await app.checks.requestViews(id, Number(request.params.index), request.principal!);
      request.log.info({ check_id: id, media: request.params.index, status: asked.status }, 'views asked');
      return reply.code(asked.status === 'queued' ? 202 : 200).send(asked);
    },
  );
};

export default forensicViewRoutes;
