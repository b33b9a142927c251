// Why a post could not be resolved. Resolvers throw ResolveError (or let the fetcher's MediaError
// through); the dispatcher turns either into an `error` resolution with a stable code, so nothing
// escapes resolveTarget as an exception.
import type { MediaErrorCode } from '../../errors.js';

export { RESOLVE_ERROR_CODES } from '../../errors.js';
import { RESOLVE_ERROR_CODES } from '../../errors.js';

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
