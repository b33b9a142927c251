// `npm run bench:factchecks`: what the fact-check memory costs (issue 18).
//   - Import rate: a ClaimReview DataFeed of BENCH_FACTCHECK_REVIEWS (10,000) reviews POSTed to
//     /v1/fact-checks/import in chunks of BENCH_FACTCHECK_CHUNK (5,000), as the API takes them (buildService,
//     ROLE=api, HTTP inject, its own key prefix): reviews/s, and the API's longest event-loop delay meanwhile.
//   - Added cost per check: what a report's fact-check lookup takes per media item (`forItem`: one SMEMBERS
//     per picture it is or matched, then the entries found), measured on BENCH_FACTCHECK_ITEMS (2,000) items
//     with 5 matches each, a tenth of them fact-checked, against that populated memory. A check's other work
//     is hundreds of milliseconds (`npm run bench`: processing p50 ~280 ms with 2 workers), so the figure is
//     stated in microseconds and as a share of that.
// Every key of the prefix is deleted at the end.
import { randomBytes } from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import type { Match } from '../schemas/provenance.js';
import { loadConfig } from '../src/config.js';
import { buildService } from '../workers/index.js';
import { machine, percentile, writeResult } from './lib.js';
import { AUTH, benchEnv, REDIS_URL, removePrefix } from './system.js';

const REVIEWS = Number(process.env.BENCH_FACTCHECK_REVIEWS ?? 10_000);
const CHUNK = Number(process.env.BENCH_FACTCHECK_CHUNK ?? 5_000);
const ITEMS = Number(process.env.BENCH_FACTCHECK_ITEMS ?? 2_000);
const PROCESSING_MS = 280;
const PREFIX = `bench_fc_${process.pid}_${randomBytes(3).toString('hex')}`;

const review = (i: number) => ({
  '@context': 'https://schema.org',
  '@type': 'ClaimReview',
  url: `https://factcheck.example/reviews/${i}`,
  headline: `Review ${i}: what the photo really shows`,
  claimReviewed: `A photo shows event number ${i} this week, as claimed by many accounts`,
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
      `fact-check import: ${REVIEWS} reviews in ${result.import_ms} ms (${result.reviews_per_second} reviews/s, chunks of ${CHUNK}); API event loop max ${result.api_event_loop_max_ms} ms`,
    );
    console.log(
      `fact-check lookup per media item (5 matches): p50 ${result.lookup_us.p50} µs, p95 ${result.lookup_us.p95} µs, p99 ${result.lookup_us.p99} µs (${found} of ${ITEMS} found, ${ITEMS / 10} expected): ${result.lookup_share_of_check}`,
    );
    console.log(`wrote ${writeResult('factchecks', result)}`);
  } finally {
    await app.close();
    await removePrefix(redis, PREFIX);
    await redis.quit();
  }
}

await main();
