// Configuration is read once, here, from the environment: validated, typed, and then passed in to
// whatever needs it. Nothing else in the code base reads process.env (a lint rule enforces it).
// The env schema below is also the source of the README's configuration table: a test fails when
// a variable or its default is missing there.
import { availableParallelism } from 'node:os';
import { Type, type Static } from 'typebox';
import { Value } from 'typebox/value';

const Int = (def: number, description: string, min = 0) =>
  Type.Integer({ default: def, minimum: min, description });
const Bool = (def: boolean, description: string) => Type.Boolean({ default: def, description });
const Str = (def: string, description: string) => Type.String({ default: def, description });

export const EnvSchema = Type.Object({
  ROLE: Type.Union([Type.Literal('all'), Type.Literal('api')], {
    default: 'all',
    description:
      'What `npm start` (workers/server.ts) runs: `all` = API and workers in one process, `api` = API only (workers run with `npm run worker`).',
  }),
  HOST: Str('0.0.0.0', 'Address the API listens on.'),
  PORT: Int(3000, 'Port the API listens on.', 0),
  LOG_LEVEL: Str('info', 'pino log level (trace, debug, info, warn, error, fatal, silent).'),
  REDIS_URL: Str(
    'redis://127.0.0.1:6379',
    'Redis holding the queues, the checks and the reports. With `REDIS_CLUSTER_NODES` or `REDIS_SENTINELS` only its user name and password are used (and its database number with Sentinel).',
  ),
  REDIS_CLUSTER_NODES: Str(
    '',
    'Comma-separated `host:port` of Redis Cluster nodes (a few are enough, the others are discovered). When set, firstseen and its queues run on the cluster.',
  ),
  REDIS_SENTINELS: Str(
    '',
    'Comma-separated `host:port` of Redis Sentinels. When set, firstseen connects to the primary they name `REDIS_SENTINEL_NAME` and follows it through failovers.',
  ),
  REDIS_SENTINEL_NAME: Str('mymaster', 'Name of the Sentinel-monitored primary (with `REDIS_SENTINELS`).'),
  KEY_PREFIX: Str(
    'fs',
    'Prefix of every Redis key firstseen writes (its own keys and BullMQ queues), so several deployments or test runs can share one Redis.',
  ),
  WORKER_CONCURRENCY: Int(4, 'Checks one worker process handles at once.', 1),
  ANALYZE_THREADS: Int(
    0,
    'Worker threads per process that analyze images (decoding, hashes, content region, ORB features and their geometric checks, Content Credentials), off the event loop. 0: one per core (`os.availableParallelism()`). Each thread that extracts features loads OpenCV once (~140 MB).',
  ),
  ANALYZE_IN_THREADS: Bool(
    true,
    'false: images are analyzed on the event loop instead (as before the thread pool; it then stalls for the length of each analysis). For comparisons and debugging.',
  ),
  ANALYZE_NICE: Type.Integer({
    default: 10,
    minimum: 0,
    maximum: 19,
    description:
      'Nice value (Linux scheduling priority, 0-19) of the analysis threads: higher runs them after the event loop when both want a core, so job locks, Redis and the API are served on time while every core analyzes. 0: the same priority as the event loop.',
  }),
  ANALYZE_HEAP_MB: Int(
    256,
    "Initial old-space size (MB) of V8 in each analysis thread (`--initial-old-space-size` for the threads the pool starts). V8 sizes a new heap small (~20 MB), and each analysis leaves ~1.7 MB of pixel buffers to collect, so a thread ran a full garbage collection every ~6-10 images: 3.6-5.3 CPU ms per 12 MP photo in V8's garbage-collection threads, 0.8-2.7 with 64; a thread that also holds OpenCV.js and the HEIC decoder, as a running worker's does, read 2.0-4.1 with 64 and 0.2-0.9 with 256, the analysis 1.28-1.34x the decode alone against 1.17-1.24x (bench:analyze-threads; peak RSS unchanged within 30 MB). The cost: a thread's memory may grow by up to this much before it collects. 0: V8's own sizing.",
    0,
  ),
  ANALYZE_QUEUE: Int(
    64,
    'Analyses a process queues for its threads at most; one more fails its media item with `analysis_busy`. Above what WORKER_CONCURRENCY checks of 3 media items at once ask for.',
    1,
  ),
  ANALYZE_TIMEOUT_MS: Int(
    60000,
    'Longest one image analysis may take in a thread; the thread is then stopped (and replaced) and the item fails with `analysis_failed`.',
    100,
  ),
  JOB_ATTEMPTS: Int(3, 'Attempts for a check job before it is marked failed (transient errors only).', 1),
  JOB_LOCK_MS: Int(
    30000,
    'How long a worker holds a job lock without renewing it; a crashed worker’s job is picked up again after this.',
    1000,
  ),
  STALLED_INTERVAL_MS: Int(30000, 'How often workers look for jobs whose worker died.', 1000),
  SHUTDOWN_TIMEOUT_MS: Int(
    30000,
    'On SIGTERM, how long running jobs may take to finish before the process exits.',
    0,
  ),
  MAX_TARGETS: Int(20, 'Most links one check may hold (from `url` or found in `text`).', 1),
  DEDUP_WINDOW_SECONDS: Int(
    600,
    'The same normalized URL (or set of URLs) submitted again within this window returns the existing check. 0 disables.',
  ),
  IDEMPOTENCY_TTL_SECONDS: Int(86400, 'How long an `Idempotency-Key` header keeps pointing at its check.', 1),
  FETCH_MAX_BYTES: Int(
    52428800,
    'Largest media file downloaded, in bytes; a larger one fails with `too_large`.',
    1,
  ),
  FETCH_CONNECT_TIMEOUT_MS: Int(5000, 'Time to open a connection to a media host.', 1),
  FETCH_TIMEOUT_MS: Int(30000, 'Time for one download from first byte sent to last byte received.', 1),
  FETCH_MAX_REDIRECTS: Int(5, 'Redirects followed per download.', 0),
  FETCH_USER_AGENT: Str(
    'firstseen/0.1 (+https://github.com/firstseen)',
    'User-Agent of every outbound request.',
  ),
  FETCH_ALLOW_LOOPBACK: Bool(
    false,
    'Allow fetching from loopback addresses (127.0.0.0/8, ::1). For tests and local demos only: never in production.',
  ),
  FETCH_ALLOWED_NETWORKS: Str(
    '',
    'Comma-separated CIDR ranges that may be fetched although they are not public (e.g. an internal archive at 10.1.0.0/16).',
  ),
  MAX_INPUT_PIXELS: Int(
    100000000,
    'Largest image, in pixels (width x height), the decoder accepts; larger ones fail with `too_many_pixels`.',
    1,
  ),
  JPEG_DOUBLE_COMPRESSION: Bool(
    false,
    'Estimate double compression for every baseline JPEG (`jpeg.double_compression`, signal `double_compressed`): ~70-115 ms of CPU per 768x512 image, ~230-680 ms from 3.5 MP up (12 MP: the aligned models and the off-grid fine-detail and lattice readings read at most 3.5 MP, the DC search 0.5 MP), measured at load 3.5-18 on 2 cores (bench:forensics; the IDCT and the off-grid readings in WebAssembly; the lattice reading adds ~8 ms per 768x512 and ~77 ms per 3.5 MP). On the generated 768x512 set it finds 68% of double saves on the 8x8 grid (40 of 48 with a first save at q80 or q90, 9 of 24 at q95) and 44% off it (21 of 24 with a first save at q80, 8 of 24 at q90, 3 at q95), with no false alarm on its 48 single saves; at 2304x1536 81% on the grid (37 of 42 at q80-90, 14 of 21 at q95) and 59% off it (19, 14 and 4 of 21 with a first save at q80, q90, q95), 2 false alarms in 42; 1 in 224 single saves of 11 other photos at 768-2048 px (bench:forensics-false-alarms). Off: the JPEG structure only (~0.1 ms).',
  ),
  FORENSIC_VIEWS: Bool(
    false,
    'Make error level (ELA) and noise views of every still image of 128 px to 4.2 MP, from the file’s own pixels, for the report page (`media[].views`): ~40 ms of CPU at 0.3 MP, ~110 ms at 1 MP, ~300 ms at 3 MP (bench:forensics), ~1.6x the CPU of a check on the benchmark corpus. Off: none are made with the checks, and a check’s organization asks for them per item (`POST /v1/checks/:id/media/:index/views`, the report page’s button). Either way a file’s views are made once and kept by sha256.',
  ),
  ANALYSIS_MEMO_SECONDS: Int(
    86400,
    'How long what was read from a file’s bytes (probe, hashes, metadata, credentials, JPEG structure, local features, OCR text) is kept by sha256 once the same file has been checked twice (and this long again after each later check), so that its later checks skip decoding and analysis (src/services/analysis-memo.ts). A viral picture is checked again and again with the same bytes. Files uploaded are kept per organization. 0: off, every check analyzes its files.',
    0,
  ),
  BODY_LIMIT_BYTES: Int(
    1048576,
    'Largest API request body (JSON); uploads may be up to `FETCH_MAX_BYTES`.',
    1024,
  ),
  UPLOAD_TTL_SECONDS: Int(
    86400,
    'Longest an uploaded file waits in Redis for its check; it is deleted as soon as the check is done or has failed for good.',
    60,
  ),
  UPLOAD_ORG_QUOTA_BYTES: Int(
    209715200,
    'Bytes of uploaded files one organization may have waiting in Redis at once; beyond it an upload is refused with `upload_quota_exceeded` (429). 0: no quota.',
  ),
  UPLOAD_MAX_CONCURRENT: Int(
    4,
    'Upload bodies (API and form) one API process receives at once; more are refused with `uploads_busy` (503) before their bytes are read. Each can hold up to `FETCH_MAX_BYTES` in memory.',
    1,
  ),
  AUTH_REQUIRED: Bool(
    true,
    'Require an API key (`Authorization: Bearer <key>` or `X-API-Key`) on every /v1 route. `false` is for local demos only: every caller is then an admin of the `public` organization.',
  ),
  BOOTSTRAP_API_KEY: Str(
    '',
    'An admin key (16+ characters) for the `default` organization, registered at start-up, to create the real keys with. Empty: none.',
  ),
  RATE_LIMIT_PER_MINUTE: Int(
    600,
    'Requests per minute per organization, all its keys together (per client address without a key), so making more keys buys no more. 0 disables.',
  ),
  SHARED_BANK_PUBLISHERS: Str(
    '',
    'Comma-separated organizations allowed to publish shared banks (matched in every organization’s checks), besides the operator’s `default` organization. Empty: the operator only.',
  ),
  DASHBOARD_READ_ONLY: Bool(
    true,
    'The queue dashboard at /admin/queues (operator only) shows jobs but cannot add, retry, remove or pause them. `false` lets the operator act on jobs.',
  ),
  METRICS_PORT: Int(
    0,
    'Port of a separate listener that serves only /metrics without a key (bind it to a private network). 0: /metrics is served on the API port and needs a key with the operator scope.',
  ),
  MAX_EVENT_LOOP_DELAY_MS: Int(
    1000,
    'The API answers 503 while its event loop lags more than this (under-pressure protection). 0 disables.',
  ),
  WEBHOOK_ATTEMPTS: Int(8, 'Delivery attempts per webhook event before it goes to the dead-letter list.', 1),
  WEBHOOK_BACKOFF_MS: Int(
    660000,
    'First retry delay of a failed webhook delivery; each next one doubles (8 attempts at 11 min span about a day).',
    1,
  ),
  WEBHOOK_TIMEOUT_MS: Int(
    5000,
    'Time a webhook receiver has to answer one delivery (connect to last header); no answer in time is a failed attempt, retried later.',
    100,
  ),
  WEBHOOK_MAX_SUBSCRIPTIONS: Int(25, 'Webhook subscriptions one organization may have.', 1),
  WEBHOOK_ORG_CONCURRENCY: Int(
    4,
    'Deliveries of one organization in flight at once, across all workers; its others wait (briefly re-queued), so its slow receivers never hold every delivery slot.',
    1,
  ),
  WATCH_INTERVAL_SECONDS: Int(
    3600,
    'How often a watched check’s posts are resolved again (`POST /v1/checks/:id/watch`).',
    1,
  ),
  WATCH_PERIOD_SECONDS: Int(
    259200,
    'How long a check’s posts are watched after the watch starts (default 72 hours); its schedule is removed after.',
    1,
  ),
  WATCH_MAX_PER_ORG: Int(100, 'Checks one organization may have watched at once.', 1),
  X_SYNDICATION_BASE_URL: Str(
    'https://cdn.syndication.twimg.com',
    'X’s embedded-tweet API, the primary source for posts on X/Twitter.',
  ),
  X_TIMELINE_BASE_URL: Str(
    'https://syndication.twitter.com',
    'X’s embedded-timeline host (`/srv/timeline-profile/screen-name/<name>`), asked for an author’s newest posts (about 20) when a screenshot shows an X @handle and no post firstseen has seen is the one shown; empty: not asked.',
  ),
  FXTWITTER_BASE_URL: Str(
    'https://api.fxtwitter.com',
    'FxTwitter-style fallback API for X posts; empty disables it.',
  ),
  BLUESKY_APPVIEW_URL: Str('https://public.api.bsky.app', 'Bluesky public AppView.'),
  BLUESKY_PLC_DIRECTORY_URL: Str(
    'https://plc.directory',
    'PLC directory that resolves a `did:plc` Bluesky account to its PDS, whose original video blob is fetched.',
  ),
  TELEGRAM_BASE_URL: Str('https://t.me', 'Telegram web preview (public channel posts).'),
  REDDIT_BASE_URL: Str('https://www.reddit.com', 'Reddit, for a post’s JSON.'),
  WAYBACK_AVAILABILITY_URL: Str('https://archive.org', 'Wayback Machine availability API.'),
  WAYBACK_CDX_URL: Str('https://web.archive.org', 'Wayback Machine CDX server.'),
  WAYBACK_ENABLED: Bool(
    true,
    'Look up the first Wayback Machine capture of every post and media URL (cached in Redis).',
  ),
  WAYBACK_SAVE_URL: Str('https://web.archive.org', 'Wayback Machine Save Page Now (SPN2) API.'),
  WAYBACK_SAVE_ACCESS_KEY: Str(
    '',
    'archive.org S3-like access key for Save Page Now: with WAYBACK_SAVE_SECRET, every check asks the Wayback Machine to capture the posts it resolved, and the capture joins the timeline. Empty: off.',
  ),
  WAYBACK_SAVE_SECRET: Str('', 'The secret that goes with WAYBACK_SAVE_ACCESS_KEY.'),
  WAYBACK_SAVE_WAIT_MS: Int(
    60000,
    'How long a check follows a Save Page Now capture (alongside its media analysis) before going on without it.',
    1000,
  ),
  WAYBACK_SAVE_POLL_MS: Int(
    3000,
    'Pause between questions about a capture’s status, and the first backoff after a 429.',
    10,
  ),
  REVERSE_SEARCH_ENGINES: Str(
    'google_lens=https://lens.google.com/uploadbyurl?url={url},bing=https://www.bing.com/images/searchbyimage?cbir=sbi&imgurl={url},yandex=https://yandex.com/images/search?rpt=imageview&url={url},tineye=https://tineye.com/search?url={url},baidu=https://graph.baidu.com/details?isfromtusoupc=1&tn=pc&carousel=0&image={url}',
    'Reverse image search links in reports, for images with a public URL: comma-separated `engine=https URL with {url}` (the image URL, percent-encoded, replaces `{url}`). Links only: firstseen calls none of them. `off`: no links.',
  ),
  FACT_CHECK_TOOLS_API_KEY: Str(
    '',
    'Google Fact Check Tools API key: every check also asks it for fact-checks of each image with a public URL (`claims:imageSearch`) and of each post’s text (`claims:search`). Empty: off.',
  ),
  FACT_CHECK_TOOLS_URL: Str(
    'https://factchecktools.googleapis.com',
    'Google Fact Check Tools API (v1alpha1), where FACT_CHECK_TOOLS_API_KEY is sent.',
  ),
  FACT_CHECK_TOOLS_CACHE_SECONDS: Int(
    86400,
    'How long a Fact Check Tools answer is kept in Redis and reused for the same image URL or text.',
    0,
  ),
  TINEYE_API_KEY: Str(
    '',
    'TinEye API key (sent as the `x-api-key` header). With one, every check asks TinEye where on the web it has seen each image with a public URL, and the earliest crawl dates join the timeline (`web_crawled`, medium). Empty: off.',
  ),
  TINEYE_API_URL: Str('https://api.tineye.com', 'TinEye API host (`/rest/search/`).'),
  TINEYE_TIMEOUT_MS: Int(
    15000,
    'Time for one TinEye search; past it the check goes on without it (the report says the search failed).',
    100,
  ),
  TINEYE_MAX_SIGHTINGS: Int(
    10,
    'Sightings (pages where TinEye’s crawler found the image) kept per image: the earliest crawled.',
    1,
  ),
  TINEYE_MAX_IMAGES: Int(
    5,
    'Images one check searches on TinEye at most (each search is paid for); the others are marked `skipped`.',
    0,
  ),
  TINEYE_CACHE_SECONDS: Int(
    604800,
    'How long a TinEye answer is kept in Redis: the same image URL is not searched again within it (an answer with no sightings is kept a day at most). Failures are not kept.',
    60,
  ),
  ARCHIVE_ENABLED: Bool(
    true,
    'Keep the evidence of every check: each HTTP exchange it made (and uploaded originals) as a WACZ web archive, `GET /v1/checks/:id/archive.wacz`.',
  ),
  ARCHIVE_DIR: Str(
    'archives',
    'Directory of the archive store (`<org>/<check id>.wacz`; workers write archives in `@partial/` until they are kept), shared by workers and API; unused when `ARCHIVE_S3_BUCKET` is set.',
  ),
  ARCHIVE_TTL_DAYS: Int(
    365,
    'Days an archive is kept; older ones are no longer served and are deleted. 0: forever.',
  ),
  CHECK_RETENTION_DAYS: Int(
    0,
    'Days a finished check (its record and report) is kept in Redis, counted from when it finished; then `GET /v1/checks/:id` answers 404. The media records and the hash index stay (they are the memory); thumbnails go when no kept check needs them (see README). 0: forever.',
  ),
  CHECK_RETENTION_DAYS_BY_ORG: Str(
    '',
    'Per-organization exceptions to `CHECK_RETENTION_DAYS`, as `org=days,org=days` (0: forever for that organization).',
  ),
  ARCHIVE_MAX_BYTES: Int(
    268435456,
    'Bodies one check’s archive keeps at most, in bytes (each is already within `FETCH_MAX_BYTES`); past it, exchanges keep their headers only.',
    0,
  ),
  ARCHIVE_S3_BUCKET: Str(
    '',
    'Keep archives in this S3-compatible bucket instead of `ARCHIVE_DIR` (same names, same retention). Empty: the directory.',
  ),
  ARCHIVE_S3_PREFIX: Str('', 'Key prefix of the archives inside the bucket (e.g. `firstseen/`).'),
  ARCHIVE_S3_ENDPOINT: Str(
    '',
    'Endpoint of an S3-compatible service (MinIO, Ceph, Garage, ...); empty: AWS S3 of `ARCHIVE_S3_REGION`.',
  ),
  ARCHIVE_S3_REGION: Str('us-east-1', 'Region of the bucket.'),
  ARCHIVE_S3_FORCE_PATH_STYLE: Bool(
    false,
    'Address the bucket as `<endpoint>/<bucket>` rather than `<bucket>.<endpoint>` (most S3-compatible services want `true`).',
  ),
  ARCHIVE_S3_ACCESS_KEY_ID: Str(
    '',
    'Access key of the bucket; empty: the AWS SDK’s default credentials (instance role, web identity).',
  ),
  ARCHIVE_S3_SECRET_ACCESS_KEY: Str('', 'Secret of `ARCHIVE_S3_ACCESS_KEY_ID`.'),
  TSA_URL: Str(
    '',
    'RFC 3161 time-stamping authority that signs the digest of every archive (its token goes into the WACZ, its time into the report). Empty: no timestamps.',
  ),
  TSA_CERT_FILE: Str(
    '',
    'PEM file with the authority’s certificate or its CA: tokens must chain to it. Empty: a token is checked against the certificate it carries.',
  ),
  PDQ_MATCH_DISTANCE: Int(
    31,
    'Largest PDQ Hamming distance (of 256) that counts as the same picture; 31 is the reference threshold.',
  ),
  PHASH_MATCH_DISTANCE: Int(
    10,
    'Largest pHash distance (of 64) that counts as the same picture, used when PDQ quality is low.',
  ),
  PDQ_MIN_QUALITY: Int(50, 'Below this PDQ quality (0-100) matching falls back to pHash.'),
  INDEX_BUILD_THREADS: Int(
    0,
    "Worker threads that build the hash index's tables when a process loads a large index (250,000+ entries: start-up, or a reload after falling behind); they end with the load. 0: one per core, at most 4.",
    0,
  ),
  INDEX_SNAPSHOT_EVERY: Int(
    200000,
    'Records the hash-index stream may gain after the last snapshot before a process writes the next one (0: none is written). A starting process reads the snapshot, then at most about this many records.',
  ),
  INDEX_SNAPSHOT_CHECK_SECONDS: Int(
    60,
    'How often each querying process looks whether a hash-index snapshot is due or the stream can be trimmed behind one (0: never).',
  ),
  INDEX_SNAPSHOT_GRACE_SECONDS: Int(
    120,
    'How long after a new hash-index snapshot the previous one (and the stream records it needs) is kept for processes still loading it; then the stream is trimmed. Longer than any process takes to load.',
  ),
  MATCH_REGION_PDQ_DISTANCE: Int(
    31,
    'Largest PDQ distance between a content region (the picture inside a frame, letterbox or screenshot) and an image, or the other way round, that counts as a `content_region` match.',
  ),
  FEATURE_MATCHING: Bool(
    true,
    'Partial matching with local features (ORB): finds crops and collages. Workers load OpenCV (wasm, ~140 MB) and keep the feature index in memory.',
  ),
  FEATURE_SCOPE_DAYS: Int(
    14,
    'Images stay in the feature index this many days after they were first seen (memory: ~65 KiB per image in every worker process, 14 KiB in Redis).',
    1,
  ),
  FEATURE_INDEX_MAX_IMAGES: Int(
    20000,
    'Most images each worker process keeps in its feature index (~65 KiB resident each: 20,000 is ~1.3 GB); beyond it the oldest are dropped from that process first and are matched by their hashes only.',
    1,
  ),
  FEATURE_SIDE: Int(
    512,
    'Size of the grey copy features are extracted from: a 4:3 image gets this long side, others the same area (long side at most twice this).',
    64,
  ),
  FEATURE_MAX_KEYPOINTS: Type.Integer({
    default: 500,
    minimum: 16,
    maximum: 1024,
    description: 'Most ORB keypoints kept per image (at most 1024).',
  }),
  FEATURE_ORB: Type.Union([Type.Literal('wasm'), Type.Literal('opencv')], {
    default: 'wasm',
    description:
      "Which ORB finds the keypoints: `wasm`, our WebAssembly SIMD build of OpenCV's ORB (the same keypoints and descriptors; ~5 against ~20 CPU ms per image, grey copy included), or `opencv`, OpenCV.js itself (the reference). `wasm` falls back to `opencv` where WebAssembly SIMD is missing.",
  }),
  FEATURE_MIN_INLIERS: Int(
    20,
    'Keypoints one scale-rotation-shift must map onto each other (within 2 px) to report a `partial` match.',
    4,
  ),
  FEATURE_MIN_INLIER_RATIO: Int(
    40,
    'Percentage of descriptor correspondences the scale-rotation-shift must explain for a `partial` match (two shots of one scene stay below 30).',
    0,
  ),
  FEATURE_MIN_AGREEMENT: Int(
    65,
    'Percentage: share of correspondences explained plus inliers per keypoint in the overlap, needed for a `partial` match (copies 69+, other shots of one scene at most 58 on the benchmark).',
    0,
  ),
  FEATURE_MIN_VOTES: Int(8, 'Descriptor votes an indexed image needs to be checked geometrically.', 1),
  FEATURE_MAX_CANDIDATES: Int(3, 'Most images checked geometrically per query (bounds the cost).', 1),
  RECYCLED_MARGIN_HOURS: Int(
    48,
    'A match, or a capture date, older than the post by more than this raises `recycled` / `capture_predates_post`.',
  ),
  THUMBNAIL_MISMATCH_BITS: Int(
    80,
    'PDQ distance between the embedded EXIF thumbnail and the picture above which `thumbnail_mismatch` is raised.',
  ),
  WORKER_METRICS_PORT: Int(
    0,
    'Port on which a worker-only process (`npm run worker`) serves `/metrics` and `/healthz`. 0: none (with `ROLE=all` the API serves them).',
  ),
  VIDEO_FFMPEG_PATH: Str(
    'ffmpeg',
    'ffmpeg program that decodes video frames (a name on PATH or a full path).',
  ),
  VIDEO_FFPROBE_PATH: Str('ffprobe', 'ffprobe program that reads video container metadata.'),
  VIDEO_MAX_SECONDS: Int(600, 'Seconds of a video hashed at most (from the start); the rest is skipped.', 1),
  VIDEO_MAX_FRAMES: Int(600, 'Frames hashed per video at most (1 per second plus scene changes).', 1),
  VIDEO_SCENE_THRESHOLD: Type.Number({
    default: 0.4,
    minimum: 0,
    maximum: 1,
    description:
      'ffmpeg scene-change score (0-1) above which a frame is hashed besides the one per second; 0: none.',
  }),
  VIDEO_DECODE_TIMEOUT_MS: Int(
    300000,
    'Time one video’s decoder process may run; it is killed after it (`video_timeout`).',
    1000,
  ),
  VIDEO_DECODER_MEMORY_MB: Int(
    1024,
    'Address-space limit of each ffmpeg/ffprobe process, in MiB (a hostile file fails in the child, not the worker; 4K H.264/HEVC decode within 512). 0: none.',
  ),
  VIDEO_DECODER_THREADS: Int(1, 'Decoding threads per ffmpeg process.', 1),
  VIDEO_KEYFRAMES: Int(
    6,
    'Representative keyframes (distinct scenes) kept per video as thumbnails and looked up as images.',
    1,
  ),
  OCR_ENABLED: Bool(
    false,
    "Read the text in images (tesseract, installed by scripts/setup-ocr.sh). Off by default for now: a picture without text costs ~1.9 ms of CPU on a quiet machine (the text detector, thumbnail and detection, on the pipeline corpus' photos since session 19; 2.8-2.9 before), one with text ~0.1-0.15 s (tesseract ~0.07-0.11 s with OCR_SERVER, 87% of it its LSTM reading lines: one sample line for the script and language, each model's reading of it kept, then the rest of the text with that language's model alone, a post's handle line read again only when the page's reading of it is unsure; Node ~0.011-0.017 s) (bench:ocr-stages), so a check with text costs ~3x one without (+0.10-0.11 s), and whole checks take 1.21-1.23x the CPU with one picture in ten holding text (the target is 1.25x; six runs alternated with the code before, 1.26-1.28x), ~1.7x with one in three, 1.02-1.04x with none (bench:ocr-checks, each service in a process of its own, load 1.4-2.8, session 19: checks without OCR 51-56 CPU ms, with text and OCR 157-163). A worker without tesseract still checks images: their `text.status` says `unavailable`.",
  ),
  OCR_TESSERACT_PATH: Str('tesseract', 'tesseract program (a name on PATH or a full path).'),
  OCR_SERVER: Bool(
    true,
    'Read with tesseract kept running between pictures (native/tess-serve, built against libtesseract by scripts/setup-ocr.sh), so its language models are loaded once per process instead of once per reading (~0.1-0.15 s of CPU each time). Same engine, output and bounds (time, memory, output); one process per reading at once (~50-115 MB resident), replaced after 500 readings, ended after a minute idle. Not built, or false: one OCR_TESSERACT_PATH command per reading.',
  ),
  OCR_LANGUAGES: Str(
    'eng,rus,ukr,kaz,lit,ara,fra,spa,deu',
    'Tesseract languages text is read in, comma-separated, in order of preference; the first of each script (Latin, Cyrillic, Arabic, …) reads first, then the language the text turns out to be in. Each needs its tesseract-ocr-<lang> package.',
  ),
  OCR_TIMEOUT_MS: Int(
    20000,
    'Time one tesseract run may take; it is killed after it (`ocr_timeout`). An image is read at most twice.',
    1000,
  ),
  OCR_MEMORY_MB: Int(
    2048,
    'Address-space limit of each tesseract process, in MiB (a hostile image fails in the child with `ocr_failed`). 0: none.',
  ),
  OCR_MAX_PIXELS: Int(
    8000000,
    'Most pixels of the (scaled) picture given to tesseract; larger pictures are reduced first.',
    10000,
  ),
  OCR_MAX_OUTPUT_BYTES: Int(
    4194304,
    'Largest recognition output (TSV) accepted from tesseract; more text than that ends with `ocr_output_too_large`.',
    1024,
  ),
  OCR_VIDEO_KEYFRAMES: Int(
    3,
    'Keyframes of a video read by OCR at most: the text detector looks at the keyframes (VIDEO_KEYFRAMES) in order and OCR reads those it finds text in, up to this many (~1-2 s of CPU each). 0: the text in videos is not read.',
    0,
  ),
  SCREENSHOT_AUTHOR_FEED_PAGES: Int(
    2,
    'Pages of a Bluesky author’s recent posts read from the AppView (`app.bsky.feed.getAuthorFeed`, at BLUESKY_APPVIEW_URL) when a screenshot of a post (OCR) shows their @handle and no post firstseen has seen is the one it shows; each is compared with the screenshot. An X @handle is looked up once on X’s embedded timeline (X_TIMELINE_BASE_URL). 0: authors are not looked up on any platform.',
    0,
  ),
  SCREENSHOT_AUTHOR_FEED_PAGE_SIZE: Type.Integer({
    default: 100,
    minimum: 1,
    maximum: 100,
    description: 'Posts per page of that lookup (the AppView gives 100 at most).',
  }),
  SCREENSHOT_AUTHOR_FEED_CACHE_SECONDS: Int(
    600,
    'How long an author’s posts read for a screenshot (or the answer that there is no such account) are kept in Redis and reused. 0: not kept. Failures are not kept.',
    0,
  ),
  VPDQ_MIN_QUALITY: Int(
    50,
    'vPDQ: frames below this PDQ quality are left out of video comparisons (reference: 50).',
  ),
  VPDQ_FRAME_DISTANCE: Int(31, 'vPDQ: largest PDQ distance at which two frames match (reference: 31).'),
  VPDQ_QUERY_MATCH_PERCENT: Int(
    80,
    'vPDQ: share (%) of a video’s unique frames that must match another video’s for a video match (reference: 80).',
  ),
  VPDQ_COMPARED_MATCH_PERCENT: Int(
    0,
    'vPDQ: share (%) of the other video’s unique frames that must match too (reference: 0).',
  ),
});

export type Env = Static<typeof EnvSchema>;

export interface HostPort {
  host: string;
  port: number;
}

/** Where Redis is: one server, a Redis Cluster, or a primary managed by Sentinels (src/redis.ts connects). */
export type RedisTarget =
  | { mode: 'single'; url: string }
  | { mode: 'cluster'; nodes: HostPort[]; username?: string; password?: string }
  | {
      mode: 'sentinel';
      sentinels: HostPort[];
      name: string;
      username?: string;
      password?: string;
      db: number;
    };

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Reads and validates the configuration. Pass an object in tests; production passes process.env. */
export function loadConfig(source: Record<string, string | undefined> = process.env): Config {
  const known = Object.keys(EnvSchema.properties);
  const raw: Record<string, unknown> = {};
  for (const key of known) {
    const v = source[key];
    if (v !== undefined && v !== '') raw[key] = v;
  }
  const withDefaults = Value.Default(EnvSchema, raw);
  const converted = Value.Convert(EnvSchema, withDefaults);
  if (!Value.Check(EnvSchema, converted)) {
    const problems = Value.Errors(EnvSchema, converted).map(
      (e) => `${e.instancePath.replace(/^\//, '') || '(root)'}: ${e.message}`,
    );
    throw new ConfigError(`Invalid configuration: ${problems.join('; ')}`);
  }
  const env = converted;
  if (env.BOOTSTRAP_API_KEY && env.BOOTSTRAP_API_KEY.length < 16) {
    throw new ConfigError('Invalid configuration: BOOTSTRAP_API_KEY must be at least 16 characters');
  }
  if (!/^[A-Za-z0-9_.-]+$/.test(env.KEY_PREFIX)) {
    throw new ConfigError(
      'Invalid configuration: KEY_PREFIX may hold letters, digits, "_", "." and "-" only',
    );
  }
  return configFromEnv(env);
}

/**
 * The typed configuration, built from the validated environment. Its type (`Config`) is inferred from
 * what this returns, and every variable of `EnvSchema` must be read here (test/config.test.ts checks it),
 * so the env schema is the one list of settings: a variable cannot be declared and forgotten.
 */
export function configFromEnv(env: Env) {
  const allowedNetworks = commaList(env.FETCH_ALLOWED_NETWORKS);
  return {
    role: env.ROLE,
    host: env.HOST,
    port: env.PORT,
    logLevel: env.LOG_LEVEL,
    /** REDIS_URL as given (the single server when neither cluster nor Sentinel is configured). */
    redisUrl: env.REDIS_URL,
    redis: redisTarget(env),
    /** Prefix of firstseen's own keys ("fs" gives "fs:check:…"). */
    keyPrefix: env.KEY_PREFIX,
    /**
     * BullMQ's prefix: a Redis Cluster hash tag so that each queue's keys share a slot, as BullMQ requires
     * on a cluster. Derived, not configured, so the two prefixes cannot drift apart.
     */
    queuePrefix: `{${env.KEY_PREFIX}}`,
    worker: {
      concurrency: env.WORKER_CONCURRENCY,
      attempts: env.JOB_ATTEMPTS,
      lockMs: env.JOB_LOCK_MS,
      stalledIntervalMs: env.STALLED_INTERVAL_MS,
    },
    /** The analysis thread pool (src/pipeline/analyze/pool.ts); threads null: analysis on the event loop. */
    analysis: {
      threads: env.ANALYZE_IN_THREADS ? env.ANALYZE_THREADS || availableParallelism() : null,
      maxQueue: env.ANALYZE_QUEUE,
      timeoutMs: env.ANALYZE_TIMEOUT_MS,
      nice: env.ANALYZE_NICE,
      initialHeapMb: env.ANALYZE_HEAP_MB,
    },
    shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
    maxTargets: env.MAX_TARGETS,
    dedupWindowSeconds: env.DEDUP_WINDOW_SECONDS,
    idempotencyTtlSeconds: env.IDEMPOTENCY_TTL_SECONDS,
    fetch: {
      maxBytes: env.FETCH_MAX_BYTES,
      connectTimeoutMs: env.FETCH_CONNECT_TIMEOUT_MS,
      timeoutMs: env.FETCH_TIMEOUT_MS,
      maxRedirects: env.FETCH_MAX_REDIRECTS,
      userAgent: env.FETCH_USER_AGENT,
      allowLoopback: env.FETCH_ALLOW_LOOPBACK,
      allowedNetworks,
    },
    maxInputPixels: env.MAX_INPUT_PIXELS,
    jpegDoubleCompression: env.JPEG_DOUBLE_COMPRESSION,
    forensicViews: env.FORENSIC_VIEWS,
    analysisMemoSeconds: env.ANALYSIS_MEMO_SECONDS,
    bodyLimitBytes: env.BODY_LIMIT_BYTES,
    uploadTtlSeconds: env.UPLOAD_TTL_SECONDS,
    uploads: { orgQuotaBytes: env.UPLOAD_ORG_QUOTA_BYTES, maxConcurrent: env.UPLOAD_MAX_CONCURRENT },
    /** Organizations besides the operator's that may publish shared banks. */
    sharedBankPublishers: commaList(env.SHARED_BANK_PUBLISHERS),
    dashboardReadOnly: env.DASHBOARD_READ_ONLY,
    metricsPort: env.METRICS_PORT,
    auth: { required: env.AUTH_REQUIRED, bootstrapKey: env.BOOTSTRAP_API_KEY || null },
    rateLimitPerMinute: env.RATE_LIMIT_PER_MINUTE,
    maxEventLoopDelayMs: env.MAX_EVENT_LOOP_DELAY_MS,
    workerMetricsPort: env.WORKER_METRICS_PORT,
    webhooks: {
      attempts: env.WEBHOOK_ATTEMPTS,
      backoffMs: env.WEBHOOK_BACKOFF_MS,
      timeoutMs: env.WEBHOOK_TIMEOUT_MS,
      maxSubscriptions: env.WEBHOOK_MAX_SUBSCRIPTIONS,
      orgConcurrency: env.WEBHOOK_ORG_CONCURRENCY,
    },
    /** Posts of checks resolved again on a schedule (src/services/watches.ts). */
    watch: {
      intervalMs: env.WATCH_INTERVAL_SECONDS * 1000,
      periodMs: env.WATCH_PERIOD_SECONDS * 1000,
      maxPerOrg: env.WATCH_MAX_PER_ORG,
    },
    /**
     * Every external base URL the resolvers talk to, so that deployments can swap a service (a
     * self-hosted FxTwitter, an archive mirror) and tests can point each one at a local server.
     */
    endpoints: {
      /** X's public syndication API, the one embedded tweets use. */
      xSyndication: env.X_SYNDICATION_BASE_URL,
      /** X's embedded-timeline host: an author's newest posts, for screenshots (empty: not asked). */
      xTimeline: env.X_TIMELINE_BASE_URL,
      /** FxTwitter-style JSON API, used when syndication fails or has nothing. Empty string: no fallback. */
      fxTwitter: env.FXTWITTER_BASE_URL,
      /** Bluesky public AppView (no account needed). */
      blueskyAppView: env.BLUESKY_APPVIEW_URL,
      /** PLC directory, where a `did:plc` account's DID document names its PDS (for video blobs). */
      blueskyPlcDirectory: env.BLUESKY_PLC_DIRECTORY_URL,
      /** Telegram's web preview host (`/s/<channel>/<id>` pages). */
      telegram: env.TELEGRAM_BASE_URL,
      /** Reddit, for `<base>/comments/<id>.json`. */
      reddit: env.REDDIT_BASE_URL,
      /** Wayback Machine availability API host (`/wayback/available`). */
      waybackAvailability: env.WAYBACK_AVAILABILITY_URL,
      /** Wayback Machine CDX server host (`/cdx/search/cdx`). */
      waybackCdx: env.WAYBACK_CDX_URL,
    },
    waybackEnabled: env.WAYBACK_ENABLED,
    /** Save Page Now, when both credentials are set (null: off). */
    waybackSave: savePageNow(env),
    /** Reverse image search engines the report links to, in order (REVERSE_SEARCH_ENGINES). */
    reverseSearch: reverseSearchEngines(env.REVERSE_SEARCH_ENGINES),
    factCheckTools: factCheckTools(env),
    /** Web search engines asked where an image was seen (src/pipeline/web-search/); TinEye with a key. */
    webSearch: {
      tineye: tineye(env),
      maxImages: env.TINEYE_MAX_IMAGES,
      cacheSeconds: env.TINEYE_CACHE_SECONDS,
    },
    /**
     * How long finished checks stay in Redis, in seconds (0: forever): `checkSeconds` for every
     * organization, `checkSecondsByOrg` for the exceptions. Seconds, so tests can use a short one.
     */
    retention: {
      checkSeconds: env.CHECK_RETENTION_DAYS * DAY_SECONDS,
      checkSecondsByOrg: retentionByOrg(env.CHECK_RETENTION_DAYS_BY_ORG),
    },
    /** The evidence archive of each check (src/archive/). */
    archive: {
      enabled: env.ARCHIVE_ENABLED,
      dir: env.ARCHIVE_DIR,
      ttlDays: env.ARCHIVE_TTL_DAYS,
      maxBytes: env.ARCHIVE_MAX_BYTES,
      /** The bucket (src/archive/s3-store.ts); empty `bucket`: the directory store. */
      s3: {
        bucket: env.ARCHIVE_S3_BUCKET,
        /** Key prefix inside the bucket ("" or e.g. "firstseen/"). */
        prefix: env.ARCHIVE_S3_PREFIX,
        /** Empty: AWS's own endpoint for the region. */
        endpoint: env.ARCHIVE_S3_ENDPOINT,
        region: env.ARCHIVE_S3_REGION,
        forcePathStyle: env.ARCHIVE_S3_FORCE_PATH_STYLE,
        /** Empty: the SDK's default credential chain (instance role, AWS_* variables of the SDK). */
        accessKeyId: env.ARCHIVE_S3_ACCESS_KEY_ID,
        secretAccessKey: env.ARCHIVE_S3_SECRET_ACCESS_KEY,
      },
      tsa: { url: env.TSA_URL, certFile: env.TSA_CERT_FILE },
    },
    matching: {
      pdqMaxDistance: env.PDQ_MATCH_DISTANCE,
      phashMaxDistance: env.PHASH_MATCH_DISTANCE,
      minPdqQuality: env.PDQ_MIN_QUALITY,
      buildThreads: env.INDEX_BUILD_THREADS,
    },
    /** Snapshots of the hash index, and trimming its stream behind them (src/memory/hash-index/snapshot.ts). */
    indexSnapshots: {
      every: env.INDEX_SNAPSHOT_EVERY,
      checkMs: env.INDEX_SNAPSHOT_CHECK_SECONDS * 1000,
      graceMs: env.INDEX_SNAPSHOT_GRACE_SECONDS * 1000,
    },
    /** Content regions and local features (crops, frames, screenshots, collages). */
    partial: {
      regionPdqMaxDistance: env.MATCH_REGION_PDQ_DISTANCE,
      features: env.FEATURE_MATCHING,
      scopeDays: env.FEATURE_SCOPE_DAYS,
      maxImages: env.FEATURE_INDEX_MAX_IMAGES,
      side: env.FEATURE_SIDE,
      maxKeypoints: env.FEATURE_MAX_KEYPOINTS,
      orb: env.FEATURE_ORB,
      minInliers: env.FEATURE_MIN_INLIERS,
      minInlierRatio: env.FEATURE_MIN_INLIER_RATIO / 100,
      minAgreement: env.FEATURE_MIN_AGREEMENT / 100,
      minVotes: env.FEATURE_MIN_VOTES,
      maxCandidates: env.FEATURE_MAX_CANDIDATES,
    },
    provenance: {
      recycledMarginHours: env.RECYCLED_MARGIN_HOURS,
      thumbnailMismatchBits: env.THUMBNAIL_MISMATCH_BITS,
      minPdqQuality: env.PDQ_MIN_QUALITY,
    },
    ocr: ocrOptions(env),
    ocrVideoKeyframes: env.OCR_VIDEO_KEYFRAMES,
    authorFeeds: authorFeeds(env),
    video: {
      ffmpeg: env.VIDEO_FFMPEG_PATH,
      ffprobe: env.VIDEO_FFPROBE_PATH,
      maxSeconds: env.VIDEO_MAX_SECONDS,
      maxFrames: env.VIDEO_MAX_FRAMES,
      sceneThreshold: env.VIDEO_SCENE_THRESHOLD,
      timeoutMs: env.VIDEO_DECODE_TIMEOUT_MS,
      memoryMb: env.VIDEO_DECODER_MEMORY_MB,
      threads: env.VIDEO_DECODER_THREADS,
      keyframes: env.VIDEO_KEYFRAMES,
      vpdq: {
        minQuality: env.VPDQ_MIN_QUALITY,
        frameDistance: env.VPDQ_FRAME_DISTANCE,
        queryMatchPercent: env.VPDQ_QUERY_MATCH_PERCENT,
        comparedMatchPercent: env.VPDQ_COMPARED_MATCH_PERCENT,
      },
    },
  };
}

export type Config = ReturnType<typeof configFromEnv>;

/** Every outside service's base URL (the resolvers' endpoints, src/pipeline/resolve/types.ts). */
export type Endpoints = Config['endpoints'];

const DAY_SECONDS = 86_400;

/** The items of a comma-separated variable, trimmed, empty ones dropped. */
function commaList(list: string): string[] {
  return list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** OCR_*, all read (the unread-variable test holds every variable to it); null when OCR_ENABLED is false. */
function ocrOptions(env: Env) {
  const options = {
    path: env.OCR_TESSERACT_PATH,
    languages: commaList(env.OCR_LANGUAGES),
    timeoutMs: env.OCR_TIMEOUT_MS,
    memoryMb: env.OCR_MEMORY_MB,
    maxPixels: env.OCR_MAX_PIXELS,
    maxOutputBytes: env.OCR_MAX_OUTPUT_BYTES,
    server: env.OCR_SERVER,
  };
  return env.OCR_ENABLED ? options : null;
}

/** SCREENSHOT_AUTHOR_FEED_*, all read; null when authors are not looked up. */
function authorFeeds(env: Env) {
  const options = {
    pages: env.SCREENSHOT_AUTHOR_FEED_PAGES,
    pageSize: env.SCREENSHOT_AUTHOR_FEED_PAGE_SIZE,
    cacheSeconds: env.SCREENSHOT_AUTHOR_FEED_CACHE_SECONDS,
  };
  return options.pages > 0 ? options : null;
}

/** FACT_CHECK_TOOLS_*, all read; null without a key. */
function factCheckTools(env: Env) {
  const options = {
    apiKey: env.FACT_CHECK_TOOLS_API_KEY,
    url: env.FACT_CHECK_TOOLS_URL,
    cacheSeconds: env.FACT_CHECK_TOOLS_CACHE_SECONDS,
  };
  return options.apiKey ? options : null;
}

/** WAYBACK_SAVE_*, all read (the unread-variable test holds every variable to it); null without credentials. */
function savePageNow(env: Env) {
  const options = {
    url: env.WAYBACK_SAVE_URL,
    accessKey: env.WAYBACK_SAVE_ACCESS_KEY,
    secret: env.WAYBACK_SAVE_SECRET,
    waitMs: env.WAYBACK_SAVE_WAIT_MS,
    pollMs: env.WAYBACK_SAVE_POLL_MS,
  };
  return options.accessKey && options.secret ? options : null;
}

/** TINEYE_*, all read (as for Save Page Now); null without a key. */
function tineye(env: Env) {
  const options = {
    apiKey: env.TINEYE_API_KEY,
    apiUrl: env.TINEYE_API_URL,
    timeoutMs: env.TINEYE_TIMEOUT_MS,
    maxSightings: env.TINEYE_MAX_SIGHTINGS,
  };
  return options.apiKey ? options : null;
}

/** `engine=template,…` -> engines; each template an https URL with one `{url}`. */
function reverseSearchEngines(list: string): Array<{ engine: string; template: string }> {
  const out: Array<{ engine: string; template: string }> = [];
  // An empty variable means its default (as for every variable), so `off` is how links are turned off.
  if (list.trim() === 'off') return out;
  for (const item of commaList(list)) {
    const m = /^([a-z0-9_]{1,40})=(https:\/\/\S+)$/.exec(item);
    const template = m?.[2] ?? '';
    if (!m?.[1] || template.split('{url}').length !== 2 || !URL.canParse(template.replace('{url}', 'x')))
      throw new ConfigError(
        `Invalid configuration: REVERSE_SEARCH_ENGINES: "${item}" is not engine=https URL with one {url}`,
      );
    out.push({ engine: m[1], template });
  }
  return out;
}

/** `org=days,org=days` -> org -> seconds. */
function retentionByOrg(list: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const item of commaList(list)) {
    const m = /^([^=\s]+)\s*=\s*(\d+)$/.exec(item);
    if (!m?.[1] || m[2] === undefined) {
      throw new ConfigError(`Invalid configuration: CHECK_RETENTION_DAYS_BY_ORG: "${item}" is not org=days`);
    }
    out[m[1]] = Number(m[2]) * DAY_SECONDS;
  }
  return out;
}

function hostPorts(name: string, list: string): HostPort[] {
  return commaList(list).map((item) => {
    const m = /^(\[[0-9a-fA-F:.]+\]|[^:\s]+):(\d{1,5})$/.exec(item);
    const port = Number(m?.[2]);
    if (!m?.[1] || !(port > 0 && port < 65536)) {
      throw new ConfigError(`Invalid configuration: ${name}: "${item}" is not host:port`);
    }
    return { host: m[1].replace(/^\[|\]$/g, ''), port };
  });
}

function redisTarget(env: Env): RedisTarget {
  // Every variable read up front, whichever mode is used (test/config.test.ts checks that all are read).
  const { REDIS_URL, REDIS_CLUSTER_NODES, REDIS_SENTINELS, REDIS_SENTINEL_NAME } = env;
  const nodes = hostPorts('REDIS_CLUSTER_NODES', REDIS_CLUSTER_NODES);
  const sentinels = hostPorts('REDIS_SENTINELS', REDIS_SENTINELS);
  if (!nodes.length && !sentinels.length) return { mode: 'single', url: REDIS_URL };
  if (nodes.length && sentinels.length) {
    throw new ConfigError('Invalid configuration: set REDIS_CLUSTER_NODES or REDIS_SENTINELS, not both');
  }
  let url: URL;
  try {
    url = new URL(REDIS_URL);
  } catch {
    throw new ConfigError('Invalid configuration: REDIS_URL is not a URL');
  }
  const auth = {
    ...(url.username && { username: decodeURIComponent(url.username) }),
    ...(url.password && { password: decodeURIComponent(url.password) }),
  };
  if (nodes.length) return { mode: 'cluster', nodes, ...auth };
  const db = Number(url.pathname.replace(/^\//, '') || 0);
  if (!Number.isInteger(db) || db < 0) {
    throw new ConfigError('Invalid configuration: REDIS_URL database must be a number');
  }
  return { mode: 'sentinel', sentinels, name: REDIS_SENTINEL_NAME, ...auth, db };
}
