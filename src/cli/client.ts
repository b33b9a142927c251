// The firstseen HTTP API as the command-line tool uses it, over the global fetch (undici in Node 20).
// Every failure becomes an ApiError carrying the service's stable `code` (or one of ours for a service
// that could not be reached), which the commands print and exit 1 on.
import { randomUUID } from 'node:crypto';
import type { ImportResult } from '../../schemas/banks.js';
import type { Check, CheckAccepted } from '../../schemas/check.js';
import type { ServiceOptions } from './args.js';
import { clean } from './io.js';

export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    /** HTTP status, or null when there was no answer. */
    readonly status: number | null,
    /** The service's `code` (invalid_request, unauthorized, …), or `unreachable` / `timeout`. */
    readonly code: string,
    message: string,
    readonly requestId: string | null = null,
  ) {
    super(message);
  }
}

export interface BankSummary {
  id: string;
  name: string;
  kind: string;
  entries: number;
}

interface RequestOptions {
  body?: string | Uint8Array;
  contentType?: string;
  headers?: Record<string, string>;
  /** Give up on this request after this long. */
  timeoutMs: number;
  /**
   * When a request may be sent again. `read`: on 429, on any 503 and when the connection fails (a
   * restarting service). `submit`: on 429 and any 503 (submissions carry an Idempotency-Key, so a second
   * one finds the first check), but a service that cannot be reached at all is reported at once.
   * `unprocessed`: only on answers saying the request was turned away before it was handled (429, 503
   * overloaded), for bank imports, which must not be applied twice.
   */
  retry: 'read' | 'submit' | 'unprocessed';
}

const MAX_RETRIES = 4;
const MAX_RETRY_WAIT_MS = 30_000;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class ApiClient {
  private readonly baseUrl: string;
  private readonly apiKey: string | null;

  constructor(options: ServiceOptions) {
    this.baseUrl = options.baseUrl;
    this.apiKey = options.apiKey;
  }

  /** Submits a link, or text holding links. */
  submit(body: { url: string } | { text: string }, timeoutMs: number): Promise<CheckAccepted> {
    return this.json<CheckAccepted>('POST', '/v1/checks', {
      body: JSON.stringify(body),
      contentType: 'application/json',
      // A retried submission (after a lost answer) finds the same check instead of making a second.
      headers: { 'idempotency-key': randomUUID() },
      timeoutMs,
      retry: 'submit',
    });
  }

  /** Uploads a file as the raw body. */
  upload(
    bytes: Uint8Array,
    contentType: string,
    filename: string | null,
    timeoutMs: number,
  ): Promise<CheckAccepted> {
    const query = filename ? `?filename=${encodeURIComponent(filename.slice(0, 255))}` : '';
    return this.json<CheckAccepted>('POST', `/v1/checks/upload${query}`, {
      body: bytes,
      contentType,
      headers: { 'idempotency-key': randomUUID() },
      timeoutMs,
      retry: 'submit',
    });
  }

  check(id: string, timeoutMs: number): Promise<Check> {
    return this.json<Check>('GET', `/v1/checks/${encodeURIComponent(id)}`, { timeoutMs, retry: 'read' });
  }

  bank(id: string, timeoutMs: number): Promise<BankSummary> {
    return this.json<BankSummary>('GET', `/v1/banks/${encodeURIComponent(id)}`, {
      timeoutMs,
      retry: 'read',
    });
  }

  importCsv(bankId: string, csv: string, timeoutMs: number): Promise<ImportResult> {
    return this.json<ImportResult>('POST', `/v1/banks/${encodeURIComponent(bankId)}/import`, {
      body: csv,
      contentType: 'text/csv; charset=utf-8',
      timeoutMs,
      retry: 'unprocessed',
    });
  }

  private async json<T>(method: string, path: string, options: RequestOptions): Promise<T> {
    const deadline = Date.now() + options.timeoutMs;
    for (let attempt = 0; ; attempt++) {
      const left = deadline - Date.now();
      let res: Response;
      try {
        res = await this.send(method, path, options, Math.max(1, left));
      } catch (err) {
        const failure = this.transportError(err, options.timeoutMs);
        const retry = failure.code === 'unreachable' && options.retry === 'read' && attempt < MAX_RETRIES;
        const wait = 500 * 2 ** attempt;
        if (!retry || Date.now() + wait >= deadline) throw failure;
        await sleep(wait);
        continue;
      }
      const text = await res.text();
      if (res.status >= 300 && res.status < 400) {
        const to = res.headers.get('location') ?? 'elsewhere';
        throw new ApiError(
          res.status,
          'redirected',
          `the service redirects ${path} to ${to}: give the service's own address (--url or FIRSTSEEN_URL)`,
        );
      }
      if (res.ok) {
        try {
          return JSON.parse(text) as T;
        } catch {
          throw new ApiError(res.status, 'bad_answer', `${method} ${path}: the answer is not JSON`);
        }
      }
      const error = errorOf(res, text);
      const turnedAway = res.status === 429 || (res.status === 503 && error.code === 'overloaded');
      const retry =
        (turnedAway || (res.status === 503 && options.retry !== 'unprocessed')) && attempt < MAX_RETRIES;
      const wait = Math.min(retryAfterMs(res) ?? 1000 * 2 ** attempt, MAX_RETRY_WAIT_MS);
      if (!retry || Date.now() + wait >= deadline) throw error;
      await sleep(wait);
    }
  }

  private send(method: string, path: string, options: RequestOptions, timeoutMs: number) {
    const headers: Record<string, string> = {
      accept: 'application/json',
      'user-agent': 'firstseen-cli',
      ...options.headers,
    };
    if (this.apiKey) headers.authorization = `Bearer ${this.apiKey}`;
    if (options.contentType) headers['content-type'] = options.contentType;
    return fetch(`${this.baseUrl}${path}`, {
      method,
      headers,
      ...(options.body !== undefined && { body: options.body }),
      signal: AbortSignal.timeout(timeoutMs),
      // Never follow: the key must not travel to wherever a redirect points.
      redirect: 'manual',
    });
  }

  private transportError(err: unknown, timeoutMs: number): ApiError {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    if (e.name === 'TimeoutError' || e.name === 'AbortError') {
      return new ApiError(null, 'timeout', `no answer from ${this.baseUrl} within ${timeoutMs / 1000} s`);
    }
    const why = e.cause?.code ?? e.cause?.message ?? e.message;
    return new ApiError(null, 'unreachable', `cannot reach ${this.baseUrl} (${why})`);
  }
}

/** The service's error body ({statusCode, code, error, message, request_id}), or what we can say. */
function errorOf(res: Response, text: string): ApiError {
  try {
    const body = JSON.parse(text) as { code?: unknown; message?: unknown; request_id?: unknown };
    if (typeof body.code === 'string') {
      return new ApiError(
        res.status,
        body.code,
        typeof body.message === 'string' ? body.message : res.statusText,
        typeof body.request_id === 'string' ? body.request_id : null,
      );
    }
  } catch {
    // Not JSON: a proxy's error page, say.
  }
  return new ApiError(res.status, `http_${res.status}`, `HTTP ${res.status} ${res.statusText}`.trim());
}

function retryAfterMs(res: Response): number | null {
  const v = res.headers.get('retry-after');
  if (!v) return null;
  const seconds = Number(v);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(v);
  return Number.isFinite(at) ? Math.max(0, at - Date.now()) : null;
}

const HINTS: Record<string, string> = {
  unauthorized: 'check FIRSTSEEN_API_KEY or --key',
  forbidden: 'the key lacks the scope this needs (submit, read or admin)',
  unreachable: 'is the service running there? (FIRSTSEEN_URL or --url)',
};

/** `unauthorized (HTTP 401): Unknown or revoked API key; check FIRSTSEEN_API_KEY or --key`. */
export function describeApiError(err: ApiError): string {
  const status = err.status === null ? '' : ` (HTTP ${err.status})`;
  const request = err.requestId ? ` [request_id ${clean(err.requestId)}]` : '';
  const hint = HINTS[err.code] ? `; ${HINTS[err.code]}` : '';
  return `${clean(err.code)}${status}: ${clean(err.message)}${request}${hint}`;
}
