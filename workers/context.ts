// What every worker needs, built once per process and closed once on shutdown.
import type { Queue } from 'bullmq';
import type { RedisClient } from '../src/redis.js';
import type { WebhookJob } from '../schemas/webhook-jobs.js';
import { createArchiveStore } from '../src/archive/index.js';
import type { Timestamper } from '../src/archive/archive-check.js';
import type { ArchiveStore } from '../src/archive/store.js';
import { createTimestamper } from '../src/archive/timestamp.js';
import type { Config } from '../src/config.js';
import { createMemory, type Memory } from '../src/memory/memory.js';
import { createAnalysisPool, type AnalysisPool } from '../src/pipeline/analyze/pool.js';
import { createPipeline, type Pipeline } from '../src/pipeline/pipeline.js';
import { keys, type Keys } from '../src/keys.js';
import type { Logger } from '../src/logger.js';
import { createSafeFetcher, type SafeFetcher } from '../src/net/safe-fetch.js';
import { createWatchQueue, createWebhookQueue, fairShares } from '../src/services/queues.js';
import { createWatchStore, type WatchStore } from '../src/services/watches.js';
import type { FairShare } from '../src/services/fair-share.js';
import { workerRedis } from '../src/redis.js';
import { createCheckStore, type CheckStore } from '../src/services/check-store.js';
import { createThumbnailStore } from '../src/services/thumbnails.js';
import { createAnalysisMemo } from '../src/services/analysis-memo.js';
import { createRedisCache } from '../src/services/ttl-cache.js';
import { createWebhookStore, type WebhookStore } from '../src/services/webhooks.js';
import { checkVideoTools } from '../src/pipeline/video/tools.js';
import { tesseractInfo } from '../src/pipeline/ocr/tesseract.js';

export interface WorkerContext {
  config: Config;
  keys: Keys;
  /** Our own stores' connection: plain, no BullMQ script defined on it (see `queueConnection`). */
  connection: RedisClient;
  /**
   * BullMQ's connection (its Workers and Queues), apart from ours: BullMQ defines its ~50 Lua scripts as
   * commands on the connection it is given, and ioredis copies every command defined on a connection onto
   * each pipeline and MULTI made from it, which our stores make several times per check (4-6% of a worker's
   * event loop, December 2026).
   */
  queueConnection: RedisClient;
  store: CheckStore;
  fetcher: SafeFetcher;
  webhooks: WebhookStore;
  /** Each queue's share between organizations. */
  fair: { checks: FairShare; webhooks: FairShare };
  /** Producer side of the webhooks queue: workers emit events when checks end. */
  webhookQueue: Queue<WebhookJob>;
  /** Watched checks and their schedules (the watch worker ends them). */
  watches: WatchStore;
  /** Everything seen and banked (shared with the API when ROLE=all). */
  memory: Memory;
  /** The analysis threads (shared with the API when ROLE=all); null: analysis on the event loop. */
  analysis: AnalysisPool | null;
  /** The check pipeline, assembled once per process. */
  pipeline: Pipeline;
  /** Where checks' evidence archives go (null: ARCHIVE_ENABLED is false). */
  archives: ArchiveStore | null;
  /** Signs archives' digests (RFC 3161); null without TSA_URL. */
  timestamper: Timestamper | null;
  log: Logger;
  /** Closes what this context created (not a shared memory or pool). */
  close(): Promise<void>;
}

export async function createWorkerContext(
  config: Config,
  log: Logger,
  shared?: { memory: Memory; analysis: AnalysisPool | null },
): Promise<WorkerContext> {
  const connection = workerRedis(config.redis, log);
  const queueConnection = workerRedis(config.redis, log);
  const k = keys(config.keyPrefix);
  const threads = config.analysis.threads;
  const ownPool = !shared && threads !== null;
  const analysis = shared
    ? shared.analysis
    : threads === null
      ? null
      : createAnalysisPool({ ...config.analysis, threads, keepAlive: true, eager: true });
  // With ROLE=all the API's image index is shared (one copy per process); the stores use this connection.
  const memory = await createMemory({
    config,
    redis: connection,
    keys: k,
    log,
    hashes: shared?.memory.hashes,
    verifier: analysis?.verify,
  });
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
  const webhookQueue = createWebhookQueue(config, queueConnection, log);
  const watchQueue = createWatchQueue(config, queueConnection, log);
  // Said once at start-up: a worker without ffmpeg fails every video with `video_tools_missing`.
  const tools = await checkVideoTools(config.video);
  if (tools.available) log.info({ ffmpeg: tools.ffmpeg, ffprobe: tools.ffprobe }, 'video tools found');
  else log.warn({ problem: tools.problem }, 'video tools missing: videos will fail with video_tools_missing');
  if (config.ocr) {
    // Said once too: without tesseract, images are checked as before and their text is `unavailable`.
    const ocr = await tesseractInfo(config.ocr.path);
    const missing = config.ocr.languages.filter((l) => !ocr?.languages.includes(l));
    if (ocr && !missing.length)
      log.info({ tesseract: ocr.version, languages: config.ocr.languages }, 'OCR ready');
    else log.warn({ tesseract: ocr?.version ?? null, missing }, 'OCR incomplete: run scripts/setup-ocr.sh');
  }
  return {
    config,
    keys: k,
    connection,
    queueConnection,
    store: createCheckStore(connection, k, config.retention),
    fetcher,
    webhooks: createWebhookStore(connection, k, config.webhooks),
    fair: fairShares(connection, k),
    webhookQueue,
    watches: createWatchStore(connection, k, watchQueue, config.watch),
    memory,
    analysis,
    pipeline: createPipeline({
      config,
      memory,
      analysis,
      fetcher,
      waybackCache: createRedisCache(connection, k),
      thumbnails: createThumbnailStore(connection, config.keyPrefix, config.maxInputPixels),
      analysisMemo:
        config.analysisMemoSeconds > 0
          ? createAnalysisMemo({
              redis: connection,
              keys: k,
              ttlSeconds: config.analysisMemoSeconds,
              // Every setting that changes what the analysis reads from given bytes.
              settings: {
                maxInputPixels: config.maxInputPixels,
                jpegDoubleCompression: config.jpegDoubleCompression,
                features: memory.features ? config.partial : null,
                ocr: config.ocr,
              },
            })
          : null,
      log,
    }),
    archives,
    timestamper:
      archives && config.archive.tsa.url ? createTimestamper({ ...config.archive.tsa, fetcher, log }) : null,
    log,
    async close() {
      clearInterval(sweeper);
      await webhookQueue.close();
      await watchQueue.close();
      await fetcher.close();
      await memory.close();
      // After the workers closed (their jobs finished): nothing is analyzing any more.
      if (ownPool) await analysis?.close();
      await connection.quit().catch(() => connection.disconnect());
      await queueConnection.quit().catch(() => queueConnection.disconnect());
    },
  };
}
