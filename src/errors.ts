// Every error firstseen reports is defined here, once, with a stable machine-readable code.
// Two families:
//  - HTTP errors answered by the API (created with @fastify/error, so they carry statusCode and code);
//  - media errors: why one media item of a check could not be fetched or analyzed. They end up in
//    the report next to the item (`error.code`), and the rest of the check goes on.
// The README lists every code; test/config.test.ts ("every error code is documented in the README")
// fails when one is missing there.
import createError from '@fastify/error';

export const HttpErrors = {
  invalid_request: createError('invalid_request', '%s', 400),
  no_target: createError('no_target', 'Give a "url" or a "text" with at least one http(s) link', 400),
  too_many_targets: createError('too_many_targets', 'At most %d links can be checked at once', 400),
  invalid_url: createError('invalid_url', '%s', 400),
  unauthorized: createError('unauthorized', '%s', 401),
  forbidden: createError('forbidden', '%s', 403),
  not_found: createError('not_found', '%s', 404),
  method_not_allowed: createError('method_not_allowed', '%s', 405),
  rate_limited: createError('rate_limited', 'Too many requests; retry after %d seconds', 429),
  too_many_subscriptions: createError(
    'too_many_subscriptions',
    'An organization may have at most %d webhook subscriptions (WEBHOOK_MAX_SUBSCRIPTIONS)',
    409,
  ),
  too_many_watches: createError(
    'too_many_watches',
    'An organization may watch at most %d checks at once (WATCH_MAX_PER_ORG)',
    409,
  ),
  // Forensic views asked for after the check (POST /v1/checks/:id/media/:index/views).
  views_unavailable: createError('views_unavailable', '%s', 409),
  upload_gone: createError('upload_gone', '%s', 410),
  upload_quota_exceeded: createError('upload_quota_exceeded', '%s', 429),
  uploads_busy: createError(
    'uploads_busy',
    'Too many uploads are being received at once; retry in a few seconds',
    503,
  ),
  invalid_json: createError('invalid_json', 'The body is not valid JSON', 400),
  body_too_large: createError('body_too_large', 'The request body is larger than allowed', 413),
  unsupported_media_type: createError('unsupported_media_type', '%s', 415),
  redis_unavailable: createError('redis_unavailable', 'The store is unavailable; try again shortly', 503),
  overloaded: createError('overloaded', 'The server is overloaded; try again shortly', 503),
  not_ready: createError('not_ready', '%s', 503),
  internal_error: createError('internal_error', 'Internal error', 500),
} as const;

/** Codes a media item can fail with. Stable: bots branch on them. */
export const MEDIA_ERROR_CODES = {
  blocked_address: 'The address is private, loopback, link-local or otherwise not public',
  unsupported_scheme: 'Only http and https URLs can be fetched',
  invalid_url: 'The URL cannot be parsed',
  dns_failed: 'The host name does not resolve',
  connect_failed: 'The server could not be reached',
  timeout: 'The server took longer than the time cap',
  too_large: 'The file is larger than the byte cap',
  too_many_redirects: 'More redirects than allowed',
  http_error: 'The server answered with an HTTP error status',
  not_media: 'The bytes are not an image or video firstseen can read',
  empty_file: 'The server sent zero bytes',
  too_many_pixels: 'The image declares more pixels than the decoder is allowed to allocate',
  image_truncated: 'The image data ends early or is corrupt',
  decode_failed: 'The image could not be decoded',
  unsupported_format: 'The format is recognised but not supported for this step',
  upload_missing: 'The uploaded file is no longer stored (UPLOAD_TTL_SECONDS passed before the check ran)',
  video_tools_missing: 'ffmpeg/ffprobe are not installed on this worker, so videos cannot be analyzed',
  video_unreadable: 'The video container or its video stream cannot be read',
  video_timeout: 'Decoding the video took longer than VIDEO_DECODE_TIMEOUT_MS',
  video_decode_failed: 'The decoder failed on the video (corrupt data, or it hit its memory or output bound)',
  analysis_failed:
    'The analysis thread crashed or took longer than ANALYZE_TIMEOUT_MS on this image; it was replaced',
  analysis_busy: 'More images were waiting for analysis than ANALYZE_QUEUE allows; check again later',
  internal_error: 'An unexpected error while processing this item',
} as const;

export type MediaErrorCode = keyof typeof MEDIA_ERROR_CODES;

/** Why a link could not be resolved to a post (src/pipeline/resolve/); fetch codes above occur too. */
export const RESOLVE_ERROR_CODES = {
  post_not_found: 'The platform says the post does not exist (never did, or was deleted without a trace)',
  post_deleted: 'The post was deleted or withheld; the platform shows a tombstone in its place',
  post_protected: 'The post is not public: a protected account, a private channel or community',
  post_age_restricted: 'The platform shows the post only to signed-in adults',
  rate_limited: 'The platform kept answering 429 Too Many Requests; try again later',
  unsupported_url: 'A link to a platform we resolve, but not to a post (a profile, a search, an invite)',
  resolver_failed: 'The platform answered in a shape we could not read, or every source failed',
} as const;

/**
 * Why the text in an image could not be read (src/pipeline/ocr/): the media item is still `ok`, and its
 * `text.status` is `error` (or `unavailable` for `ocr_tools_missing`) with one of these codes.
 */
export const OCR_ERROR_CODES = {
  ocr_tools_missing: 'tesseract or its language data is not installed on this worker (scripts/setup-ocr.sh)',
  ocr_timeout: 'Reading the text took longer than OCR_TIMEOUT_MS; tesseract was stopped',
  ocr_output_too_large: 'The image holds more text than OCR_MAX_OUTPUT_BYTES of recognised output',
  ocr_failed: 'tesseract failed on the image (it crashed, or hit its memory bound)',
} as const;

export type OcrErrorCode = keyof typeof OCR_ERROR_CODES;

export class OcrError extends Error {
  readonly code: OcrErrorCode;
  constructor(code: OcrErrorCode, message?: string, options?: { cause?: unknown }) {
    super(message ?? OCR_ERROR_CODES[code], options);
    this.name = 'OcrError';
    this.code = code;
  }
}

/** An error that belongs to one media item; the check itself goes on. */
export class MediaError extends Error {
  readonly code: MediaErrorCode;
  /** The status a server answered, for `http_error`. */
  readonly httpStatus: number | undefined;
  constructor(code: MediaErrorCode, message?: string, options?: { cause?: unknown; httpStatus?: number }) {
    super(message ?? MEDIA_ERROR_CODES[code], options);
    this.name = 'MediaError';
    this.code = code;
    this.httpStatus = options?.httpStatus;
  }
}

export function isMediaError(err: unknown): err is MediaError {
  return err instanceof MediaError;
}
