// Every Redis key firstseen writes, in one place: this file is the data model.
//
//   <p>:check:<id>                 hash   one check: status, request, timestamps, report (JSON), error
//   <p>:idem:<sha256(org,key)>     string Idempotency-Key -> check id (TTL IDEMPOTENCY_TTL_SECONDS)
//   <p>:dedup:<sha256(org,urls)>   string normalized target list -> check id (TTL DEDUP_WINDOW_SECONDS)
//   <p>:apikey:<sha256(key)>       hash   an API key: id, org, scopes, name, created_at (the key itself is never stored)
//   <p>:apikey-id:<id>             string key id -> sha256(key), to list and revoke by id
//   <p>:apikeys:<org>              set    key ids of an organization
//   <p>:workers                    zset   worker process name -> last heartbeat (ms); /readyz reads it
//   <p>:ratelimit:<key id or ip>   string request count in the current minute (@fastify/rate-limit)
//   <p>:webhook:<id>               hash   a subscription: org, url, events, description, secret, disabled, created_at
//   <p>:webhooks:<org>             set    subscription ids of an organization
//   <p>:webhook-msg:<message id>   string an event's signed payload and type (JSON), kept 7 days for retries and redelivery
//   <p>:webhook-log:<target>       list   last 200 delivery attempts of a subscription (or a check's callback), newest first
//   <p>:webhooks:dead              list   deliveries that used up their attempts (last 1000)
//   {<p>}:webhooks:*               BullMQ's keys for the `webhooks` delivery queue
//   <p>:media:<sha256>             hash   an image seen: first seen (time, check, org, URLs), hashes, earliest post time, capture time, sightings count
//   <p>:media-sightings:<sha256>   list   its last 100 sightings (JSON), newest first
//   <p>:bank:<id>                  hash   a bank: org, name, description, kind, shared, created_at, entries, next_entry
//   <p>:banks:<org>                set    bank ids of an organization
//   <p>:banks:shared               set    bank ids every organization can match against
//   <p>:bank-entry:<bank>:<entry>  hash   one known image: label, verdict, source_url, first_published, pdq, quality, phash
//   <p>:cache:<key>                string cached answers of outside services (Wayback first captures), with a TTL
//   <p>:upload:<sha256>            string a file uploaded for a check, until a worker has read it (TTL UPLOAD_TTL_SECONDS)
//   <p>:thumb:<sha256>             string WebP thumbnail (≤ 320 px, no metadata) of an image seen, for report pages (TTL 90 days, renewed at each sighting)
//   {<p>}:checks:*                 BullMQ's keys for the `checks` queue (prefix is a cluster hash tag)
//   <p>:index:stream               stream near-duplicate hash index: one record per image/bank item added or removed; append-only, never trimmed (src/index/)
//
// Keys that are read together are single keys, never multi-key transactions, so the layout works
// unchanged on Redis Cluster.
import { createHash } from 'node:crypto';

export const QUEUES = { checks: 'checks', webhooks: 'webhooks' } as const;
export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

const digest = (s: string) => createHash('sha256').update(s).digest('hex');

export function keys(prefix: string) {
  return {
    check: (id: string) => `${prefix}:check:${id}`,
    // Scoped by organization: one newsroom's key or URL never leads to another's check.
    idempotency: (org: string, key: string) => `${prefix}:idem:${digest(`${org}\n${key}`)}`,
    dedup: (org: string, fingerprint: string) => `${prefix}:dedup:${digest(`${org}\n${fingerprint}`)}`,
    apiKey: (keyDigest: string) => `${prefix}:apikey:${keyDigest}`,
    apiKeyById: (id: string) => `${prefix}:apikey-id:${id}`,
    orgApiKeys: (org: string) => `${prefix}:apikeys:${org}`,
    workers: () => `${prefix}:workers`,
    rateLimitNamespace: () => `${prefix}:ratelimit:`,
    webhook: (id: string) => `${prefix}:webhook:${id}`,
    orgWebhooks: (org: string) => `${prefix}:webhooks:${org}`,
    webhookMessage: (messageId: string) => `${prefix}:webhook-msg:${messageId}`,
    webhookLog: (target: string) => `${prefix}:webhook-log:${target}`,
    webhookDeadLetters: () => `${prefix}:webhooks:dead`,
    media: (sha256: string) => `${prefix}:media:${sha256}`,
    mediaSightings: (sha256: string) => `${prefix}:media-sightings:${sha256}`,
    bank: (id: string) => `${prefix}:bank:${id}`,
    orgBanks: (org: string) => `${prefix}:banks:${org}`,
    sharedBanks: () => `${prefix}:banks:shared`,
    bankEntry: (bankId: string, entryId: string) => `${prefix}:bank-entry:${bankId}:${entryId}`,
    cache: (key: string) => `${prefix}:cache:${key}`,
    upload: (sha256: string) => `${prefix}:upload:${sha256}`,
    thumbnail: (sha256: string) => `${prefix}:thumb:${sha256}`,
    // --- near-duplicate hash index (src/index/) ---
    /** The index's source of truth: one record per add or removal; every querying process follows it. */
    indexStream: () => `${prefix}:index:stream`,
    // --- end hash index ---
    /** Pattern matching everything firstseen's own keys (not BullMQ's), for test clean-up. */
    all: () => `${prefix}:*`,
  };
}

export type Keys = ReturnType<typeof keys>;
