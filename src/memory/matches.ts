// Turning a hit in any of the memory's indexes into the `Match` a report shows: the one place that reads
// an index id, applies the visibility rules (another organization's upload is not shown; another
// organization's bank only when shared; a deleted bank never) and builds the match from the media record
// or the bank entry. The image matcher and the video matcher both resolve their hits here.
import type { Post } from '../../schemas/post.js';
import type { Match } from '../../schemas/provenance.js';
import type { MediaItem } from '../../schemas/report.js';
import { bankVisibleTo, type BankEntry, type BankStore, type StoredBank } from './banks.js';
import { parseIndexId, type IndexRef } from './index-ids.js';
import type { MediaRecord, MediaStore, Sighting, StoredCopy } from './media-store.js';

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

/**
 * The copy facts of the record each `seen` match was built from (never reported: best-copy.ts ranks the
 * copies a check matched with them, and need not read the records a second time).
 */
const copies = new WeakMap<Match, StoredCopy | null>();

/** The stored copy facts behind a match built here (null: none kept); undefined: not known here. */
export const copyOfMatch = (m: Match): StoredCopy | null | undefined => copies.get(m);

export function seenMatch(record: MediaRecord, m: MatchFacts): Match {
  const match: Match = {
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
  copies.set(match, record.copy);
  return match;
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

export interface Hit {
  id: string;
  facts: MatchFacts;
}

export type ResolveHit = ((id: string, facts: MatchFacts) => Promise<Match | null>) & {
  /** The same for many hits, in their order, the media records read in one batch; absent: one by one. */
  many?: (hits: readonly Hit[]) => Promise<Array<Match | null>>;
};

/** Every hit resolved, in order: in one batch when the resolver can, else one after the other. */
export async function resolveAll(resolve: ResolveHit, hits: readonly Hit[]): Promise<Array<Match | null>> {
  if (resolve.many) return resolve.many(hits);
  const out: Array<Match | null> = [];
  for (const h of hits) out.push(await resolve(h.id, h.facts));
  return out;
}

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
  const fromBank = async (ref: { bankId: string; entryId: string }, facts: MatchFacts) => {
    const b = await bank(ref.bankId);
    if (!bankVisibleTo(b, org)) return null;
    const entry = await stores.banks.entry(ref.bankId, ref.entryId);
    return entry ? bankMatch(b, entry, facts) : null;
  };
  const resolve: ResolveHit = async (id, facts) => {
    const ref = parseIndexId(id);
    if (!ref) return null;
    if (ref.kind === 'bank') return fromBank(ref, facts);
    return fromRecord(ref, await stores.media.getFor(ref.sha256, org), facts);
  };
  resolve.many = async (hits) => {
    const refs = hits.map((h) => parseIndexId(h.id));
    const shas = [...new Set(refs.flatMap((r) => (r && r.kind !== 'bank' ? [r.sha256] : [])))];
    const found = await stores.media.getManyFor(shas, org);
    const records = new Map(shas.map((sha, i) => [sha, found[i] ?? null]));
    return Promise.all(
      hits.map(async (h, i) => {
        const ref = refs[i];
        if (!ref) return null;
        if (ref.kind === 'bank') return fromBank(ref, h.facts);
        return fromRecord(ref, records.get(ref.sha256) ?? null, h.facts);
      }),
    );
  };
  return resolve;
}

/** A media hit as a match, from its record as the asker may see it (null: not visible). */
function fromRecord(
  ref: Exclude<IndexRef, { kind: 'bank' }>,
  record: MediaRecord | null,
  facts: MatchFacts,
): Match | null {
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
}
