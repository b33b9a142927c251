// The text index: every text firstseen remembers (post texts, the words read in images, the claims of
// fact-checks), stored so that a new text finds the ones sharing its words in a few Redis round trips.
// Each text is kept as its normalized tokens in `<p>:text:<id>` (with what the memory knows of it), and
// its MinHash band buckets (src/memory/text-shingles.ts) as members `<tag><id>` of `<p>:tlsh:<band>:<key>`
// sets. A lookup reads the buckets of its windows, ranks the ids by buckets shared, and counts the real
// shingles in common of the best few (the candidate check): a bucket collision alone is never a match.
//
// Ids are those of src/memory/index-ids.ts (`m:<sha256>` the words of an image, `b:<bank>:<entry>` a
// fact-check's claim) plus `t:<sha256(post URL)>`, a post's text. Every key is one slot: writes and
// reads across keys go through `batch` (one pipeline on one Redis, one command per key on a cluster).
import type { Keys } from '../keys.js';
import { batch, type RedisClient } from '../redis.js';
import { indexId } from './index-ids.js';
import {
  MIN_TOKENS,
  QUERY_STRIDE,
  WINDOW_STRIDE,
  overlap,
  shingles,
  textBuckets,
  tokenize,
  type Overlap,
} from './text-shingles.js';

/** Candidates whose words are read and compared per lookup, at most (the most buckets shared first). */
const MAX_VERIFIED = 40;
/** Members read per bucket at most: a bucket this full is a phrase everyone writes and tells nothing. */
const MAX_BUCKET_READ = 200;
/** Texts written per pipeline by `addMany`. */
const ADD_BATCH = 50;
/** Fewest word pairs in common for any match, whatever the share: 3 pairs can be chance. */
export const MIN_COMMON = 4;

export interface TextHit {
  id: string;
  /** What the index keeps of the text (its tokens as `words`, and the memory's facts about it). */
  doc: Record<string, string>;
  overlap: Overlap;
}

export interface TextIndex {
  /** Indexes a text under `id` (again: its facts are updated, its buckets re-added); short texts are not. */
  add(id: string, tokens: readonly string[], facts: Record<string, string>): Promise<boolean>;
  /** Many at once (an imported feed's claims): one round trip per batch. */
  addMany(
    docs: ReadonlyArray<{ id: string; tokens: readonly string[]; facts: Record<string, string> }>,
  ): Promise<number>;
  /**
   * Texts sharing at least `minShare` of the shorter one's word pairs (and MIN_COMMON pairs) with
   * `tokens`, among ids `accept` lets through, the closest first.
   */
  find(
    tokens: readonly string[],
    opts: { minShare: number; accept?: (id: string) => boolean; limit?: number },
  ): Promise<TextHit[]>;
  /** A text's stored facts (null when not indexed). */
  get(id: string): Promise<Record<string, string> | null>;
  /** Adds to a stored text's facts (HSET), or counts (HINCRBY) without re-indexing it. */
  update(id: string, facts: Record<string, string>, increment?: string): Promise<void>;
}

export function createTextIndex(redis: RedisClient, keys: Keys): TextIndex {
  const writes = (id: string, tokens: readonly string[], facts: Record<string, string>) => [
    { key: keys.textDoc(id), hset: { ...facts, words: tokens.join(' ') } },
    ...textBuckets(tokens, WINDOW_STRIDE).map((b) => ({
      key: keys.textBucket(b.band, b.key),
      sadd: `${b.tag}${id}`,
    })),
  ];
  type Write = ReturnType<typeof writes>[number];
  const apply = (all: Write[]) =>
    batch(redis, all, (pipe, w) =>
      'hset' in w && w.hset ? pipe.hset(w.key, w.hset) : pipe.sadd(w.key, (w as { sadd: string }).sadd),
    );

  const index: TextIndex = {
    async add(id, tokens, facts) {
      if (tokens.length < MIN_TOKENS) return false;
      await apply(writes(id, tokens, facts));
      return true;
    },

    async addMany(docs) {
      const kept = docs.filter((d) => d.tokens.length >= MIN_TOKENS);
      // ~33 commands a text: pipelines of ADD_BATCH texts, so that an import's turn of the event loop
      // neither builds nor parses tens of thousands of commands at once.
      for (let i = 0; i < kept.length; i += ADD_BATCH)
        await apply(kept.slice(i, i + ADD_BATCH).flatMap((d) => writes(d.id, d.tokens, d.facts)));
      return kept.length;
    },

    async find(tokens, opts) {
      if (tokens.length < MIN_TOKENS) return [];
      const buckets = textBuckets(tokens, QUERY_STRIDE);
      const replies = await batch(redis, buckets, (pipe, b) =>
        pipe.srandmember(keys.textBucket(b.band, b.key), MAX_BUCKET_READ),
      );
      const votes = new Map<string, number>();
      for (const [k, b] of buckets.entries()) {
        const members = (replies[k]?.[1] as string[] | undefined) ?? [];
        for (const m of members) {
          if (!m.startsWith(b.tag)) continue;
          const id = m.slice(b.tag.length);
          if (opts.accept && !opts.accept(id)) continue;
          votes.set(id, (votes.get(id) ?? 0) + 1);
        }
      }
      const ranked = [...votes]
        .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
        .slice(0, MAX_VERIFIED)
        .map(([id]) => id);
      if (!ranked.length) return [];
      const docs = await batch(redis, ranked, (pipe, id) => pipe.hgetall(keys.textDoc(id)));
      const mine = shingles(tokens);
      const hits: TextHit[] = [];
      for (const [k, id] of ranked.entries()) {
        const doc = (docs[k]?.[1] as Record<string, string> | undefined) ?? {};
        if (!doc.words) continue; // removed since, or a half-written entry
        const o = overlap(mine, shingles(doc.words.split(' ')));
        if (o.common >= MIN_COMMON && o.share >= opts.minShare) hits.push({ id, doc, overlap: o });
      }
      hits.sort((a, b) => b.overlap.share - a.overlap.share || b.overlap.jaccard - a.overlap.jaccard);
      return hits.slice(0, opts.limit ?? hits.length);
    },

    async get(id) {
      const doc = await redis.hgetall(keys.textDoc(id));
      return doc.words ? doc : null;
    },

    async update(id, facts, increment) {
      if (Object.keys(facts).length) await redis.hset(keys.textDoc(id), facts);
      if (increment) await redis.hincrby(keys.textDoc(id), increment, 1);
    },
  };
  return index;
}

/**
 * What is indexed of a fact-check's claim (`claimReviewed`): its tokens. Its language is told only when a
 * post's words match it (from the claim as written, in the bank entry): an import of 10,000 reviews
 * does not run the language model 10,000 times.
 */
export function claimDoc(bankId: string, entryId: string, claim: string | null) {
  return {
    id: indexId.bank(bankId, entryId),
    tokens: claim ? tokenize(claim) : [],
    facts: { kind: 'claim' },
  };
}
