// The check pipeline: resolve each target (a post, a page or a media URL) -> fetch each media file ->
// probe -> analyze -> match against everything remembered -> provenance. A plain async function of its
// inputs and injected services (fetcher, the check's memory): no queue. It is assembled only by
// `createPipeline` (pipeline.ts), which the worker, the CLI and the tests call.
import type { Target } from '../../schemas/check.js';
import type { FactCheck } from '../../schemas/fact-checks.js';
import type { Post } from '../../schemas/post.js';
import type { Match } from '../../schemas/provenance.js';
import {
  REPORT_SCHEMA_VERSION,
  type MediaItem,
  type Report,
  type TargetResult,
} from '../../schemas/report.js';
import { recordingFetcher, type ArchiveRecorder } from '../archive/recorder.js';
import { isMediaError, MEDIA_ERROR_CODES, MediaError } from '../errors.js';
import type { Logger } from '../logger.js';
import { sha256Hex } from '../sha256.js';
import type { CheckMemory } from '../memory/memory.js';
import type { ImageFeatures } from '../similarity/features/orb.js';
import type { FetchResult, SafeFetcher } from '../net/safe-fetch.js';
import { analyzeImage, type Analysis } from './analyze/index.js';
import { readText, type OcrOptions } from './ocr/index.js';
import { postsOnPlatform, type AuthorFeedOptions } from './screenshot/author-feed.js';
import type { PictureBox } from './screenshot/read-post.js';
import { embeddedPicture, traceScreenshot, type PostSources } from './screenshot/trace.js';
import { analyzeVideo, type KeyframeSink, type VideoAnalysisOptions } from './video/analyze.js';
import { readKeyframesText } from './video/keyframe-text.js';
import { timed } from './timings.js';
import { reverseSearchLinks, type ReverseSearchEngines } from './reverse-search.js';
import { factChecksOfImage, factChecksOfText, type FactCheckToolsOptions } from './fact-check-tools.js';
import type { TtlCache as AnswerCache } from '../services/ttl-cache.js';
import {
  searchableUrl,
  webSightings,
  type ImageSightings,
  type WebSearchDeps,
} from './web-search/web-sightings.js';
import { savePage, type SavedCapture, type SavePageNowOptions } from './resolve/save-page-now.js';
import { probeMedia, sniffMedia, withDeclared, type Probe } from './probe.js';
import type { CheckMemo } from '../services/analysis-memo.js';
import { buildProvenance, type ProvenanceThresholds } from './provenance.js';
import { allMedia, firstCapture, resolveTarget, type ResolverEndpoints } from './resolve/index.js';
import type { Resolution } from './resolve/types.js';
import type { TtlCache } from './resolve/wayback.js';
import { UPLOAD_SCHEME } from '../services/uploads.js';
import type { ScreenshotOf } from '../../schemas/screenshot.js';
import type { TextInImage } from '../../schemas/text.js';
import {
  forensicViewsField,
  type ForensicViewFacts,
  type ForensicViewsMade,
} from '../services/thumbnails.js';

/** A file on this machine: only the CLI's analyze gives one (PipelineDeps.files). */
const FILE_SCHEME = 'file:';
/** Targets whose bytes are given, not fetched (and never looked up on the Wayback Machine). */
const isLocal = (url: string) => url.startsWith(UPLOAD_SCHEME) || url.startsWith(FILE_SCHEME);

/** Where an image's forensic views are kept and found again, by sha256. */
export interface ViewsKeeper {
  kept(sha256: string): Promise<ForensicViewFacts | null>;
  keep(sha256: string, made: ForensicViewsMade): Promise<unknown>;
}

export interface PipelineDeps {
  fetcher: SafeFetcher;
  /** Keeps a small thumbnail of an analyzed image for report pages (null: none kept). */
  thumbnails:
    | ((
        sha256: string,
        bytes: Buffer,
        pixels?: { data: Buffer; width: number; height: number },
      ) => Promise<unknown>)
    | null;
  /**
   * Keeps an image's forensic views (FORENSIC_VIEWS) for the report page; null or absent: none are made.
   * They are served through the check (GET /v1/checks/:id/media/:index/views/:kind), so only to its
   * organization. Views kept for the same file (by sha256) are reused, never made again.
   */
  views?: ViewsKeeper | null;
  /** Bytes of an uploaded file by sha256, or null once it expired. */
  uploads: (sha256: string) => Promise<Buffer | null>;
  /** Bytes of a local file (file:///… targets: the CLI's analyze only; a check never has one). */
  files?: ((url: string) => Promise<Buffer | null>) | undefined;
  endpoints: ResolverEndpoints;
  /** Wayback answers are cached (Redis in production). Null: Wayback lookups are off. */
  waybackCache: TtlCache | null;
  /** What the check matches against and adds to; null: nothing is matched or remembered. */
  memory: CheckMemory | null;
  /** Video analysis (VIDEO_*); null: videos get the probe only. */
  video: { options: VideoAnalysisOptions; keyframes: KeyframeSink | null } | null;
  /** Told of every HTTP exchange the check makes and every upload it reads, for the evidence archive
   *  (src/archive/). Absent: nothing is recorded. */
  recorder?: ArchiveRecorder | null;
  /** Reading the text in images (OCR_*); null: off. */
  ocr?: OcrOptions | null | undefined;
  /**
   * A screenshot's author looked up on the platform when no post seen is the one it shows
   * (SCREENSHOT_AUTHOR_FEED_*), answers cached; null or absent: not looked up.
   */
  authorFeeds?: { options: AuthorFeedOptions; cache: AnswerCache | null } | null | undefined;
  /** Keyframes of a video read by OCR at most (OCR_VIDEO_KEYFRAMES; 0 or absent: none). */
  ocrVideoKeyframes?: number | undefined;
  /**
   * What earlier checks read from the same bytes (ANALYSIS_MEMO_SECONDS; src/services/analysis-memo.ts):
   * a file checked twice is not decoded and analyzed again. Null or absent: every file is analyzed.
   */
  memo?: CheckMemo<MemoValue> | null | undefined;
  /** Image analysis: the process's thread pool (pool.ts); absent, analyzeImage on this thread. */
  analyze?: typeof analyzeImage | undefined;
  maxInputPixels: number;
  /** JPEG_DOUBLE_COMPRESSION (default false, as in config.ts): estimate double compression for JPEGs. */
  jpegDoubleCompression?: boolean;
  thresholds: ProvenanceThresholds;
  /** Save Page Now (WAYBACK_SAVE_*): each resolved post is captured; null: off. */
  savePage?: SavePageNowOptions | null | undefined;
  /** Engines whose reverse image search links images with a public URL get (none: no links). */
  reverseSearch: ReverseSearchEngines;
  /** Google Fact Check Tools (FACT_CHECK_TOOLS_*), its answers cached; null: off. */
  factCheckTools?: { options: FactCheckToolsOptions; cache: AnswerCache | null } | null | undefined;
  /** Web search engines asked where each image was seen (TINEYE_*); null or no adapters: none. */
  webSearch?: Omit<WebSearchDeps, 'fetcher' | 'log'> | null | undefined;
  log: Logger;
}

/**
 * What the analysis memo keeps of an image (beside its features): what the report shows of the analysis
 * (no pixels, views, timings or error: a failed analysis is never kept) and OCR's reading when it ran.
 */
export interface MemoValue {
  probe: Probe;
  analysis: Omit<Analysis, 'pixels' | 'views' | 'timings_ms' | 'error' | 'features'>;
  text?: TextInImage;
}

/** Statuses of an OCR reading that depend on the bytes alone (not a timeout, not a missing tesseract). */
const KEPT_TEXT = new Set<TextInImage['status']>(['read', 'no_text', 'empty']);
const keepableText = (t: TextInImage | undefined): t is TextInImage => !!t && KEPT_TEXT.has(t.status);

/** A memo as written by this code: anything else (another layout, a torn write) is not trusted. */
const memoValue = <M extends { value: MemoValue }>(m: M | null): M | null =>
  m && m.value.probe && m.value.analysis && typeof m.value.probe.mime === 'string' ? m : null;

/** Posts and images one check asks Fact Check Tools about, at most. */
const MAX_SEARCHED = 5;
/** Posts whose text one check matches against the text memory, at most (a page embeds up to 10). */
const MAX_TEXT_POSTS = 10;
/** Fact-checks kept per post (schemas/post.ts `fact_checks`). */
const MAX_POST_FACT_CHECKS = 10;

/** How a post's author is named in text matches (`@handle`, else the name): the same account is no news. */
const authorLabel = (post: Post): string | null =>
  post.author.handle ? `@${post.author.handle}` : (post.author.display_name ?? null);

/** Work units at once: enough to overlap slow hosts, few enough to bound memory. */
const CONCURRENCY = 3;
/** Media files one check downloads at most (a page with 200 images is not 200 downloads). */
const MAX_MEDIA = 40;
const ACCEPT = 'image/avif,image/webp,image/*,video/*;q=0.9,*/*;q=0.5';

interface MediaRef {
  url: string;
  target: number;
  post: number | null;
  /** The file's bytes, when resolving the link already downloaded them. */
  prefetched?: FetchResult | undefined;
}

export async function processCheck(
  input: { checkId: string; targets: Target[] },
  given: PipelineDeps,
): Promise<Report> {
  const deps = given.recorder
    ? { ...given, fetcher: recordingFetcher(given.fetcher, given.recorder) }
    : given;
  const started_at = new Date().toISOString();
  const posts: Post[] = [];
  const refs: MediaRef[] = [];
  const seen = new Set<string>();
  const addRef = (ref: MediaRef) => {
    if (seen.has(ref.url) || refs.length >= MAX_MEDIA) return;
    seen.add(ref.url);
    refs.push(ref);
  };
  const postTargets: number[] = [];
  const addPost = (post: Post, target: number) => {
    const index = posts.push(post) - 1;
    postTargets[index] = target;
    for (const m of allMedia(post)) addRef({ url: m.url, target, post: index });
    return index;
  };

  const resolutions = await mapLimited(input.targets, CONCURRENCY, (t) =>
    isLocal(t.url)
      ? Promise.resolve<Resolution>({ kind: 'media', url: t.url, trail: [] })
      : resolveTarget(t.url, { fetcher: deps.fetcher, endpoints: deps.endpoints, log: deps.log }),
  );
  // Posts and media in target order, so reports are stable whatever finished first.
  const targets = resolutions.map((r, i): TargetResult => {
    const t: TargetResult = { index: i, url: input.targets[i]?.url ?? '', kind: r.kind };
    if (r.kind === 'error') t.error = { code: r.code, message: r.message };
    else if (r.kind === 'media') addRef({ url: r.url, target: i, post: null, prefetched: r.prefetched });
    else if (r.kind === 'post') t.post_index = addPost(r.post, i);
    else {
      const { embedded_posts, ...page } = r.page;
      t.page = page;
      for (const m of page.media) addRef({ url: m.url, target: i, post: null });
      t.post_indexes = embedded_posts.map((p) => addPost(p, i));
    }
    return t;
  });

  // Posts are remembered by author before the media are analyzed: a screenshot of one, in this check or
  // a later one, is traced back to it.
  const memory = deps.memory;
  if (memory) {
    const shown = posts.flatMap((p, k) =>
      [p, p.quoted, p.reposted].flatMap((q) => (q ? [{ post: q, target: postTargets[k] ?? 0 }] : [])),
    );
    await mapLimited(shown, CONCURRENCY, ({ post, target }) =>
      memory.posts
        .remember(post, input.targets[target]?.url ?? post.url)
        .catch((err: unknown) => deps.log.warn({ err, post: post.url }, 'post not remembered')),
    );
  }

  // Captures are asked for now and awaited after the media: the archive works while we analyze. Through the
  // plain fetcher: the request carries the credentials, which have no place in the evidence archive.
  const saving = deps.savePage
    ? savePosts(posts, { fetcher: given.fetcher, options: deps.savePage, log: deps.log })
    : Promise.resolve(new Map<string, SavedCapture>());
  // Fact Check Tools by the posts' words, asked while the media are analyzed. Through the plain fetcher:
  // the key is in the query string, which has no place in the evidence archive.
  const tools = deps.factCheckTools
    ? { ...deps.factCheckTools, fetcher: given.fetcher, log: deps.log }
    : null;
  const byText = tools
    ? Promise.all(
        posts
          .slice(0, MAX_SEARCHED)
          .map((p) => (p.text ? factChecksOfText(tools, p.text, p.language ?? null) : Promise.resolve([]))),
      )
    : Promise.resolve([]);
  const claims = deps.memory ? await matchPostTexts(posts, deps.memory, deps.log) : [];
  const matches = new Map<number, Match[]>();
  const textMatches = new Map<number, Match[]>();
  const media = await mapLimited(refs, CONCURRENCY, (ref, i) =>
    processMedia(
      ref,
      i,
      ref.post === null ? null : (posts[ref.post] ?? null),
      deps,
      { matches, textMatches },
      input.checkId,
    ),
  );
  // Wayback and web search engines are asked at once. The engines through the plain fetcher, as for
  // Save Page Now: their requests carry API keys, which have no place in the evidence archive.
  const searching = deps.webSearch
    ? webSightings(media, { ...deps.webSearch, fetcher: given.fetcher, log: deps.log })
    : Promise.resolve(new Map<number, ImageSightings>());
  const searched = tools ? media.filter((m) => searchableUrl(m) !== null).slice(0, MAX_SEARCHED) : [];
  const byImage = Promise.all(
    searched.map((m) => (tools ? factChecksOfImage(tools, m.source_url) : Promise.resolve([]))),
  );
  const wayback = deps.waybackCache ? await waybackCaptures(posts, media, deps) : new Map<string, Capture>();
  const web = await searching;
  const saved = await saving;
  (await byText).forEach((found, k) => {
    const post = posts[k] as Post;
    if (found.length) post.fact_checks = [...(post.fact_checks ?? []), ...found].slice(0, 10);
  });
  (await byImage).forEach((found, k) => {
    const item = searched[k] as MediaItem;
    if (found.length) item.fact_checks = [...(item.fact_checks ?? []), ...found].slice(0, 10);
  });
  for (const item of media) {
    const post = item.post_index === null ? null : (posts[item.post_index] ?? null);
    const captures = [post?.url, item.source_url]
      .map((u) => (u ? wayback.get(u) : undefined))
      .filter((c): c is Capture => !!c);
    const links = reverseSearchLinks(item, deps.reverseSearch);
    if (links.length) item.reverse_search = links;
    const found = web.get(item.index);
    if (found) item.web_search = found.outcomes;
    item.provenance = buildProvenance({
      checkedAt: started_at,
      sourceUrl: item.source_url,
      post: post ? { url: post.url, posted_at: post.posted_at ?? null, author: authorLabel(post) } : null,
      wayback: captures,
      saved: post && saved.has(post.url) ? [saved.get(post.url) as SavedCapture] : [],
      ...(item.metadata && { metadata: item.metadata }),
      ...(item.content_credentials && { contentCredentials: item.content_credentials }),
      ...(item.hashes && { hashes: item.hashes }),
      ...(item.exif_thumbnail && { exifThumbnail: item.exif_thumbnail }),
      ...(item.jpeg && { jpeg: item.jpeg }),
      ...(item.video && { video: item.video.metadata }),
      ...(found?.sightings.length && { web: found.sightings }),
      ...(item.text && { text: item.text }),
      ...(item.screenshot_of && { screenshotOf: item.screenshot_of }),
      matches: [
        ...(matches.get(item.index) ?? []),
        ...(textMatches.get(item.index) ?? []),
        ...(post?.text_matches ?? []),
      ],
      factChecks: [
        ...(item.fact_checks ?? []),
        ...((item.post_index !== null && claims[item.post_index]) || []),
      ],
      ...(item.best_copy && { bestCopy: item.best_copy }),
      thresholds: deps.thresholds,
    });
  }
  return {
    schema_version: REPORT_SCHEMA_VERSION,
    check_id: input.checkId,
    started_at,
    completed_at: new Date().toISOString(),
    targets,
    posts,
    media,
  };
}

/**
 * Each post's text against the text memory: posts and image words seen before (`text_matches`) and
 * fact-check claims worded like it or like the post it quotes (first in `fact_checks`); then the texts
 * are remembered, all after
 * all are matched, so that two posts of one check do not match each other. Returns each post's claim
 * matches, which its media's `already_fact_checked` signals name. Text matching is extra: a failure is
 * logged and leaves the report without it.
 */
async function matchPostTexts(posts: Post[], memory: CheckMemory, log: Logger): Promise<FactCheck[][]> {
  const claims: FactCheck[][] = posts.map(() => []);
  const texted = posts.slice(0, MAX_TEXT_POSTS).filter((p) => p.text);
  try {
    for (const [k, post] of posts.slice(0, MAX_TEXT_POSTS).entries()) {
      if (post.text) {
        const found = await memory.texts.find(post.text, { kind: 'post', post });
        if (found.length) post.text_matches = found;
      }
      const claimed = await claimsOf(post, memory);
      if (claimed.length) {
        claims[k] = claimed;
        post.fact_checks = claimed;
      }
    }
    for (const post of texted) await memory.texts.remember(post.text as string, { kind: 'post', post });
  } catch (err) {
    log.warn({ err }, 'post texts not matched');
  }
  return claims;
}

/**
 * Fact-checks whose claim is worded like the post's own text, then like the text of the post it quotes
 * (a quote tweet's own words are often only "look at this"; the claim is in the tweet it quotes, which
 * the resolver has read already): each marked with whose words matched, one per fact-check.
 */
async function claimsOf(post: Post, memory: CheckMemory): Promise<FactCheck[]> {
  const out: FactCheck[] = [];
  const taken = new Set<string>();
  for (const [of, text] of [
    ['post', post.text],
    ['quoted', post.quoted?.text],
  ] as const) {
    if (!text) continue;
    for (const f of await memory.texts.claims(text)) {
      const key = f.bank ? `${f.bank.id}/${f.bank.entry_id}` : (f.url ?? '');
      if (taken.has(key)) continue;
      taken.add(key);
      out.push({ ...f, match: { ...f.match, of } });
    }
  }
  return out.slice(0, MAX_POST_FACT_CHECKS);
}

async function processMedia(
  ref: MediaRef,
  index: number,
  post: Post | null,
  deps: PipelineDeps,
  out: { matches: Map<number, Match[]>; textMatches: Map<number, Match[]> },
  checkId: string,
): Promise<MediaItem> {
  const { matches } = out;
  const item: MediaItem = {
    index,
    target_index: ref.target,
    post_index: ref.post,
    source_url: ref.url,
    redirects: [],
    status: 'ok',
    timings_ms: {},
  };
  const log = deps.log.child({ media: index });
  const t = item.timings_ms;
  try {
    const fetched = ref.prefetched ?? (await timed(t, 'fetch', () => download(ref.url, deps)));
    ref.prefetched = undefined; // the report keeps what it needs; the bytes go once analyzed
    item.final_url = fetched.finalUrl;
    item.redirects = fetched.redirects;
    item.http_status = fetched.status;
    item.bytes = fetched.body.length;
    // Taken once: the archive's record of this download reads the same digest (src/sha256.ts).
    item.sha256 = sha256Hex(fetched.body);
    const sha = item.sha256;
    // An uploaded file's memo is its organization's own (analysis-memo.ts says why).
    const uploaded = ref.url.startsWith(UPLOAD_SCHEME);
    const memo = deps.memo;
    // The kind first, from the bytes' signature: only images are ever kept in the memo, so a video (or a
    // file that is no media) reads none, one Redis round trip fewer. The rest of the probe (an image's
    // header) only when the memo has no probe to give.
    const sniffed = await timed(t, 'probe', () => sniffMedia(fetched.body, fetched.contentType));
    const memoized =
      memo && sniffed.kind === 'image'
        ? await timed(t, 'memo', () =>
            memo.get(sha, uploaded).then(memoValue, (err: unknown) => {
              log.warn({ err }, 'analysis memo not read');
              return null;
            }),
          )
        : null;
    const probe = memoized
      ? withDeclared(memoized.value.probe, fetched.contentType)
      : await timed(
          t,
          'probe',
          () => probeMedia(fetched.body, fetched.contentType, deps.maxInputPixels, sniffed),
          true,
        );
    Object.assign(item, probeFields(probe));
    let features: ImageFeatures | undefined;
    /** What this check read from the bytes, to keep if the file turns out to have been checked before. */
    let toMemo: { value: MemoValue; features?: ImageFeatures | undefined } | null = null;
    if (probe.kind === 'image') {
      const keepViews = deps.views;
      // Views kept for this file (an earlier check, or asked for after one) are not made again.
      const keptViews = keepViews
        ? await timed(t, 'views_kept', () =>
            keepViews.kept(sha).catch((err: unknown) => {
              log.warn({ err }, 'kept forensic views not read');
              return null;
            }),
          )
        : null;
      if (keptViews) item.views = forensicViewsField(keptViews, checkId, index);
      const makeViews = !!keepViews && !keptViews;
      // Views to make need the pixels: only then is a file with a memo decoded again.
      const reused = memoized && !makeViews ? memoized : null;
      const analysis: Analysis = reused
        ? {
            ...reused.value.analysis,
            ...(reused.features && { features: reused.features }),
            timings_ms: {},
          }
        : await (deps.analyze ?? analyzeImage)(fetched.body, probe, {
            maxInputPixels: deps.maxInputPixels,
            jpegDoubleCompression: deps.jpegDoubleCompression ?? false,
            features: deps.memory?.images.featureOptions ?? null,
            views: makeViews,
          });
      const keep = deps.thumbnails;
      if (keep) {
        // Downloads are dropped after analysis; only this small picture stays, for the report page.
        await timed(t, 'thumbnail', () =>
          keep(sha, fetched.body, analysis.pixels).catch((err: unknown) =>
            log.warn({ err }, 'thumbnail not kept'),
          ),
        );
      }
      if (keepViews && analysis.views) {
        const made = analysis.views;
        item.views = await timed(t, 'views_stored', () =>
          keepViews.keep(sha, made).then(
            () => forensicViewsField(made, checkId, index),
            (err: unknown) => {
              log.warn({ err }, 'forensic views not kept');
              return undefined;
            },
          ),
        );
        if (!item.views) delete item.views;
      }
      const { timings_ms, error, features: found, pixels, views: _views, ...parts } = analysis;
      features = found;
      Object.assign(item, parts);
      Object.assign(item.timings_ms, timings_ms);
      // Pixels that cannot be hashed make the item an error, but what was read stays in the report.
      if (error) throw error;
      if (!memoized) toMemo = { value: { probe, analysis: parts }, ...(found && { features: found }) };
      const ocr = deps.ocr;
      if (ocr) {
        // Reading the words is extra: its failures are in `text` (an ocr_* code), never the item's.
        // The detector works on the picture the analysis decoded: a photo without text costs no decode.
        const kept = reused?.value.text;
        item.text = keepableText(kept)
          ? kept
          : await timed(t, 'text', () => readText(fetched.body, ocr, t, pixels));
        const text = item.text;
        if (toMemo && keepableText(text)) toMemo.value.text = text;
        if (text.status === 'read') {
          const traced = await timed(t, 'screenshot', () =>
            traceShot(text, embeddedPicture(item), deps, log),
          );
          if (traced) item.screenshot_of = traced;
        }
      }
    }
    const video = probe.kind === 'video' ? deps.video : null;
    if (video) {
      const sha256 = item.sha256;
      const ocr = deps.ocr;
      const readFrames = ocr ? (deps.ocrVideoKeyframes ?? 0) : 0;
      const analysis = await timed(t, 'video', () =>
        analyzeVideo(
          fetched.body,
          sha256,
          { ...video.options, keyframePixels: readFrames > 0 },
          video.keyframes,
        ),
      );
      log.debug(
        { frames: analysis.video.frames_hashed, region: analysis.video.content_region },
        'video analyzed',
      );
      item.video = analysis.video;
      const frames = analysis.keyframePixels;
      if (ocr && frames?.length) {
        // As for images, the words are extra: OCR's failures are in `text`, never the item's.
        const read = await timed(t, 'text', () => readKeyframesText(frames, ocr, readFrames, t));
        item.text = read.text;
        // A keyframe may show a screenshot of a post: the first traced is the video's (each keyframe
        // read is one trace at most, and there are OCR_VIDEO_KEYFRAMES of them at most).
        const traced = await timed(t, 'screenshot', async () => {
          for (const frame of read.frames) {
            const found = await traceShot(frame.text, null, deps, log);
            if (found) return { ...found, timestamp: frame.timestamp };
          }
          return null;
        });
        if (traced) item.screenshot_of = traced;
      }
      const { width, height } = analysis.video.metadata;
      if (width !== null && height !== null) Object.assign(item, { width, height });
      Object.assign(t, analysis.timings_ms);
    }
    const memory = deps.memory;
    if (memory) {
      const found = await timed(t, 'match', () => memory.images.find(item, { features }));
      matches.set(index, found);
      // Checked before (the very bytes: an exact match by sha256): the second check keeps what it read.
      const keep = toMemo;
      if (memo && keep && found.some((m) => m.kind === 'exact' && m.hash === 'sha256' && m.sha256 === sha))
        await timed(t, 'memo_kept', () =>
          memo.put(sha, uploaded, keep).catch((err: unknown) => log.warn({ err }, 'analysis memo not kept')),
        );
      await timed(t, 'remember', () => memory.images.remember(item, { post, features, matches: found }));
      if (item.video) {
        // Frames against images and videos against videos; the image matcher above found exact copies.
        const byVideo = await timed(t, 'video_match', () => memory.videos.find(item));
        matches.set(index, [...found, ...byVideo]);
        await timed(t, 'video_remember', () => memory.videos.remember(item, { post }));
      }
      const factChecks = await timed(t, 'fact_checks', () =>
        memory.factChecks(item, matches.get(index) ?? []),
      );
      if (factChecks.length) item.fact_checks = factChecks;
      const words = item.text?.status === 'read' ? item.text.text : '';
      if (words) {
        const owner = { kind: 'image' as const, item, post };
        const byWords = await timed(t, 'text_match', () => memory.texts.find(words, owner));
        if (byWords.length) out.textMatches.set(index, byWords);
        await timed(t, 'text_remember', () => memory.texts.remember(words, owner));
      }
      const best = await timed(t, 'best_copy', () => memory.bestCopy(item, matches.get(index) ?? []));
      if (best) item.best_copy = best;
    }
    log.info(
      { sha256: item.sha256, format: item.format, bytes: item.bytes, matches: matches.get(index)?.length },
      'media analyzed',
    );
  } catch (err) {
    item.status = 'error';
    if (isMediaError(err)) {
      item.error = { code: err.code, message: err.message };
      if (err.httpStatus !== undefined) item.http_status = err.httpStatus;
      log.info({ code: err.code, msg: err.message }, 'media item failed');
    } else {
      // A bug, not bad input: keep the worker alive and the rest of the check going, but say so loudly.
      item.error = { code: 'internal_error', message: MEDIA_ERROR_CODES.internal_error };
      log.error({ err }, 'unexpected error on media item');
    }
  }
  return item;
}

/**
 * The post a picture's words show, if they read as a screenshot of one: among the posts remembered by
 * its @handle, else among the author's recent posts on the platform (deps.authorFeeds). Extra: a lookup
 * that fails leaves the item without `screenshot_of`, logged. A post found on the platform is one
 * firstseen has now seen (publicly): remembered, so the next screenshot of it is traced without asking.
 */
async function traceShot(
  text: TextInImage,
  picture: PictureBox | null,
  deps: PipelineDeps,
  log: Logger,
): Promise<ScreenshotOf | null> {
  const posts = deps.memory?.posts;
  if (!posts) return null;
  const feeds = deps.authorFeeds;
  const sources: PostSources = {
    seen: (handle) => posts.byAuthor(handle),
    lookalike: (handle) => posts.byLookalike(handle),
    ...(feeds && {
      platform: (handle: string) =>
        postsOnPlatform(handle, { ...feeds, fetcher: deps.fetcher, endpoints: deps.endpoints, log }),
    }),
  };
  const traced = await traceScreenshot(text, picture, sources).catch((err: unknown) => {
    log.warn({ err }, 'screenshot not traced');
    return null;
  });
  const found = traced?.screenshot.source === 'platform' ? traced.post : null;
  if (found) {
    const author = { handle: found.handle, ...(found.display_name && { display_name: found.display_name }) };
    const post = { ...found, author, posted_at: found.posted_at ?? undefined };
    await posts
      .remember(post, found.url)
      .catch((err: unknown) => log.warn({ err, post: found.url }, 'post not remembered'));
  }
  return traced?.screenshot ?? null;
}

/** What the probe found, as report fields (shared with the CLI's local analysis). */
export function probeFields(probe: Probe): Partial<MediaItem> {
  return {
    mime: probe.mime,
    declared_mime: probe.declared_mime,
    mime_mismatch: probe.mime_mismatch,
    format: probe.format,
    ...(probe.width !== undefined && { width: probe.width, height: probe.height }),
    ...(probe.frames !== undefined && { animated: probe.animated, frames: probe.frames }),
  };
}

/** The bytes of a media URL, or of an uploaded file. */
async function download(url: string, deps: PipelineDeps) {
  if (url.startsWith(FILE_SCHEME)) {
    const body = (await deps.files?.(url)) ?? null;
    if (!body) throw new MediaError('upload_missing');
    return { finalUrl: url, redirects: [], status: 200, contentType: null, body };
  }
  if (url.startsWith(UPLOAD_SCHEME)) {
    const body = await deps.uploads(url.slice(UPLOAD_SCHEME.length));
    if (!body) throw new MediaError('upload_missing');
    deps.recorder?.resource(url, null, body); // the original, as evidence of what was checked
    return { finalUrl: url, redirects: [], status: 200, contentType: null, body };
  }
  const target = deps.endpoints.rewrite ? deps.endpoints.rewrite(new URL(url)).toString() : url;
  return deps.fetcher.get(target, { accept: ACCEPT });
}

type Capture = { url: string; captured_at: string; snapshot_url: string };

/** Posts a check asks Save Page Now to capture at most (a page embedding 30 posts is not 30 captures). */
const MAX_SAVED_POSTS = 5;

/** Save Page Now captures of the check's posts, by post URL (failures are logged and left out). */
async function savePosts(
  posts: Post[],
  deps: Parameters<typeof savePage>[1],
): Promise<Map<string, SavedCapture>> {
  const out = new Map<string, SavedCapture>();
  const urls = [...new Set(posts.map((p) => p.url))].slice(0, MAX_SAVED_POSTS);
  await mapLimited(urls, CONCURRENCY, async (url) => {
    const r = await savePage(url, deps);
    if (r.status === 'saved') out.set(url, r.capture);
    else deps.log.info({ url, reason: r.reason }, 'post not captured by Save Page Now');
  });
  return out;
}

/** First Wayback captures of every post URL and media URL of the check (cached, so cheap on repeats). */
async function waybackCaptures(
  posts: Post[],
  media: MediaItem[],
  deps: PipelineDeps,
): Promise<Map<string, Capture>> {
  const urls = [...new Set([...posts.map((p) => p.url), ...media.map((m) => m.source_url)])].filter(
    (u) => !isLocal(u),
  );
  const out = new Map<string, Capture>();
  const cache = deps.waybackCache as TtlCache;
  await mapLimited(urls, CONCURRENCY, async (url) => {
    const r = await firstCapture(url, {
      fetcher: deps.fetcher,
      endpoints: deps.endpoints,
      log: deps.log,
      cache,
    });
    if (r.status === 'found') out.set(url, r.capture);
  });
  return out;
}

async function mapLimited<T, R>(
  items: T[],
  limit: number,
  fn: (item: T, i: number) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const run = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, run));
  return out;
}
