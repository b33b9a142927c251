// What every authenticated route declares in its schema: the two ways to present a key, and the
// error answers that come with authentication and rate limiting.
import { ErrorResponse } from '../../schemas/errors.js';
import { ref } from '../../schemas/ref.js';

export const SECURITY: Array<Record<string, string[]>> = [{ bearer: [] }, { apiKey: [] }];

export const AUTH_ERRORS = { 401: ref(ErrorResponse), 403: ref(ErrorResponse), 429: ref(ErrorResponse) };
