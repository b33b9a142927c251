// Turning a hit in any of the memory's indexes into the `Match` a report shows: the one place that reads
// an index id, applies the visibility rules (another organization's upload is not shown; another
// organization's bank only when shared; a deleted bank never) and builds the match from the media record
// or the bank entry. The image matcher and the video matcher both resolve their hits here.
import type { Post } from '../../schemas/post.js';
import type { Match } from '../../schemas/provenance.js';
import type { MediaItem } from '../../schemas/report.js';
import { bankVisibleTo, type BankEntry, type BankStore, type StoredBank } from './banks.js';
import { parseIndexId } from './index-ids.js';
import type { MediaRecord, MediaStore, Sighting } from './media-store.js';

/** What a match says of itself; the rest (where and when it was seen, or its bank entry) comes from the store. */
export type MatchFacts = Pick<Match, 'kind' | 'hash' | 'distance' | 'transform'> &
  Partial<
    Pick<Match, 'inliers' | 'coverage' | 'share' | 'covered' | 'region' | 'match_frame' | 'video' | 'frame'>
  >;

/**
 * Who is asking: an organization, and the check when there is one (its id tells a retried attempt's own
 * sighting apart; a lookup by hash has none and remembers nothing).
 */
export interface Asker {
  org: string;
  checkId?: string | undefined;
  now?: (() => string) | undefined;
}

/** This check's sighting of a media item, as the media store records it (images and videos alike). */
export function sightingOf(asker: Asker, item: Pick<MediaItem, 'source_url'>, post: Post | null): Sighting {
  if (!asker.checkId) throw new Error('Only a check remembers what it saw');
  return {
    at: asker.now?.() ?? new Date().toISOString(),
    check_id: asker.checkId,
    org: asker.org,
    source_url: item.source_url,
    post_url: post?.url ?? null,
    posted_at: post?.posted_at ?? null,
  };
}

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
export function bankMatch(b: StoredBank, entry: BankEntry, m: MatchFacts): Match {
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

export type ResolveHit = (id: string, facts: MatchFacts) => Promise<Match | null>;

/**
 * Resolves index hits for one asker. Banks are read once per resolver (a check meets the same bank for
 * many hits); a resolver lives as long as one check or one lookup.
 */
export function hitResolver(stores: { media: MediaStore; banks: BankStore }, org: string): ResolveHit {
  const banks = new Map<string, Promise<StoredBank | null>>();
  const bank = (id: string) => {
    let b = banks.get(id);
    if (!b) banks.set(id, (b = stores.banks.get(id)));
    return b;
  };
  return async (id, facts) => {
    const ref = parseIndexId(id);
    if (!ref) return null;
    if (ref.kind === 'bank') {
      const b = await bank(ref.bankId);
      if (!bankVisibleTo(b, org)) return null;
      const entry = await stores.banks.entry(ref.bankId, ref.entryId);
      return entry ? bankMatch(b, entry, facts) : null;
    }
    const record = await stores.media.getFor(ref.sha256, org);
    if (!record) return null;
    if (ref.kind === 'region') {
      // This image, whole, is the picture inside an image seen before (a screenshot of it, say).
      const kind = facts.kind === 'partial' ? 'partial' : 'content_region';
      const of = facts.region?.of ?? 'match';
      return seenMatch(record, { ...facts, kind, region: { of, kind: ref.region } });
    }
    if (ref.kind === 'frame') {
      const match_frame = { frame: ref.frame, timestamp: ref.timestampMs / 1000 };
      return seenMatch(record, { ...facts, match_frame });
    }
    return seenMatch(record, facts);
  };
}
