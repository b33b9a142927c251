// One shape for every error answer (schemas/errors.ts) with a stable `code`. 5xx bodies hide
// internals and carry the request id, which is in the logs next to the real cause.
import type { FastifyError, FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { ErrorResponse } from '../../schemas/errors.js';
import { HttpErrors } from '../errors.js';

// Fastify's own client errors, renamed to codes of ours so clients see one vocabulary.
const FASTIFY_CODES: Record<string, string> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_BODY_TOO_LARGE: 'body_too_large',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid_json',
};

const KNOWN = new Set(Object.keys(HttpErrors));

/**
 * ioredis errors that mean "the store cannot be reached right now": one Redis down, or, on a cluster
 * or behind Sentinels, a primary lost and its replica not promoted yet (the cluster refuses commands,
 * ioredis gives up redirecting, the old primary is read-only, an AOF is being loaded).
 */
export function isRedisDown(err: unknown): boolean {
  const e = err as { name?: string; message?: string; code?: string };
  return (
    ['MaxRetriesPerRequestError', 'ClusterAllFailedError'].includes(e?.name ?? '') ||
    ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE'].includes(e?.code ?? '') ||
    /enableOfflineQueue|Connection is closed|Stream isn't writeable|^(CLUSTERDOWN|TRYAGAIN|READONLY|LOADING|MASTERDOWN) |Too many Cluster redirections|None of startup nodes is available|All sentinels are unreachable/i.test(
      e?.message ?? '',
    )
  );
}

const reason = (status: number) =>
  ({
    400: 'Bad Request',
    404: 'Not Found',
    413: 'Payload Too Large',
    415: 'Unsupported Media Type',
    429: 'Too Many Requests',
    503: 'Service Unavailable',
  })[status] ?? (status >= 500 ? 'Internal Server Error' : 'Error');

async function errorsPlugin(app: FastifyInstance) {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    let body: ErrorResponse;
    // @fastify/error upper-cases codes; ours are documented in lower case.
    const own =
      typeof err.code === 'string' && KNOWN.has(err.code.toLowerCase()) ? err.code.toLowerCase() : null;
    if (err.validation) {
      body = {
        statusCode: 400,
        code: 'invalid_request',
        error: reason(400),
        message: err.message,
        details: err.validation.map((v) => ({
          path: v.instancePath || '/',
          message: v.message ?? 'invalid',
        })),
      };
    } else if (isRedisDown(err)) {
      request.log.warn({ err: err.message }, 'redis unavailable');
      body = {
        statusCode: 503,
        code: 'redis_unavailable',
        error: reason(503),
        message: new HttpErrors.redis_unavailable().message,
      };
    } else if (err.statusCode && (own || (err.statusCode < 500 && FASTIFY_CODES[err.code]))) {
      // Our own codes keep their status, 5xx included (overloaded, not_ready): they are expected states.
      body = {
        statusCode: err.statusCode,
        code: own ?? FASTIFY_CODES[err.code] ?? 'invalid_request',
        error: reason(err.statusCode),
        message: err.message,
      };
    } else if (err.statusCode && err.statusCode < 500) {
      body = {
        statusCode: err.statusCode,
        code: 'invalid_request',
        error: reason(err.statusCode),
        message: err.message,
      };
    } else {
      request.log.error({ err }, 'unhandled error');
      body = { statusCode: 500, code: 'internal_error', error: reason(500), message: 'Internal error' };
    }
    if (body.statusCode >= 500) body.request_id = request.id;
    if (body.statusCode === 503) void reply.header('retry-after', '5');
    return reply.code(body.statusCode).send(body);
  });

  app.setNotFoundHandler((request, reply) => {
    const body: ErrorResponse = {
      statusCode: 404,
      code: 'not_found',
      error: reason(404),
      message: `No route ${request.method} ${request.url.split('?')[0] ?? ''}`,
    };
    return reply.code(404).send(body);
  });
}

export default fp(errorsPlugin, { name: 'errors' });
