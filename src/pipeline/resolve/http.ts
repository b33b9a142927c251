// Every request a resolver makes: through the injected SafeFetcher, after the endpoints' rewrite hook,
// recorded in the trail, with 429 answers retried (bounded) honouring Retry-After.
import { setTimeout as delay } from 'node:timers/promises';
import { MediaError } from '../../errors.js';
import type { FetchOptions, FetchResult } from '../../net/safe-fetch.js';
import { MAX_TRAIL_STEPS, type TrailEndpoint } from '../../../schemas/post.js';
import { ResolveError } from './failures.js';
import type { ResolveContext } from './types.js';

/** JSON and HTML answers are small; a few MB bounds memory and parse time whatever a host sends. */
export const JSON_MAX_BYTES = 2 * 1024 * 1024;
export const HTML_MAX_BYTES = 3 * 1024 * 1024;

export const ACCEPT_JSON = 'application/json';
export const ACCEPT_HTML = 'text/html,application/xhtml+xml;q=0.9,*/*;q=0.5';

/** At most this many tries of one request when the host answers 429. */
export const MAX_TRIES = 3;
/** At most this much waiting in total for one request's retries. */
export const MAX_WAIT_MS = 30_000;
/** Wait before retry n (1-based) when the host does not say how long. */
const backoffMs = (n: number) => 1000 * 2 ** (n - 1);

const realSleep = (ms: number) => delay(ms).then(() => undefined);

/** Retry-After as milliseconds from now: seconds, or an HTTP date. Undefined when absent or unreadable. */
export function retryAfterMs(header: string | undefined, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const value = header.trim();
  if (/^\d{1,10}$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isFinite(at) ? Math.max(0, at - now) : undefined;
}

/** Applies the rewrite hook; the trail keeps the URL before it, the one a person would recognise. */
function outbound(url: string, ctx: ResolveContext): string {
  const rewrite = ctx.deps.endpoints.rewrite;
  return rewrite ? rewrite(new URL(url)).toString() : url;
}

function record(ctx: ResolveContext, endpoint: TrailEndpoint, url: string, res?: FetchResult, err?: unknown) {
  if (ctx.trail.length >= MAX_TRAIL_STEPS) return;
  const status = res?.status ?? (err instanceof MediaError ? err.httpStatus : undefined);
  ctx.trail.push({
    endpoint,
    url,
    ...(status !== undefined && { http_status: status }),
    redirects: res ? res.redirects.slice(0, 20) : [],
  });
}

/**
 * GETs `url` for `endpoint`. 4xx/5xx answers are returned (resolvers read their meaning), except 429,
 * which is retried up to MAX_TRIES times and MAX_WAIT_MS of waiting in all, then fails with
 * `rate_limited`. Transport failures throw the fetcher's MediaError.
 */
export async function fetchStep(
  ctx: ResolveContext,
  endpoint: TrailEndpoint,
  url: string,
  options: FetchOptions,
): Promise<FetchResult> {
  const sleep = ctx.deps.sleep ?? realSleep;
  const target = outbound(url, ctx);
  let waited = 0;
  for (let attempt = 1; ; attempt++) {
    let res: FetchResult;
    try {
      res = await ctx.deps.fetcher.get(target, { ...options, allowHttpErrors: true });
    } catch (err) {
      record(ctx, endpoint, url, undefined, err);
      throw err;
    }
    record(ctx, endpoint, url, res);
    if (res.status !== 429) return res;
    const host = new URL(url).host;
    if (attempt >= MAX_TRIES)
      throw new ResolveError('rate_limited', `${host} answered 429 ${attempt} times`, { httpStatus: 429 });
    const wait = retryAfterMs(res.headers['retry-after']) ?? backoffMs(attempt);
    if (waited + wait > MAX_WAIT_MS)
      throw new ResolveError(
        'rate_limited',
        `${host} asks to wait ${Math.ceil(wait / 1000)} s; not waiting`,
        {
          httpStatus: 429,
        },
      );
    ctx.deps.log.debug({ host, attempt, wait }, 'rate limited; waiting');
    waited += wait;
    await sleep(wait);
  }
}

/** Fails with `http_error` unless the answer is 2xx. */
export function expectOk(res: FetchResult, what: string): FetchResult {
  if (res.status >= 200 && res.status < 300) return res;
  throw new MediaError('http_error', `HTTP ${res.status} from ${what}`, { httpStatus: res.status });
}

export function isJson(res: FetchResult): boolean {
  return /\bjson\b/i.test(res.contentType ?? '');
}
