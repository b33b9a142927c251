// The text memory: normalization across scripts, word-pair shingles, MinHash (its estimate tracks the
// real Jaccard), LSH recall through Redis (copies with edits are found among unrelated texts, unrelated
// texts are not), and the claim threshold on a set of true pairs and near misses with no false match.
import { Redis } from 'ioredis';
import t, { type Test } from 'tap';
import { keys } from '../../src/keys.js';
import { createTextIndex } from '../../src/memory/text-index.js';
import { CLAIM_MATCH_SHARE, TEXT_MATCH_SHARE } from '../../src/memory/text-matcher.js';
import { possibleLanguages, sameLanguage } from '../../src/memory/text-language.js';
import {
  MIN_TOKENS,
  SIGNATURE_LENGTH,
  minhash,
  overlap,
  shingles,
  tokenize,
  windows,
  WINDOW_TOKENS,
} from '../../src/memory/text-shingles.js';
import type { PublishedReview } from '../../schemas/fact-checks.js';
import type { Post } from '../../schemas/post.js';
import { REDIS_URL, removePrefix, testConfig } from '../helpers/app.js';
import { prng as mulberry32 } from '../helpers/prng.js';
import { CLAIM_PAIRS } from './claim-pairs.js';
import { testMemory } from '../helpers/memory.js';

t.test('tokens: NFKC, case, accents, punctuation, links and mentions, any script', async (t) => {
  t.same(
    tokenize('ＢＲＥＡＫＩＮＧ: Ｆｉｒｅ!!'),
    ['breaking', 'fire'],
    'full-width folds (NFKC), case folds',
  );
  t.same(tokenize('Straße STRASSE'), ['strasse', 'strasse'], 'ß folds to ss');
  t.same(
    tokenize('Nuotrauka rodo potvynį Vilniuje, žmonės išsigandę'),
    tokenize('nuotrauka rodo potvyni vilniuje zmones issigande'),
    'Lithuanian with and without diacritics',
  );
  t.same(tokenize('Ёлка, йогурт'), ['елка', 'иогурт'], 'Cyrillic ё/й lose their marks');
  t.same(tokenize('Қазақстан мен Ресей'), ['қазақстан', 'мен', 'ресеи'], 'Kazakh letters are letters, kept');
  t.same(
    tokenize('صورة تُظهر الفيضانـــات'),
    ['صورة', 'تظهر', 'الفيضانات'],
    'Arabic harakat and tatweel dropped',
  );
  t.same(tokenize('see https://t.co/abc and www.x.com/y, @someone said: don’t'), [
    'see',
    'and',
    'said',
    'dont',
  ]);
  t.same(tokenize('#Vilnius 2024'), ['vilnius', '2024'], 'hashtag word kept, digits are tokens');
  t.same(
    tokenize('東京で地震 M7'),
    ['東', '京', 'で', '地', '震', 'm7'],
    'unspaced scripts: one token a character',
  );
  t.same(tokenize('नमस्ते दुनिया'), ['नमस्ते', 'दुनिया'], 'Devanagari vowel signs stay (they are letters there)');
  t.same(tokenize('🔥🔥 !!! ...'), [], 'emoji and punctuation are not words');
  t.equal(tokenize('a '.repeat(5000)).length, 400, 'tokens are capped');
});

t.test('windows cover long texts with overlap, the last ending at the end', async (t) => {
  t.same(windows(10, 15), [0]);
  t.same(windows(WINDOW_TOKENS, 15), [0]);
  t.same(windows(50, 15), [0, 15, 20]);
  t.ok(windows(100_000, 15).length <= 30, 'bounded');
});

/** A random text of n words from a vocabulary of 3,000 made-up words. */
function randomWords(rand: () => number, n: number): string[] {
  return Array.from({ length: n }, () => `w${Math.floor(rand() * 3000).toString(36)}`);
}

t.test('MinHash agreement estimates the Jaccard of the shingles', async (t) => {
  const rand = mulberry32(7);
  let worst = 0;
  for (let k = 0; k < 40; k++) {
    const a = randomWords(rand, 40);
    const b = [...a];
    const edits = Math.floor(rand() * 20);
    for (let e = 0; e < edits; e++) b[Math.floor(rand() * b.length)] = `x${e}`;
    const [sa, sb] = [shingles(a), shingles(b)];
    const real = overlap(sa, sb).jaccard;
    const [ma, mb] = [minhash(sa), minhash(sb)];
    let same = 0;
    for (let i = 0; i < SIGNATURE_LENGTH; i++) if (ma[i] === mb[i]) same++;
    worst = Math.max(worst, Math.abs(same / SIGNATURE_LENGTH - real));
  }
  // 64 values: standard error sqrt(J(1-J)/64) <= 0.0625; 4 of them over 40 pairs.
  t.ok(worst < 0.25, `largest estimate error ${worst.toFixed(3)}`);
});

async function withIndex(t: Test) {
  const config = testConfig();
  const redis = new Redis(REDIS_URL);
  t.teardown(async () => {
    redis.disconnect();
    await removePrefix(config.keyPrefix);
  });
  return createTextIndex(redis, keys(config.keyPrefix));
}

t.test('LSH recall: edited copies, a post inside a long text, among 500 unrelated texts', async (t) => {
  const index = await withIndex(t);
  const rand = mulberry32(11);
  const docs = Array.from({ length: 500 }, (_, i) => ({
    id: `t:${i}`,
    tokens: randomWords(rand, 10 + Math.floor(rand() * 60)),
    facts: {},
  }));
  await index.addMany(docs);
  let found = 0;
  let wrong = 0;
  const trials = 80;
  for (let k = 0; k < trials; k++) {
    const target = docs[Math.floor(rand() * docs.length)]!;
    const q = [...target.tokens];
    // One word in 15 changed, and words added around: a copy with edits (share >= 0.75 of pairs).
    for (let e = 0; e < Math.floor(q.length / 15); e++) q[Math.floor(rand() * q.length)] = `edit${e}`;
    const query = k % 2 ? [...randomWords(rand, 5), ...q, ...randomWords(rand, 40)] : q;
    const expected = overlap(shingles(query), shingles(target.tokens)).share;
    if (expected < TEXT_MATCH_SHARE) continue;
    const hits = await index.find(query, { minShare: TEXT_MATCH_SHARE });
    if (hits.some((h) => h.id === target.id)) found++;
    else t.comment(`missed ${target.id}: share ${expected.toFixed(2)}, ${query.length} tokens`);
    wrong += hits.filter((h) => h.id !== target.id).length;
  }
  t.ok(found >= 0.97 * trials, `recall ${found}/${trials}`);
  t.equal(wrong, 0, 'no unrelated text passes the check');
  t.same(await index.find(randomWords(rand, 30), { minShare: TEXT_MATCH_SHARE }), [], 'a new text: nothing');
  t.same(
    await index.find(['one', 'two', 'three'], { minShare: 0 }),
    [],
    `under ${MIN_TOKENS} tokens: no lookup`,
  );
});

t.test('claims: every true pair matches, no near miss does (threshold and language)', async (t) => {
  for (const p of CLAIM_PAIRS) {
    const share = overlap(shingles(tokenize(p.claim)), shingles(tokenize(p.post))).share;
    const same = sameLanguage(possibleLanguages(p.claim), possibleLanguages(p.post));
    t.equal(share >= CLAIM_MATCH_SHARE && same, p.match, `${p.why}: share ${share.toFixed(2)}`);
  }
});

t.test('claims through the memory: fact-checks added, posts looked up, only the right ones', async (t) => {
  const config = testConfig();
  const { memory } = await testMemory(t, config);
  const bank = await memory.factChecks.defaultBank('newsroom-a', false);
  const claims = [...new Set(CLAIM_PAIRS.map((p) => p.claim))];
  const review = (claim: string): PublishedReview => ({
    type: 'ClaimReview',
    url: `https://fc.example/${encodeURIComponent(claim.slice(0, 20))}`,
    title: null,
    claim,
    rating: 'False',
    publisher: { name: 'Example Check', site: null },
    reviewed_at: '2024-01-01T00:00:00Z',
    language: null,
    item_urls: [],
    media_urls: [],
  });
  await memory.factChecks.addMany(bank, claims.map(review));
  const own = memory.forCheck({ org: 'newsroom-a', checkId: 'c1' }).texts;
  const other = memory.forCheck({ org: 'newsroom-b', checkId: 'c2' }).texts;
  for (const p of CLAIM_PAIRS) {
    const found = (await own.claims(p.post)).map((f) => f.claim);
    t.equal(found.includes(p.claim), p.match, p.why);
    t.ok(
      found.every((c) => CLAIM_PAIRS.some((q) => q.match && q.claim === c && q.post === p.post)),
      'nothing else',
    );
  }
  t.same(
    await other.claims(CLAIM_PAIRS[0]!.post),
    [],
    'another organization does not see a private bank’s claims',
  );
  const [f] = await own.claims(CLAIM_PAIRS[0]!.post);
  t.match(f, {
    match: { kind: 'text', hash: 'words', share: 1, distance: 0, sha256: null },
    source: 'memory',
  });
});

t.test('post texts: matched for everyone, not against themselves, counted once per check', async (t) => {
  const config = testConfig();
  const { memory } = await testMemory(t, config);
  const post = (url: string, handle: string, text: string): Post => ({
    platform: 'x',
    id: url,
    url,
    author: { handle },
    posted_at: '2024-01-01T00:00:00.000Z',
    text,
    media: [],
    trail: [],
    metadata_note: '',
  });
  const words = 'The mayor announced that all schools in the city will close tomorrow because of the storm';
  const a = post('https://x.com/alice/status/1', 'alice', words);
  const b = post('https://x.com/bob/status/2', 'bob', `RT this!! ${words.toLowerCase()} https://t.co/x`);
  const first = memory.forCheck({ org: 'newsroom-a', checkId: 'c1' }).texts;
  t.same(await first.find(words, { kind: 'post', post: a }), [], 'nothing seen yet');
  await first.remember(words, { kind: 'post', post: a });
  t.same(await first.find(words, { kind: 'post', post: a }), [], 'a post does not match itself');
  const second = memory.forCheck({ org: 'newsroom-b', checkId: 'c2' }).texts;
  const [m] = await second.find(b.text as string, { kind: 'post', post: b });
  t.match(m, {
    kind: 'text',
    source: 'seen',
    hash: 'words',
    post_url: a.url,
    first_seen_url: a.url,
    posted_at: a.posted_at,
    sightings: 1,
    text: { of: 'post', matched: 'post', share: 1, author: '@alice', platform: 'x' },
  });
  await second.remember(words, { kind: 'post', post: a });
  await second.remember(words, { kind: 'post', post: a });
  const [again] = await second.find(b.text as string, { kind: 'post', post: b });
  t.equal(again?.sightings, 2, 'a second check of the same post is one more sighting, once');
  t.same(
    await second.find('The mayor announced that the city parks will open tomorrow after the storm', {
      kind: 'post',
      post: b,
    }),
    [],
    'same story, other words: no match',
  );
});
