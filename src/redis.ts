// Redis connections, all built here from the configured target (one server, a Redis Cluster, or a
// primary found through Sentinels: see RedisTarget in src/config.ts). Two flavours, as BullMQ's
// production guide prescribes:
//  - the API's: fail fast (no offline queue, one retry), so a request answers 503 at once when Redis
//    is down instead of hanging;
//  - workers': retry forever (maxRetriesPerRequest: null, required by BullMQ's blocking commands).
// Code that takes a connection takes a RedisClient, which works the same in all three modes; the only
// difference callers see is that on a cluster a pipeline or MULTI must keep its keys in one slot
// (see `batch` below and the header of src/keys.ts).
import { Cluster, Redis, type ChainableCommander, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { RedisTarget } from './config.js';
import type { Logger } from './logger.js';

export type RedisClient = Redis | Cluster;

const retryStrategy = (times: number) => Math.min(times * 200, 2000);

type Flavour = 'api' | 'worker';

/** Options of one connection (to the server, to the Sentinels' primary, or to each cluster node). */
function nodeOptions(flavour: Flavour): RedisOptions {
  return flavour === 'api'
    ? { maxRetriesPerRequest: 1, connectionName: 'firstseen-api' }
    : { maxRetriesPerRequest: null, connectionName: 'firstseen-worker' };
}

/** A connection to the configured Redis, whatever its mode, with the options of a flavour. */
export function connectRedis(target: RedisTarget, flavour: Flavour, extra: RedisOptions = {}): RedisClient {
  const enableOfflineQueue = flavour === 'worker';
  const node = { ...nodeOptions(flavour), ...extra };
  switch (target.mode) {
    case 'single':
      return new Redis(target.url, { enableOfflineQueue, retryStrategy, ...node });
    case 'sentinel':
      return new Redis({
        enableOfflineQueue,
        retryStrategy,
        ...node,
        sentinels: target.sentinels,
        name: target.name,
        db: target.db,
        ...(target.username && { username: target.username }),
        ...(target.password && { password: target.password }),
        // Sentinels unreachable: ask them again, like the primary itself, for ever.
        sentinelRetryStrategy: retryStrategy,
        // After a failover the old primary may come back as a replica: reconnect (to the new primary)
        // instead of failing writes with READONLY.
        reconnectOnError: (err) => err.message.startsWith('READONLY'),
      });
    case 'cluster': {
      const options: ClusterOptions = {
        // The cluster client keeps its own offline queue; each node connection always queues until it
        // is connected (ioredis sets that itself) and follows the flavour's retries per request.
        enableOfflineQueue,
        clusterRetryStrategy: retryStrategy,
        // A primary gone: its replica takes over after cluster-node-timeout plus an election. Until
        // then commands on its slots fail; ioredis refreshes the slot map and retries, 100 ms apart.
        // The API gives up after 6 tries (under a second, then 503: a failover takes longer than
        // cluster-node-timeout, so waiting would only hold requests); workers wait through a failover
        // (600 tries, about a minute).
        retryDelayOnFailover: 100,
        retryDelayOnClusterDown: 100,
        retryDelayOnTryAgain: 100,
        maxRedirections: flavour === 'api' ? 6 : 600,
        slotsRefreshTimeout: 2000,
        redisOptions: {
          ...node,
          ...(target.username && { username: target.username }),
          ...(target.password && { password: target.password }),
        },
      };
      return new Cluster(target.nodes, options);
    }
  }
}

function logged(redis: RedisClient, log: Logger, what: string): RedisClient {
  redis.on('error', (err: Error) => log.warn({ err: err.message }, `redis (${what}) connection error`));
  return redis;
}

export function apiRedis(target: RedisTarget, log: Logger): RedisClient {
  return logged(connectRedis(target, 'api'), log, 'api');
}

export function workerRedis(target: RedisTarget, log: Logger): RedisClient {
  return logged(connectRedis(target, 'worker'), log, 'worker');
}

/**
 * Another connection to the same Redis for a blocking command (XREAD BLOCK): queueing while it
 * reconnects and retrying for ever, whatever the original's flavour.
 */
export function duplicateForBlocking(redis: RedisClient, connectionName: string): RedisClient {
  if (redis instanceof Cluster) {
    return redis.duplicate([], {
      enableOfflineQueue: true,
      redisOptions: { ...redis.options.redisOptions, connectionName, maxRetriesPerRequest: null },
    });
  }
  return redis.duplicate({ connectionName, enableOfflineQueue: true, maxRetriesPerRequest: null });
}

/** Waits until the connection is ready, at most `ms`; never throws (the caller decides what to do). */
export async function waitReady(redis: RedisClient, ms: number): Promise<boolean> {
  if (redis.status === 'ready') return true;
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      clearTimeout(timer);
      redis.off('ready', onReady);
      resolve(ok);
    };
    const onReady = () => done(true);
    const timer = setTimeout(() => done(false), ms);
    redis.once('ready', onReady);
  });
}

export type BatchReply = [error: Error | null, result: unknown];

/**
 * Sends one command per item without waiting for each reply, and returns the replies in order, as
 * `pipeline().exec()` does. On one Redis that is one pipeline. A cluster pipeline must stay within
 * one node (ioredis refuses it otherwise), and these keys lie in many slots, so there each item is a
 * pipeline of its own, all sent at once: ioredis routes each to its key's node. `add` must therefore
 * put commands on keys of one slot only (usually one command on one key).
 */
export async function batch<T>(
  redis: RedisClient,
  items: readonly T[],
  add: (pipeline: ChainableCommander, item: T) => unknown,
): Promise<BatchReply[]> {
  if (!items.length) return [];
  if (!(redis instanceof Cluster)) {
    const pipeline = redis.pipeline();
    for (const item of items) add(pipeline, item);
    return (await pipeline.exec()) ?? [];
  }
  const replies = await Promise.all(
    items.map((item) => {
      const pipeline = redis.pipeline();
      add(pipeline, item);
      return pipeline.exec();
    }),
  );
  return replies.flatMap((r) => r ?? []);
}

/**
 * What Redis Cluster hashes of a key to find its slot: the hash tag (the text between the first `{` and
 * the next `}`, when not empty), else the whole key. Keys with the same tag share a slot, so one command
 * or script may touch them all, on a cluster as on one Redis.
 */
export function hashTagOf(key: string): string {
  const open = key.indexOf('{');
  if (open < 0) return key;
  const close = key.indexOf('}', open + 1);
  return close > open + 1 ? key.slice(open + 1, close) : key;
}

/**
 * Runs `each` on every primary (SCAN, FLUSH-like clean-ups): on one Redis that is the connection
 * itself; on a cluster, each primary's own connection, since SCAN only sees the keys of the node it
 * runs on.
 */
export async function onEveryPrimary(
  redis: RedisClient,
  each: (node: Redis) => Promise<void>,
): Promise<void> {
  if (redis instanceof Cluster) await Promise.all(redis.nodes('master').map(each));
  else await each(redis);
}
