// What a ClaimReview feed import costs in Redis. Each review's claim goes into the text index
// (src/memory/text-index.ts) with its 32 MinHash bucket members; written one SADD a member, a 500-review
// chunk was ~17,000 commands (34 a review) for the API to build, send and parse, and the import ran ~6x
// slower than before claims were indexed. The members are now grouped by cluster slot, one Lua script
// per slot's keys. Counted here (commands and round trips, never time), with every member still
// written, the claims still found, and every multi-key command's keys in one cluster slot.
import type { Redis } from 'ioredis';
import t from 'tap';
import { keys } from '../../src/keys.js';
import { indexId } from '../../src/memory/index-ids.js';
import { textBuckets, tokenize, WINDOW_STRIDE } from '../../src/memory/text-shingles.js';
import { hashTagOf } from '../../src/redis.js';
import { AUTH, buildTestServer } from '../helpers/app.js';
import { prng } from '../helpers/prng.js';
import { countRedis } from '../helpers/redis-counter.js';
import { claimReview, dataFeed } from '../helpers/schema-org.js';

const REVIEWS = 1000;
/** The service writes a feed 500 reviews at a time (IMPORT_BATCH in src/services/fact-checks.ts). */
const CHUNKS = REVIEWS / 500;

t.test('hash tags as Redis Cluster reads them (the cluster specification’s examples)', async (t) => {
  t.equal(hashTagOf('{user1000}.following'), 'user1000');
  t.equal(hashTagOf('foo{}{bar}'), 'foo{}{bar}', 'an empty tag: the whole key');
  t.equal(hashTagOf('foo{{bar}}zap'), '{bar');
  t.equal(hashTagOf('foo{bar}{zap}'), 'bar', 'the first tag only');
  t.equal(hashTagOf('plain:key'), 'plain:key');
});

t.test('an imported feed’s claims are indexed in a few commands a review', async (t) => {
  const { app, config } = await buildTestServer(t);
  // Claims of 12-20 words from 3,000 made-up ones: each has its own buckets, as real claims do.
  const rand = prng(18);
  const claims = Array.from({ length: REVIEWS }, () =>
    Array.from(
      { length: 12 + Math.floor(rand() * 9) },
      () => `w${Math.floor(rand() * 3000).toString(36)}`,
    ).join(' '),
  );
  const feed = dataFeed(
    claims.map((claim, i) => [
      claimReview({
        url: `https://factcheck.example/reviews/${i}`,
        claim,
        rating: 'False',
        publisher: 'Feed Fact Check',
      }),
    ]),
  );

  const sent = countRedis(app.redis as Redis);
  const res = await app.inject({
    method: 'POST',
    url: '/v1/fact-checks/import',
    headers: AUTH,
    payload: feed,
  });
  sent.stop();
  t.equal(res.statusCode, 200, res.body.slice(0, 200));
  const { bank_id: bank } = res.json<{ bank_id: string }>();
  t.match(res.json(), { imported: REVIEWS, rejected: 0, entries: REVIEWS });

  // Per review: its bank entry, its text, and its share of the bucket scripts (~1 per 500 claims and
  // slot tag): about 3. One SADD a member was 34.
  const perReview = sent.commands / REVIEWS;
  t.ok(
    perReview < 4,
    `${perReview.toFixed(2)} Redis commands a review (${JSON.stringify([...sent.byName])})`,
  );
  t.ok((sent.byName.get('SADD') ?? 0) < REVIEWS, 'bucket members are not written one command each');
  // Per chunk of 500: the entries (a counter, a pipeline, a counter) and the texts (a few pipelines).
  t.ok(
    sent.roundTrips <= CHUNKS * 10 + 8,
    `${sent.roundTrips} round trips for ${CHUNKS} chunks of 500 reviews`,
  );
  t.ok(sent.multiKey.length > 0, 'bucket members go in scripts of many keys');
  const spread = sent.multiKey.filter((ks) => new Set(ks.map(hashTagOf)).size > 1);
  t.same(spread, [], 'every multi-key command keeps its keys in one cluster slot');

  // Every member of every bucket is written: the claims of every 40th review, checked one by one.
  const k = keys(config.keyPrefix);
  const checks: Array<[string, string]> = [];
  for (let i = 0; i < REVIEWS; i += 40) {
    const id = indexId.bank(bank, `e${i + 1}`);
    for (const b of textBuckets(tokenize(claims[i] as string), WINDOW_STRIDE))
      checks.push([k.textBucket(b.band, b.key), `${b.tag}${id}`]);
  }
  const pipe = app.redis.pipeline();
  for (const [key, member] of checks) pipe.sismember(key, member);
  const replies = (await pipe.exec()) ?? [];
  t.equal(
    replies.filter(([err, v]) => !err && v === 1).length,
    checks.length,
    `all ${checks.length} bucket members of 25 claims written`,
  );

  // And the claims are found by their words, each as itself.
  for (const i of [0, 499, 500, 999]) {
    const hits = await app.memory.texts.find(tokenize(claims[i] as string), { minShare: 0.7 });
    t.equal(hits[0]?.id, indexId.bank(bank, `e${i + 1}`), `claim ${i} found`);
  }
});
