// Small thumbnails of analyzed images, so a report page can show the picture long after the download
// was dropped (STYLE.md: only what a report shows is kept). One per sha256, shared by every check and
// organization that saw the file: the same bytes make the same thumbnail.
//
// A thumbnail is re-encoded pixels only: sharp writes no metadata unless asked, so the EXIF, GPS and
// XMP of the original never reach a browser through it.
import { batch, type RedisClient } from '../redis.js';
import { keys } from '../keys.js';
import sharp from 'sharp';
import { SHARP_FAIL_ON } from '../sharp-settings.js';
import type { ForensicViews } from '../../schemas/views.js';

/** Long side in pixels: enough to recognise a picture next to another, a few KB as WebP. */
export const THUMBNAIL_SIDE = 320;
export const THUMBNAIL_MIME = 'image/webp';
/**
 * Kept 90 days after the image was last seen (each new sighting renews it): reports are read mostly
 * in the days after a check, and Redis memory is the limit (3 to 20 KB per image at quality 60).
 */
export const THUMBNAIL_TTL_SECONDS = 90 * 24 * 3600;
/**
 * The WebP encoder's effort (libwebp's method, 0-6; sharp's default is 4). The encode is most of a
 * thumbnail's CPU, and 2 costs a third to a half less: over the bench's 10 photos from their decoded
 * pixels, 5.6-6.1 CPU ms per thumbnail at effort 2 against 9.1-11.3 at 4 (two runs, resize included; load
 * average ~10), for 3.8% more bytes (9.0 against 8.7 KB on average) and 0.24 dB less PSNR (33.2 against
 * 33.4 dB); effort 1 saves ~0.9 ms more for 14% more bytes, and Redis memory is what limits how many
 * thumbnails are kept.
 */
const THUMBNAIL_WEBP = { quality: 60, effort: 2 } as const;

/**
 * What "a check's thumbnails go with it" (CHECK_RETENTION_DAYS) means, given that one thumbnail is
 * shared by every check and organization that saw the same bytes: a thumbnail stays while some kept
 * check may still show it, and no longer.
 *  - Each sighting asks for the thumbnail to live as long as its check is kept, at most 90 days:
 *    `thumbnailTtlSeconds(retention of the check's organization)`.
 *  - A sighting only ever lengthens the thumbnail's life, never shortens it (EXPIRE ... GT): a check of
 *    an organization with a short retention cannot take away the thumbnail that another organization's
 *    (or an older, longer-kept) check still shows.
 * So when the last check that may show a thumbnail expires, the thumbnail has expired too (or does
 * within the same second), without any reference counting; a check kept forever shows its
 * thumbnails for 90 days after their last sighting, as before.
 */
export function thumbnailTtlSeconds(checkRetentionSeconds: number): number {
  return checkRetentionSeconds > 0
    ? Math.min(THUMBNAIL_TTL_SECONDS, checkRetentionSeconds)
    : THUMBNAIL_TTL_SECONDS;
}

/** Makes a kept thumbnail live at least `ttlSeconds` more; false when none is kept. */
async function keepLonger(redis: RedisClient, key: string, ttlSeconds: number): Promise<boolean> {
  // GT: only a later expiry is set. A key without TTL counts as infinite, so it is never shortened.
  // EXPIRE answers 0 both for a key kept longer already and for none: EXISTS tells them apart, sent in
  // the same pipeline (one key: one slot) rather than after it, one round trip instead of two.
  const replies = await redis.pipeline().expire(key, ttlSeconds, 'GT').exists(key).exec();
  const [, exists] = (replies ?? []).map(([err, value]) => {
    if (err) throw err;
    return value;
  });
  return exists === 1;
}

/** Keeps `webp` as the thumbnail `id` (a video keyframe's) for at least `ttlSeconds`. */
export async function keepThumbnail(
  redis: RedisClient,
  prefix: string,
  id: string,
  webp: Buffer,
  ttlSeconds: number = THUMBNAIL_TTL_SECONDS,
): Promise<void> {
  const key = thumbnailKey(prefix, id);
  if ((await redis.set(key, webp, 'EX', ttlSeconds, 'NX')) === 'OK') return;
  await keepLonger(redis, key, ttlSeconds);
}
/** MAX_INPUT_PIXELS' default; callers pass the configured value. */
const DEFAULT_MAX_PIXELS = 100_000_000;

export interface ThumbnailOptions {
  /** Largest width x height decoded (MAX_INPUT_PIXELS): a decompression bomb is refused, not decoded. */
  maxPixels?: number;
  /**
   * The picture as the analysis already decoded it (RGB, upright, first frame, long side ≤ 1024): the
   * thumbnail is made from these instead of decoding the file a second time. It is also the only way to
   * a thumbnail of an HEVC-coded HEIC, which libvips cannot decode (the analysis decodes it with libheif).
   */
  pixels?: RgbPixels | undefined;
  /** How long the sighting needs it (thumbnailTtlSeconds); default THUMBNAIL_TTL_SECONDS. */
  ttlSeconds?: number;
}

export interface RgbPixels {
  data: Buffer;
  width: number;
  height: number;
}

/** A WebP of at most THUMBNAIL_SIDE px from decoded RGB pixels; null when they are not a picture. */
export async function thumbnailFromPixels(p: RgbPixels): Promise<Buffer | null> {
  if (p.width < 1 || p.height < 1 || p.data.length < p.width * p.height * 3) return null;
  try {
    return await sharp(p.data, { raw: { width: p.width, height: p.height, channels: 3 } })
      .resize({ width: THUMBNAIL_SIDE, height: THUMBNAIL_SIDE, fit: 'inside', withoutEnlargement: true })
      .webp(THUMBNAIL_WEBP)
      .toBuffer();
  } catch {
    return null;
  }
}

export function thumbnailKey(prefix: string, sha256: string): string {
  return keys(prefix).thumbnail(sha256);
}

/**
 * A WebP of at most THUMBNAIL_SIDE px on its long side, EXIF orientation applied, first frame of an
 * animation. Null when the bytes cannot be decoded (not an image, truncated, too many pixels, a HEIC
 * that sharp's libvips cannot read): a missing thumbnail must never fail a check.
 */
export async function makeThumbnail(bytes: Buffer, opts: ThumbnailOptions = {}): Promise<Buffer | null> {
  if (bytes.length === 0) return null;
  try {
    return await sharp(bytes, {
      limitInputPixels: opts.maxPixels ?? DEFAULT_MAX_PIXELS,
      failOn: SHARP_FAIL_ON,
      pages: 1,
      autoOrient: true,
    })
      .resize({ width: THUMBNAIL_SIDE, height: THUMBNAIL_SIDE, fit: 'inside', withoutEnlargement: true })
      .webp(THUMBNAIL_WEBP)
      .toBuffer();
  } catch {
    return null;
  }
}

export type StoreOutcome = 'stored' | 'renewed' | 'undecodable';

/**
 * Makes and keeps the thumbnail of an analyzed image, unless one is kept already (then only its TTL
 * is lengthened when the sighting needs it longer, without decoding anything). Never throws for a bad image; Redis errors propagate.
 */
export async function storeThumbnail(
  redis: RedisClient,
  prefix: string,
  sha256: string,
  bytes: Buffer,
  opts: ThumbnailOptions = {},
): Promise<StoreOutcome> {
  const key = thumbnailKey(prefix, sha256);
  const ttl = opts.ttlSeconds ?? THUMBNAIL_TTL_SECONDS;
  if (await keepLonger(redis, key, ttl)) return 'renewed';
  const thumbnail = opts.pixels ? await thumbnailFromPixels(opts.pixels) : await makeThumbnail(bytes, opts);
  if (!thumbnail) return 'undecodable';
  await keepThumbnail(redis, prefix, sha256, thumbnail, ttl);
  return 'stored';
}

export async function loadThumbnail(
  redis: RedisClient,
  prefix: string,
  sha256: string,
): Promise<Buffer | null> {
  return redis.getBuffer(thumbnailKey(prefix, sha256));
}

/** Which of these images have a thumbnail, in one round trip. */
export async function keptThumbnails(
  redis: RedisClient,
  prefix: string,
  sha256s: Iterable<string>,
): Promise<Set<string>> {
  const list = [...new Set(sha256s)];
  if (!list.length) return new Set();
  const results = await batch(redis, list, (pipe, sha) => pipe.exists(thumbnailKey(prefix, sha)));
  return new Set(list.filter((_, i) => results[i]?.[0] === null && results[i]?.[1] === 1));
}

// ---------------------------------------------------------------------------------------------
// Forensic views (src/pipeline/analyze/views.ts): kept like thumbnails, by sha256 (the same bytes make the
// same views) and with the same lifetime rule, but served only through a check that asked for them
// (GET /v1/checks/:id/media/:index/views/:kind), so only to that check's organization.

export type ForensicViewKind = 'ela' | 'noise';
export const FORENSIC_VIEW_KINDS: readonly ForensicViewKind[] = ['ela', 'noise'];
export const FORENSIC_VIEW_MIME = 'image/webp';

/** Where a check's report points for one of its media item's views. */
export function forensicViewPath(checkId: string, index: number, kind: ForensicViewKind): string {
  return `/v1/checks/${checkId}/media/${index}/views/${kind}`;
}

/**
 * What the views of an image say beside their pictures (the report's `views` without the URLs, which
 * name the check): the ELA quality and gains, or why no views can be made of the file's pixels. Kept by
 * sha256 with the pictures, so that views are never made twice for the same file (at analysis time or
 * on demand); a skip that is about a download (`not_fetched`, `file_changed`) is never kept here.
 */
export type ForensicViewFacts = Omit<ForensicViews, 'ela' | 'noise'> & {
  ela?: Omit<NonNullable<ForensicViews['ela']>, 'url'>;
  noise?: Omit<NonNullable<ForensicViews['noise']>, 'url'>;
};

/** Views as made (src/pipeline/analyze/views.ts): their pictures and what they say. */
export interface ForensicViewsMade {
  ela?: { webp: Buffer; quality: number; gain: number } | undefined;
  noise?: { webp: Buffer; gain: number } | undefined;
  skipped?: ForensicViews['skipped'];
}

/** Skips that say something of the download, not of the file: asked again, they may come out otherwise. */
export const RETRYABLE_VIEW_SKIPS: ReadonlySet<string> = new Set(['not_fetched', 'file_changed']);

/** The report's `views` of item `index` of check `checkId`: where each view is served, or why none. */
export function forensicViewsField(facts: ForensicViewFacts, checkId: string, index: number): ForensicViews {
  return {
    // Field by field: `facts` may be views as made, whose pictures stay out of the report.
    ...(facts.ela && {
      ela: { url: forensicViewPath(checkId, index, 'ela'), quality: facts.ela.quality, gain: facts.ela.gain },
    }),
    ...(facts.noise && { noise: { url: forensicViewPath(checkId, index, 'noise'), gain: facts.noise.gain } }),
    ...(facts.skipped && { skipped: facts.skipped }),
  };
}

/**
 * Keeps the views made of `sha256` and what they say for at least `ttlSeconds` (kept ones are only made
 * to live longer). The pictures go first: facts kept mean pictures kept (keptForensicViews checks both).
 */
export async function keepForensicViews(
  redis: RedisClient,
  prefix: string,
  sha256: string,
  made: ForensicViewsMade,
  ttlSeconds: number = THUMBNAIL_TTL_SECONDS,
): Promise<void> {
  if (made.skipped && RETRYABLE_VIEW_SKIPS.has(made.skipped.code)) return;
  for (const kind of FORENSIC_VIEW_KINDS) {
    const webp = made[kind]?.webp;
    if (!webp) continue;
    const key = keys(prefix).forensicView(kind, sha256);
    if ((await redis.set(key, webp, 'EX', ttlSeconds, 'NX')) !== 'OK')
      await keepLonger(redis, key, ttlSeconds);
  }
  const facts: ForensicViewFacts = {
    ...(made.ela && { ela: { quality: made.ela.quality, gain: made.ela.gain } }),
    ...(made.noise && { noise: { gain: made.noise.gain } }),
    ...(made.skipped && { skipped: made.skipped }),
  };
  const key = keys(prefix).forensicViewFacts(sha256);
  if ((await redis.set(key, JSON.stringify(facts), 'EX', ttlSeconds, 'NX')) !== 'OK')
    await keepLonger(redis, key, ttlSeconds);
}

/**
 * What the kept views of `sha256` say, made to live at least `ttlSeconds` more; null when none are kept
 * (or a picture expired before its facts: then they are made again).
 */
export async function keptForensicViews(
  redis: RedisClient,
  prefix: string,
  sha256: string,
  ttlSeconds: number = THUMBNAIL_TTL_SECONDS,
): Promise<ForensicViewFacts | null> {
  const k = keys(prefix);
  const raw = await redis.get(k.forensicViewFacts(sha256));
  if (!raw) return null;
  const facts = JSON.parse(raw) as ForensicViewFacts;
  for (const kind of FORENSIC_VIEW_KINDS) {
    if (facts[kind] && !(await keepLonger(redis, k.forensicView(kind, sha256), ttlSeconds))) return null;
  }
  await keepLonger(redis, k.forensicViewFacts(sha256), ttlSeconds);
  return facts;
}

export async function loadForensicView(
  redis: RedisClient,
  prefix: string,
  kind: ForensicViewKind,
  sha256: string,
): Promise<Buffer | null> {
  return redis.getBuffer(keys(prefix).forensicView(kind, sha256));
}

/** Where forensic views are kept and found again, by sha256 (the functions above on one Redis). */
export interface ForensicViewStore {
  kept(sha256: string, ttlSeconds: number): Promise<ForensicViewFacts | null>;
  keep(sha256: string, made: ForensicViewsMade, ttlSeconds: number): Promise<void>;
}

export function createForensicViewStore(redis: RedisClient, prefix: string): ForensicViewStore {
  return {
    kept: (sha256, ttlSeconds) => keptForensicViews(redis, prefix, sha256, ttlSeconds),
    keep: (sha256, made, ttlSeconds) => keepForensicViews(redis, prefix, sha256, made, ttlSeconds),
  };
}

/** Where the pipeline keeps the thumbnails of what a check analyzed (images, and videos' keyframes). */
export interface ThumbnailStore {
  image(
    sha256: string,
    bytes: Buffer,
    pixels: RgbPixels | undefined,
    ttlSeconds: number,
  ): Promise<StoreOutcome>;
  keyframe(id: string, webp: Buffer, ttlSeconds: number): Promise<void>;
  /** The forensic views of images (absent: none are kept, so none are made). */
  views?: ForensicViewStore;
}

export function createThumbnailStore(redis: RedisClient, prefix: string, maxPixels: number): ThumbnailStore {
  return {
    image: (sha256, bytes, pixels, ttlSeconds) =>
      storeThumbnail(redis, prefix, sha256, bytes, { maxPixels, ttlSeconds, ...(pixels && { pixels }) }),
    keyframe: (id, webp, ttlSeconds) => keepThumbnail(redis, prefix, id, webp, ttlSeconds),
    views: createForensicViewStore(redis, prefix),
  };
}
