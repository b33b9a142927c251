// A screenshot's author looked up on the platform, for a screenshot of a post firstseen has not seen:
// the author's recent posts, which trace.ts compares with the screenshot as it does the posts remembered.
// - Bluesky: a domain-shaped handle. Its public AppView lists an author's posts without an account
//   (app.bsky.feed.getAuthorFeed, the handle as `actor`), SCREENSHOT_AUTHOR_FEED_PAGES pages of
//   SCREENSHOT_AUTHOR_FEED_PAGE_SIZE posts.
// - X: a screen name (letters, digits, `_`, at most 15). Its embedded-timeline page lists the author's
//   newest posts (about 20, no paging: resolve/x.ts xAuthorTimeline); X_TIMELINE_BASE_URL empty: not asked.
// Telegram and Reddit have no public listing by the @handle a screenshot shows.
//
// Requests go through the check's SafeFetcher and the endpoints' rewrite hook (resolve/). Answers (an
// account's posts, or that there is no such account) are cached in Redis for
// SCREENSHOT_AUTHOR_FEED_CACHE_SECONDS, so a screenshot going round is looked up once. A failed lookup
// throws: the caller logs it and the item goes without `screenshot_of`.
import { createHash } from 'node:crypto';
import type { Platform, QuotedPost } from '../../../schemas/post.js';
import type { Config } from '../../config.js';
import type { Logger } from '../../logger.js';
import type { SafeFetcher } from '../../net/safe-fetch.js';
import type { TtlCache } from '../../services/ttl-cache.js';
import { DOMAIN_HANDLE } from '../ocr/found.js';
import { authorFeed, lookupContext, type ResolverEndpoints } from '../resolve/index.js';
import { xAuthorTimeline, xScreenName } from '../resolve/x.js';
import type { TracedPost } from './trace.js';
import { editDistance, ocrForm } from './word-diff.js';

export type AuthorFeedOptions = NonNullable<Config['authorFeeds']>;

export interface AuthorFeedDeps {
  fetcher: SafeFetcher;
  endpoints: ResolverEndpoints;
  /** Answers kept here (Redis in production); null: every screenshot asks again. */
  cache: TtlCache | null;
  options: AuthorFeedOptions;
  log: Logger;
}

/** The platforms whose authors are looked up, as a sentence names them. */
export const LOOKED_UP_ON: Partial<Record<Platform, string>> = { bluesky: 'Bluesky', x: 'X' };

/** Top-level domains atproto refuses for handles. */
const NO_HANDLE_TLDS = new Set([
  'alt',
  'arpa',
  'example',
  'internal',
  'invalid',
  'local',
  'localhost',
  'onion',
  'test',
]);

/**
 * The Bluesky handle a screenshot's @handle is, lower case, or null when it cannot be one: Bluesky
 * handles are domain names, and X, Telegram and Mastodon names have no dot (a `_` is in none of
 * Bluesky's). The default suffix as OCR misreads it ("bsky.socia1", "bsky.soclal") is set right.
 */
export function blueskyHandle(read: string): string | null {
  const h = read.replace(/^@/, '').toLowerCase();
  if (h.includes('@') || h.includes('_') || !DOMAIN_HANDLE.test(h)) return null;
  const labels = h.split('.');
  if (NO_HANDLE_TLDS.has(labels.at(-1) ?? '')) return null;
  // `<name>.bsky.<one letter off "social">`: no such domain is Bluesky's but the default's misread
  // (bsky.team, the staff's, is far from it).
  const last = labels.at(-1) ?? '';
  const misread = editDistance(last, 'social') <= 1 || ocrForm(last) === ocrForm('social');
  if (labels.length >= 3 && labels.at(-2) === 'bsky' && last !== 'social' && misread)
    return [...labels.slice(0, -1), 'social'].join('.');
  return h;
}

/** The cache key of an account's answer (the bounds are in it: a larger lookup is not served a smaller one). */
export const authorFeedCacheKey = (handle: string, o: Pick<AuthorFeedOptions, 'pages' | 'pageSize'>) =>
  `bsky-feed:${createHash('sha256').update(`${handle}\n${o.pages}\n${o.pageSize}`).digest('hex')}`;

/** The cache key of an X account's answer (screen names are case-insensitive). */
export const xTimelineCacheKey = (screenName: string) =>
  `x-timeline:${createHash('sha256').update(screenName.toLowerCase()).digest('hex')}`;

/** A cached answer: the posts, or none for an account the AppView does not know. */
interface Cached {
  posts: TracedPost[];
}

function readCached(s: string): TracedPost[] | null {
  try {
    const v = JSON.parse(s) as Partial<Cached>;
    return Array.isArray(v.posts) ? v.posts : null;
  } catch {
    return null;
  }
}

/** The recent posts of the author of `handle` (as read) on their platform; [] when it has none to give. */
export async function postsOnPlatform(handle: string, deps: AuthorFeedDeps): Promise<TracedPost[]> {
  const actor = blueskyHandle(handle);
  if (actor) return blueskyPosts(actor, deps);
  const screenName = xScreenName(handle);
  if (screenName && deps.endpoints.xTimeline) return xPosts(screenName, deps);
  return [];
}

/** A platform's post as trace.ts compares it, `handle` (as asked) where the post names no author's. */
function traced(p: QuotedPost, platform: Platform, handle: string): TracedPost {
  return {
    platform,
    id: p.id,
    url: p.url,
    handle: p.author.handle ?? handle,
    display_name: p.author.display_name ?? null,
    posted_at: p.posted_at ?? null,
    text: p.text ?? '',
  };
}

/** An answer from the cache, else from `ask`, then kept (an account with no posts to give too). */
async function cachedPosts(
  key: string,
  deps: AuthorFeedDeps,
  ask: () => Promise<TracedPost[]>,
): Promise<TracedPost[]> {
  const { options, cache } = deps;
  const cached = options.cacheSeconds > 0 && cache ? await cache.get(key) : null;
  const hit = cached ? readCached(cached) : null;
  if (hit) return hit;
  const posts = await ask();
  if (options.cacheSeconds > 0 && cache) {
    const answer: Cached = { posts };
    await cache.set(key, JSON.stringify(answer), options.cacheSeconds);
  }
  return posts;
}

async function blueskyPosts(actor: string, deps: AuthorFeedDeps): Promise<TracedPost[]> {
  const { options } = deps;
  if (options.pages < 1) return [];
  return cachedPosts(authorFeedCacheKey(actor, options), deps, async () => {
    const feed = await authorFeed(
      actor,
      lookupContext({ fetcher: deps.fetcher, endpoints: deps.endpoints, log: deps.log }),
      options,
    );
    const posts = (feed ?? []).map((p) => traced(p, 'bluesky', actor));
    deps.log.debug({ actor, posts: posts.length, found: feed !== null }, 'author feed read');
    return posts;
  });
}

async function xPosts(screenName: string, deps: AuthorFeedDeps): Promise<TracedPost[]> {
  return cachedPosts(xTimelineCacheKey(screenName), deps, async () => {
    const timeline = await xAuthorTimeline(
      screenName,
      lookupContext({ fetcher: deps.fetcher, endpoints: deps.endpoints, log: deps.log }),
    );
    const posts = (timeline ?? []).map((p) => traced(p, 'x', screenName));
    deps.log.debug({ screenName, posts: posts.length, found: timeline !== null }, 'X timeline read');
    return posts;
  });
}
