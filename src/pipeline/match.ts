// Matching one analyzed image against everything remembered: images seen before (exact file, or the
// same picture by PDQ over its 8 rotations/flips, pHash when PDQ quality is low) and bank entries; the
// picture inside a frame or screenshot by its content-region PDQ, both ways (`mr:` index entries hold
// the regions of images seen before); crops and collages by local features (feature index, optional).
// Also remembering it afterwards. The indexes and stores are injected; the logic is here.
import type { Post } from '../../schemas/post.js';
import type { Match } from '../../schemas/provenance.js';
import type { MediaItem } from '../../schemas/report.js';
import type { FeatureIndex } from '../index/feature-index.js';
import type { HashIndex } from '../index/hash-index.js';
import { parseIndexId, type Bank, type BankEntry, type BankStore } from '../services/banks.js';
import type { MediaRecord, MediaStore, Sighting } from '../services/media-store.js';
import type { FeatureOptions, ImageFeatures } from './features/orb.js';
import type { Matcher } from './process-check.js';

export const mediaIndexId = (sha256: string) => `m:${sha256}`;
type RegionKind = 'border' | 'letterbox' | 'embedded';
/** The content region of an image seen before, in the hash index; the id says which kind it was. */
export const regionIndexId = (sha256: string, kind: RegionKind) => `mr:${kind}:${sha256}`;
const REGION_ID = /^mr:(border|letterbox|embedded):([0-9a-f]{64})$/;
/**
 * A keyframe of a video seen before, in the image index, so that a still taken from footage matches the
 * video (src/pipeline/video/stage.ts adds them). Frame number and time in ms travel in the id.
 */
export const frameIndexId = (sha256: string, frame: number, timestampMs: number) =>
  `mf:${frame}:${timestampMs}:${sha256}`;
const FRAME_ID = /^mf:(\d+):(\d+):([0-9a-f]{64})$/;

/**
 * How the new image differs from the match, by the dihedral variant that matched (the variant that,
 * applied to the new image, gives the match's hash). Measured on the bridge photo: a copy rotated 90°
 * clockwise matches through variant 1, a mirrored copy through variant 5.
 */
export const TRANSFORMS = [
  'none',
  'rotated_90_clockwise',
  'rotated_180',
  'rotated_90_counterclockwise',
  'flipped_upside_down',
  'mirrored',
  'transposed',
  'transversed',
] as const;
const MAX_MATCHES = 50;
const UNMIRRORED = new Set<string>(TRANSFORMS.slice(0, 4));

export interface MatcherDeps {
  index: HashIndex;
  media: MediaStore;
  banks: BankStore;
  checkId: string;
  org: string;
  thresholds: { pdqMaxDistance: number; phashMaxDistance: number; minPdqQuality: number };
  /** Content regions and partial matching; without it, only whole-image hashes match. */
  partial?: {
    regionPdqMaxDistance: number;
    minInliers: number;
    /** Null: no feature index (no `partial` matches; features are not even extracted). */
    features: FeatureIndex | null;
    featureOptions: FeatureOptions;
  };
  now?: () => string;
}

/** What a match says of itself; the rest (where and when it was seen, or its bank entry) comes from the store. */
export type MatchFacts = Pick<Match, 'kind' | 'hash' | 'distance' | 'transform'> &
  Partial<
    Pick<Match, 'inliers' | 'coverage' | 'share' | 'covered' | 'region' | 'match_frame' | 'video' | 'frame'>
  >;

/** Which kinds come first when there are more matches than MAX_MATCHES: the surest. */
const KIND_ORDER: Record<Match['kind'], number> = {
  exact: 0,
  near_duplicate: 1,
  content_region: 2,
  partial: 3,
};

/** This check's sighting of a media item, as the media store records it (images and videos alike). */
export function sightingOf(
  check: { checkId: string; org: string; now?: (() => string) | undefined },
  item: Pick<MediaItem, 'source_url'>,
  post: Post | null,
): Sighting {
  return {
    at: check.now?.() ?? new Date().toISOString(),
    check_id: check.checkId,
    org: check.org,
    source_url: item.source_url,
    post_url: post?.url ?? null,
    posted_at: post?.posted_at ?? null,
  };
}

/** Other organizations' banks match only when shared; a deleted bank (null) never does. */
export const bankVisible = (b: Bank | null, org: string): b is Bank => !!b && (b.org === org || b.shared);

export function seenMatch(record: MediaRecord, m: MatchFacts): Match {
  return {
    ...m,
    source: 'seen',
    sha256: record.sha256,
    first_seen_at: record.first_seen_at || null,
    first_seen_url: record.first_seen_url || null,
    posted_at: record.posted_at,
    post_url: record.post_url,
    captured_at: record.captured_at,
    sightings: record.sightings,
    bank: null,
  };
}

/** A bank entry as a match: its label and verdict, where the bank's evidence is. */
export function bankMatch(b: Bank, entry: BankEntry, m: MatchFacts): Match {
  return {
    ...m,
    source: 'bank',
    sha256: entry.sha256 ?? null,
    first_seen_at: null,
    first_seen_url: entry.source_url,
    posted_at: null,
    post_url: null,
    captured_at: null,
    sightings: 0,
    bank: {
      id: b.id,
      name: b.name,
      kind: b.kind,
      publisher: b.org,
      entry_id: entry.id,
      label: entry.label,
      verdict: entry.verdict,
      source_url: entry.source_url,
      first_published: entry.first_published,
    },
  };
}

/** What a match query may hold: a file's sha256, PDQ hashes (1 to 8 dihedral variants), a pHash. */
export interface MatchQuery {
  sha256?: string | undefined;
  pdq?: readonly string[] | undefined;
  quality?: number | undefined;
  phash?: string | undefined;
  maxDistance?: number | undefined;
  /** The query's content region: its PDQ variants are looked up too (as `content_region` matches). */
  region?: { kind: RegionKind; pdq: readonly string[] } | undefined;
  /** Local features of the query, for `partial` matches. */
  features?: ImageFeatures | undefined;
}

export type FullMatcher = Matcher & { lookup(q: MatchQuery): Promise<Match[]> };

export function createMatcher(deps: MatcherDeps): FullMatcher {
  const bankCache = new Map<string, Promise<Bank | null>>();
  const bank = (id: string) => {
    if (!bankCache.has(id)) bankCache.set(id, deps.banks.get(id));
    return bankCache.get(id) as Promise<Bank | null>;
  };
  const partial = deps.partial;

  /** The match for one index id (an image seen before, its region, or a bank entry), or null. */
  async function resolve(id: string, facts: MatchFacts): Promise<Match | null> {
    const region = REGION_ID.exec(id);
    if (region) {
      const record = await deps.media.getFor(region[2] as string, deps.org);
      // This image, whole, is the picture inside an image seen before (a screenshot of it, say).
      const kind = facts.kind === 'partial' ? 'partial' : 'content_region';
      const of = facts.region?.of ?? 'match';
      return record
        ? seenMatch(record, { ...facts, kind, region: { of, kind: region[1] as RegionKind } })
        : null;
    }
    const frame = FRAME_ID.exec(id);
    if (frame) {
      const record = await deps.media.getFor(frame[3] as string, deps.org);
      const match_frame = { frame: Number(frame[1]), timestamp: Number(frame[2]) / 1000 };
      return record ? seenMatch(record, { ...facts, match_frame }) : null;
    }
    if (id.startsWith('m:')) {
      const record = await deps.media.getFor(id.slice(2), deps.org);
      return record ? seenMatch(record, facts) : null;
    }
    const ref = parseIndexId(id);
    if (!ref) return null;
    const b = await bank(ref.bankId);
    // Deleted banks, and other organizations' unshared banks, do not match.
    if (!bankVisible(b, deps.org)) return null;
    const entry = await deps.banks.entry(ref.bankId, ref.entryId);
    return entry ? bankMatch(b, entry, facts) : null;
  }

  return {
    featureOptions: partial?.features ? partial.featureOptions : null,

    find(item: MediaItem, extra?: { features?: ImageFeatures | undefined }): Promise<Match[]> {
      const r = item.hashes?.region;
      return this.lookup({
        sha256: item.sha256,
        pdq: item.hashes?.pdq.dihedral,
        quality: item.hashes?.pdq.quality,
        phash: item.hashes?.phash,
        region: r ? { kind: r.kind, pdq: r.pdq.dihedral } : undefined,
        features: extra?.features,
      });
    },

    async lookup(q: MatchQuery): Promise<Match[]> {
      const out: Match[] = [];
      // One match per image seen before or bank entry: the surest kind wins.
      const taken = new Set<string>();
      const push = (m: Match | null) => {
        if (!m) return;
        const key = m.source === 'bank' ? `b:${m.bank?.id}:${m.bank?.entry_id}` : `m:${m.sha256}`;
        if (taken.has(key)) return;
        taken.add(key);
        out.push(m);
      };
      const own = q.sha256 ?? null;
      const isOwn = (id: string) =>
        own !== null && (id === mediaIndexId(own) || (/^m[rf]:/.test(id) && id.endsWith(`:${own}`)));
      if (q.sha256) {
        const record = await deps.media.getFor(q.sha256, deps.org);
        // First seen by this very check: an attempt that crashed after remembering it, now retried. That is
        // not an earlier sighting.
        if (record && record.first_check_id !== deps.checkId)
          push(seenMatch(record, { kind: 'exact', hash: 'sha256', distance: 0, transform: 'none' }));
      }
      // PDQ unless its quality says it cannot be trusted (or there is none); then pHash.
      const usePdq = q.pdq?.length && (q.quality === undefined || q.quality >= deps.thresholds.minPdqQuality);
      const hits = usePdq
        ? deps.index.queryPdq(q.pdq as readonly string[], {
            maxDistance: q.maxDistance ?? deps.thresholds.pdqMaxDistance,
            limit: MAX_MATCHES,
          })
        : q.phash
          ? deps.index.queryPhash(q.phash, {
              maxDistance: q.maxDistance ?? deps.thresholds.phashMaxDistance,
              limit: MAX_MATCHES,
            })
          : [];
      const regionHits =
        partial && q.region && usePdq
          ? deps.index
              .queryPdq(q.region.pdq, {
                maxDistance: q.maxDistance ?? partial.regionPdqMaxDistance,
                limit: MAX_MATCHES,
              })
              .map((h) => ({ ...h, ofThis: true }))
          : [];
      const all = [...hits.map((h) => ({ ...h, ofThis: false })), ...regionHits].sort(
        (a, b) => a.distance - b.distance || Number(a.ofThis) - Number(b.ofThis),
      );
      // Whole-image hits first (near duplicates), then region ones.
      for (const hit of all.filter((h) => !h.ofThis && !h.id.startsWith('mr:'))) {
        if (isOwn(hit.id)) continue;
        push(
          await resolve(hit.id, {
            kind: 'near_duplicate',
            hash: hit.hash,
            distance: hit.distance,
            transform: TRANSFORMS[hit.variant] ?? 'none',
          }),
        );
      }
      for (const hit of all.filter((h) => h.ofThis || h.id.startsWith('mr:'))) {
        if (isOwn(hit.id)) continue;
        // A region against a region (two screenshots of one photo) is a region match too.
        const facts: MatchFacts = {
          kind: 'content_region',
          hash: hit.hash,
          distance: hit.distance,
          transform: TRANSFORMS[hit.variant] ?? 'none',
        };
        if (hit.ofThis && q.region) facts.region = { of: 'this', kind: q.region.kind };
        push(await resolve(hit.id, facts));
      }
      if (partial?.features && q.features) {
        // Images already matched by a hash need no geometric check: the hash match is the surer one.
        const exclude = new Set(
          out.flatMap((m) => (m.source === 'seen' && m.sha256 ? [mediaIndexId(m.sha256)] : [])),
        );
        if (own) exclude.add(mediaIndexId(own));
        const featureHits = await partial.features.query(q.features, { exclude });
        for (const f of featureHits) {
          if (f.inliers < partial.minInliers || isOwn(f.id)) continue;
          push(
            await resolve(f.id, {
              kind: 'partial',
              hash: 'orb',
              distance: 0,
              transform: 'none',
              inliers: f.inliers,
              coverage: round2(f.coverage),
              share: round2(f.share),
              covered: f.region,
            }),
          );
        }
      }
      return out
        .sort(
          (a, b) =>
            KIND_ORDER[a.kind] - KIND_ORDER[b.kind] ||
            a.distance - b.distance ||
            (b.inliers ?? 0) - (a.inliers ?? 0),
        )
        .slice(0, MAX_MATCHES);
    },

    async remember(
      item: MediaItem,
      {
        post,
        features,
        matches = [],
      }: { post: Post | null; features?: ImageFeatures | undefined; matches?: readonly Match[] | undefined },
    ): Promise<void> {
      if (!item.sha256 || !item.hashes) return;
      const { isNew } = await deps.media.record(item.sha256, sightingOf(deps, item, post), {
        pdq: item.hashes.pdq.hash,
        quality: item.hashes.pdq.quality,
        phash: item.hashes.phash,
        captured_at: item.metadata?.times.date_time_original?.iso ?? null,
      });
      if (!isNew) return;
      await deps.index.add({
        id: mediaIndexId(item.sha256),
        pdq: item.hashes.pdq.hash,
        quality: item.hashes.pdq.quality,
        phash: item.hashes.phash,
      });
      // Remember the picture inside it too, so the original submitted later finds this framed copy.
      const r = item.hashes.region;
      if (partial && r && r.pdq.quality >= deps.thresholds.minPdqQuality) {
        await deps.index.add({
          id: regionIndexId(item.sha256, r.kind),
          pdq: r.pdq.hash,
          quality: r.pdq.quality,
        });
      }
      // The same picture already in the feature index (an exact or near-duplicate match) adds no features:
      // a crop of it finds the earlier copy, the earliest sighting is that one's, and a viral picture
      // checked a thousand times would otherwise take a thousand times the memory and slow every query.
      const index = partial?.features;
      if (!index || !features) return;
      const inScope = matches.some(
        (m) =>
          (m.kind === 'exact' || m.kind === 'near_duplicate') &&
          // ORB is rotation-invariant, not mirror-invariant: a mirrored copy's features are its own.
          UNMIRRORED.has(m.transform) &&
          m.source === 'seen' &&
          m.sha256 !== null &&
          index.has(mediaIndexId(m.sha256)),
      );
      if (!inScope) await index.add(mediaIndexId(item.sha256), features);
    },
  };
}

const round2 = (v: number) => Math.round(v * 100) / 100;
