// The words of a text as the text index compares them: normalized tokens, word-pair shingles, MinHash
// signatures and LSH band buckets, and the exact share of shingles two texts have in common. Pure
// functions, no Redis (src/memory/text-index.ts stores what they compute).
//
// Written here rather than taken from npm: the MinHash/LSH packages there (minhash, datasketch ports) are
// unmaintained, hash strings with Math.random seeds (signatures would change between processes, and
// stored buckets would stop matching), and none normalizes text across scripts. What is needed is
// ~150 lines of well-known arithmetic (Broder's MinHash, banded LSH as in Leskovec et al., "Mining of
// Massive Datasets" ch. 3).

/** Text read at most per item (a long OCR text or post is cut here before anything else). */
export const MAX_TEXT_CHARS = 20_000;
/** Tokens kept per text: a post is a few dozen; an OCR text of a page is cut at this. */
export const MAX_TOKENS = 400;
/**
 * Fewest tokens a text must have to be indexed or looked up: shorter texts ("BREAKING", "so sad")
 * share their words with thousands of others by chance.
 */
export const MIN_TOKENS = 5;
/** Words per shingle: word pairs keep word order (a few words moved or changed break few pairs). */
export const SHINGLE_WORDS = 2;
/** MinHash values per window, read as BANDS bands of ROWS values each. */
export const BANDS = 32;
export const ROWS = 2;
export const SIGNATURE_LENGTH = BANDS * ROWS;
/**
 * Long texts are indexed as overlapping windows of WINDOW_TOKENS tokens (WINDOW_STRIDE apart), so that
 * a short text inside a long one (a post quoted in a screenshot's OCR text, a claim in a long post) is
 * still close to one window; lookups slide by QUERY_STRIDE, so some lookup window lies within
 * QUERY_STRIDE / 2 tokens of an indexed one.
 */
export const WINDOW_TOKENS = 30;
export const WINDOW_STRIDE = 15;
export const QUERY_STRIDE = 6;
/** Windows per text at most (indexed: covers MAX_TOKENS; looked up: bounds one query's work). */
export const MAX_WINDOWS = 30;

// Scripts whose combining marks are accents or vowel points (Lithuanian ą/č/ė, Russian ё/й, Arabic
// harakat, Hebrew niqqud): dropped, so a text typed without them matches. In other scripts
// (Devanagari, Thai, …) marks are vowels and stay.
const ACCENTED =
  /([\p{Script=Latin}\p{Script=Greek}\p{Script=Cyrillic}\p{Script=Arabic}\p{Script=Hebrew}])\p{Mn}+/gu;
// Scripts written without spaces between words: each character is a token (character pairs are then
// the shingles, the usual unit for Chinese and Japanese text reuse).
const UNSPACED =
  /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}]/u;
const URL_LIKE = /\b(?:https?:\/\/|www\.)\S+/giu;
const MENTION = /(^|[^\p{L}\p{N}_])@[\p{L}\p{N}_.]+/gu;
const APOSTROPHE_IN_WORD = /(?<=[\p{L}\p{N}])['’ʼ`](?=[\p{L}\p{N}])/gu;
const TOKEN = /[\p{L}\p{N}\p{M}]+/gu;

/**
 * A text as tokens: NFKC (full-width and ligature forms fold), case folded, links and @mentions
 * dropped (they name where and who, not what was said; `#` is dropped, the hashtag's word kept),
 * accents dropped where they are accents, punctuation and emoji dropped. Tokens are runs of letters and
 * digits in any script; in scripts written without spaces, single characters.
 */
export function tokenize(text: string): string[] {
  const folded = text
    .slice(0, MAX_TEXT_CHARS)
    .normalize('NFKC')
    .replace(URL_LIKE, ' ')
    .replace(MENTION, '$1 ')
    .toLowerCase()
    .replace(/ß/g, 'ss')
    .replace(/ς/g, 'σ')
    .replace(/\u0640/g, '') // Arabic tatweel: stretches a word, is no letter
    .normalize('NFD')
    .replace(ACCENTED, '$1')
    .normalize('NFC')
    .replace(APOSTROPHE_IN_WORD, '');
  const out: string[] = [];
  for (const m of folded.matchAll(TOKEN)) {
    const word = m[0];
    if (UNSPACED.test(word)) {
      // Keep runs of other scripts (digits, Latin words) inside whole; split the unspaced letters.
      for (const part of word.split(
        /([\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}])/u,
      )) {
        if (part) out.push(part);
        if (out.length >= MAX_TOKENS) return out;
      }
    } else out.push(word);
    if (out.length >= MAX_TOKENS) return out;
  }
  return out;
}

/** FNV-1a over UTF-16 code units, then a murmur3 finalizer: a stable 32-bit hash of a shingle. */
function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return fmix32(h);
}

function fmix32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The shingles (hashed word pairs) of tokens[from, to): a set, so repeated phrases count once. */
export function shingles(tokens: readonly string[], from = 0, to = tokens.length): Set<number> {
  const out = new Set<number>();
  const end = Math.min(to, tokens.length);
  for (let i = from; i + SHINGLE_WORDS <= end; i++) {
    // tokens.slice(i, i + SHINGLE_WORDS).join(' '), without an array per shingle (an import hashes
    // millions of them).
    let shingle = tokens[i] as string;
    for (let w = 1; w < SHINGLE_WORDS; w++) shingle += ` ${tokens[i + w] as string}`;
    out.add(hashString(shingle));
  }
  return out;
}

// One seed per MinHash function. Fixed for ever: signatures stored in Redis were computed with them
// (changing one means re-indexing every text). Drawn once with splitmix32 from a constant.
const SEEDS = (() => {
  const out = new Uint32Array(SIGNATURE_LENGTH);
  let state = 0x5eed7e47;
  for (let i = 0; i < out.length; i++) {
    state = (state + 0x9e3779b9) >>> 0;
    out[i] = fmix32(state);
  }
  return out;
})();

/**
 * MinHash signature: per seeded hash function, the smallest value over the shingles. Two texts' values
 * agree at each position with probability equal to their shingles' Jaccard similarity.
 */
export function minhash(set: ReadonlySet<number>): Uint32Array {
  const sig = new Uint32Array(SIGNATURE_LENGTH).fill(0xffffffff);
  for (const x of set) {
    for (let i = 0; i < SIGNATURE_LENGTH; i++) {
      const v = fmix32(x ^ (SEEDS[i] as number));
      if (v < (sig[i] as number)) sig[i] = v;
    }
  }
  return sig;
}

/**
 * The LSH buckets of a signature, one per band: `key` (16 bits, the Redis set it goes in) and `tag`
 * (the other 16 bits, stored with the id so that a set shared by unrelated buckets is told apart).
 * Two texts of Jaccard similarity s share at least one bucket with probability 1 - (1 - s^ROWS)^BANDS:
 * 0.27 at s = 0.1, 0.73 at 0.2, 0.95 at 0.3, 0.99 at 0.38.
 */
export function bands(sig: Uint32Array): Array<{ band: number; key: string; tag: string }> {
  const out: Array<{ band: number; key: string; tag: string }> = [];
  for (let b = 0; b < BANDS; b++) {
    let h = b;
    for (let r = 0; r < ROWS; r++) h = fmix32(Math.imul(h, 0x9e3779b1) ^ (sig[b * ROWS + r] as number));
    const hex = h.toString(16).padStart(8, '0');
    out.push({ band: b, key: hex.slice(0, 4), tag: hex.slice(4) });
  }
  return out;
}

/** Start offsets of windows of WINDOW_TOKENS over n tokens, `stride` apart, the last one ending at n. */
export function windows(n: number, stride: number): number[] {
  if (n <= WINDOW_TOKENS) return [0];
  const starts: number[] = [];
  for (let s = 0; s + WINDOW_TOKENS < n && starts.length < MAX_WINDOWS - 1; s += stride) starts.push(s);
  starts.push(Math.min(n - WINDOW_TOKENS, (starts.at(-1) ?? 0) + stride));
  return [...new Set(starts)];
}

/** The band buckets of every window of a text (deduplicated): what is stored, or looked up. */
export function textBuckets(
  tokens: readonly string[],
  stride: number,
): Array<{ band: number; key: string; tag: string }> {
  const starts = windows(tokens.length, stride);
  if (starts.length === 1) {
    // One window (most posts and claims): its bands are distinct already.
    const start = starts[0] as number;
    const set = shingles(tokens, start, Math.min(tokens.length, start + WINDOW_TOKENS));
    return set.size ? bands(minhash(set)) : [];
  }
  const seen = new Set<string>();
  const out: Array<{ band: number; key: string; tag: string }> = [];
  for (const start of starts) {
    const set = shingles(tokens, start, Math.min(tokens.length, start + WINDOW_TOKENS));
    if (!set.size) continue;
    for (const b of bands(minhash(set))) {
      const id = `${b.band}:${b.key}:${b.tag}`;
      if (seen.has(id)) continue;
      seen.add(id);
      out.push(b);
    }
  }
  return out;
}

export interface Overlap {
  /** Shingles (word pairs) the two texts have in common. */
  common: number;
  /** common / shingles of the shorter text: how much of the shorter text is in the longer one. */
  share: number;
  /** common / shingles of both together. */
  jaccard: number;
}

/** The real overlap of two texts' shingles (the candidate check after LSH). */
export function overlap(a: ReadonlySet<number>, b: ReadonlySet<number>): Overlap {
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  let common = 0;
  for (const x of small) if (large.has(x)) common++;
  const union = a.size + b.size - common;
  return {
    common,
    share: small.size ? common / small.size : 0,
    jaccard: union ? common / union : 0,
  };
}
