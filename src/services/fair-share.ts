// Fair shares of the shared queues between organizations, so that one newsroom's flood of checks or its
// dead webhook receivers never delay another's work (SECURITY.md).
//
// Two mechanisms, both kept in Redis (any number of API and worker processes agree), one key each (so
// every command and script stays in one Redis Cluster slot):
//  - Rank: a job's BullMQ priority is its organization's count of unfinished jobs when it was queued.
//    An organization's 1st queued job has priority 1, its 10,000th priority 10,000; another
//    organization's first job (priority 1) is taken before the flood's 2nd. Within one organization
//    jobs keep their order. (Open-source BullMQ has no per-group queues; priorities are its ordering.)
//  - Active share: at most `cap` jobs of one organization are processed at once across all workers; a
//    worker that takes one more puts it back (delayed a moment) and takes the next. Entries are leases
//    that expire, so a worker that dies never holds a slot for ever.
import type { RedisClient } from '../redis.js';
import type { Keys, QueueName } from '../keys.js';
import { addCapped } from './capped-set.js';

/** BullMQ's largest priority. */
export const MAX_PRIORITY = 2_097_151;

// KEYS[1] pending zset; ARGV: now ms, forget before ms, member, key ttl ms. Returns the member's rank (1-based).
const RANK = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
if not redis.call('ZSCORE', KEYS[1], ARGV[3]) then redis.call('ZADD', KEYS[1], ARGV[1], ARGV[3]) end
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return redis.call('ZCARD', KEYS[1])
`;

export function createFairShare(
  redis: RedisClient,
  keys: Keys,
  queue: QueueName,
  options: { pendingMs: number },
) {
  return {
    /**
     * Records a queued job of `org` and returns the priority it should get: how many of the
     * organization's jobs are unfinished, this one included (1 for the first).
     */
    async priority(org: string, id: string): Promise<number> {
      const now = Date.now();
      const rank = (await redis.eval(
        RANK,
        1,
        keys.fairPending(queue, org),
        now,
        now - options.pendingMs,
        id,
        options.pendingMs,
      )) as number;
      return Math.max(1, Math.min(MAX_PRIORITY, rank));
    },

    /** The job is finished (done, or failed for good): it no longer counts in its organization's rank. */
    async finished(org: string, id: string): Promise<void> {
      await redis.zrem(keys.fairPending(queue, org), id);
    },

    /** Takes one of the organization's `cap` active slots for `leaseMs`; false when all are taken. */
    async acquire(org: string, id: string, cap: number, leaseMs: number): Promise<boolean> {
      const now = Date.now();
      return addCapped(redis, keys.fairActive(queue, org), {
        member: id,
        until: now + leaseMs,
        cap,
        now,
        keyTtlMs: leaseMs * 2,
      });
    },

    async release(org: string, id: string): Promise<void> {
      await redis.zrem(keys.fairActive(queue, org), id);
    },
  };
}

export type FairShare = ReturnType<typeof createFairShare>;
