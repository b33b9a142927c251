// TinEye as a web search adapter: where TinEye's crawler found an image, and when it came by.
//
// Written to TinEye's published API (the TinEye API, `search` method), as documented at
// https://services.tineye.com/developers/tineyeapi/overview.html (GET <api>/rest/search/ with
// `image_url`, `limit`, `sort`, `order`; JSON answer `{code, messages, stats, results: {matches:
// [{image_url, domain, backlinks: [{url, backlink, crawl_date}]}]}}`), its release notes at
// https://help.tineye.com/article/285-tineye-api-release-notes (`backlink_limit`, totals moved into
// `stats`) and https://tineye-api.helpscoutdocs.com/article/278-transitioning-authentication-methods
// (the key goes in the `x-api-key` header; signed requests are gone). Not the `tineye-api` npm
// package: it does its own HTTP (axios), and every request here must go through the SafeFetcher.
import type { WebSearchAdapter, WebSearchAnswer, WebSighting } from './adapter.js';
import { WebSearchError } from './adapter.js';
import { arr, clip, httpUrl, num, obj, parseJson, str } from '../resolve/untrusted.js';

export interface TineyeOptions {
  apiKey: string;
  /** Host, without `/rest/` (TINEYE_API_URL). */
  apiUrl: string;
  timeoutMs: number;
  /** Sightings kept: the earliest crawled (TINEYE_MAX_SIGHTINGS). */
  maxSightings: number;
}

/** A search answer is a few KB per match; this caps memory and parse time whatever the host sends. */
export const TINEYE_MAX_BYTES = 1024 * 1024;
/** Matches and backlinks per match asked for: the answer stays small, the earliest are among them. */
const MAX_MATCHES = 50;
const MAX_BACKLINKS_PER_MATCH = 20;

const CRAWL_DATE = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?/;

/** TinEye's `crawl_date` (`2012-04-25` or `2012-04-25 13:01:02`, UTC) as ISO 8601, or undefined. */
export function crawlDate(value: unknown, now = Date.now()): string | undefined {
  const s = str(value);
  const m = s && s.length <= 64 ? CRAWL_DATE.exec(s) : null;
  if (!m) return undefined;
  const [y, mo, d, h = '0', mi = '0', sec = '0'] = m.slice(1);
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(sec));
  // Before the web, or later than tomorrow, is a broken answer, not a sighting.
  if (!Number.isFinite(ms) || ms < Date.UTC(1990, 0, 1) || ms > now + 86400_000) return undefined;
  return new Date(ms).toISOString();
}

function failure(status: number, body: Buffer): WebSearchError {
  const said = clip(
    arr(obj(parseJson(body))?.messages)
      .map(str)
      .find(Boolean),
    200,
  );
  const what =
    status === 401 || status === 403
      ? 'TinEye refused the API key'
      : status === 429
        ? 'TinEye is rate limiting this account'
        : 'TinEye failed';
  return new WebSearchError(`${what} (HTTP ${status}${said ? `: ${said}` : ''})`);
}

/** The sightings in a search answer's body: earliest crawled first, one per page, at most `max`. */
export function tineyeSightings(body: Buffer, max: number): WebSearchAnswer {
  const answer = obj(parseJson(body));
  const results = obj(answer?.results);
  if (!answer || !results || !Array.isArray(results.matches))
    throw new WebSearchError('TinEye’s answer is not a search result');
  const code = num(answer.code);
  if (code !== undefined && code !== 200) throw failure(code, body);
  const all: WebSighting[] = [];
  for (const match of arr(results.matches).slice(0, MAX_MATCHES)) {
    for (const link of arr(obj(match)?.backlinks).slice(0, MAX_BACKLINKS_PER_MATCH)) {
      const b = obj(link);
      const page_url = httpUrl(b?.backlink);
      const crawled_at = crawlDate(b?.crawl_date);
      if (page_url && crawled_at)
        all.push({ url: httpUrl(b?.url) ?? null, page_url, crawled_at, source: 'tineye' });
    }
  }
  all.sort((a, b) => a.crawled_at.localeCompare(b.crawled_at));
  const pages = new Set<string>();
  const sightings = all.filter((s) => !pages.has(s.page_url) && pages.add(s.page_url)).slice(0, max);
  const totals = obj(answer.stats) ?? results;
  const total = num(totals.total_backlinks) ?? num(results.total_backlinks);
  return { sightings, total: total !== undefined && Number.isInteger(total) && total >= 0 ? total : null };
}

export function tineyeAdapter(options: TineyeOptions): WebSearchAdapter {
  const base = options.apiUrl.replace(/\/+$/, '');
  const per = Math.min(options.maxSightings, MAX_MATCHES);
  return {
    name: 'tineye',
    label: 'TinEye',
    async search(imageUrl, { fetcher }) {
      const query = new URLSearchParams({
        image_url: imageUrl,
        sort: 'crawl_date',
        order: 'asc',
        limit: String(per),
        backlink_limit: String(Math.min(per, MAX_BACKLINKS_PER_MATCH)),
      });
      const res = await fetcher
        .get(`${base}/rest/search/?${query.toString()}`, {
          accept: 'application/json',
          headers: { 'x-api-key': options.apiKey },
          maxBytes: TINEYE_MAX_BYTES,
          timeoutMs: options.timeoutMs,
          allowHttpErrors: true,
        })
        .catch((err: unknown) => {
          throw new WebSearchError(`TinEye could not be reached: ${(err as Error).message}`);
        });
      if (res.status !== 200) throw failure(res.status, res.body);
      return tineyeSightings(res.body, options.maxSightings);
    },
  };
}
