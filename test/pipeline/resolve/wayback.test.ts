// First captures in the Wayback Machine: CDX first, availability as the fallback, cached answers.
import t from 'tap';
import { Value } from 'typebox/value';
import { FirstCapture } from '../../../schemas/post.js';
import { firstCapture, type TtlCache } from '../../../src/pipeline/resolve/index.js';
import { captureCacheKey } from '../../../src/pipeline/resolve/wayback.js';
import { fixture, json, startWorld } from './world.js';

const TWEET = 'https://twitter.com/example_osint/status/1498765432101234567';
const ARTICLE = 'https://news.example/2022/03/rpg-photo';

function memoryCache() {
  const entries = new Map<string, { value: string; ttl: number }>();
  const cache: TtlCache = {
    get: async (key) => entries.get(key)?.value ?? null,
    set: async (key, value, ttl) => {
      entries.set(key, { value, ttl });
    },
  };
  return { cache, entries };
}

t.test('CDX gives the earliest capture; the second call is answered from the cache', async (t) => {
  const w = await startWorld(t, {
    'web.archive.org': {
      '/cdx/search/cdx': (req, url, res) => {
        const ok =
          url.searchParams.get('url') === TWEET &&
          url.searchParams.get('output') === 'json' &&
          url.searchParams.get('limit') === '1' &&
          url.searchParams.get('fl') === 'timestamp,original,statuscode' &&
          url.searchParams.get('filter') === 'statuscode:200';
        json(ok ? fixture('wayback/cdx.json') : { error: 'bad query' }, ok ? 200 : 400)(req, url, res);
      },
    },
    'archive.org': { '/wayback/available': json(fixture('wayback/available.json')) },
  });
  const { cache, entries } = memoryCache();
  const first = await firstCapture(TWEET, { ...w.deps, cache });
  t.same(first, {
    status: 'found',
    cached: false,
    capture: {
      url: TWEET,
      captured_at: '2022-03-01T10:15:44.000Z',
      snapshot_url: `https://web.archive.org/web/20220301101544/${TWEET}`,
    },
  });
  if (first.status === 'found') t.ok(Value.Check(FirstCapture, first.capture), 'fits the schema');
  t.equal(entries.get(captureCacheKey(TWEET))?.ttl, 30 * 86400);
  t.same(w.hits('archive.org'), [], 'CDX answered: availability not asked');

  const second = await firstCapture(TWEET, { ...w.deps, cache });
  t.same(second, { ...first, cached: true });
  t.equal(w.hits('web.archive.org').length, 1, 'the second call did not reach the archive');
});

t.test('CDX failing: the availability API, asked for the snapshot closest to 1996', async (t) => {
  const w = await startWorld(t, {
    'web.archive.org': { '/cdx/search/cdx': json({ error: 'down' }, 503) },
    'archive.org': {
      '/wayback/available': (req, url, res) =>
        json(
          url.searchParams.get('url') === ARTICLE && url.searchParams.get('timestamp') === '19960101'
            ? fixture('wayback/available.json')
            : { archived_snapshots: {} },
        )(req, url, res),
    },
  });
  const { cache } = memoryCache();
  const r = await firstCapture(ARTICLE, { ...w.deps, cache });
  t.same(r, {
    status: 'found',
    cached: false,
    capture: {
      url: ARTICLE,
      captured_at: '2022-03-02T09:12:00.000Z',
      snapshot_url: `https://web.archive.org/web/20220302091200/${ARTICLE}`,
    },
  });
});

t.test('never archived is cached for a day; both sources failing is an error and not cached', async (t) => {
  const w = await startWorld(t, {
    'web.archive.org': {
      '/cdx/search/cdx': (req, url, res) =>
        url.searchParams.get('url') === ARTICLE
          ? json(fixture('wayback/cdx-empty.json'))(req, url, res)
          : json({}, 429, { 'retry-after': '1' })(req, url, res),
    },
    'archive.org': { '/wayback/available': json({ error: 'down' }, 500) },
  });
  const { cache, entries } = memoryCache();
  t.same(await firstCapture(ARTICLE, { ...w.deps, cache }), { status: 'not_archived', cached: false });
  t.equal(entries.get(captureCacheKey(ARTICLE))?.ttl, 86400);
  t.same(await firstCapture(ARTICLE, { ...w.deps, cache }), { status: 'not_archived', cached: true });

  const failed = await firstCapture(TWEET, { ...w.deps, cache });
  t.equal(failed.status, 'error');
  t.equal(failed.status === 'error' && failed.code, 'http_error', 'the fallback’s failure');
  t.same(w.sleeps, [1000, 1000], 'CDX 429s were retried with Retry-After first');
  t.notOk(entries.has(captureCacheKey(TWEET)), 'errors are not cached');
});

t.test('a broken cache does not break the lookup', async (t) => {
  const w = await startWorld(t, {
    'web.archive.org': { '/cdx/search/cdx': json(fixture('wayback/cdx.json')) },
  });
  const cache: TtlCache = {
    get: async () => {
      throw new Error('redis down');
    },
    set: async () => {
      throw new Error('redis down');
    },
  };
  const r = await firstCapture(TWEET, { ...w.deps, cache });
  t.equal(r.status, 'found');
  const garbage: TtlCache = {
    get: async () => '{"capture":{"url":"javascript:alert(1)"}}',
    set: async () => undefined,
  };
  const g = await firstCapture(TWEET, { ...w.deps, cache: garbage });
  t.same(g.status === 'found' && g.cached, false, 'a cached value that does not fit the schema is ignored');
});
