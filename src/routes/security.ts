// What every route declares in its schema: the two ways to present a key, and the
// error answers that come with authentication and rate limiting.
import { ErrorResponse } from '../../schemas/errors.js';
import { ref } from '../../schemas/ref.js';

export const SECURITY: Array<Record<string, string[]>> = [{ bearer: [] }, { apiKey: [] }];

export const AUTH_ERRORS = { 401: ref(ErrorResponse), 403: ref(ErrorResponse), 429: ref(ErrorResponse) };

/**
 * Routes that need no key (the probes): an empty list says so in OpenAPI. A key that is presented is
 * still checked by the auth hook (src/plugins/auth.ts), so these routes too may answer 401.
 */
export const NO_AUTH: Array<Record<string, string[]>> = [];
