// The shapes shared by the resolvers: what they are given (deps, endpoints), what they return
// (Resolution), and the one interface every platform module implements.
import type { Endpoints } from '../../config.js';
import type { Logger } from '../../logger.js';
import type { FetchResult, SafeFetcher } from '../../net/safe-fetch.js';
import type { Platform, Post, TrailStep, WebPage } from '../../../schemas/post.js';
import type { ResolveErrorCode } from './failures.js';

/**
 * The base URLs of the outside services (from the configuration, src/config.ts, which owns them), and
 * `rewrite`, applied to every outbound URL just before it is fetched: the base URLs and the URLs taken
 * from user input (twitter.com, t.co, pic.twitter.com, Mastodon instances, news sites). Tests use it to
 * serve every host from local servers; production leaves it unset.
 */
export type ResolverEndpoints = Endpoints & { rewrite?: (url: URL) => URL };

export interface ResolveDeps {
  fetcher: SafeFetcher;
  endpoints: ResolverEndpoints;
  log: Logger;
  /** Waits between retries of a rate-limited request; tests inject one that records and returns. */
  sleep?: (ms: number) => Promise<void>;
}

export interface ResolveFailure {
  kind: 'error';
  code: ResolveErrorCode;
  message: string;
  /** Status of the answer that settled it, when there was one. */
  http_status?: number;
  /** The platform the URL belongs to, when we got that far. */
  platform?: Platform;
  trail: TrailStep[];
}

/** What a pasted URL turned out to be. Never thrown: failures are the `error` kind. */
export type Resolution =
  | {
      kind: 'media';
      url: string;
      trail: TrailStep[];
      /** The whole file, when resolving had to download it to learn it was no page: not fetched twice. */
      prefetched?: FetchResult;
    }
  | { kind: 'post'; post: Post }
  | { kind: 'page'; page: WebPage }
  | ResolveFailure;

/** State of one resolution: the requests made so far and how deep in embeds we are. */
export interface ResolveContext {
  deps: ResolveDeps;
  trail: TrailStep[];
  /** 0 for the URL submitted, 1 for posts embedded in a page it led to (never deeper). */
  depth: number;
  /** Resolves a URL found on the way (a shortener's destination) as if it had been submitted. */
  dispatch(url: string): Promise<Resolution>;
  /** Resolves a URL found inside a page, with its own trail, one level deeper. */
  resolveEmbedded(url: string): Promise<Resolution>;
}

/** One platform. `matches` is pure (no I/O); `resolve` may fetch through the context. */
export interface PlatformResolver {
  readonly platform: Platform;
  matches(url: URL): boolean;
  resolve(url: URL, ctx: ResolveContext): Promise<Resolution>;
}
