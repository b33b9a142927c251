// GET /v1/checks/:id/archive.wacz: the evidence archive of a check (src/archive/), to the check's
// organization only: another organization's check is a 404, like every other check resource.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { CheckParams } from '../../schemas/check.js';
import { ErrorResponse } from '../../schemas/errors.js';
import { ref } from '../../schemas/ref.js';
import { BinaryBody } from '../../schemas/responses.js';
import { WACZ_MIME } from '../archive/wacz.js';
import { HttpErrors } from '../errors.js';
import { AUTH_ERRORS, SECURITY } from './security.js';

const archiveRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/v1/checks/:id/archive.wacz',
    {
      preHandler: app.requireScope('read'),
      schema: {
        tags: ['checks'],
        summary: 'The evidence archive of a finished check (WACZ: every exchange it made, as fetched)',
        operationId: 'getCheckArchive',
        security: SECURITY,
        params: CheckParams,
        response: {
          200: {
            description:
              'A WACZ 1.1.1 file: open it in a web archive replay tool (e.g. ReplayWeb.page). Its datapackage.json lists every file with its sha256; datapackage-digest.json holds the trusted timestamp, when one was made.',
            content: { [WACZ_MIME]: { schema: BinaryBody } },
          },
          ...AUTH_ERRORS,
          404: ref(ErrorResponse),
          503: ref(ErrorResponse),
        },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      // Throws not_found for a check of another organization, before the store is asked.
      const check = await app.checks.get(id, request.principal!);
      const archive = app.archives ? await app.archives.get(request.principal!.org, check.id) : null;
      if (!archive) throw new HttpErrors.not_found(`No archive of check ${check.id}`);
      return reply
        .type(WACZ_MIME)
        .header('content-length', archive.bytes)
        .header('content-disposition', `attachment; filename="${check.id}.wacz"`)
        .header('cache-control', 'private, no-store')
        .header('x-content-type-options', 'nosniff')
        .send(archive.stream);
    },
  );
};

export default archiveRoutes;
