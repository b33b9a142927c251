// What every route declares in its schema: the two ways to present a key, and the
// error answers that come with authentication and rate limiting.
import type { FastifyReply } from 'fastify';
import { ErrorResponse } from '../../schemas/errors.js';
import { ref } from '../../schemas/ref.js';

export const SECURITY: Array<Record<string, string[]>> = [{ bearer: [] }, { apiKey: [] }];

export const AUTH_ERRORS = { 401: ref(ErrorResponse), 403: ref(ErrorResponse), 429: ref(ErrorResponse) };

/**
 * Routes that need no key (the probes): an empty list says so in OpenAPI. A key that is presented is
 * still checked by the auth hook (src/plugins/auth.ts), so these routes too may answer 401.
 */
export const NO_AUTH: Array<Record<string, string[]>> = [];

/**
 * onSend hook for pictures a report page loads (thumbnails, forensic views): a browser fetches them with
 * the credentials it signed in with, and a 401 that names Basic lets it send them again when the path is
 * outside the space it signed in to. onSend: it also runs when the auth hook refused the key before the
 * route's own hooks.
 */
export async function basicChallengeOn401(
  _request: unknown,
  reply: { statusCode: number; header(name: string, value: string): unknown },
  payload: unknown,
): Promise<unknown> {
  if (reply.statusCode === 401) reply.header('www-authenticate', 'Basic realm="firstseen", charset="UTF-8"');
  return payload;
}

/**
 * Sends a stored picture that never changes under its URL (a thumbnail, a forensic view): behind a key,
 * so `private` (never in a shared cache); `immutable`, with `etag` for revalidation; and never read as
 * anything but an image.
 */
export function sendStoredImage(
  request: { headers: Record<string, unknown> },
  reply: FastifyReply,
  etag: string,
  mime: string,
  bytes: Buffer,
): FastifyReply {
  void reply
    .header('etag', etag)
    .header('cache-control', 'private, max-age=604800, immutable')
    .header('x-content-type-options', 'nosniff')
    .header('content-security-policy', "default-src 'none'");
  if (request.headers['if-none-match'] === etag) return reply.code(304).send();
  return reply.type(mime).send(bytes);
}
