// The text index: every text firstseen remembers (post texts, the words read in images, the claims of
// fact-checks), stored so that a new text finds the ones sharing its words in a few Redis round trips.
// Each text is kept as its normalized tokens in `<p>:text:<id>` (with what the memory knows of it), and
// its MinHash band buckets (src/memory/text-shingles.ts) as members `<tag><id>` of the bucket sets
// (`keys.textBucket(band, key)`). A lookup reads the buckets of its windows, ranks the ids by buckets
// shared, and counts the real shingles in common of the best few (the candidate check): a bucket
// collision alone is never a match.
//
// Ids are those of src/memory/index-ids.ts (`m:<sha256>` the words of an image, `b:<bank>:<entry>` a
// fact-check's claim) plus `t:<sha256(post URL)>`, a post's text. Writes and reads across keys go
// through `batch` (one pipeline on one Redis, one command per slot's keys on a cluster). A text's 32
// bucket members lie in 32 slots, but many texts written together (an imported feed's claims) share
// slots: the bucket keys carry a hash tag of 512 values (src/keys.ts), and the members for one tag go in
// one Lua script (SADD_EACH) rather than one SADD each. That was the import's cost: 500 claims were
// 16,000 SADDs, each a command object, a promise and a reply for the API to build and parse (34
// commands and ~0.6 ms of process CPU a review, with the garbage collection); now ~510 scripts and 500
// hashes (3 commands a review with its bank entry; bench:factchecks).
import { setImmediate } from 'node:timers/promises';
import type { ChainableCommander } from 'ioredis';
import type { Keys } from '../keys.js';
import { batch, type RedisClient } from '../redis.js';
import { indexId } from './index-ids.js';
import {
  BANDS,
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
/**
 * Texts written together by `addMany`: an import's chunk at once (500 claims: ~16,000 bucket members
 * in ~510 scripts of ~31 keys each, so no one script holds Redis long).
 */
const ADD_BATCH = 500;
/**
 * Work done per turn of the event loop while writing many texts: texts whose buckets are computed, and
 * commands built and written per pipeline (ioredis serializes a pipeline in one go). 500 claims at once
 * held the loop ~80-250 ms of CPU on the loaded test machine; in these pieces each turn is a few ms.
 */
const TEXTS_PER_TURN = 100;
const COMMANDS_PER_PIPELINE = 200;
/**
 * SADDs each KEYS[i] the i-th member of ARGV[1] (the members joined by spaces: one argument rather than
 * one per member halves what the client serializes; ids hold no spaces). The keys share a hash tag (one
 * slot). A count that does not match writes nothing.
 */
const SADD_EACH = `local members = {}
for m in string.gmatch(ARGV[1], '%S+') do members[#members + 1] = m end
if #members ~= #KEYS then return redis.error_reply('SADD_EACH: ' .. #members .. ' members, ' .. #KEYS .. ' keys') end
for i = 1, #KEYS do redis.call('SADD', KEYS[i], members[i]) end
return #KEYS`;
const SADD_EACH_COMMAND = 'firstseenTextSaddEach';
/**
 * Bucket keys' hash tags: a band and the bucket's first hex digit (src/keys.ts), so 32 x 16 groups of
 * keys, each in one slot. test/routes/fact-checks-import.test.ts checks that each script's keys share
 * one hash tag.
 */
const SLOT_GROUPS = BANDS * 16;
const slotGroup = (band: number, bucket: string) => band * 16 + parseInt(bucket.charAt(0), 16);
type WithSaddEach = ChainableCommander & {
  [SADD_EACH_COMMAND](keyCount: number, ...keysThenPackedMembers: string[]): ChainableCommander;
};
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
  /**
   * Many at once (an imported feed's claims): ~2 commands a text (its hash, and a share of the scripts
   * that write its bucket members), sent in a few pipelines without waiting in between.
   */
  addMany(docs: readonly Doc[]): Promise<number>;
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

type Doc = { id: string; tokens: readonly string[]; facts: Record<string, string> };
type Write =
  | { key: string; hset: Record<string, string> }
  | { key: string; sadd: string }
  | { keys: string[]; members: string[] };

export function createTextIndex(redis: RedisClient, keys: Keys): TextIndex {
  // ioredis sends a defined command as EVALSHA, and the script itself the first time on each connection
  // (or after NOSCRIPT: a restarted or failed-over Redis), in pipelines too.
  if (!(SADD_EACH_COMMAND in redis)) redis.defineCommand(SADD_EACH_COMMAND, { lua: SADD_EACH });

  /** Each text's hash, then its bucket members grouped by hash tag: one command per tag's keys. */
  const writes = async (docs: readonly Doc[]): Promise<Write[]> => {
    const out: Write[] = [];
    const bySlot = new Array<{ keys: string[]; members: string[] } | undefined>(SLOT_GROUPS);
    for (const [n, { id, tokens, facts }] of docs.entries()) {
      if (n > 0 && n % TEXTS_PER_TURN === 0) await setImmediate();
      out.push({ key: keys.textDoc(id), hset: { ...facts, words: tokens.join(' ') } });
      for (const b of textBuckets(tokens, WINDOW_STRIDE)) {
        const g = slotGroup(b.band, b.key);
        const group = (bySlot[g] ??= { keys: [], members: [] });
        group.keys.push(keys.textBucket(b.band, b.key));
        group.members.push(`${b.tag}${id}`);
      }
    }
    for (const g of bySlot) {
      if (!g) continue;
      out.push(g.keys.length === 1 ? { key: g.keys[0] as string, sadd: g.members[0] as string } : g);
    }
    return out;
  };
  /**
   * Sends the writes in pipelines of COMMANDS_PER_PIPELINE, one per turn of the event loop, without
   * waiting for the replies in between (a connection keeps their order). The hashes come first: a
   * lookup meeting a member whose hash is not written yet skips it (as a half-written entry).
   */
  const apply = async (all: Write[]) => {
    const sent: Array<ReturnType<typeof batch>> = [];
    for (let i = 0; i < all.length; i += COMMANDS_PER_PIPELINE) {
      if (i > 0) await setImmediate();
      sent.push(
        batch(redis, all.slice(i, i + COMMANDS_PER_PIPELINE), (pipe, w) =>
          'hset' in w
            ? pipe.hset(w.key, w.hset)
            : 'sadd' in w
              ? pipe.sadd(w.key, w.sadd)
              : (pipe as WithSaddEach)[SADD_EACH_COMMAND](w.keys.length, ...w.keys, w.members.join(' ')),
        ),
      );
    }
    // A failed write (Redis refused a command, a script's count did not match) fails the caller, as
    // a failed single command would: an import does not report claims indexed that are not.
    const failed = (await Promise.all(sent)).flat().find(([err]) => err);
    if (failed) throw failed[0] as Error;
  };

  const index: TextIndex = {
    async add(id, tokens, facts) {
      if (tokens.length < MIN_TOKENS) return false;
      await apply(await writes([{ id, tokens, facts }]));
      return true;
    },

    async addMany(docs) {
      const kept = docs.filter((d) => d.tokens.length >= MIN_TOKENS);
      for (let i = 0; i < kept.length; i += ADD_BATCH)
        await apply(await writes(kept.slice(i, i + ADD_BATCH)));
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
