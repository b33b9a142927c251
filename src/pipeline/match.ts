// Matching one analyzed image against everything remembered: images seen before (exact file, or the
// same picture by PDQ over its 8 rotations/flips, pHash when PDQ quality is low) and bank entries.
// Also remembering it afterwards. The index and stores are injected; the logic is here.
import type { Post } from '../../schemas/post.js';
import type { Match } from '../../schemas/provenance.js';
import type { MediaItem } from '../../schemas/report.js';
import type { HashIndex } from '../index/hash-index.js';
import { parseIndexId, type Bank, type BankStore } from '../services/banks.js';
import type { MediaRecord, MediaStore } from '../services/media-store.js';
import type { Matcher } from './process-check.js';

export const mediaIndexId = (sha256: string) => `m:${sha256}`;

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

export interface MatcherDeps {
  index: HashIndex;
  media: MediaStore;
  banks: BankStore;
  checkId: string;
  org: string;
  thresholds: { pdqMaxDistance: number; phashMaxDistance: number; minPdqQuality: number };
  now?: () => string;
}

function seenMatch(record: MediaRecord, m: Pick<Match, 'kind' | 'hash' | 'distance' | 'transform'>): Match {
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

/** What a match query may hold: a file's sha256, PDQ hashes (1 to 8 dihedral variants), a pHash. */
export interface MatchQuery {
  sha256?: string | undefined;
  pdq?: readonly string[] | undefined;
  quality?: number | undefined;
  phash?: string | undefined;
  maxDistance?: number | undefined;
}

export function createMatcher(deps: MatcherDeps): Matcher & { lookup(q: MatchQuery): Promise<Match[]> } {
  const bankCache = new Map<string, Promise<Bank | null>>();
  const bank = (id: string) => {
    if (!bankCache.has(id)) bankCache.set(id, deps.banks.get(id));
    return bankCache.get(id) as Promise<Bank | null>;
  };

  return {
    find(item: MediaItem): Promise<Match[]> {
      return this.lookup({
        sha256: item.sha256,
        pdq: item.hashes?.pdq.dihedral,
        quality: item.hashes?.pdq.quality,
        phash: item.hashes?.phash,
      });
    },

    async lookup(q: MatchQuery): Promise<Match[]> {
      const out: Match[] = [];
      const own = q.sha256 ? mediaIndexId(q.sha256) : null;
      if (q.sha256) {
        const record = await deps.media.get(q.sha256);
        if (record)
          out.push(seenMatch(record, { kind: 'exact', hash: 'sha256', distance: 0, transform: 'none' }));
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
      for (const hit of hits) {
        if (hit.id === own) continue;
        const transform = TRANSFORMS[hit.variant] ?? 'none';
        const kind = 'near_duplicate' as const;
        if (hit.id.startsWith('m:')) {
          const record = await deps.media.get(hit.id.slice(2));
          if (record)
            out.push(seenMatch(record, { kind, hash: hit.hash, distance: hit.distance, transform }));
          continue;
        }
        const ref = parseIndexId(hit.id);
        if (!ref) continue;
        const b = await bank(ref.bankId);
        // Deleted banks, and other organizations' unshared banks, do not match.
        if (!b || (b.org !== deps.org && !b.shared)) continue;
        const entry = await deps.banks.entry(ref.bankId, ref.entryId);
        if (!entry) continue;
        out.push({
          kind,
          source: 'bank',
          hash: hit.hash,
          distance: hit.distance,
          transform,
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
            entry_id: entry.id,
            label: entry.label,
            verdict: entry.verdict,
            source_url: entry.source_url,
            first_published: entry.first_published,
          },
        });
      }
      return out.sort((a, b) => a.distance - b.distance).slice(0, MAX_MATCHES);
    },

    async remember(item: MediaItem, { post }: { post: Post | null }): Promise<void> {
      if (!item.sha256 || !item.hashes) return;
      const { isNew } = await deps.media.record(
        item.sha256,
        {
          at: deps.now?.() ?? new Date().toISOString(),
          check_id: deps.checkId,
          org: deps.org,
          source_url: item.source_url,
          post_url: post?.url ?? null,
          posted_at: post?.posted_at ?? null,
        },
        {
          pdq: item.hashes.pdq.hash,
          quality: item.hashes.pdq.quality,
          phash: item.hashes.phash,
          captured_at: item.metadata?.times.date_time_original?.iso ?? null,
        },
      );
      if (isNew) {
        await deps.index.add({
          id: mediaIndexId(item.sha256),
          pdq: item.hashes.pdq.hash,
          quality: item.hashes.pdq.quality,
          phash: item.hashes.phash,
        });
      }
    },
  };
}
