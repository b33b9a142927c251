// The earliest Wayback Machine capture of a URL (a post, a page, a media file): when the Internet
// Archive first saw it is evidence of when it existed. The CDX server answers precisely (its first
// row is the earliest 200 capture); the availability API, asked for the snapshot closest to 1996, is
// the fallback. Answers are cached through an injected cache (Redis in production): the archive is
// slow and rate-limited, and an old capture does not change.
import { createHash } from 'node:crypto';
import { isMediaError } from '../../errors.js';
import { Value } from 'typebox/value';
import { FirstCapture } from '../../../schemas/post.js';
import type { TtlCache } from '../../services/ttl-cache.js';
import { ResolveError, type ResolveErrorCode } from './failures.js';
import { ACCEPT_JSON, expectOk, fetchStep, JSON_MAX_BYTES } from './http.js';
import type { ResolveContext, ResolveDeps } from './types.js';
import { arr, httpUrl, MAX_URL_LENGTH, obj, parseJson, str } from './untrusted.js';

export type { TtlCache };

export interface WaybackDeps extends ResolveDeps {
  cache: TtlCache;
}

export type FirstCaptureResult =
  | { status: 'found'; capture: FirstCapture; cached: boolean }
  | { status: 'not_archived'; cached: boolean }
  | { status: 'error'; code: ResolveErrorCode; message: string };

/** A capture, once found, stays the earliest: keep it a month. */
const FOUND_TTL_SECONDS = 30 * 86400;
/** "Never archived" can change any day (someone saves the page): ask again after a day. */
const NONE_TTL_SECONDS = 86400;

/** Cache key, without the deployment's prefix: `wayback:first:<sha256 of the URL>`. */
export function captureCacheKey(url: string): string {
  return `wayback:first:${createHash('sha256').update(url).digest('hex')}`;
}

/** `20130919044612` → `2013-09-19T04:46:12.000Z`, or undefined. */
export function waybackTime(ts: string): string | undefined {
  const m = ts.match(/^(\d{4})(\d{2})(\d{2})(\d{2})?(\d{2})?(\d{2})?$/);
  if (!m) return undefined;
  const [y, mo, d, h = '00', mi = '00', s = '00'] = m.slice(1);
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  return Number.isFinite(ms) && ms > Date.UTC(1990, 0, 1) ? new Date(ms).toISOString() : undefined;
}

function capture(ts: string | undefined, original: string | undefined): FirstCapture | null {
  const captured_at = ts ? waybackTime(ts) : undefined;
  const url = httpUrl(original);
  if (!ts || !captured_at || !url) return null;
  return { url, captured_at, snapshot_url: `https://web.archive.org/web/${ts}/${url}` };
}

/** CDX: `[["timestamp","original","statuscode"], ["20130919044612","http://…","200"]]`, or `[]`. */
async function fromCdx(url: string, ctx: ResolveContext): Promise<FirstCapture | null> {
  const base = ctx.deps.endpoints.waybackCdx.replace(/\/+$/, '');
  const q = `url=${encodeURIComponent(url)}&output=json&limit=1&fl=timestamp,original,statuscode&filter=statuscode:200`;
  const res = expectOk(
    await fetchStep(ctx, 'wayback_cdx', `${base}/cdx/search/cdx?${q}`, {
      accept: ACCEPT_JSON,
      maxBytes: JSON_MAX_BYTES,
    }),
    'the Wayback CDX server',
  );
  // An empty answer body is how CDX says "no captures" in some versions.
  if (!res.body.toString('utf8').trim()) return null;
  const rows = parseJson(res.body);
  if (!Array.isArray(rows)) throw new ResolveError('resolver_failed', 'The CDX answer is not a JSON table');
  const header = arr(rows[0]).map(str);
  const row = arr(rows[1]).map(str);
  if (!row.length) return null;
  const at = (name: string) => row[header.indexOf(name)];
  return capture(at('timestamp'), at('original'));
}

/** Availability: `{archived_snapshots: {closest: {available, url, timestamp, status}}}`. */
async function fromAvailability(url: string, ctx: ResolveContext): Promise<FirstCapture | null> {
  const base = ctx.deps.endpoints.waybackAvailability.replace(/\/+$/, '');
  const res = expectOk(
    await fetchStep(
      ctx,
      'wayback_availability',
      `${base}/wayback/available?url=${encodeURIComponent(url)}&timestamp=19960101`,
      {
        accept: ACCEPT_JSON,
        maxBytes: JSON_MAX_BYTES,
      },
    ),
    'the Wayback availability API',
  );
  const body = obj(parseJson(res.body));
  if (!body) throw new ResolveError('resolver_failed', 'The availability answer is not JSON');
  const closest = obj(obj(body.archived_snapshots)?.closest);
  if (!closest || closest.available === false) return null;
  // A capture of an error page is not evidence that the content existed.
  const status = str(closest.status);
  if (status !== undefined && status !== '200') return null;
  // The snapshot URL is web.archive.org/web/<ts>/<original>; the original is what we asked about.
  const ts = str(closest.timestamp);
  const original =
    str(closest.url)?.match(/^https?:\/\/web\.archive\.org\/web\/\d{4,14}[a-z_]*\/(.+)$/)?.[1] ?? url;
  return capture(ts, original);
}

/**
 * The earliest capture of `url` in the Wayback Machine. Never throws: a failure of both sources is
 * `{status: 'error'}` and is not cached; found and not-archived answers are.
 */
export async function firstCapture(url: string, deps: WaybackDeps): Promise<FirstCaptureResult> {
  const target = httpUrl(url);
  if (!target || target.length > MAX_URL_LENGTH)
    return { status: 'error', code: 'invalid_url', message: 'Not an http(s) URL' };
  const key = captureCacheKey(target);
  try {
    const hit = await deps.cache.get(key);
    const cached = hit ? obj(parseJson(Buffer.from(hit))) : undefined;
    if (cached && cached.capture === undefined) return { status: 'not_archived', cached: true };
    // The cache is outside this process: check what comes back before trusting it.
    if (cached && Value.Check(FirstCapture, cached.capture))
      return { status: 'found', capture: cached.capture, cached: true };
  } catch (err) {
    deps.log.warn({ err }, 'wayback cache unavailable; asking the archive');
  }

  const ctx: ResolveContext = {
    deps,
    trail: [],
    depth: 1,
    dispatch: () => Promise.reject(new Error('no dispatch in wayback lookups')),
    resolveEmbedded: () => Promise.reject(new Error('no embeds in wayback lookups')),
  };
  let found: FirstCapture | null;
  try {
    found = await fromCdx(target, ctx);
  } catch (cdxErr) {
    deps.log.debug({ err: (cdxErr as Error).message }, 'wayback CDX failed; trying availability');
    try {
      found = await fromAvailability(target, ctx);
    } catch (err) {
      const e = err instanceof ResolveError || isMediaError(err) ? err : undefined;
      if (!e) deps.log.error({ err }, 'unexpected error in wayback lookup');
      return {
        status: 'error',
        code: e?.code ?? 'resolver_failed',
        message: e?.message ?? 'Wayback lookup failed',
      };
    }
  }

  try {
    await deps.cache.set(
      key,
      JSON.stringify(found ? { capture: found } : {}),
      found ? FOUND_TTL_SECONDS : NONE_TTL_SECONDS,
    );
  } catch (err) {
    deps.log.warn({ err }, 'wayback cache unavailable; answer not cached');
  }
  return found
    ? { status: 'found', capture: found, cached: false }
    : { status: 'not_archived', cached: false };
}
