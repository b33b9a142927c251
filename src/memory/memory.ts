// The memory of everything firstseen has seen and been given, in one place: the hash index (PDQ and
// pHash, with content regions and video keyframes), the local-feature index, the video index, the
// text index (post texts, words read in images, fact-check claims), the media records, the posts by author and the banks. `createMemory` is the only place they are assembled; the worker, the API,
// the CLI and the tests all call it, and the pipeline sees only the `CheckMemory` it hands out.
//
// Modelled on the "unified store behind small interfaces" of Meta's Hasher-Matcher-Actioner: code that
// matches or remembers refers to this interface, never to a store.
import type { BestCopy } from '../../schemas/best-copy.js';
import type { FactCheck } from '../../schemas/fact-checks.js';
import type { Match } from '../../schemas/provenance.js';
import type { MediaItem } from '../../schemas/report.js';
import type { Config } from '../config.js';
import { HttpErrors } from '../errors.js';
import type { Keys } from '../keys.js';
import type { Logger } from '../logger.js';
import type { RedisClient } from '../redis.js';
import type { FeatureVerifier } from '../similarity/features/verify.js';
import { createBankStore, type BankStore } from './banks.js';
import { createBestCopies, type BestCopies } from './best-copy.js';
import { createFactCheckStore, type FactCheckStore } from './fact-checks.js';
import { createFeatureIndex, type FeatureIndex } from './feature-index.js';
import { createHashIndex, type HashIndex } from './hash-index/hash-index.js';
import { createImageMatcher, type ImageMatcher, type PartialMatching } from './image-matcher.js';
import { hitResolver, type Asker } from './matches.js';
import { createMediaStore, type MediaStore } from './media-store.js';
import { createTextIndex, type TextIndex } from './text-index.js';
import { createTextMatcher, type TextMatcher } from './text-matcher.js';
import { createPostIndex, type PostFacts, type PostIndex, type RememberedPost } from './post-index.js';
import { createVideoIndex, type VideoIndex } from './video-index.js';
import { createVideoMatcher, type VideoMatcher } from './video-matcher.js';

/** What one check needs of the memory: match and remember its images and videos. */
export interface CheckMemory {
  images: ImageMatcher;
  videos: VideoMatcher;
  /** Posts' texts and images' words against the texts and fact-check claims remembered. */
  texts: TextMatcher;
  /** Published fact-checks of an item's picture or of the pictures it matched (visible to the check's organization). */
  factChecks(item: Pick<MediaItem, 'sha256'>, matches: readonly Match[]): Promise<FactCheck[]>;
  /**
   * The copy closest to the original among the item and the copies it matched (null without one seen
   * before); notes this item with the copies it outranks, so their reports name it when read again.
   */
  bestCopy(item: MediaItem, matches: readonly Match[]): Promise<BestCopy | null>;
  /** Resolved posts by author: remembered with the URL the check was given, looked up for screenshots. */
  posts: {
    remember(post: PostFacts, sourceUrl: string): Promise<void>;
    /** The author's posts this organization may see. */
    byAuthor(handle: string): Promise<RememberedPost[]>;
    /** Posts this organization may see by handles that look like this one in a screenshot (not its own). */
    byLookalike(handle: string): Promise<RememberedPost[]>;
  };
}

/** A hash given by a client (POST /v1/lookup). */
export interface LookupQuery {
  pdq?: string | undefined;
  quality?: number | undefined;
  phash?: string | undefined;
  max_distance?: number | undefined;
  limit?: number | undefined;
}

export interface Memory {
  /** The memory as one check of one organization sees it; `now` fixes sighting times in tests. */
  forCheck(asker: Asker & { checkId: string }): CheckMemory;
  /**
   * Matches a hash computed by the client against everything `org` may see: PDQ unless its quality is too
   * low to trust, then pHash, as a check would. `max_distance` may narrow, never widen, the thresholds.
   */
  lookup(org: string, q: LookupQuery): Promise<Match[]>;
  banks: BankStore;
  factChecks: FactCheckStore;
  media: MediaStore;
  /** Copies of a picture ranked; refreshes stored reports' best copies when read (src/memory/best-copy.ts). */
  copies: BestCopies;
  posts: PostIndex;
  /** The image index (exposed for metrics, benchmarks and bulk imports). */
  hashes: HashIndex;
  /** Null when FEATURE_MATCHING is off. */
  features: FeatureIndex | null;
  videos: VideoIndex;
  /** The text index: post texts, words read in images, fact-check claims. */
  texts: TextIndex;
  /** Stops following the index stream; closes only what the memory opened itself. */
  close(): Promise<void>;
}

export type MemoryConfig = Pick<
  Config,
  'matching' | 'indexSnapshots' | 'partial' | 'video' | 'sharedBankPublishers'
>;

/** Descriptor distances (of 256 bits) and the ratio test, chosen on `npm run bench:match`. */
export const FEATURE_MATCH = { voteDistance: 40, ratio: 0.8, maxDistance: 64 };

export interface MemoryDeps {
  config: MemoryConfig;
  /** Commands (records, banks, the video index). */
  redis: RedisClient;
  /**
   * The connection the hash index loads and follows its stream on; the API gives one that waits for Redis
   * (loading the index is not a request), workers their own. Default: `redis`.
   */
  indexRedis?: RedisClient | undefined;
  keys: Keys;
  log: Logger;
  /** Tests shorten the index's blocking read. */
  indexBlockMs?: number | undefined;
  /**
   * An image index this process already holds (the API's, when ROLE=all runs workers beside it): one copy
   * per process, while each memory's stores use their own connection (the workers' waits for Redis, the
   * API's fails fast). Not closed by this memory.
   */
  hashes?: HashIndex | undefined;
  /** Runs the feature index's geometric checks (the analysis pool's threads); default: this thread. */
  verifier?: FeatureVerifier | undefined;
}

/** Builds the memory and loads the image index (resolves once it is current). */
export async function createMemory(deps: MemoryDeps): Promise<Memory> {
  const { config, redis, keys, log } = deps;
  const hashes =
    deps.hashes ??
    createHashIndex({
      redis: deps.indexRedis ?? redis,
      keys,
      log,
      ...config.matching,
      snapshots: config.indexSnapshots,
      ...(deps.indexBlockMs !== undefined && { blockMs: deps.indexBlockMs }),
    });
  if (!deps.hashes) await hashes.start();
  const p = config.partial;
  const features = p.features
    ? createFeatureIndex({
        redis,
        keys,
        scopeDays: p.scopeDays,
        maxImages: p.maxImages,
        minVotes: p.minVotes,
        maxCandidates: p.maxCandidates,
        voteDistance: FEATURE_MATCH.voteDistance,
        verifier: deps.verifier,
        verify: {
          minInliers: p.minInliers,
          minInlierRatio: p.minInlierRatio,
          minAgreement: p.minAgreement,
          ratio: FEATURE_MATCH.ratio,
          maxDistance: FEATURE_MATCH.maxDistance,
        },
      })
    : null;
  const videos = createVideoIndex(redis, keys);
  const media = createMediaStore(redis, keys);
  const posts = createPostIndex(redis, keys);
  const banks = createBankStore(redis, keys, { hashes, videos }, { publishers: config.sharedBankPublishers });
  const texts = createTextIndex(redis, keys);
  const factChecks = createFactCheckStore(redis, keys, banks, texts);
  const copies = createBestCopies(redis, keys, media);
  const partial: PartialMatching = {
    regionPdqMaxDistance: p.regionPdqMaxDistance,
    minInliers: p.minInliers,
    features,
    featureOptions: { side: p.side, maxKeypoints: p.maxKeypoints, engine: p.orb },
  };

  const memory: Memory = {
    forCheck(asker) {
      const resolve = hitResolver({ media, banks }, asker.org);
      const images = createImageMatcher({
        index: hashes,
        media,
        resolve,
        asker,
        thresholds: config.matching,
        partial,
      });
      const videoMatcher = createVideoMatcher({
        thresholds: config.video.vpdq,
        index: videos,
        media,
        resolve,
        asker,
        images: { matcher: images, index: hashes },
      });
      return {
        images,
        videos: videoMatcher,
        texts: createTextMatcher({ index: texts, media, factChecks, asker }),
        factChecks: (item, matches) => factChecks.forItem(item, matches, asker.org),
        bestCopy: (item, matches) => copies.forItem(item, matches, asker.now?.() ?? new Date().toISOString()),
        posts: {
          remember: (post, sourceUrl) =>
            posts.remember(post, {
              at: asker.now?.() ?? new Date().toISOString(),
              org: asker.org,
              source_url: sourceUrl,
            }),
          byAuthor: (handle) => posts.byAuthor(handle, asker.org),
          byLookalike: (handle) => posts.byLookalike(handle, asker.org),
        },
      };
    },

    async lookup(org, q) {
      if (!q.pdq && !q.phash) throw new HttpErrors.invalid_request('Give a pdq or a phash');
      // The same choice the matcher makes: PDQ unless its quality is too low to trust, then pHash.
      const { pdqMaxDistance, phashMaxDistance, minPdqQuality } = config.matching;
      const byPdq = !!q.pdq && (q.quality === undefined || q.quality >= minPdqQuality);
      const cap = byPdq ? pdqMaxDistance : phashMaxDistance;
      if (q.max_distance !== undefined && q.max_distance > cap)
        throw new HttpErrors.invalid_request(
          `max_distance may be at most ${cap} (${byPdq ? 'PDQ_MATCH_DISTANCE' : 'PHASH_MATCH_DISTANCE'})`,
        );
      // A lookup is no check: nothing is remembered, and no sighting is its own.
      const images = createImageMatcher({
        index: hashes,
        media,
        resolve: hitResolver({ media, banks }, org),
        asker: { org },
        thresholds: config.matching,
      });
      const matches = await images.lookup({
        pdq: q.pdq ? [q.pdq.toLowerCase()] : undefined,
        quality: q.quality,
        phash: q.phash?.toLowerCase(),
        maxDistance: q.max_distance,
      });
      return matches.slice(0, q.limit ?? matches.length);
    },

    banks,
    factChecks,
    media,
    copies,
    posts,
    hashes,
    features,
    videos,
    texts,
    close: async () => {
      if (!deps.hashes) await hashes.close();
    },
  };
  return memory;
}
