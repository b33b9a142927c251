// Asks every configured web search engine where it has seen each image of a check, within the caps:
// only images with a public http(s) URL (an upload stays private: its bytes are nowhere an engine could
// fetch them, the same rule as reverse search links), at most `maxImages` images per check (searches
// are paid for), each answer cached so the same image URL is not searched twice within the TTL.
// An engine that fails (401, 429, timeout, a broken answer) never fails the check: it is logged, and
// the report says the engine failed, so nobody reads its silence as "never seen on the web".
import { publicImageUrl } from '../reverse-search.js';
import { createHash } from 'node:crypto';
import { Type } from 'typebox';
import { Value } from 'typebox/value';
import type { MediaItem, WebSearchOutcome } from '../../../schemas/report.js';
import type { Config } from '../../config.js';
import type { Logger } from '../../logger.js';
import type { SafeFetcher } from '../../net/safe-fetch.js';
import type { TtlCache } from '../../services/ttl-cache.js';
import { obj, parseJson } from '../resolve/untrusted.js';
import { WebSearchError, WebSighting, type WebSearchAdapter, type WebSearchAnswer } from './adapter.js';
import { tineyeAdapter } from './tineye.js';

export type WebSearchConfig = Config['webSearch'];

export interface WebSearchDeps {
  adapters: readonly WebSearchAdapter[];
  maxImages: number;
  cacheSeconds: number;
  /** Null: every image is searched every time (the CLI's analyze, some tests). */
  cache: TtlCache | null;
  fetcher: SafeFetcher;
  log: Logger;
}

/** What one image got: sightings for its timeline (with the engine's label), outcomes for the report. */
export interface ImageSightings {
  sightings: Array<WebSighting & { engine: string }>;
  outcomes: WebSearchOutcome[];
}

/** The engines the configuration turns on, in order. */
export function webSearchAdapters(config: WebSearchConfig): WebSearchAdapter[] {
  return config.tineye ? [tineyeAdapter(config.tineye)] : [];
}

/** An answer with no sightings can change any day (the crawler goes on): kept a day at most. */
const NONE_TTL_SECONDS = 86400;
const CachedAnswer = Type.Object({
  sightings: Type.Array(WebSighting, { maxItems: 1000 }),
  total: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
});

/** Cache key, without the deployment's prefix: `websearch:<engine>:<sha256 of the image URL>`. */
export function webSearchCacheKey(engine: string, url: string): string {
  return `websearch:${engine}:${createHash('sha256').update(url).digest('hex')}`;
}

/** The image's URL when engines may be asked about it: an image fetched from a public http(s) URL. */
export function searchableUrl(item: MediaItem): string | null {
  return item.status === 'ok' ? publicImageUrl(item) : null;
}

async function cached(key: string, deps: WebSearchDeps): Promise<WebSearchAnswer | null> {
  try {
    const hit = deps.cache ? await deps.cache.get(key) : null;
    const value = hit ? obj(parseJson(Buffer.from(hit))) : undefined;
    // The cache is outside this process: check what comes back before trusting it.
    return value && Value.Check(CachedAnswer, value) ? value : null;
  } catch (err) {
    deps.log.warn({ err }, 'web search cache unavailable; asking the engine');
    return null;
  }
}

async function ask(adapter: WebSearchAdapter, url: string, deps: WebSearchDeps): Promise<ImageSightings> {
  const key = webSearchCacheKey(adapter.name, url);
  const outcome = (answer: WebSearchAnswer, fromCache: boolean): ImageSightings => ({
    sightings: answer.sightings.map((s) => ({ ...s, engine: adapter.label })),
    outcomes: [
      {
        engine: adapter.name,
        status: answer.sightings.length ? 'found' : 'not_found',
        sightings: answer.sightings.length,
        total: answer.total,
        cached: fromCache,
        message: null,
      },
    ],
  });
  const hit = await cached(key, deps);
  if (hit) return outcome(hit, true);
  let answer: WebSearchAnswer;
  try {
    answer = await adapter.search(url, { fetcher: deps.fetcher, log: deps.log });
  } catch (err) {
    const known = err instanceof WebSearchError;
    if (known) deps.log.warn({ engine: adapter.name, reason: err.message }, 'web search failed');
    else deps.log.error({ err, engine: adapter.name }, 'unexpected error in web search');
    const message = known ? err.message : `${adapter.label} search failed`;
    return {
      sightings: [],
      outcomes: [
        { engine: adapter.name, status: 'failed', sightings: 0, total: null, cached: false, message },
      ],
    };
  }
  const ttl = answer.sightings.length ? deps.cacheSeconds : Math.min(deps.cacheSeconds, NONE_TTL_SECONDS);
  await deps.cache
    ?.set(key, JSON.stringify(answer), ttl)
    .catch((err: unknown) => deps.log.warn({ err }, 'web search cache unavailable; answer not cached'));
  return outcome(answer, false);
}

/** Sightings and outcomes per media index, for the images engines may be asked about. Never throws. */
export async function webSightings(
  media: readonly MediaItem[],
  deps: WebSearchDeps,
): Promise<Map<number, ImageSightings>> {
  const out = new Map<number, ImageSightings>();
  if (!deps.adapters.length) return out;
  const searchable = media.filter((m) => searchableUrl(m) !== null);
  const asked = searchable.slice(0, deps.maxImages);
  for (const item of searchable.slice(deps.maxImages)) {
    out.set(item.index, {
      sightings: [],
      outcomes: deps.adapters.map((a) => ({
        engine: a.name,
        status: 'skipped' as const,
        sightings: 0,
        total: null,
        cached: false,
        message: `Only the first ${deps.maxImages} images of a check are searched (TINEYE_MAX_IMAGES).`,
      })),
    });
  }
  // At most maxImages × engines requests, each with its own time cap: all at once.
  await Promise.all(
    asked.map(async (item) => {
      const url = searchableUrl(item) as string;
      const answers = await Promise.all(deps.adapters.map((a) => ask(a, url, deps)));
      out.set(item.index, {
        sightings: answers.flatMap((a) => a.sightings),
        outcomes: answers.flatMap((a) => a.outcomes),
      });
    }),
  );
  return out;
}
