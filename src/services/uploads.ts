// Files uploaded with a check wait in Redis, under the check's id, until its worker has finished with them:
// deleted as soon as the check is done or has failed for good (a re-run after a crash still finds them
// while the check is unfinished), and at the latest after UPLOAD_TTL_SECONDS. What each organization
// has waiting counts against its quota (UPLOAD_ORG_QUOTA_BYTES), so one newsroom's flood of uploads
// cannot fill Redis (which, with `noeviction`, would stop taking writes for everyone).
import { createHash } from 'node:crypto';
import type { RedisClient } from '../redis.js';
import type { Config } from '../config.js';
import { HttpErrors } from '../errors.js';
import type { Keys } from '../keys.js';

/** Targets that are files uploaded with the check, kept here under the check's id until it is done. */
export const UPLOAD_SCHEME = 'upload:';

// KEYS[1] the organization's uploads hash (check id -> "<bytes>:<expiry ms>"); ARGV: now, check id,
// bytes, expiry ms, quota (0: none). Drops expired entries, then adds this one if it fits.
const RESERVE = `
local total = 0
local entries = redis.call('HGETALL', KEYS[1])
for i = 1, #entries, 2 do
  local bytes, expiry = string.match(entries[i + 1], '^(%d+):(%d+)$')
  if not bytes or tonumber(expiry) <= tonumber(ARGV[1]) then
    redis.call('HDEL', KEYS[1], entries[i])
  elseif entries[i] ~= ARGV[2] then
    total = total + tonumber(bytes)
  end
end
local quota = tonumber(ARGV[5])
if quota > 0 and total + tonumber(ARGV[3]) > quota then return total end
redis.call('HSET', KEYS[1], ARGV[2], ARGV[3] .. ':' .. ARGV[4])
redis.call('PEXPIREAT', KEYS[1], ARGV[4])
return -1
`;

export function createUploadStore(
  redis: RedisClient,
  keys: Keys,
  config: Pick<Config, 'uploadTtlSeconds' | 'uploads'>,
) {
  return {
    /**
     * Keeps a check's file until its worker is done with it. Refused (429 upload_quota_exceeded) when the
     * organization's files waiting would exceed its quota.
     */
    async save(org: string, checkId: string, bytes: Buffer): Promise<void> {
      const expiry = Date.now() + config.uploadTtlSeconds * 1000;
      const waiting = (await redis.eval(
        RESERVE,
        1,
        keys.orgUploads(org),
        Date.now(),
        checkId,
        bytes.length,
        expiry,
        config.uploads.orgQuotaBytes,
      )) as number;
      if (waiting >= 0) {
        throw new HttpErrors.upload_quota_exceeded(
          `Your organization has ${waiting} bytes of uploads waiting for their checks; with ${bytes.length} more it would pass its quota of ${config.uploads.orgQuotaBytes} (UPLOAD_ORG_QUOTA_BYTES). Retry when they are done.`,
        );
      }
      await redis.set(keys.upload(checkId), bytes, 'PXAT', expiry);
    },

    /** The check's file, when it is still there and is the file the check names (by sha256). */
    async read(checkId: string, sha256: string): Promise<Buffer | null> {
      const bytes = await redis.getBuffer(keys.upload(checkId));
      if (!bytes) return null;
      return createHash('sha256').update(bytes).digest('hex') === sha256 ? bytes : null;
    },

    /** The check is over (or was never queued): its file and its share of the quota go. */
    async remove(org: string, checkId: string): Promise<void> {
      // Sent together: one round trip, not two.
      await Promise.all([redis.del(keys.upload(checkId)), redis.hdel(keys.orgUploads(org), checkId)]);
    },

    /** Bytes of uploads an organization has waiting (expired entries excluded). */
    async waiting(org: string): Promise<number> {
      const now = Date.now();
      let total = 0;
      for (const v of Object.values(await redis.hgetall(keys.orgUploads(org)))) {
        const [bytes, expiry] = v.split(':').map(Number);
        if (bytes !== undefined && expiry !== undefined && expiry > now) total += bytes;
      }
      return total;
    },
  };
}

export type UploadStore = ReturnType<typeof createUploadStore>;
