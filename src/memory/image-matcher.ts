// Matching one analyzed image against everything remembered: images seen before (exact file, or the
// same picture by PDQ over its 8 rotations/flips, pHash when PDQ quality is low) and bank entries; the
// picture inside a frame or screenshot by its content-region PDQ, both ways (`mr:` index entries hold
// the regions of images seen before); crops and collages by local features (feature index, optional).
// Also remembering it afterwards. The indexes and stores are injected; the logic is here.
import type { Post } from '../../schemas/post.js';
import type { Match } from '../../schemas/provenance.js';
import type { MediaItem } from '../../schemas/report.js';
import type { FeatureOptions, ImageFeatures } from '../similarity/features/orb.js';
import type { FeatureIndex } from './feature-index.js';
import type { HashIndex } from './hash-index/hash-index.js';
import { indexId, matchKey, mediaOf, parseIndexId, type RegionKind } from './index-ids.js';
import {
  resolveAll,
  seenMatch,
  sightingOf,
  type Asker,
  type Hit,
  type MatchFacts,
  type ResolveHit,
} from './matches.js';
import type { MediaStore } from './media-store.js';
import { storedCopyOf } from './best-copy.js';

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
const isRegion = (id: string) => parseIndexId(id)?.kind === 'region';

/** Matching thresholds (PDQ_MATCH_DISTANCE, PHASH_MATCH_DISTANCE, PDQ_MIN_QUALITY). */
export interface MatchThresholds {
  pdqMaxDistance: number;
  phashMaxDistance: number;
  minPdqQuality: number;
}

/** Content regions and partial matching (REGION_*, FEATURE_*); absent: only whole-image hashes match. */
export interface PartialMatching {
  regionPdqMaxDistance: number;
  minInliers: number;
  /** Null: no feature index (no `partial` matches; features are not even extracted). */
  features: FeatureIndex | null;
  featureOptions: FeatureOptions;
}

export interface ImageMatcherDeps {
  index: HashIndex;
  media: MediaStore;
  resolve: ResolveHit;
  asker: Asker;
  thresholds: MatchThresholds;
  partial?: PartialMatching | undefined;
}

/** Which kinds come first when there are more matches than MAX_MATCHES: the surest. */
const KIND_ORDER: Record<Match['kind'], number> = {
  exact: 0,
  near_duplicate: 1,
  content_region: 2,
  partial: 3,
  text: 4,
};

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

export interface ImageMatcher {
  /** Local features the matcher uses (extracted during analysis, never reported); null: none. */
  featureOptions: FeatureOptions | null;
  /** Matches of one analyzed item against everything remembered, before it is remembered itself. */
  find(item: MediaItem, extra?: { features?: ImageFeatures | undefined }): Promise<Match[]>;
  lookup(q: MatchQuery): Promise<Match[]>;
  /** Remembers the item (media record, sighting, indexes); `matches`: what find() returned for it. */
  remember(
    item: MediaItem,
    sighting: {
      post: Post | null;
      features?: ImageFeatures | undefined;
      matches?: readonly Match[] | undefined;
    },
  ): Promise<void>;
}

export function createImageMatcher(deps: ImageMatcherDeps): ImageMatcher {
  const { partial, resolve, asker } = deps;

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
        const key = matchKey(m);
        if (taken.has(key)) return;
        taken.add(key);
        out.push(m);
      };
      const own = q.sha256 ?? null;
      // The query's own file (its region, its keyframes) is not an earlier sighting of itself.
      const isOwn = (id: string) => own !== null && mediaOf(id) === own;
      if (q.sha256) {
        const record = await deps.media.getFor(q.sha256, asker.org);
        // First seen by this very check: an attempt that crashed after remembering it, now retried. That is
        // not an earlier sighting.
        if (record && record.first_check_id !== asker.checkId)
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
      // Each hit's id read once: a hit of this image's region, or of an image seen before's, is regional.
      const all = [...hits.map((h) => ({ ...h, ofThis: false })), ...regionHits]
        .map((h) => ({ ...h, regional: h.ofThis || isRegion(h.id) }))
        .sort((a, b) => a.distance - b.distance || Number(a.ofThis) - Number(b.ofThis));
      // Whole-image hits first (near duplicates), then region ones; their records read in one batch.
      const hashHits: Hit[] = [];
      for (const hit of all.filter((h) => !h.regional)) {
        if (isOwn(hit.id)) continue;
        hashHits.push({
          id: hit.id,
          facts: {
            kind: 'near_duplicate',
            hash: hit.hash,
            distance: hit.distance,
            transform: TRANSFORMS[hit.variant] ?? 'none',
          },
        });
      }
      for (const hit of all.filter((h) => h.regional)) {
        if (isOwn(hit.id)) continue;
        // A region against a region (two screenshots of one photo) is a region match too.
        const facts: MatchFacts = {
          kind: 'content_region',
          hash: hit.hash,
          distance: hit.distance,
          transform: TRANSFORMS[hit.variant] ?? 'none',
        };
        if (hit.ofThis && q.region) facts.region = { of: 'this', kind: q.region.kind };
        hashHits.push({ id: hit.id, facts });
      }
      for (const m of await resolveAll(resolve, hashHits)) push(m);
      if (partial?.features && q.features) {
        // Images already matched by a hash need no geometric check: the hash match is the surer one.
        const exclude = new Set(
          out.flatMap((m) => (m.source === 'seen' && m.sha256 ? [indexId.media(m.sha256)] : [])),
        );
        if (own) exclude.add(indexId.media(own));
        const featureHits = await partial.features.query(q.features, { exclude });
        const partialHits: Hit[] = featureHits
          .filter((f) => f.inliers >= partial.minInliers && !isOwn(f.id))
          .map((f) => ({
            id: f.id,
            facts: {
              kind: 'partial',
              hash: 'orb',
              distance: 0,
              transform: 'none',
              inliers: f.inliers,
              coverage: round2(f.coverage),
              share: round2(f.share),
              covered: f.region,
            },
          }));
        for (const m of await resolveAll(resolve, partialHits)) push(m);
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
      const { isNew } = await deps.media.record(item.sha256, sightingOf(asker, item, post), {
        pdq: item.hashes.pdq.hash,
        quality: item.hashes.pdq.quality,
        phash: item.hashes.phash,
        captured_at: item.metadata?.times.date_time_original?.iso ?? null,
        copy: storedCopyOf(item),
      });
      if (!isNew) return;
      await deps.index.add({
        id: indexId.media(item.sha256),
        pdq: item.hashes.pdq.hash,
        quality: item.hashes.pdq.quality,
        phash: item.hashes.phash,
      });
      // Remember the picture inside it too, so the original submitted later finds this framed copy.
      const r = item.hashes.region;
      if (partial && r && r.pdq.quality >= deps.thresholds.minPdqQuality) {
        await deps.index.add({
          id: indexId.region(item.sha256, r.kind),
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
          index.has(indexId.media(m.sha256)),
      );
      if (!inScope) await index.add(indexId.media(item.sha256), features);
    },
  };
}

const round2 = (v: number) => Math.round(v * 100) / 100;
