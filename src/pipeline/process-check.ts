// The check pipeline: for each target, fetch -> probe -> analyze, then the report. A plain async
// function of its inputs (the job payload and injected services): no Redis, no queue, so tests call
// it directly and workers are thin wrappers around it.
import { createHash } from 'node:crypto';
import type { Logger } from '../logger.js';
import type { Target } from '../../schemas/check.js';
import { REPORT_SCHEMA_VERSION, type MediaItem, type Report } from '../../schemas/report.js';
import { isMediaError, MEDIA_ERROR_CODES } from '../errors.js';
import type { SafeFetcher } from '../net/safe-fetch.js';
import { probeMedia } from './probe.js';

export interface PipelineDeps {
  fetcher: SafeFetcher;
  maxInputPixels: number;
  log: Logger;
}

/** Targets of one check handled at once: enough to overlap slow hosts, few enough to bound memory. */
const TARGET_CONCURRENCY = 3;
const ACCEPT = 'image/avif,image/webp,image/*,video/*;q=0.9,*/*;q=0.5';

export async function processCheck(
  input: { checkId: string; targets: Target[] },
  deps: PipelineDeps,
): Promise<Report> {
  const started_at = new Date().toISOString();
  const media = await mapLimited(input.targets, TARGET_CONCURRENCY, (t, i) => processTarget(t, i, deps));
  return {
    schema_version: REPORT_SCHEMA_VERSION,
    check_id: input.checkId,
    started_at,
    completed_at: new Date().toISOString(),
    media,
  };
}

export async function processTarget(target: Target, index: number, deps: PipelineDeps): Promise<MediaItem> {
  const item: MediaItem = { index, source_url: target.url, redirects: [], status: 'ok', timings_ms: {} };
  const log = deps.log.child({ target: index });
  const timed = async <T>(stage: string, fn: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    try {
      return await fn();
    } finally {
      item.timings_ms[stage] = Math.round((performance.now() - t0) * 10) / 10;
    }
  };
  try {
    const fetched = await timed('fetch', () => deps.fetcher.get(target.url, { accept: ACCEPT }));
    item.final_url = fetched.finalUrl;
    item.redirects = fetched.redirects;
    item.http_status = fetched.status;
    item.bytes = fetched.body.length;
    item.sha256 = createHash('sha256').update(fetched.body).digest('hex');
    const probe = await timed('probe', () =>
      probeMedia(fetched.body, fetched.contentType, deps.maxInputPixels),
    );
    Object.assign(item, {
      mime: probe.mime,
      declared_mime: probe.declared_mime,
      mime_mismatch: probe.mime_mismatch,
      format: probe.format,
      ...(probe.width !== undefined && { width: probe.width, height: probe.height }),
      ...(probe.frames !== undefined && { animated: probe.animated, frames: probe.frames }),
    });
    log.info({ sha256: item.sha256, format: item.format, bytes: item.bytes }, 'media fetched');
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
