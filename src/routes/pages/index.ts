// The HTML side of firstseen, for people in a browser: the form at `/`, a check's page at
// `/checks/:id`, and the same page at `/v1/checks/:id` when the browser asks for HTML. Browsers sign
// in with HTTP Basic (any user name, the API key as the password: src/plugins/auth.ts), so every
// 401 here names Basic and the browser asks for the key.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { CheckFormQuery, CheckParams } from '../../../schemas/check.js';
import { MediaItemParams } from '../../../schemas/views.js';
import type { ErrorResponse } from '../../../schemas/errors.js';
import type { Check } from '../../../schemas/check.js';
import type { Principal } from '../../services/api-keys.js';
import { keyframeThumbnails } from '../../views/video.js';
import { keptThumbnails } from '../../services/thumbnails.js';
import { renderCheckPage } from '../../views/check-page.js';
import { renderErrorPage } from '../../views/error-page.js';
import { PAGE_CSP } from '../../views/layout.js';
import { megabytes, renderSubmitPage } from '../../views/submit-page.js';
import forensicViewRoutes from '../forensic-views.js';
import mediaRoutes from '../media.js';
import {
  addFormParser,
  addMultipart,
  checkRequestOf,
  FileTooLarge,
  MAX_INPUT_LENGTH,
  readForm,
  sameOriginOnly,
} from './form.js';
import { HTML_ONLY, htmlConstraint } from './negotiate.js';

const HTML = 'text/html; charset=utf-8';
const BASIC_CHALLENGE = 'Basic realm="firstseen", charset="UTF-8"';

/** The one plugin src/app.ts registers: the pages and the thumbnails and views they show. */
export default async function pagesRoutes(app: FastifyInstance) {
  await app.register(mediaRoutes);
  await app.register(forensicViewRoutes);
  await app.register(htmlPages);
}

const htmlPages: FastifyPluginAsyncTypebox = async (app) => {
  if (!app.hasConstraintStrategy(htmlConstraint.name)) app.addConstraintStrategy(htmlConstraint);
  addFormParser(app);
  await addMultipart(app, app.config.fetch.maxBytes);
  const formPage = (value?: string, error?: string) =>
    renderSubmitPage({
      value,
      error,
      maxTargets: app.config.maxTargets,
      maxFileBytes: app.config.fetch.maxBytes,
    });

  // onSend, not onRequest: it also runs when the auth hook refused the key before any of ours ran.
  app.addHook('onSend', async (request, reply, payload) => {
    void reply
      .header('content-security-policy', PAGE_CSP)
      .header('x-content-type-options', 'nosniff')
      .header('x-frame-options', 'DENY')
      .header('referrer-policy', 'no-referrer')
      // Reports are one organization's: never in a shared cache, and a running check's page must reload.
      .header('cache-control', 'no-store');
    if (reply.statusCode === 401) void reply.header('www-authenticate', BASIC_CHALLENGE);
    return errorAsPage(reply, payload);
  });

  const hidden = { hide: true } as const;

  app.get(
    '/',
    {
      preHandler: app.requireScope('submit'),
      schema: {
        ...hidden,
        querystring: CheckFormQuery,
      },
    },
    async (request, reply) => {
      const { input } = request.query;
      return reply.type(HTML).send(formPage(input));
    },
  );

  app.post(
    '/',
    {
      // A file chosen on the form is an upload like the API's: it takes one of the process's upload slots.
      onRequest: [
        sameOriginOnly,
        async (request) => {
          if (request.isMultipart()) await app.uploadGate.onRequest(request);
        },
      ],
      onResponse: app.uploadGate.onResponse,
      onRequestAbort: app.uploadGate.onRequestAbort,
      preHandler: app.requireScope('submit'),
      schema: hidden,
    },
    async (request, reply) => {
      let input = '';
      const again = (error: string) => reply.code(400).type(HTML).send(formPage(input, error));
      let form;
      try {
        form = await readForm(request);
      } catch (err) {
        if (err instanceof FileTooLarge)
          return again(`That file is larger than ${megabytes(app.config.fetch.maxBytes)} MB.`);
        throw err;
      }
      input = form.input;
      if (form.file && input.trim())
        return again('Check a file or links, one at a time: clear the text box or the file.');
      if (!form.file && !input.trim())
        return again('Paste a link, or some text with links, or choose a file.');
      if (input.length > MAX_INPUT_LENGTH) return again(`That is more than ${MAX_INPUT_LENGTH} characters.`);
      try {
        const accepted = form.file
          ? await app.checks.submitUpload(
              form.file.bytes,
              { filename: form.file.filename, views: form.views },
              request.principal!,
            )
          : await app.checks.submit(checkRequestOf(input, form.views), request.principal!);
        request.log.info(
          { check_id: accepted.id, reused: accepted.reused, file: !!form.file },
          'check submitted from the form',
        );
        return reply.redirect(`/checks/${accepted.id}`, 303);
      } catch (err) {
        // The service's 400s (no link, not a URL, too many links) are the user's to fix, on the form.
        if ((err as { statusCode?: number }).statusCode === 400) return again((err as Error).message);
        throw err;
      }
    },
  );

  // The page's "Show ELA and noise views" button: a form post (the page runs no script), answered by a
  // redirect back to the item, whose page then says the views are being made (or shows them).
  app.post(
    '/checks/:id/media/:index/views',
    {
      onRequest: sameOriginOnly,
      preHandler: app.requireScope('submit'),
      schema: { ...hidden, params: MediaItemParams },
    },
    async (request, reply) => {
      const { id } = request.params;
      const index = Number(request.params.index);
      const asked = await app.checks.requestViews(id, index, request.principal!);
      request.log.info({ check_id: id, media: index, status: asked.status }, 'views asked from the page');
      return reply.redirect(`/checks/${id}#image-${index + 1}`, 303);
    },
  );

  const pageOptions = { preHandler: app.requireScope('read'), schema: { ...hidden, params: CheckParams } };
  const checkPage = async (id: string, principal: Principal) => {
    const check = await app.checks.get(id, principal);
    const thumbnails = await keptThumbnails(app.redis, app.config.keyPrefix, imagesOf(check));
    const viewsAsked = await app.checks.viewsAsked(id, principal);
    return renderCheckPage(check, { thumbnails, viewsAsked });
  };

  app.get('/checks/:id', pageOptions, async (request, reply) =>
    reply.type(HTML).send(await checkPage(request.params.id, request.principal!)),
  );
  // The JSON route answers the rest; caches must keep the two apart.
  app.get('/v1/checks/:id', { ...pageOptions, constraints: HTML_ONLY }, async (request, reply) => {
    void reply.header('vary', 'Accept');
    return reply.type(HTML).send(await checkPage(request.params.id, request.principal!));
  });
};

/** Every image a check's page may show: the checked ones and those they match. */
function imagesOf(check: Check): string[] {
  const out: string[] = [];
  for (const item of check.report?.media ?? []) {
    if (item.sha256) out.push(item.sha256);
    out.push(...keyframeThumbnails(item.video));
    for (const m of item.provenance?.matches ?? []) if (m.sha256) out.push(m.sha256);
  }
  return out;
}

/**
 * Errors are answered by the app's error handler (src/plugins/errors.ts) as JSON, with its codes and
 * logging; on these routes a person reads them, so the same answer becomes a page.
 */
function errorAsPage(reply: FastifyReply, payload: unknown): unknown {
  const type = String(reply.getHeader('content-type') ?? '');
  if (reply.statusCode < 400 || !type.startsWith('application/json') || typeof payload !== 'string')
    return payload;
  let body: Partial<ErrorResponse>;
  try {
    body = JSON.parse(payload) as Partial<ErrorResponse>;
  } catch {
    return payload;
  }
  void reply.type(HTML);
  return renderErrorPage({
    status: reply.statusCode,
    code: body.code ?? 'error',
    message: body.message ?? 'Something went wrong',
    ...(body.request_id && { requestId: body.request_id }),
  });
}
