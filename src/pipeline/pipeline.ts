// The pipeline, assembled once: the worker, the CLI's `analyze` and the tests all build it here, from the
// configuration and the services the process has (a memory, a fetcher, a cache, a thumbnail store), so a
// test of the pipeline runs the production wiring. A check's own inputs (its id, organization, targets,
// uploads, archive recorder) come with each run.
import { readFile } from 'node:fs/promises';
import { resolve as resolvePath } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Target } from '../../schemas/check.js';
import type { Report } from '../../schemas/report.js';
import type { ArchiveRecorder } from '../archive/recorder.js';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { Memory } from '../memory/memory.js';
import type { SafeFetcher } from '../net/safe-fetch.js';
import {
  THUMBNAIL_TTL_SECONDS,
  type ForensicViewStore,
  type ThumbnailStore,
} from '../services/thumbnails.js';
import type { ViewsKeeper } from './process-check.js';
import type { TtlCache } from '../services/ttl-cache.js';
import type { AnalysisPool } from './analyze/pool.js';
import type { AnalysisMemo } from '../services/analysis-memo.js';
import { processCheck, type MemoValue } from './process-check.js';
import { webSearchAdapters } from './web-search/web-sightings.js';
import type { ResolverEndpoints } from './resolve/types.js';

export type PipelineConfig = Pick<
  Config,
  | 'maxInputPixels'
  | 'jpegDoubleCompression'
  | 'forensicViews'
  | 'provenance'
  | 'video'
  | 'ocr'
  | 'ocrVideoKeyframes'
  | 'authorFeeds'
  | 'endpoints'
  | 'waybackEnabled'
  | 'waybackSave'
  | 'reverseSearch'
  | 'factCheckTools'
  | 'webSearch'
>;

export interface PipelineServices {
  config: PipelineConfig;
  /** What checks match against and add to; null: nothing is matched or remembered (the CLI's analyze). */
  memory: Memory | null;
  fetcher: SafeFetcher;
  /** Answers of outside services are cached here (Redis in production): Wayback's (null, or
   *  WAYBACK_ENABLED false: no Wayback lookups) and web search engines' (null: not cached). */
  waybackCache: TtlCache | null;
  /** Thumbnails for report pages; null: none kept. */
  thumbnails: ThumbnailStore | null;
  log: Logger;
  /** What earlier checks read from the same bytes (ANALYSIS_MEMO_SECONDS); null or absent: none kept. */
  analysisMemo?: AnalysisMemo<MemoValue> | null | undefined;
  /** The process's analysis threads; null or absent: images are analyzed on this thread. */
  analysis?: AnalysisPool | null | undefined;
  /** Where the platforms are: the configuration's, unless a test puts stand-ins there. */
  endpoints?: ResolverEndpoints | undefined;
}

export interface CheckRun {
  checkId: string;
  org: string;
  targets: Target[];
  /** Bytes of a file uploaded with the check, by sha256 (null once gone). */
  uploads?: ((sha256: string) => Promise<Buffer | null>) | undefined;
  /** Told of every HTTP exchange for the evidence archive; absent: nothing recorded. */
  recorder?: ArchiveRecorder | null | undefined;
  /** How long this check's thumbnails must live (its organization's retention); default 90 days. */
  thumbnailTtlSeconds?: number | undefined;
  /** Make the forensic views of its images although FORENSIC_VIEWS is off (the submission asked). */
  views?: boolean | undefined;
  log?: Logger | undefined;
}

export interface Pipeline {
  /** Resolve, fetch, analyze, match, remember, provenance: one check's report. */
  check(run: CheckRun): Promise<Report>;
  /**
   * One file on this machine, as a check would analyze it: a report with one target and one media item
   * whose source is the file's URL (file:///…) and `check_id` "local".
   */
  file(path: string): Promise<Report>;
}

export function createPipeline(services: PipelineServices): Pipeline {
  const { config, memory, thumbnails } = services;
  const video = (ttl: number) => ({
    options: { ...config.video, maxPixels: config.maxInputPixels },
    keyframes: thumbnails ? (id: string, webp: Buffer) => thumbnails.keyframe(id, webp, ttl) : null,
  });
  const adapters = webSearchAdapters(config.webSearch);
  const webSearch = adapters.length
    ? {
        adapters,
        maxImages: config.webSearch.maxImages,
        cacheSeconds: config.webSearch.cacheSeconds,
        cache: services.waybackCache,
      }
    : null;
  const common = (log: Logger, ttl: number) => ({
    fetcher: services.fetcher,
    endpoints: services.endpoints ?? config.endpoints,
    waybackCache: config.waybackEnabled ? services.waybackCache : null,
    thumbnails: thumbnails
      ? (sha: string, bytes: Buffer, pixels?: { data: Buffer; width: number; height: number }) =>
          thumbnails.image(sha, bytes, pixels, ttl)
      : null,
    video: video(ttl),
    views: config.forensicViews ? viewsKeeper(thumbnails?.views, ttl) : null,
    ocr: config.ocr ? { ...config.ocr, maxInputPixels: config.maxInputPixels } : null,
    ocrVideoKeyframes: config.ocrVideoKeyframes,
    // Screenshots' authors looked up on the platform, answers in the same Redis cache (keys of their own).
    authorFeeds: config.authorFeeds ? { options: config.authorFeeds, cache: services.waybackCache } : null,
    analyze: services.analysis?.analyze,
    maxInputPixels: config.maxInputPixels,
    jpegDoubleCompression: config.jpegDoubleCompression,
    thresholds: config.provenance,
    reverseSearch: config.reverseSearch,
    // The same Redis cache as the Wayback answers (a key of its own per question).
    factCheckTools: config.factCheckTools
      ? { options: config.factCheckTools, cache: services.waybackCache }
      : null,
    webSearch,
    savePage: config.waybackSave,
    log,
  });

  return {
    check(run) {
      const ttl = run.thumbnailTtlSeconds ?? THUMBNAIL_TTL_SECONDS;
      return processCheck(
        { checkId: run.checkId, targets: run.targets },
        {
          ...common(run.log ?? services.log, ttl),
          ...(run.views && { views: viewsKeeper(thumbnails?.views, ttl) }),
          uploads: run.uploads ?? (async () => null),
          recorder: run.recorder ?? null,
          memory: memory ? memory.forCheck({ checkId: run.checkId, org: run.org }) : null,
          memo: services.analysisMemo?.forOrg(run.org) ?? null,
        },
      );
    },

    async file(path) {
      const bytes = await readFile(path);
      const url = pathToFileURL(resolvePath(path)).href;
      // The check's own media step: the same probe, analysis, error handling (an internal error's
      // message stays hidden) and provenance as in the service. Nothing of the file is kept.
      return processCheck(
        { checkId: 'local', targets: [{ input: path, url }] },
        {
          ...common(services.log, 0),
          waybackCache: null,
          thumbnails: null,
          views: null,
          video: { options: video(0).options, keyframes: null },
          uploads: async () => null,
          files: async (u) => (u === url ? bytes : null),
          memory: null,
        },
      );
    },
  };
}

/** The views of images kept for `ttl` seconds (a check's retention): null without a store. */
export function viewsKeeper(store: ForensicViewStore | undefined, ttl: number): ViewsKeeper | null {
  return store
    ? { kept: (sha) => store.kept(sha, ttl), keep: (sha, made) => store.keep(sha, made, ttl) }
    : null;
}
