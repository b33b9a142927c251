// Why a post could not be resolved. Resolvers throw ResolveError (or let the fetcher's MediaError
// through); the dispatcher turns either into an `error` resolution with a stable code, so nothing
// escapes resolveTarget as an exception.
import type { MediaErrorCode } from '../../errors.js';

/** Codes only post resolution produces (the fetch codes of MEDIA_ERROR_CODES can occur too). */
export const RESOLVE_ERROR_CODES = {
  post_not_found: 'The platform says the post does not exist (never did, or was deleted without a trace)',
  post_deleted: 'The post was deleted or withheld; the platform shows a tombstone in its place',
  post_protected: 'The post is not public: a protected account, a private channel or community',
  post_age_restricted: 'The platform shows the post only to signed-in adults',
  rate_limited: 'The platform kept answering 429 Too Many Requests; try again later',
  unsupported_url: 'A link to a platform we resolve, but not to a post (a profile, a search, an invite)',
  resolver_failed: 'The platform answered in a shape we could not read, or every source failed',
} as const;

export type ResolveOnlyCode = keyof typeof RESOLVE_ERROR_CODES;
export type ResolveErrorCode = ResolveOnlyCode | MediaErrorCode;

export class ResolveError extends Error {
  readonly code: ResolveOnlyCode;
  readonly httpStatus: number | undefined;
  constructor(code: ResolveOnlyCode, message?: string, options?: { httpStatus?: number; cause?: unknown }) {
    super(message ?? RESOLVE_ERROR_CODES[code], options);
    this.name = 'ResolveError';
    this.code = code;
    this.httpStatus = options?.httpStatus;
  }
}

/** An answer that settles the question: asking another source would not change it. */
export function isDefinite(err: unknown): boolean {
  return (
    err instanceof ResolveError &&
    (err.code === 'post_not_found' || err.code === 'post_deleted' || err.code === 'post_protected')
  );
}
