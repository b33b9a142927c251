// From a pasted URL to what it shows: a media file, a post with its media, or a web page with its
// media and embedded posts. One resolver per platform (./x.ts, ./bluesky.ts, …) behind one interface;
// this module picks the resolver and turns every failure into an `error` resolution with a stable
// code, so resolveTarget never throws.
//
// All network access goes through the injected SafeFetcher; every external base URL is in
// ResolverEndpoints, and `endpoints.rewrite` (unset in production) lets tests serve every host locally.
import { isMediaError, MediaError } from '../../errors.js';
import type { Platform } from '../../../schemas/post.js';
import { blueskyResolver } from './bluesky.js';
import { ResolveError, RESOLVE_ERROR_CODES } from './failures.js';
import { isDirectMediaUrl, upgradeXPhoto } from './media-url.js';
import { mastodonResolver } from './mastodon.js';
import { redditResolver } from './reddit.js';
import { telegramResolver } from './telegram.js';
import type { PlatformResolver, Resolution, ResolveContext, ResolveDeps, ResolveFailure } from './types.js';
import { MAX_URL_LENGTH } from './untrusted.js';
import { webResolver } from './web.js';
import { xResolver } from './x.js';

export type {
  Resolution,
  ResolveDeps,
  ResolveFailure,
  ResolverEndpoints,
  PlatformResolver,
} from './types.js';
export { RESOLVE_ERROR_CODES, ResolveError, type ResolveErrorCode } from './failures.js';
export { allMedia, METADATA_NOTES } from './post-record.js';
export { authorFeed, FEED_PAGE_MAX } from './bluesky.js';
export {
  captureCacheKey,
  firstCapture,
  type FirstCaptureResult,
  type TtlCache,
  type WaybackDeps,
} from './wayback.js';

/** Checked in order; the Mastodon resolver matches by path shape on any host, so it comes last but one. */
const RESOLVERS: PlatformResolver[] = [
  xResolver,
  blueskyResolver,
  redditResolver,
  telegramResolver,
  mastodonResolver,
];

/** Destinations followed from one URL (a t.co link to a page that turns out to be a Mastodon post…). */
const MAX_HOPS = 3;

function parseInput(input: string): URL {
  const raw = input.trim();
  if (raw.length > MAX_URL_LENGTH) throw new MediaError('invalid_url', 'The URL is too long');
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new MediaError('invalid_url', `Not a URL: ${raw.slice(0, 200)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new MediaError(
      'unsupported_scheme',
      `Only http and https links can be resolved, not ${url.protocol}`,
    );
  if (url.username || url.password)
    throw new MediaError('invalid_url', 'URLs with credentials are not fetched');
  url.hash = '';
  return url;
}

function failure(err: unknown, ctx: ResolveContext, platform: Platform | undefined): ResolveFailure {
  const base = { kind: 'error' as const, trail: ctx.trail, ...(platform && { platform }) };
  if (err instanceof ResolveError || isMediaError(err)) {
    ctx.deps.log.info({ code: err.code, msg: err.message }, 'post not resolved');
    return {
      ...base,
      code: err.code,
      message: err.message,
      ...(err.httpStatus !== undefined && { http_status: err.httpStatus }),
    };
  }
  // A bug, or an answer shaped in a way we did not guard against: keep the check going, say so loudly.
  ctx.deps.log.error({ err }, 'unexpected error while resolving a post');
  return { ...base, code: 'resolver_failed', message: RESOLVE_ERROR_CODES.resolver_failed };
}

async function resolveIn(input: string, ctx: ResolveContext): Promise<Resolution> {
  let platform: Platform | undefined;
  try {
    const url = parseInput(input);
    if (isDirectMediaUrl(url)) return { kind: 'media', url: upgradeXPhoto(url.toString()), trail: ctx.trail };
    const resolver = RESOLVERS.find((r) => r.matches(url)) ?? webResolver;
    platform = resolver.platform;
    return await resolver.resolve(url, ctx);
  } catch (err) {
    return failure(err, ctx, platform);
  }
}

function context(
  deps: ResolveDeps,
  depth: number,
  hops: number,
  trail: ResolveContext['trail'],
): ResolveContext {
  const ctx: ResolveContext = {
    deps,
    trail,
    depth,
    dispatch: (url) =>
      hops + 1 > MAX_HOPS
        ? Promise.resolve(
            failure(new ResolveError('resolver_failed', 'Too many hops between links'), ctx, undefined),
          )
        : resolveIn(url, context(deps, depth, hops + 1, trail)),
    resolveEmbedded: (url) => start(url, deps, depth + 1),
  };
  return ctx;
}

function start(input: string, deps: ResolveDeps, depth: number): Promise<Resolution> {
  const trail: ResolveContext['trail'] = [
    { endpoint: 'input', url: input.trim().slice(0, MAX_URL_LENGTH), redirects: [] },
  ];
  return resolveIn(input, context(deps, depth, 0, trail));
}

/**
 * A context for a lookup that is no submitted URL (a screenshot's author looked up on the platform):
 * its requests go through the same fetcher, rewrite hook and 429 handling, into a trail of its own
 * that no target shows, and it follows no link it finds.
 */
export function lookupContext(deps: ResolveDeps): ResolveContext {
  return context(deps, 1, MAX_HOPS, []);
}

/**
 * Resolves one submitted URL. Never throws: every failure is `{kind: 'error', code, message}` with the
 * trail of requests made, codes from RESOLVE_ERROR_CODES or the fetch codes (MEDIA_ERROR_CODES).
 */
export function resolveTarget(url: string, deps: ResolveDeps): Promise<Resolution> {
  return start(url, deps, 0);
}
