import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  Check,
  CheckAccepted,
  CheckParams,
  CheckRequest,
  CheckUploadQuery,
  IdempotencyHeaders,
} from '../../../schemas/check.js';
import { ErrorResponse } from '../../../schemas/errors.js';
import { ref } from '../../../schemas/ref.js';
import { NoContent } from '../../../schemas/responses.js';
import { Report } from '../../../schemas/report.js';
import { Watch } from '../../../schemas/watch.js';
import { HttpErrors } from '../../errors.js';
import { AUTH_ERRORS, SECURITY } from '../security.js';

const checkRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/v1/checks',
    {
      preHandler: app.requireScope('submit'),
      schema: {
        tags: ['checks'],
        summary: 'Submit a URL, or text containing links, for a provenance check',
        operationId: 'createCheck',
        security: SECURITY,
        headers: IdempotencyHeaders,
        body: ref(CheckRequest),
        response: {
          200: ref(CheckAccepted),
          202: ref(CheckAccepted),
          400: ref(ErrorResponse),
          503: ref(ErrorResponse),
        },
      },
    },
    async (request, reply) => {
      const key = request.headers['idempotency-key'];
      const accepted = await app.checks.submit(request.body, request.principal!, key);
      request.log.info({ check_id: accepted.id, reused: accepted.reused }, 'check submitted');
      return reply
        .code(accepted.reused ? 200 : 202)
        .header('location', accepted.links.self)
        .send(accepted);
    },
  );

  // Files: the raw body is the image (any image/* or video/* type, or octet-stream), up to FETCH_MAX_BYTES.
  const uploads: FastifyPluginAsyncTypebox = async (raw) => {
    raw.addContentTypeParser(
      /^(image|video)\/|^application\/octet-stream/,
      { parseAs: 'buffer', bodyLimit: app.config.fetch.maxBytes },
      (_request, body, done) => done(null, body),
    );
    raw.post(
      '/v1/checks/upload',
      {
        ...app.uploadGate,
        preHandler: app.requireScope('submit'),
        schema: {
          tags: ['checks'],
          summary: 'Submit a file (the raw request body) for a provenance check',
          operationId: 'uploadCheck',
          security: SECURITY,
          headers: IdempotencyHeaders,
          querystring: CheckUploadQuery,
          response: {
            202: ref(CheckAccepted),
            200: ref(CheckAccepted),
            ...AUTH_ERRORS,
            400: ref(ErrorResponse),
            415: ref(ErrorResponse),
            503: ref(ErrorResponse),
          },
        },
      },
      async (request, reply) => {
        if (!Buffer.isBuffer(request.body)) {
          throw new HttpErrors.unsupported_media_type(
            'Send the file as the raw body with an image/* or video/* Content-Type',
          );
        }
        const q = request.query;
        const key = request.headers['idempotency-key'];
        const accepted = await app.checks.submitUpload(
          request.body,
          { filename: q.filename, callbackUrl: q.callback_url, views: q.views === 'true' },
          request.principal!,
          key,
        );
        request.log.info({ check_id: accepted.id, bytes: request.body.length }, 'file submitted');
        return reply
          .code(accepted.reused ? 200 : 202)
          .header('location', accepted.links.self)
          .send(accepted);
      },
    );
  };
  await app.register(uploads);

  app.get(
    '/v1/checks/:id',
    {
      preHandler: app.requireScope('read'),
      schema: {
        tags: ['checks'],
        summary: 'Status of a check, with its report when done',
        operationId: 'getCheck',
        security: SECURITY,
        params: CheckParams,
        response: { 200: ref(Check), ...AUTH_ERRORS, 404: ref(ErrorResponse), 503: ref(ErrorResponse) },
      },
    },
    async (request, reply) => {
      // Browsers get the HTML page from src/routes/pages/ for the same URL: caches must keep them apart.
      void reply.header('vary', 'Accept');
      return app.checks.get(request.params.id, request.principal!);
    },
  );

  app.get(
    '/v1/checks/:id/report',
    {
      preHandler: app.requireScope('read'),
      schema: {
        tags: ['checks'],
        summary: 'The report of a finished check',
        operationId: 'getCheckReport',
        security: SECURITY,
        params: CheckParams,
        response: { 200: ref(Report), ...AUTH_ERRORS, 404: ref(ErrorResponse), 503: ref(ErrorResponse) },
      },
    },
    async (request) => {
      const check = await app.checks.get(request.params.id, request.principal!);
      if (!check.report)
        throw new HttpErrors.not_found(`Check ${check.id} is ${check.status}: no report yet`);
      return check.report;
    },
  );

  app.post(
    '/v1/checks/:id/watch',
    {
      preHandler: app.requireScope('submit'),
      schema: {
        tags: ['checks'],
        summary:
          'Watch the check’s posts: resolved again every WATCH_INTERVAL_SECONDS for WATCH_PERIOD_SECONDS',
        operationId: 'watchCheck',
        description:
          'A post deleted, made private, or whose text or media changed raises `post.changed` once and an entry in the check’s `watch.changes`. Watching a watched check starts its period again.',
        security: SECURITY,
        params: CheckParams,
        response: {
          200: ref(Watch),
          ...AUTH_ERRORS,
          404: ref(ErrorResponse),
          409: ref(ErrorResponse),
          503: ref(ErrorResponse),
        },
      },
    },
    async (request) => {
      const { id } = request.params;
      const watch = await app.checks.watch(id, request.principal!);
      request.log.info({ check_id: id, until: watch.until }, 'check watched');
      return watch;
    },
  );

  app.delete(
    '/v1/checks/:id/watch',
    {
      preHandler: app.requireScope('submit'),
      schema: {
        tags: ['checks'],
        summary: 'Stop watching the check’s posts (the changes found stay on the check)',
        operationId: 'unwatchCheck',
        security: SECURITY,
        params: CheckParams,
        response: { 204: NoContent, ...AUTH_ERRORS, 404: ref(ErrorResponse), 503: ref(ErrorResponse) },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      await app.checks.unwatch(id, request.principal!);
      request.log.info({ check_id: id }, 'check unwatched');
      return reply.code(204).send();
    },
  );
};

export default checkRoutes;
