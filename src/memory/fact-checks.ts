// Published fact-checks in the memory. A fact-check is an entry of a `fact_check` bank (so it has an
// owner, and the banks' visibility rule decides who meets it) that carries the review as published and
// the sha256s of the pictures it reviewed. Those pictures are remembered like any image a check sees
// (media records, hash index, content regions, local features), so every way a new image can match an
// image seen before (the same file, a near-duplicate, the picture inside a screenshot, a crop or a copy
// stamped "FALSE") also reaches the fact-check: a report asks, for each picture it matched, which
// fact-checks name it (`<p>:fact-checks-of:<sha256>`).
import type { FactCheck, PublishedReview } from '../../schemas/fact-checks.js';
import type { Match } from '../../schemas/provenance.js';
import type { MediaItem } from '../../schemas/report.js';
import type { Keys } from '../keys.js';
import { batch, type RedisClient } from '../redis.js';
import { bankVisibleTo, type BankStore, type StoredBank } from './banks.js';
import { claimDoc, type TextIndex } from './text-index.js';

/** Fact-checks shown per picture, and pictures a fact-check is linked to at most. */
const MAX_PER_ITEM = 10;
export const MAX_LINKED = 200;

export interface StoredFactCheck {
  bank: StoredBank;
  entryId: string;
  review: PublishedReview;
}

const refOf = (bankId: string, entryId: string) => `${bankId}/${entryId}`;

/**
 * `texts`: the text index, where each review's claim is indexed (as `b:<bank>:<entry>`) so that posts
 * worded like it find it (src/memory/text-matcher.ts); absent, claims are not indexed.
 */
export function createFactCheckStore(redis: RedisClient, keys: Keys, banks: BankStore, texts?: TextIndex) {
  async function read(ref: string): Promise<StoredFactCheck | null> {
    const [bankId, entryId] = ref.split('/');
    if (!bankId || !entryId) return null;
    const bank = await banks.get(bankId);
    if (!bank) return null;
    const [raw, label, verdict, sourceUrl] = await redis.hmget(
      keys.bankEntry(bankId, entryId),
      'review',
      'label',
      'verdict',
      'source_url',
    );
    // A debunked bank's entry linked to images seen before it was added (src/services/bank-announcements.ts):
    // its verdict, in the shape of a review.
    if (!raw && bank.kind === 'debunked' && typeof label === 'string') {
      const review: PublishedReview = {
        type: 'ClaimReview',
        url: sourceUrl || null,
        title: label,
        claim: null,
        rating: verdict || null,
        publisher: { name: bank.name, site: null },
        reviewed_at: null,
        language: null,
        item_urls: [],
        media_urls: [],
      };
      return { bank, entryId, review };
    }
    if (!raw) return null;
    try {
      return { bank, entryId, review: JSON.parse(raw) as PublishedReview };
    } catch {
      return null;
    }
  }

  /** The fact-checks of these refs that `org` may see. */
  async function visible(refs: string[], org: string): Promise<StoredFactCheck[]> {
    const found = await Promise.all(
      refs
        .sort()
        .slice(0, MAX_PER_ITEM * 4)
        .map(read),
    );
    return found.filter((f): f is StoredFactCheck => !!f && bankVisibleTo(f.bank, org));
  }

  const store = {
    /**
     * The organization's own fact-check bank, created on first use. The operator's is shared (its
     * fact-checks reach every organization, as its other shared banks do); anyone else's is its own.
     */
    async defaultBank(org: string, shared: boolean): Promise<StoredBank> {
      const key = keys.orgFactCheckBank(org);
      const known = await redis.get(key);
      const existing = known ? await banks.get(known) : null;
      if (existing) return existing;
      const made = await banks.create(org, {
        name: 'Fact-checks',
        description: 'Published fact-checks added with POST /v1/fact-checks.',
        kind: 'fact_check',
        shared,
      });
      // Two first uses at once: one bank wins, the other is removed.
      const won = await redis.set(key, made.id, 'NX');
      if (won || known) {
        if (known) await redis.set(key, made.id);
        return made;
      }
      await banks.remove(made);
      const winner = await banks.get((await redis.get(key)) ?? '');
      if (!winner) throw new Error(`Fact-check bank of ${org} vanished`);
      return winner;
    },

    /** Records a review with the pictures it reviewed; returns its entry id. */
    async add(bank: StoredBank, review: PublishedReview, pictures: readonly string[]): Promise<string> {
      const [entryId] = await store.addMany(bank, [review]);
      await store.link(bank.id, entryId as string, pictures);
      return entryId as string;
    },

    /** Records reviews (an imported feed's, in one pipeline); their pictures are linked later. */
    async addMany(bank: StoredBank, reviews: readonly PublishedReview[]): Promise<string[]> {
      if (!reviews.length) return [];
      const last = await redis.hincrby(keys.bank(bank.id), 'next_entry', reviews.length);
      const ids = reviews.map((_, i) => `e${last - reviews.length + i + 1}`);
      // Entries lie in many cluster slots: a batch of single-key commands (one pipeline on one Redis).
      await batch(redis, [...reviews.entries()], (pipe, [i, review]) => {
        const fields: Record<string, string> = {
          label: review.title ?? review.claim ?? review.url ?? 'Fact-check',
          review: JSON.stringify(review),
        };
        if (review.rating) fields.verdict = review.rating;
        if (review.url) fields.source_url = review.url;
        if (review.reviewed_at) fields.first_published = review.reviewed_at;
        pipe.hset(keys.bankEntry(bank.id, ids[i] as string), fields);
      });
      await redis.hincrby(keys.bank(bank.id), 'entries', reviews.length);
      if (texts) await texts.addMany(reviews.map((r, i) => claimDoc(bank.id, ids[i] as string, r.claim)));
      return ids;
    },

    /** One fact-check by its bank and entry id (null when either is gone). */
    get: (bankId: string, entryId: string) => read(refOf(bankId, entryId)),

    /** Links a fact-check to more pictures: its own, and images seen before that match them. */
    async link(bankId: string, entryId: string, pictures: readonly string[]): Promise<void> {
      const ref = refOf(bankId, entryId);
      await batch(redis, pictures.slice(0, MAX_LINKED), (pipe, sha) =>
        pipe.sadd(keys.factChecksOf(sha), ref),
      );
    },

    /** The fact-checks `org` may see that name a picture. */
    async of(sha256: string, org: string): Promise<StoredFactCheck[]> {
      return visible(await redis.smembers(keys.factChecksOf(sha256)), org);
    },

    /**
     * The fact-checks a report shows for one item: those naming the item's own file or any image seen
     * before that it matched, each with how it matched (the surest way first), one per review.
     */
    async forItem(
      item: Pick<MediaItem, 'sha256'>,
      matches: readonly Match[],
      org: string,
    ): Promise<FactCheck[]> {
      const ways: Array<{ sha256: string; match: FactCheck['match'] }> = [];
      if (item.sha256)
        ways.push({
          sha256: item.sha256,
          match: { kind: 'exact', hash: 'sha256', distance: 0, sha256: item.sha256 },
        });
      for (const m of matches) {
        if (m.source !== 'seen' || !m.sha256 || m.sha256 === item.sha256) continue;
        ways.push({
          sha256: m.sha256,
          match: {
            kind: m.kind,
            hash: m.hash,
            distance: m.distance,
            ...(m.inliers !== undefined && { inliers: m.inliers }),
            sha256: m.sha256,
          },
        });
      }
      // One round trip asks every picture at once (a viral image has dozens of matches, and almost none
      // is fact-checked); only the pictures that are get their entries read.
      const replies = await batch(redis, ways, (pipe, way) => pipe.smembers(keys.factChecksOf(way.sha256)));
      const out: FactCheck[] = [];
      // A bank entry the item matched directly is already in its matches (and `bank_match`).
      const taken = new Set<string>(
        matches.flatMap((m) => (m.bank ? [`bank:${m.bank.id}/${m.bank.entry_id}`] : [])),
      );
      for (const [k, way] of ways.entries()) {
        const refs = (replies[k]?.[1] as string[] | undefined) ?? [];
        if (!refs.length) continue;
        for (const f of await visible(refs, org)) {
          const key = `${f.review.url ?? ''}|${f.review.claim ?? ''}|${f.bank.id}`;
          if (taken.has(key) || taken.has(`bank:${f.bank.id}/${f.entryId}`)) continue;
          taken.add(key);
          const { item_urls: _items, media_urls: _media, ...review } = f.review;
          out.push({
            ...review,
            match: way.match,
            source: 'memory',
            bank: { id: f.bank.id, name: f.bank.name, publisher: f.bank.org, entry_id: f.entryId },
          });
          if (out.length >= MAX_PER_ITEM) return out;
        }
      }
      return out;
    },
  };
  return store;
}

export type FactCheckStore = ReturnType<typeof createFactCheckStore>;
