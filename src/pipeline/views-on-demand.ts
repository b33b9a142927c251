// Forensic views asked for after a check (issue 20 item 3; POST /v1/checks/:id/media/:index/views):
// a deployment that does not make them for every check (FORENSIC_VIEWS=false, the default: they cost
// ~1.6x the analysis stage) makes them for the items a fact-checker asks about. A plain function of the
// report's item and injected services; the `views` queue's worker (workers/views.ts) calls it.
//
// The bytes were dropped after the analysis (STYLE.md), so the file is downloaded again through the
// SSRF-safe fetcher, from the URL that served it to the check, and used only if it is still the same file
// (its sha256): views of other bytes would be evidence about another picture. An uploaded file's bytes
// are gone once its check is done: they are read back from the check's own evidence archive when there
// is one that holds them whole (ARCHIVE_ENABLED; src/archive/archived-file.ts checks their sha256), else
// the API refuses the request before queueing (upload_gone), and this stage says `not_fetched` if one
// gets here. Views kept for the same file are reused, never made again.
import { createHash } from 'node:crypto';
import type { MediaItem } from '../../schemas/report.js';
import type { ForensicViews } from '../../schemas/views.js';
import { isMediaError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { SafeFetcher } from '../net/safe-fetch.js';
import { forensicViewsField, type ForensicViewsMade } from '../services/thumbnails.js';
import { UPLOAD_SCHEME } from '../services/uploads.js';
import { forensicViews, viewsSkip, type OwnViewsInput } from './analyze/views.js';
import type { ViewsKeeper } from './process-check.js';

const ACCEPT = 'image/avif,image/webp,image/*;q=0.9,*/*;q=0.5';

export interface ViewsOnDemandDeps {
  views: ViewsKeeper;
  fetcher: SafeFetcher;
  /** Bytes of the check's uploaded file by sha256, or null once gone. */
  uploads: (sha256: string) => Promise<Buffer | null>;
  /** The uploaded file read back from the check's own archive, its sha256 checked; absent or null: none. */
  archived?: ((sha256: string) => Promise<Buffer | null>) | undefined;
  /** forensicViews in the analysis threads (pool.ts); absent: on this thread. */
  compute?: ((bytes: Buffer, input: OwnViewsInput) => Promise<ForensicViewsMade>) | undefined;
  maxInputPixels: number;
  log: Logger;
}

/** What views of the item need besides its bytes, from its report (the file's stored size, its rotation). */
export function viewsInputOf(item: MediaItem, maxInputPixels: number): OwnViewsInput | null {
  if (item.width === undefined || item.height === undefined || !item.decode) return null;
  const jpeg = item.jpeg;
  return {
    width: item.width,
    height: item.height,
    // As at analysis time (analyze/index.ts): HEIF's container rotation is in its decoded pixels already.
    orientation: item.decode.rotated_for_hashing ? item.decode.orientation : null,
    jpegQuality: jpeg ? (jpeg.standard_quality ?? jpeg.quality ?? null) : null,
    maxPixels: maxInputPixels,
  };
}

/** The item's `views`: kept ones, or made from the file downloaded again, or why there are none. */
export async function viewsOnDemand(
  input: { checkId: string; item: MediaItem },
  deps: ViewsOnDemandDeps,
): Promise<ForensicViews> {
  const { checkId, item } = input;
  const field = (made: Parameters<typeof forensicViewsField>[0]) =>
    forensicViewsField(made, checkId, item.index);
  const sha256 = item.sha256;
  const own = viewsInputOf(item, deps.maxInputPixels);
  if (!sha256 || !own) {
    return field({
      skipped: { code: 'not_decoded', reason: 'The check did not decode this file as a still image.' },
    });
  }
  const kept = await deps.views.kept(sha256);
  if (kept) return field(kept);
  // A picture the views say nothing of is not downloaded again.
  const skip = viewsSkip(own);
  if (skip) {
    await deps.views.keep(sha256, { skipped: skip });
    return field({ skipped: skip });
  }
  const fetched = await bytesOf(item, sha256, deps);
  if ('skipped' in fetched) return field(fetched);
  const made = await (deps.compute ?? ((bytes, o) => forensicViews({ ...o, bytes })))(fetched.bytes, own);
  await deps.views.keep(sha256, made);
  deps.log.info({ sha256, skipped: made.skipped?.code }, 'forensic views made on demand');
  return field(made);
}

async function bytesOf(
  item: MediaItem,
  sha256: string,
  deps: ViewsOnDemandDeps,
): Promise<{ bytes: Buffer } | { skipped: NonNullable<ForensicViews['skipped']> }> {
  if (item.source_url.startsWith(UPLOAD_SCHEME)) {
    const bytes = (await deps.uploads(sha256)) ?? (await deps.archived?.(sha256)) ?? null;
    return bytes
      ? { bytes }
      : {
          skipped: {
            code: 'not_fetched',
            reason:
              'The uploaded file is no longer kept (uploads go when their check is done) and the check’s archive does not hold it.',
          },
        };
  }
  const url = item.final_url ?? item.source_url;
  let body: Buffer;
  try {
    body = (await deps.fetcher.get(url, { accept: ACCEPT })).body;
  } catch (err) {
    if (!isMediaError(err)) throw err;
    deps.log.info({ code: err.code, url }, 'file not downloaded again for its views');
    return {
      skipped: {
        code: 'not_fetched',
        reason: `The file could not be downloaded again for its views (${err.code}: ${err.message}).`,
      },
    };
  }
  if (createHash('sha256').update(body).digest('hex') !== sha256) {
    return {
      skipped: {
        code: 'file_changed',
        reason:
          'The URL now serves another file than the one the check analyzed, so views of it would not show this picture.',
      },
    };
  }
  return { bytes: body };
}
