// What was read from a file's bytes, kept by sha256 for the file's next checks (ANALYSIS_MEMO_SECONDS).
//
// Why: a viral picture is checked again and again, by one newsroom and by many, and it is the same bytes
// each time (the platform's copy behind pic.twitter.com, the same JPEG in a dozen articles). Everything the
// analysis reads from those bytes (the probe's format and size, the hashes, EXIF/XMP/IPTC/ICC, Content
// Credentials, the JPEG structure, the local features, the words OCR read) is a function of the bytes and
// of the settings that shape the analysis; decoding and hashing them again gives the same answer at ~70 CPU
// ms for a 12 MP photo. What depends on the memory (matches, earliest sighting, best copy, the post traced
// from a screenshot) is never kept here: every check computes it afresh.
//
// What is kept, and when:
//  - only files checked twice: the second check of a file (its sha256 already seen: an exact match) writes
//    the memo, the third and later ones read it, each keeping it ANALYSIS_MEMO_SECONDS longer (a picture
//    checked all week keeps its memo all week; one checked no more lets it go a day later). A stream of new pictures costs no memory, and a file seen
//    twice is the one likely to be seen again;
//  - a file fetched from a URL is kept for everyone (its first sighting is shared by the memory anyway:
//    the exact match already tells another newsroom that it was seen); an UPLOADED file is kept for its
//    organization only, so that no newsroom learns, from a faster answer, that another one holds the file;
//  - the settings that change the analysis (MAX_INPUT_PIXELS, JPEG_DOUBLE_COMPRESSION, the feature and OCR
//    settings) and ANALYSIS_VERSION are in the key, so a change of either reads nothing stale;
//  - failed analyses are never kept (the next check tries again), nor are OCR failures (a timeout is not
//    a property of the file).
//
// The value: one hash, `a` the JSON of the probe, the analysis and the text, `p` and `d` the features'
// points (float32, as extracted: the feature index's copy is rounded to 1/16 px) and descriptors. Redis
// bytes per memo are stated in the README (`npm run bench` prints them).
//
// This store knows nothing of the analysis's shape (the pipeline's, src/pipeline/process-check.ts): it
// keeps a JSON value and the features, and gives back what it kept or nothing.
import { createHash } from 'node:crypto';
import { copyBytes } from '../bytes.js';
import type { Keys } from '../keys.js';
import type { RedisClient } from '../redis.js';
import { DESCRIPTOR_BYTES, type ImageFeatures } from '../similarity/features/orb.js';

/**
 * Bumped whenever the analysis gives another answer for the same bytes and settings (a new field, a fixed
 * reading): memos of the old version are then never read, and expire.
 */
export const ANALYSIS_VERSION = 1;

/** What is kept of a file: `value` as JSON (the pipeline's reading), the features as binary. */
export interface Memoized<T extends object> {
  value: T;
  features?: ImageFeatures | undefined;
}

/** One check's view of the memo: `uploaded` files are its organization's own. */
export interface CheckMemo<T extends object> {
  get(sha256: string, uploaded: boolean): Promise<Memoized<T> | null>;
  put(sha256: string, uploaded: boolean, memo: Memoized<T>): Promise<void>;
}

export interface AnalysisMemoOptions {
  redis: RedisClient;
  keys: Keys;
  ttlSeconds: number;
  /** Everything that shapes the analysis's answer for given bytes (config values); hashed into the key. */
  settings: unknown;
}

export interface AnalysisMemo<T extends object> {
  forOrg(org: string): CheckMemo<T>;
}

export function createAnalysisMemo<T extends object>(o: AnalysisMemoOptions): AnalysisMemo<T> {
  const fingerprint = createHash('sha256')
    .update(JSON.stringify({ v: ANALYSIS_VERSION, s: o.settings }))
    .digest('hex')
    .slice(0, 16);
  const key = (org: string, sha256: string, uploaded: boolean) =>
    o.keys.analysisMemo(uploaded ? `org:${org}` : 'public', sha256, fingerprint);
  return {
    forOrg(org) {
      return {
        async get(sha256, uploaded) {
          const k = key(org, sha256, uploaded);
          // Read and kept longer in one round trip: a picture still being checked keeps its memo.
          const replies = await o.redis.multi().hgetallBuffer(k).expire(k, o.ttlSeconds).exec();
          const [err, fields] = replies?.[0] ?? [null, null];
          if (err) throw err;
          return decode<T>((fields ?? {}) as Record<string, Buffer>);
        },
        async put(sha256, uploaded, memo) {
          const k = key(org, sha256, uploaded);
          const { features, value } = memo;
          const values: Record<string, Buffer | string> = { a: JSON.stringify(value) };
          if (features) {
            values.p = Buffer.from(
              features.points.buffer,
              features.points.byteOffset,
              features.points.byteLength,
            );
            values.d = Buffer.from(
              features.descriptors.buffer,
              features.descriptors.byteOffset,
              features.descriptors.byteLength,
            );
            values.w = `${features.width}x${features.height}`;
          }
          // Replaced whole: no field of a memo written before (a damaged one being mended) stays beside these.
          await o.redis.multi().del(k).hset(k, values).expire(k, o.ttlSeconds).exec();
        },
      };
    },
  };
}

/** A memo read back, or null when there is none or it is not whole (never trusted half). */
function decode<T extends object>(fields: Record<string, Buffer>): Memoized<T> | null {
  const a = fields.a;
  if (!a) return null;
  let value: T;
  try {
    value = JSON.parse(a.toString('utf8')) as T;
  } catch {
    return null;
  }
  if (!value || typeof value !== 'object') return null;
  const { p, d, w } = fields;
  if (!p && !d) return { value };
  const size = /^(\d+)x(\d+)$/.exec(w?.toString() ?? '');
  if (!p || !d || !size || p.length % 8 !== 0 || d.length !== (p.length / 8) * DESCRIPTOR_BYTES) return null;
  // Copies: the Buffers from Redis may share a pool, and Float32Array needs 4-byte alignment.
  const points = new Float32Array(p.length / 4);
  new Uint8Array(points.buffer).set(p);
  return {
    value,
    features: {
      width: Number(size[1]),
      height: Number(size[2]),
      points,
      descriptors: copyBytes(d),
    },
  };
}
