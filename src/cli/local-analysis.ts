// The service's analysis of one local file, run in this process: probe, analyzeImage (metadata, Content
// Credentials, hashes, the EXIF thumbnail) or analyzeVideo (container metadata, frames, vPDQ, keyframes;
// ffmpeg runs as a child process as in a worker) and buildProvenance with no matches. No server, no
// Redis, no network: the signals are those that need no index of earlier sightings.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPORT_SCHEMA_VERSION, type MediaItem, type Report } from '../../schemas/report.js';
import { isMediaError } from '../errors.js';
import { analyzeImage } from '../pipeline/analyze/index.js';
import { probeFields } from '../pipeline/process-check.js';
import { probeMedia } from '../pipeline/probe.js';
import { buildProvenance, type ProvenanceThresholds } from '../pipeline/provenance.js';
import { analyzeVideo, type VideoAnalysisOptions } from '../pipeline/video/analyze.js';

export interface LocalAnalysisOptions {
  maxInputPixels: number;
  thresholds: ProvenanceThresholds;
  /** The video settings (VIDEO_*) a worker would use; the pixel cap is `maxInputPixels`. */
  video: Omit<VideoAnalysisOptions, 'maxPixels'>;
}

async function timed<T>(item: MediaItem, stage: string, fn: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  try {
    return await fn();
  } finally {
    item.timings_ms[stage] = Math.round((performance.now() - t0) * 10) / 10;
  }
}

/**
 * A report (schema version 2) of one local file, shaped as the service's: one target and one media item
 * whose source is the file's URL (file:///…), `check_id` "local". A file that cannot be read as media is
 * an item with `status: "error"`, as in a check.
 */
export async function analyzeFile(path: string, options: LocalAnalysisOptions): Promise<Report> {
  const started_at = new Date().toISOString();
  const source = pathToFileURL(resolve(path)).href;
  const bytes = await readFile(path);
  const item: MediaItem = {
    index: 0,
    target_index: 0,
    post_index: null,
    source_url: source,
    redirects: [],
    status: 'ok',
    bytes: bytes.length,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    timings_ms: {},
  };
  try {
    const probe = await timed(item, 'probe', () => probeMedia(bytes, null, options.maxInputPixels));
    Object.assign(item, probeFields(probe));
    if (probe.kind === 'image') {
      const {
        timings_ms,
        error,
        pixels: _pixels,
        ...parts
      } = await analyzeImage(bytes, probe, {
        maxInputPixels: options.maxInputPixels,
      });
      Object.assign(item, parts);
      Object.assign(item.timings_ms, timings_ms);
      if (error) throw error;
    } else if (probe.kind === 'video') {
      const sha256 = item.sha256 as string;
      const { video, timings_ms } = await analyzeVideo(
        bytes,
        sha256,
        { ...options.video, maxPixels: options.maxInputPixels },
        null, // keyframe thumbnails are for report pages; there is none here
      );
      item.video = video;
      const { width, height } = video.metadata;
      if (width !== null && height !== null) Object.assign(item, { width, height });
      Object.assign(item.timings_ms, timings_ms);
    }
  } catch (err) {
    item.status = 'error';
    item.error = isMediaError(err)
      ? { code: err.code, message: err.message }
      : { code: 'internal_error', message: (err as Error).message };
  }
  item.provenance = buildProvenance({
    checkedAt: started_at,
    sourceUrl: source,
    post: null,
    wayback: [],
    ...(item.metadata && { metadata: item.metadata }),
    ...(item.content_credentials && { contentCredentials: item.content_credentials }),
    ...(item.hashes && { hashes: item.hashes }),
    ...(item.exif_thumbnail && { exifThumbnail: item.exif_thumbnail }),
    ...(item.video && { video: item.video.metadata }),
    matches: [],
    thresholds: options.thresholds,
  });
  return {
    schema_version: REPORT_SCHEMA_VERSION,
    check_id: 'local',
    started_at,
    completed_at: new Date().toISOString(),
    targets: [{ index: 0, url: source, kind: 'media' }],
    posts: [],
    media: [item],
  };
}
