// The submission form's plumbing: urlencoded and multipart bodies (a file chosen on the form), refusing
// cross-site posts, and turning what was typed into a check request.
import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { TEXT_MAX_LENGTH, type CheckRequest } from '../../../schemas/check.js';
import { HttpErrors } from '../../errors.js';

/** CheckRequest's own limit on `text`. */
export const MAX_INPUT_LENGTH = TEXT_MAX_LENGTH;

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
 * Multipart bodies, in this scope only: one file of at most `maxFileBytes` and the one text field. The
 * API's own upload route takes the raw body instead; browsers can only send a file as multipart.
 */
export async function addMultipart(scope: FastifyInstance, maxFileBytes: number): Promise<void> {
  await scope.register(multipart, {
    limits: { files: 1, fileSize: maxFileBytes, fields: 4, fieldSize: MAX_INPUT_LENGTH * 4, parts: 6 },
  });
}

/** What the form sent: the typed text, and the chosen file if any (a browser sends an empty one if not). */
export interface FormInput {
  input: string;
  file: { bytes: Buffer; filename: string } | null;
  /** The form's views box was ticked (VIEWS_BOX_LABEL; the API's `views: true`). */
  views: boolean;
}

/** A ticked checkbox sends its value; an unticked one sends nothing. */
const ticked = (value: unknown) => value === 'true';

/** The file that did not fit: the form comes back saying so. */
export class FileTooLarge extends Error {}

export async function readForm(request: FastifyRequest): Promise<FormInput> {
  if (!request.isMultipart()) {
    // The urlencoded parser above gives an object of strings; the route has no body schema (a multipart
    // body is read from the stream instead), so its shape is checked here.
    const body: unknown = request.body;
    const fields = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
    const input = fields.input;
    return { input: typeof input === 'string' ? input : '', file: null, views: ticked(fields.views) };
  }
  const out: FormInput = { input: '', file: null, views: false };
  try {
    for await (const part of request.parts()) {
      if (part.type === 'file') {
        const bytes = await part.toBuffer();
        if (part.fieldname === 'file' && bytes.length > 0) out.file = { bytes, filename: part.filename };
      } else if (part.fieldname === 'input' && typeof part.value === 'string') {
        out.input = part.value;
      } else if (part.fieldname === 'views') {
        out.views = ticked(part.value);
      }
    }
  } catch (err) {
    if ((err as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE') throw new FileTooLarge();
    throw err;
  }
  return out;
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
export function checkRequestOf(input: string, views = false): CheckRequest {
  const value = input.trim();
  const options = views ? { views: true } : {};
  if (/^https?:\/\/\S+$/i.test(value)) return { url: value, ...options };
  return { text: value, ...options };
}
