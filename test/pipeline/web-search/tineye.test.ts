// The TinEye adapter against a stand-in TinEye (a local server answering the documented shape):
// the request it makes, the sightings it keeps, and what it does with hostile or broken answers.
import t, { type Test } from 'tap';
import { WebSearchError } from '../../../src/pipeline/web-search/adapter.js';
import {
  crawlDate,
  tineyeAdapter,
  tineyeSightings,
  TINEYE_MAX_BYTES,
} from '../../../src/pipeline/web-search/tineye.js';
import { fixture, json, startWorld, type Route } from '../resolve/world.js';

const IMAGE = 'https://pbs.example/media/photo.jpg?name=orig';

async function tineye(t: Test, route: Route, options: { timeoutMs?: number; maxSightings?: number } = {}) {
  const w = await startWorld(t, { 'api.tineye.com': { '/rest/search/': route } });
  const adapter = tineyeAdapter({
    apiKey: 'k3y,with^odd=chars',
    apiUrl: `${w.base('api.tineye.com')}/`,
    timeoutMs: options.timeoutMs ?? 2000,
    maxSightings: options.maxSightings ?? 10,
  });
  return { w, search: () => adapter.search(IMAGE, { fetcher: w.deps.fetcher, log: w.deps.log }) };
}

t.test('asks /rest/search/ with the key in x-api-key, earliest crawls first', async (t) => {
  let seen: { key?: string | string[]; query?: URLSearchParams } = {};
  const { search } = await tineye(t, (req, url, res) => {
    seen = { key: req.headers['x-api-key'], query: url.searchParams };
    json(fixture('tineye/search.json'))(req, url, res);
  });
  const answer = await search();
  t.equal(seen.key, 'k3y,with^odd=chars', 'the key is a header, never in the URL');
  t.equal(seen.query?.get('image_url'), IMAGE);
  t.equal(seen.query?.get('sort'), 'crawl_date');
  t.equal(seen.query?.get('order'), 'asc');
  t.equal(seen.query?.get('limit'), '10');
  t.equal(seen.query?.get('backlink_limit'), '10');
  t.equal(seen.query?.has('api_key'), false);
  t.same(answer, {
    total: 214,
    sightings: [
      {
        url: 'https://forum.example/attachments/rpg-2016.jpg',
        page_url: 'https://forum.example/threads/aleppo-2016.4411/',
        crawled_at: '2016-08-14T00:00:00.000Z',
        source: 'tineye',
      },
      {
        url: 'https://forum.example/attachments/rpg-2016-copy.jpg',
        page_url: 'https://forum.example/threads/aleppo-2016.4411/page-2',
        crawled_at: '2017-01-03T00:00:00.000Z',
        source: 'tineye',
      },
      // The same page crawled again in 2019: kept once, at its first crawl.
      {
        url: 'https://news.example/images/2018/weapons.jpg',
        page_url: 'https://news.example/2018/05/weapons-cache',
        crawled_at: '2018-05-02T09:14:55.000Z',
        source: 'tineye',
      },
      // "not a date" and the ftp: page are left out.
      {
        url: 'https://blog.example/wp-content/uploads/rpg.webp',
        page_url: 'https://blog.example/2022/03/02/raid-followup',
        crawled_at: '2022-03-02T00:00:00.000Z',
        source: 'tineye',
      },
    ],
  });
});

t.test('keeps at most maxSightings, the earliest', async (t) => {
  const answer = tineyeSightings(fixture('tineye/search.json'), 2);
  t.same(
    answer.sightings.map((s) => s.crawled_at.slice(0, 10)),
    ['2016-08-14', '2017-01-03'],
  );
});

t.test('no matches is an answer with no sightings', async (t) => {
  const { search } = await tineye(
    t,
    json({ code: 200, messages: [], stats: { total_backlinks: 0 }, results: { matches: [] } }),
  );
  t.same(await search(), { sightings: [], total: 0 });
});

t.test('crawl dates: the documented forms, nothing else', async (t) => {
  const now = Date.UTC(2026, 11, 5);
  t.equal(crawlDate('2012-04-25', now), '2012-04-25T00:00:00.000Z');
  t.equal(crawlDate('2012-04-25 13:01:02', now), '2012-04-25T13:01:02.000Z');
  t.equal(crawlDate('2012-04-25T13:01', now), '2012-04-25T13:01:00.000Z');
  for (const bad of ['', 'yesterday', '1969-07-20', '2031-01-01', 20120425, null, '2012-04-25'.repeat(10)])
    t.equal(crawlDate(bad, now), undefined, `refused: ${String(bad).slice(0, 20)}`);
});

const fails = async (t: Test, search: () => Promise<unknown>, message: RegExp) => {
  const err = await search().then(
    () => null,
    (e: unknown) => e,
  );
  t.ok(err instanceof WebSearchError, 'a WebSearchError, not a crash');
  t.match((err as Error | null)?.message, message);
};

t.test('failures are WebSearchErrors a fact-checker can read', async (t) => {
  const cases: Array<[string, Route, RegExp]> = [
    [
      '401',
      json({ code: 401, messages: ['Please provide a valid API key.'], results: {} }, 401),
      /refused the API key \(HTTP 401: Please provide a valid API key\.\)/,
    ],
    ['429', json({ code: 429, messages: [] }, 429, { 'retry-after': '60' }), /rate limiting.*HTTP 429/],
    ['500, not JSON', (_q, _u, r) => r.writeHead(500).end('<html>oops'), /TinEye failed \(HTTP 500\)/],
    ['200, junk', (_q, _u, r) => r.writeHead(200).end('{"results": '), /not a search result/],
    ['200, a list', json([1, 2, 3]), /not a search result/],
    ['200, matches not a list', json({ code: 200, results: { matches: 'many' } }), /not a search result/],
    [
      '200 with an error code inside',
      json({ code: 400, messages: ['Couldn\u2019t download URL.'], results: { matches: [] } }),
      /TinEye failed \(HTTP 400: Couldn’t download URL\.\)/,
    ],
  ];
  for (const [name, route, message] of cases) {
    await t.test(name, async (t) => {
      const { search } = await tineye(t, route);
      await fails(t, search, message);
    });
  }
});

t.test('hostile answers stay bounded', async (t) => {
  await t.test('a body over the byte cap is refused before it is parsed', async (t) => {
    const { search } = await tineye(t, (_q, _u, r) => {
      r.writeHead(200, { 'content-type': 'application/json' });
      r.end(Buffer.alloc(TINEYE_MAX_BYTES + 1, 0x20));
    });
    await fails(t, search, /could not be reached: More than \d+ bytes/);
  });
  await t.test('a message of a megabyte is cut to a sentence', async (t) => {
    const { search } = await tineye(t, json({ code: 403, messages: ['x'.repeat(900_000)] }, 403));
    const err = (await search().catch((e: unknown) => e)) as Error;
    t.ok(err.message.length < 300, `${err.message.length} characters`);
  });
  await t.test('200 matches of 60 backlinks: only the first 50 × 20 are read', async (t) => {
    // Past the caps every entry is older than those within: had any been read, it would be kept.
    const links = (date: string, from: number) =>
      Array.from({ length: 60 }, (_, i) => ({
        url: `https://x.example/${from + i}.jpg`,
        backlink: `https://x.example/${from + i}`,
        crawl_date: i < 20 ? date : '2001-01-01',
      }));
    const matches = Array.from({ length: 200 }, (_, m) =>
      m < 50 ? { backlinks: links('2020-01-01', m * 1000) } : { backlinks: links('2000-01-01', 0) },
    );
    const answer = tineyeSightings(Buffer.from(JSON.stringify({ code: 200, results: { matches } })), 10);
    t.equal(answer.sightings.length, 10);
    t.same(new Set(answer.sightings.map((s) => s.crawled_at)), new Set(['2020-01-01T00:00:00.000Z']));
  });
  await t.test('a server that never answers: the time cap', async (t) => {
    const { search } = await tineye(t, () => undefined, { timeoutMs: 300 });
    await fails(t, search, /could not be reached: No complete answer .* within the time cap/);
  });
});
