// The submission form's plumbing: urlencoded bodies, refusing cross-site posts, and turning what was
// typed into a check request.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { CheckRequest } from '../../../schemas/check.js';
import { HttpErrors } from '../../errors.js';

/** CheckRequest's own limit on `text`. */
export const MAX_INPUT_LENGTH = 20000;

/** @fastify/formbody is not a dependency: URLSearchParams does the job, in this scope only. */
export function addFormParser(scope: FastifyInstance): void {
  scope.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string' },
    (_req, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(body as string)));
    },
  );
}

/**
 * A browser keeps sending the Basic credentials it was given, so another site could make it post
 * this form (a cross-site request forgery): submissions are accepted only from firstseen's own pages.
 * Sec-Fetch-Site is the browser's own word for it; Origin is the fallback for older browsers. A
 * request with neither (curl, a script) is not a browser acting behind its user's back.
 */
export async function sameOriginOnly(request: FastifyRequest): Promise<void> {
  const site = request.headers['sec-fetch-site'];
  if (typeof site === 'string') {
    if (site !== 'same-origin' && site !== 'none')
      throw new HttpErrors.forbidden('Cross-site form submissions are refused');
    return;
  }
  const origin = request.headers.origin;
  if (typeof origin !== 'string') return;
  if (!sameHost(origin, request.headers.host))
    throw new HttpErrors.forbidden('Cross-site form submissions are refused');
}

/** `http://example.org` and Host `example.org:80` are the same place: both go through the URL parser. */
function sameHost(origin: string, host: string | undefined): boolean {
  try {
    const from = new URL(origin);
    return !!host && from.host === new URL(`${from.protocol}//${host}`).host;
  } catch {
    return false;
  }
}

/** One link alone is a `url` (kept whole, punctuation and all); anything else is `text` to find links in. */
export function checkRequestOf(input: string): CheckRequest {
  const value = input.trim();
  if (/^https?:\/\/\S+$/i.test(value)) return { url: value };
  return { text: value };
}
