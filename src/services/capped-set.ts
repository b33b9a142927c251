// A sorted set of leases with a cap, in one Redis key (one Cluster slot): members whose score (their end,
// in ms) has passed are dropped, then the member is added or renewed unless the set is full. One round
// trip, so two concurrent callers cannot both take the last place. Used for an organization's deliveries
// in flight (src/services/fair-share.ts) and its watched checks (src/services/watches.ts).
import type { RedisClient } from '../redis.js';

// KEYS[1] the set; ARGV: now ms, lease end ms, member, cap, key ttl ms (0: none).
const ADD_CAPPED = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if not redis.call('ZSCORE', KEYS[1], ARGV[3]) and redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[4]) then
  return 0
end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3])
if tonumber(ARGV[5]) > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[5]) end
return 1
`;

/** Adds (or renews) `member` until `until` unless `cap` members are live; true when it holds a place. */
export async function addCapped(
  redis: RedisClient,
  key: string,
  lease: { member: string; until: number; cap: number; now?: number; keyTtlMs?: number },
): Promise<boolean> {
  const now = lease.now ?? Date.now();
  const added = await redis.eval(
    ADD_CAPPED,
    1,
    key,
    now,
    lease.until,
    lease.member,
    lease.cap,
    lease.keyTtlMs ?? 0,
  );
  return added === 1;
}
