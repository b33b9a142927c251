// Every Redis key firstseen writes, in one place: this file is the data model.
//
//   <p>:check:<id>                 hash   one check: status, request, timestamps, report (JSON), error (TTL CHECK_RETENTION_DAYS from when it finished; none when 0);
//                                         forensic views asked for after the check: `views:<index>` (JSON, the item's `views`, merged into the report when read) and `views-asked:<index>` (ISO time, while they are being made)
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
//   <p>:media:<sha256>             hash   an image seen: first seen (time, check, org, URLs), hashes, earliest post time, capture time, sightings count, its copy facts (`copy`: pixels, JPEG quality, camera, frame)
//   <p>:media-sightings:<sha256>   list   its last 100 sightings (JSON), newest first
//   <p>:media-better:<sha256>     zset   copies of the picture seen later that rank above this file (`<sha256 in base64url>:<their framing>:<its framing>` -> pixels), the best 8: a report of this file names the best when fetched (src/memory/best-copy.ts)
//   <p>:media-seen:<sha256(sha256,check,url)> string marks a sighting recorded by one check, so a re-run after a crash does not count it twice (TTL 1 day)
//   <p>:post:<sha256(platform,id)> hash   a post resolved: platform, id, url, handle, display_name, posted_at, text (as last seen), first_seen_at, first_org, private (src/memory/post-index.ts)
//   <p>:posts-by:<platform>:<handle> zset  an author's posts (post digests) -> post time (ms), the newest 200: what a screenshot of a post is traced to
//   <p>:bank:<id>                  hash   a bank: org, name, description, kind, shared, created_at, entries, next_entry
//   <p>:banks:<org>                set    bank ids of an organization
//   <p>:banks:shared               set    bank ids every organization can match against
//   <p>:bank-entry:<bank>:<entry>  hash   one known image: label, verdict, source_url, first_published, pdq, quality, phash
//                                         (a fact-check: also `review`, the ClaimReview as read, JSON, and `media`, its pictures' sha256s)
//   <p>:fact-checks-of:<sha256>    set    `<bank>/<entry>` of every fact-check whose picture this image is or matches (src/memory/fact-checks.ts)
//   <p>:fact-check-bank:<org>      string the organization's own fact-check bank id (created on first use)
//   <p>:cache:<key>                string cached answers of outside services, with a TTL: Wayback first captures (`wayback:first:<sha256(url)>`), web search sightings (`websearch:<engine>:<sha256(image url)>`, TINEYE_CACHE_SECONDS), Google Fact Check Tools answers (`fct:<sha256(question)>`, FACT_CHECK_TOOLS_CACHE_SECONDS), a Bluesky author's recent posts read for a screenshot (`bsky-feed:<sha256(handle, pages, page size)>`, SCREENSHOT_AUTHOR_FEED_CACHE_SECONDS; src/pipeline/screenshot/author-feed.ts)
//   <p>:upload:<check id>          string the file uploaded for a check, deleted when the check is done or failed for good (TTL UPLOAD_TTL_SECONDS at most)
//   <p>:uploads:<org>              hash   check id -> "<bytes>:<expiry ms>" of an organization's uploads waiting: its quota (UPLOAD_ORG_QUOTA_BYTES)
//   <p>:fair:<queue>:<org>:pending zset   an organization's jobs not finished (id -> queued at, ms): the rank that sets a new job's priority
//   <p>:fair:<queue>:<org>:active  zset   an organization's jobs being processed (id -> lease end, ms): its share of the workers
//   <p>:media-private:<sha256>     hash   org -> its first sighting (JSON) of a media file it uploaded: shown to that organization only
//   <p>:thumb:<sha256>             string WebP thumbnail (≤ 320 px, no metadata) of an image seen, for report pages (TTL: as long as the longest-kept check that saw it needs, at most 90 days, lengthened at each sighting); a video's keyframes too, by sha256(`<video sha256>:frame:<n>`)
//   <p>:view:<kind>:<sha256>       string forensic view (kind `ela` or `noise`, WebP) of an image a check asked views of (FORENSIC_VIEWS, or POST …/media/:index/views); served through that check only; TTL as its thumbnail's
//   <p>:view-facts:<sha256>        string what the views of an image say beside their pictures (JSON: ELA quality and gain, noise gain; or why none), so that they are never made twice for one file; TTL as the views'
//   <p>:memo:<scope>:<sha256>:<settings> hash what the analysis read from a file checked twice (probe, hashes, metadata, credentials, JPEG structure, features, OCR text), for its later checks: scope `public` for a fetched file, `org:<org>` for an uploaded one; <settings> a digest of the analysis settings and version (TTL ANALYSIS_MEMO_SECONDS from its last read; src/services/analysis-memo.ts)
//   {<p>}:views:*                  BullMQ's keys for the `views` queue (forensic views asked for after a check)
//   {<p>}:checks:*                 BullMQ's keys for the `checks` queue (prefix is a cluster hash tag)
//   <p>:watch:<check id>           hash   a check's watch: org, started_at, until, last_run_at, and per post URL its last state seen (`seen:<url>`, JSON) and the changes recorded (`change:<url>`, JSON, written once)
//   <p>:watches:<org>              zset   check ids an organization watches -> watch end (ms): its WATCH_MAX_PER_ORG cap
//   {<p>}:watches:*                BullMQ's keys for the `watches` queue (one job scheduler per watched check)
//   <p>:index:stream               stream near-duplicate hash index: one record per image/bank item added or removed; trimmed behind the snapshot (src/memory/hash-index/)
//   {<p>:index:stream}:snapshot    string the index snapshot pointer (JSON): current generation (stream id, entries, chunks, CRCs) and the previous one while it is kept
//   {<p>:index:stream}:snapshot:<gen>:<n> string chunk n (4 MiB) of snapshot generation gen: the live entries as records (src/memory/hash-index/snapshot.ts)
//   {<p>:index:stream}:snapshot-lock string the process writing a snapshot (SET NX PX)
//   {<p>:index:stream}:floor       string stream id below which the stream has been trimmed; a process behind it reloads
//   <p>:video:<id>                 hash   vPDQ of a video seen (`m:<sha256>`) or a bank video (`b:<bank>:<entry>`): lines as decoded and cropped to the content region (src/memory/video-index.ts)
//   <p>:video-seq                  string last video number handed out
//   <p>:video-num:<id>             string a video's number (set members are numbers: compact intsets)
//   <p>:video-by-num:<n>           string the video id of a number; deleted when the video is removed
//   <p>:vidx:<segment>:<4 hex>     set    numbers of videos with a frame whose PDQ has this 16-bit value in this segment (0-15)
//   <p>:features:<id>              string ORB keypoints and descriptors of one indexed image (binary, ~18 KB), expiring with the feature scope (src/memory/feature-index.ts)
//   <p>:features:ids               zset   ids of images with features -> when added (ms); every process follows it to load new ones
//   <p>:text:<id>                  hash   a text remembered (src/memory/text-index.ts): its normalized words and first-seen facts (post URL, author, times); ids `t:<sha256(post URL)>` a post's text, `m:<sha256>` the words read in an image, `b:<bank>:<entry>` a fact-check's claim
//   {<p>:tlsh:<band>:<hex>}<3 hex> set    `<4 hex tag><text id>` of texts with a window whose MinHash band (0-31) falls in this bucket (the bucket's 4 hex digits: the first in the hash tag)
//
// Redis Cluster (REDIS_CLUSTER_NODES): a command, MULTI or Lua script may only touch keys of one hash
// slot. The layout keeps to that without renaming any key:
//  - BullMQ's keys carry the hash tag `{<p>}` (config.queuePrefix), so each queue's keys, and its Lua
//    scripts, share one slot, as BullMQ requires;
//  - the index stream is one key (its Lua XADD batch names only it); its snapshot keys carry the hash tag
//    `{<p>:index:stream}`, which hashes like the stream's own name (it has no braces), so the snapshot
//    scripts (flip, trim) and the tail's XREAD + GET of the floor stay in the stream's slot; the MULTIs
//    (check record, feature ids) touch one key each;
//  - the text index's bucket sets carry the hash tag `{<p>:tlsh:<band>:<first hex digit>}`: 512 slots,
//    enough to spread them over a cluster's primaries, few enough that an import chunk's 16,000 bucket
//    writes become one Lua script per tag (a few dozen keys each, all in its slot) instead of 16,000
//    commands (src/memory/text-index.ts);
//  - everything read or written in bulk across many keys (bank entries, video buckets and numbers,
//    feature blobs, thumbnails) goes through `batch` in src/redis.ts: one pipeline on a single Redis,
//    one command per key (routed to its node) on a cluster, never MGET, multi-key DEL or a pipeline
//    spanning nodes. Where two such writes must be seen in order (a feature blob before its id), they
//    are two commands in that order.
// Clean-ups that SCAN by pattern must SCAN every primary of a cluster (`onEveryPrimary`).
import { createHash } from 'node:crypto';

export const QUEUES = {
  checks: 'checks',
  webhooks: 'webhooks',
  watches: 'watches',
  views: 'views',
} as const;
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
    mediaBetter: (sha256: string) => `${prefix}:media-better:${sha256}`,
    mediaSeen: (sha256: string, checkId: string, url: string) =>
      `${prefix}:media-seen:${digest(`${sha256}\n${checkId}\n${url}`)}`,
    post: (digest: string) => `${prefix}:post:${digest}`,
    postsByAuthor: (platform: string, handle: string) => `${prefix}:posts-by:${platform}:${handle}`,
    /** Posts by every handle with this look-alike skeleton (post-index.ts, handleSkeleton). */
    postsByLookalike: (skeleton: string) => `${prefix}:posts-like:${skeleton}`,
    bank: (id: string) => `${prefix}:bank:${id}`,
    orgBanks: (org: string) => `${prefix}:banks:${org}`,
    sharedBanks: () => `${prefix}:banks:shared`,
    bankEntry: (bankId: string, entryId: string) => `${prefix}:bank-entry:${bankId}:${entryId}`,
    factChecksOf: (sha256: string) => `${prefix}:fact-checks-of:${sha256}`,
    orgFactCheckBank: (org: string) => `${prefix}:fact-check-bank:${org}`,
    cache: (key: string) => `${prefix}:cache:${key}`,
    upload: (checkId: string) => `${prefix}:upload:${checkId}`,
    orgUploads: (org: string) => `${prefix}:uploads:${org}`,
    fairPending: (queue: QueueName, org: string) => `${prefix}:fair:${queue}:${org}:pending`,
    fairActive: (queue: QueueName, org: string) => `${prefix}:fair:${queue}:${org}:active`,
    watch: (checkId: string) => `${prefix}:watch:${checkId}`,
    orgWatches: (org: string) => `${prefix}:watches:${org}`,
    mediaPrivate: (sha256: string) => `${prefix}:media-private:${sha256}`,
    thumbnail: (sha256: string) => `${prefix}:thumb:${sha256}`,
    forensicView: (kind: 'ela' | 'noise', sha256: string) => `${prefix}:view:${kind}:${sha256}`,
    forensicViewFacts: (sha256: string) => `${prefix}:view-facts:${sha256}`,
    /** What was read from a file's bytes (src/services/analysis-memo.ts); scope `public` or `org:<org>`. */
    analysisMemo: (scope: string, sha256: string, fingerprint: string) =>
      `${prefix}:memo:${scope}:${sha256}:${fingerprint}`,
    // --- near-duplicate hash index (src/memory/hash-index/) ---
    /** The index's source of truth: one record per add or removal; every querying process follows it. */
    indexStream: () => `${prefix}:index:stream`,
    // The snapshot's keys are in the stream's slot: `{x}` hashes as the key `x` does.
    indexSnapshot: () => `{${prefix}:index:stream}:snapshot`,
    indexSnapshotChunk: (gen: string, n: number) => `{${prefix}:index:stream}:snapshot:${gen}:${n}`,
    indexSnapshotLock: () => `{${prefix}:index:stream}:snapshot-lock`,
    indexFloor: () => `{${prefix}:index:stream}:floor`,
    // --- end hash index ---
    // --- video index (src/memory/video-index.ts) ---
    videoHashes: (id: string) => `${prefix}:video:${id}`,
    videoSequence: () => `${prefix}:video-seq`,
    videoNumber: (id: string) => `${prefix}:video-num:${id}`,
    videoByNumber: (n: string) => `${prefix}:video-by-num:${n}`,
    videoBucket: (segment: number, value: string) => `${prefix}:vidx:${segment}:${value}`,
    // --- end video index ---
    // --- local-feature index (src/memory/feature-index.ts) ---
    features: (id: string) => `${prefix}:features:${id}`,
    featureIds: () => `${prefix}:features:ids`,
    // --- text index (src/memory/text-index.ts) ---
    textDoc: (id: string) => `${prefix}:text:${id}`,
    // Hash tag: the band and the bucket's first hex digit (see the header on cluster slots).
    textBucket: (band: number, bucket: string) =>
      `{${prefix}:tlsh:${band}:${bucket.slice(0, 1)}}${bucket.slice(1)}`,
    /** Pattern matching everything firstseen's own keys (not BullMQ's), for test clean-up. */
    all: () => `${prefix}:*`,
  };
}

export type Keys = ReturnType<typeof keys>;
