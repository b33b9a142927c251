// `npm run bench:factchecks`: what the fact-check memory costs (issue 18).
//   - Import rate: a ClaimReview DataFeed of BENCH_FACTCHECK_REVIEWS (10,000) reviews POSTed to
//     /v1/fact-checks/import in chunks of BENCH_FACTCHECK_CHUNK (5,000), as the API takes them (buildService,
//     ROLE=api, HTTP inject, its own key prefix): reviews/s, the API's longest event-loop delay meanwhile
//     (and its longest turn in CPU time), the process's CPU time, and the Redis commands and round trips
//     the API's connection sent (test/helpers/redis-counter.ts).
//   - Added cost per check: what a report's fact-check lookup takes per media item (`forItem`: one SMEMBERS
//     per picture it is or matched, then the entries found), measured on BENCH_FACTCHECK_ITEMS (2,000) items
//     with 5 matches each, a tenth of them fact-checked, against that populated memory. A check's other work
//     is hundreds of milliseconds (`npm run bench`: processing p50 ~280 ms with 2 workers), so the figure is
//     stated in microseconds and as a share of that.
//   - Text memory (src/memory/text-index.ts): BENCH_TEXT_POSTS (5,000) post texts remembered as checks
//     remember them (inserts/s, client CPU), then BENCH_TEXT_QUERIES (1,000) posts looked up as a check
//     does per post (its words against the posts seen and the 10,000 claims imported above): half edited
//     copies of posts remembered, half new texts; p50/p99 per post.
// Every key of the prefix is deleted at the end.
import { randomBytes } from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import type { Post } from '../schemas/post.js';
import type { Match } from '../schemas/provenance.js';
import type { Memory } from '../src/memory/memory.js';
import { loadConfig } from '../src/config.js';
import { buildService } from '../workers/index.js';
import { machine, percentile, writeResult } from './lib.js';
import { AUTH, benchEnv, REDIS_URL, removePrefix } from './system.js';
import { prng } from '../test/helpers/prng.js';
import { countRedis } from '../test/helpers/redis-counter.js';

const REVIEWS = Number(process.env.BENCH_FACTCHECK_REVIEWS ?? 10_000);
const CHUNK = Number(process.env.BENCH_FACTCHECK_CHUNK ?? 5_000);
const ITEMS = Number(process.env.BENCH_FACTCHECK_ITEMS ?? 2_000);
const PROCESSING_MS = 280;
const TEXT_POSTS = Number(process.env.BENCH_TEXT_POSTS ?? 5_000);
const TEXT_QUERIES = Number(process.env.BENCH_TEXT_QUERIES ?? 1_000);
const PREFIX = `bench_fc_${process.pid}_${randomBytes(3).toString('hex')}`;

const review = (i: number) => ({
  '@context': 'https://schema.org',
  '@type': 'ClaimReview',
  url: `https://factcheck.example/reviews/${i}`,
  headline: `Review ${i}: what the photo really shows`,
  // Claims worded differently, as real ones are (the text index buckets them apart).
  claimReviewed: `A photo shows ${textOf(prng(i), 12)}`,
  datePublished: '2021-03-04',
  inLanguage: 'en',
  author: { '@type': 'Organization', name: 'Bench Fact Check', url: 'https://factcheck.example/' },
  reviewRating: { '@type': 'Rating', ratingValue: 1, bestRating: 5, alternateName: 'False' },
  itemReviewed: {
    '@type': 'Claim',
    author: { '@type': 'Person', name: 'someone' },
    datePublished: '2021-03-01',
  },
});

const sha = () => randomBytes(32).toString('hex');
const seen = (sha256: string): Match => ({
  kind: 'near_duplicate',
  source: 'seen',
  hash: 'pdq',
  distance: 10,
  transform: 'none',
  sha256,
  first_seen_at: null,
  first_seen_url: null,
  posted_at: null,
  post_url: null,
  captured_at: null,
  sightings: 1,
  bank: null,
});

// Common English words, drawn with a skew (a few very often, most rarely) as words are in posts.
const WORDS = (
  'the of and to in a is that for it as was with be by on not he this are or his from at which but have an ' +
  'they you were their one all we can her has there been if more when will would who so no people said ' +
  'photo video shows city police army government minister president election war flood fire storm ' +
  'protest crowd street bridge road school hospital children soldiers border river village capital ' +
  'yesterday today tomorrow night morning week year after before during near from breaking news report ' +
  'claims footage image viral share deleted real fake truth attack explosion earthquake rescue victims ' +
  'thousands hundreds million official statement announced confirmed denied reported local national ' +
  'world country region north south east west central old new first last big small many few'
).split(' ');

function textOf(rand: () => number, n: number): string {
  return Array.from({ length: n }, () => WORDS[Math.floor(WORDS.length * rand() ** 2)]).join(' ');
}

const postOf = (i: number, text: string): Post => ({
  platform: 'x',
  id: String(i),
  url: `https://x.com/bench${i % 97}/status/${i}`,
  author: { handle: `bench${i % 97}` },
  posted_at: '2024-01-01T00:00:00.000Z',
  text,
  media: [],
  trail: [],
  metadata_note: '',
});

/**
 * The most CPU the process spent between two ticks of a 2 ms timer: about the longest turn of the event
 * loop, in CPU time, which load on a shared machine does not stretch as it stretches the wall-time delay.
 */
function longestCpuTurn() {
  let last = process.cpuUsage();
  let max = 0;
  const timer = setInterval(() => {
    const d = process.cpuUsage(last);
    last = process.cpuUsage();
    max = Math.max(max, d.user + d.system);
  }, 2);
  return () => {
    clearInterval(timer);
    return Math.round(max / 1000);
  };
}

/** The text memory's cost: inserts, then lookups as a check makes them per post. */
async function benchText(memory: Memory) {
  const rand = prng(42);
  const texts = Array.from({ length: TEXT_POSTS }, () => textOf(rand, 15 + Math.floor(rand() * 40)));
  const check = memory.forCheck({ org: 'default', checkId: 'bench_text' }).texts;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (const [i, text] of texts.entries())
    await check.remember(text, { kind: 'post', post: postOf(i, text) });
  const insertMs = performance.now() - t0;
  const insertCpu = process.cpuUsage(c0);
  const us: number[] = [];
  let matched = 0;
  const q0 = process.cpuUsage();
  for (let k = 0; k < TEXT_QUERIES; k++) {
    let text: string;
    if (k % 2 === 0) {
      const words = (texts[Math.floor(rand() * texts.length)] as string).split(' ');
      words[Math.floor(rand() * words.length)] = 'edited';
      text = `breaking ${words.join(' ')} share`;
    } else text = textOf(rand, 15 + Math.floor(rand() * 40));
    const post = postOf(TEXT_POSTS + k, text);
    const s0 = performance.now();
    const found = await check.find(text, { kind: 'post', post });
    await check.claims(text);
    us.push((performance.now() - s0) * 1000);
    if (k % 2 === 0 && found.length) matched++;
  }
  const queryCpu = process.cpuUsage(q0);
  us.sort((a, b) => a - b);
  return {
    posts: TEXT_POSTS,
    inserts_per_second: Math.round(TEXT_POSTS / (insertMs / 1000)),
    insert_cpu_us_per_text: Math.round((insertCpu.user + insertCpu.system) / TEXT_POSTS),
    queries: TEXT_QUERIES,
    queries_per_second: Math.round(TEXT_QUERIES / (us.reduce((a, b) => a + b, 0) / 1e6)),
    query_cpu_us_per_post: Math.round((queryCpu.user + queryCpu.system) / TEXT_QUERIES),
    query_us: { p50: Math.round(percentile(us, 50)), p99: Math.round(percentile(us, 99)) },
    copies_found: `${matched} of ${TEXT_QUERIES / 2}`,
  };
}

async function main() {
  // Load shedding off: this measures the import itself, on a machine that may be busy.
  const config = loadConfig(
    benchEnv(PREFIX, { ROLE: 'api', LOG_LEVEL: 'silent', MAX_EVENT_LOOP_DELAY_MS: '0' }),
  );
  const app = await buildService(config);
  await app.ready();
  const redis = new Redis(REDIS_URL);
  try {
    const loop = monitorEventLoopDelay({ resolution: 5 });
    loop.enable();
    const chunkMs: number[] = [];
    let bankId = '';
    // What the API's connection sends while importing (the memory writes through it), and the process's
    // CPU time: on a shared machine that is the steadier figure.
    const sent = countRedis(app.redis as Redis);
    const turn = longestCpuTurn();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    for (let from = 0; from < REVIEWS; from += CHUNK) {
      const feed = {
        '@context': 'https://schema.org',
        '@type': 'DataFeed',
        dataFeedElement: Array.from({ length: Math.min(CHUNK, REVIEWS - from) }, (_, k) => ({
          '@type': 'DataFeedItem',
          item: [review(from + k)],
        })),
      };
      const body = JSON.stringify(feed);
      const c0 = performance.now();
      const res = await app.inject({
        method: 'POST',
        url: '/v1/fact-checks/import',
        headers: { ...AUTH, 'content-type': 'application/json' },
        payload: body,
      });
      chunkMs.push(performance.now() - c0);
      if (res.statusCode !== 200) throw new Error(`import: ${res.statusCode} ${res.body.slice(0, 300)}`);
      const r = res.json<{ bank_id: string; entries: number }>();
      bankId = r.bank_id;
      process.stderr.write(
        `  ${r.entries} entries, chunk of ${(body.length / 2 ** 20).toFixed(1)} MiB in ${chunkMs.at(-1)?.toFixed(0)} ms\n`,
      );
    }
    const importMs = performance.now() - t0;
    const importCpu = process.cpuUsage(cpu0);
    const longestTurnCpuMs = turn();
    sent.stop();
    loop.disable();

    // Pictures: a tenth of the items are fact-checked pictures (linked to an entry), the rest are not.
    const store = app.memory.factChecks;
    const items = Array.from({ length: ITEMS }, (_, i) => ({
      sha256: sha(),
      matches: [sha(), sha(), sha(), sha(), sha()],
      hit: i % 10 === 0,
    }));
    for (const [i, item] of items.entries())
      if (item.hit) await store.link(bankId, `e${(i % REVIEWS) + 1}`, [item.matches[2] as string]);
    const us: number[] = [];
    let found = 0;
    for (const item of items) {
      const s0 = performance.now();
      const fcs = await store.forItem({ sha256: item.sha256 }, item.matches.map(seen), 'default');
      us.push((performance.now() - s0) * 1000);
      found += fcs.length ? 1 : 0;
    }
    us.sort((a, b) => a - b);
    const p50 = percentile(us, 50);
    const result = {
      machine: machine(),
      reviews: REVIEWS,
      chunk: CHUNK,
      import_ms: Math.round(importMs),
      reviews_per_second: Math.round(REVIEWS / (importMs / 1000)),
      chunk_ms: chunkMs.map(Math.round),
      api_event_loop_max_ms: Math.round(loop.max / 1e6),
      api_longest_turn_cpu_ms: longestTurnCpuMs,
      import_cpu_ms: Math.round((importCpu.user + importCpu.system) / 1000),
      import_cpu_us_per_review: Math.round((importCpu.user + importCpu.system) / REVIEWS),
      redis_commands_per_review: +(sent.commands / REVIEWS).toFixed(2),
      redis_round_trips: sent.roundTrips,
      redis_commands: Object.fromEntries(sent.byName),
      lookup_items: ITEMS,
      lookup_found: found,
      lookup_us: {
        p50: Math.round(p50),
        p95: Math.round(percentile(us, 95)),
        p99: Math.round(percentile(us, 99)),
      },
      lookup_share_of_check: `${((p50 / 1000 / PROCESSING_MS) * 100).toFixed(2)}% of a ${PROCESSING_MS} ms check per image`,
    };
    console.log(
      `fact-check import: ${REVIEWS} reviews in ${result.import_ms} ms (${result.reviews_per_second} reviews/s, chunks of ${CHUNK}); API event loop max ${result.api_event_loop_max_ms} ms (longest turn ${result.api_longest_turn_cpu_ms} ms of CPU); CPU ${result.import_cpu_ms} ms (${result.import_cpu_us_per_review} µs a review); Redis ${result.redis_commands_per_review} commands a review in ${result.redis_round_trips} round trips`,
    );
    console.log(
      `fact-check lookup per media item (5 matches): p50 ${result.lookup_us.p50} µs, p95 ${result.lookup_us.p95} µs, p99 ${result.lookup_us.p99} µs (${found} of ${ITEMS} found, ${ITEMS / 10} expected): ${result.lookup_share_of_check}`,
    );
    // BENCH_TEXT_POSTS=0: the import and lookup only (to compare imports run after run).
    const text = TEXT_POSTS > 0 ? await benchText(app.memory) : null;
    if (text)
      console.log(
        `text memory: ${text.inserts_per_second} post texts/s remembered (${text.insert_cpu_us_per_text} µs client CPU each); a post's lookup (posts and ${REVIEWS} claims): p50 ${text.query_us.p50} µs, p99 ${text.query_us.p99} µs, ${text.queries_per_second}/s (${text.query_cpu_us_per_post} µs client CPU); edited copies found: ${text.copies_found}`,
      );
    console.log(`wrote ${writeResult('factchecks', { ...result, text })}`);
  } finally {
    await app.close();
    await removePrefix(redis, PREFIX);
    await redis.quit();
  }
}

await main();
