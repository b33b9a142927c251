// What every worker needs, built once per process and closed once on shutdown.
import type { Queue } from 'bullmq';
import type { RedisClient } from '../src/redis.js';
import type { WebhookJob } from '../schemas/webhook-jobs.js';
import { createArchiveStore } from '../src/archive/index.js';
import type { Timestamper } from '../src/archive/archive-check.js';
import type { ArchiveStore } from '../src/archive/store.js';
import { createTimestamper } from '../src/archive/timestamp.js';
import type { Config } from '../src/config.js';
import { createFeatureIndex, type FeatureIndex } from '../src/index/feature-index.js';
import { createHashIndex, type HashIndex } from '../src/index/hash-index.js';
import { keys, type Keys } from '../src/keys.js';
import type { Logger } from '../src/logger.js';
import { createSafeFetcher, type SafeFetcher } from '../src/net/safe-fetch.js';
import type { TtlCache } from '../src/pipeline/resolve/wayback.js';
import { createWatchQueue, createWebhookQueue, fairShares } from '../src/queues.js';
import { createWatchStore, type WatchStore } from '../src/services/watches.js';
import type { FairShare } from '../src/services/fair-share.js';
import { workerRedis } from '../src/redis.js';
import { createBankStore, type BankStore } from '../src/services/banks.js';
import { createCheckStore, type CheckStore } from '../src/services/check-store.js';
import { createMediaStore, type MediaStore } from '../src/services/media-store.js';
import { createRedisCache } from '../src/services/ttl-cache.js';
import { createWebhookStore, type WebhookStore } from '../src/services/webhooks.js';
import { checkVideoTools } from '../src/pipeline/video/tools.js';
import { createVideoIndex, type VideoIndex } from '../src/pipeline/video/video-index.js';

export interface WorkerContext {
  config: Config;
  keys: Keys;
  connection: RedisClient;
  store: CheckStore;
  fetcher: SafeFetcher;
  webhooks: WebhookStore;
  /** Each queue's share between organizations. */
  fair: { checks: FairShare; webhooks: FairShare };
  /** Producer side of the webhooks queue: workers emit events when checks end. */
  webhookQueue: Queue<WebhookJob>;
  /** Watched checks and their schedules (the watch worker ends them). */
  watches: WatchStore;
  /** The near-duplicate index, kept current from Redis (shared with the API when ROLE=all). */
  index: HashIndex;
  /** The local-feature index for partial matches (null when FEATURE_MATCHING is off); one per process. */
  features: FeatureIndex | null;
  media: MediaStore;
  banks: BankStore;
  /** Videos seen and bank videos, matchable by vPDQ (lives in Redis only). */
  videoIndex: VideoIndex;
  cache: TtlCache;
  /** Where checks' evidence archives go (null: ARCHIVE_ENABLED is false). */
  archives: ArchiveStore | null;
  /** Signs archives' digests (RFC 3161); null without TSA_URL. */
  timestamper: Timestamper | null;
  log: Logger;
  /** Closes what this context created (not a shared index). */
  close(): Promise<void>;
}

export async function createWorkerContext(
  config: Config,
  log: Logger,
  shared?: { index: HashIndex },
): Promise<WorkerContext> {
  const connection = workerRedis(config.redis, log);
  const k = keys(config.keyPrefix);
  const index = shared?.index ?? createIndex(config, connection, k, log);
  if (!shared) await index.start();
  const fetcher = createSafeFetcher(config.fetch);
  const archives = createArchiveStore(config);
  // Archives past ARCHIVE_TTL_DAYS are deleted at start-up and every hour after (each worker process
  // sweeps; deleting twice is harmless).
  const sweep = () =>
    archives
      ?.sweep()
      .then((n) => n && log.info({ removed: n }, 'expired archives deleted'))
      .catch((err: unknown) => log.warn({ err }, 'archive sweep failed'));
  void sweep();
  const sweeper = setInterval(() => void sweep(), 3_600_000).unref();
  const webhookQueue = createWebhookQueue(config, connection, log);
  const watchQueue = createWatchQueue(config, connection, log);
  // Said once at start-up: a worker without ffmpeg fails every video with `video_tools_missing`.
  const tools = await checkVideoTools(config.video);
  if (tools.available) log.info({ ffmpeg: tools.ffmpeg, ffprobe: tools.ffprobe }, 'video tools found');
  else log.warn({ problem: tools.problem }, 'video tools missing: videos will fail with video_tools_missing');
  return {
    config,
    keys: k,
    connection,
    store: createCheckStore(connection, k, config.retention),
    fetcher,
    webhooks: createWebhookStore(connection, k, config.webhooks),
    fair: fairShares(connection, k),
    webhookQueue,
    watches: createWatchStore(connection, k, watchQueue, config.watch),
    index,
    features: config.partial.features ? createFeaturesIndex(config, connection, k) : null,
    media: createMediaStore(connection, k),
    banks: createBankStore(connection, k, index, { publishers: config.sharedBankPublishers }),
    videoIndex: createVideoIndex(connection, k),
    cache: createRedisCache(connection, k),
    archives,
    timestamper:
      archives && config.archive.tsa.url ? createTimestamper({ ...config.archive.tsa, fetcher, log }) : null,
    log,
    async close() {
      clearInterval(sweeper);
      await webhookQueue.close();
      await watchQueue.close();
      await fetcher.close();
      if (!shared) await index.close();
      await connection.quit().catch(() => connection.disconnect());
    },
  };
}

/** Descriptor distances (of 256 bits) and the ratio test, chosen on `npm run bench:match`. */
export const FEATURE_MATCH = { voteDistance: 40, ratio: 0.8, maxDistance: 64 };

export function createFeaturesIndex(config: Config, redis: RedisClient, k: Keys): FeatureIndex {
  const p = config.partial;
  return createFeatureIndex({
    redis,
    keys: k,
    scopeDays: p.scopeDays,
    minVotes: p.minVotes,
    maxCandidates: p.maxCandidates,
    voteDistance: FEATURE_MATCH.voteDistance,
    verify: {
      minInliers: p.minInliers,
      minInlierRatio: p.minInlierRatio,
      minAgreement: p.minAgreement,
      ratio: FEATURE_MATCH.ratio,
      maxDistance: FEATURE_MATCH.maxDistance,
    },
  });
}

export function createIndex(config: Config, redis: RedisClient, k: Keys, log: Logger): HashIndex {
  return createHashIndex({ redis, keys: k, log, ...config.matching });
}
