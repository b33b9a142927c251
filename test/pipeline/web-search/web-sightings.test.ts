// Web sightings through the pipeline as production assembles it, with a stand-in TinEye: the crawl
// dates in the timeline (and as the earliest sighting), the cache, the caps, the private uploads, and
// checks that complete whatever TinEye does.
import { createHash } from 'node:crypto';
import sharp from 'sharp';
import t, { type Test } from 'tap';
import type { Report } from '../../../schemas/report.js';
import type { TtlCache } from '../../../src/services/ttl-cache.js';
import { webSearchCacheKey } from '../../../src/pipeline/web-search/web-sightings.js';
import { fixture as image } from '../../helpers/images.js';
import { testPipeline } from '../../helpers/pipeline.js';
import { fixture, json, startWorld, type Route } from '../resolve/world.js';

const PHOTO = image('exif-samples/jpg/Canon_40D.jpg');
const OTHER = image('exif-samples/jpg/Nikon_D70.jpg');
const PHOTO_URL = 'https://img.example/photo.jpg';

function memoryCache() {
  const entries = new Map<string, { value: string; ttl: number }>();
  const cache: TtlCache = {
    get: async (key) => entries.get(key)?.value ?? null,
    set: async (key, value, ttl) => void entries.set(key, { value, ttl }),
  };
  return { cache, entries };
}

const jpeg =
  (bytes: Buffer): Route =>
  (_q, _u, r) =>
    r.writeHead(200, { 'content-type': 'image/jpeg' }).end(bytes);

async function world(t: Test, tineye: Route, images: Record<string, Route> = {}) {
  const w = await startWorld(t, {
    'img.example': { '/photo.jpg': jpeg(PHOTO), '/other.jpg': jpeg(OTHER), ...images },
    'api.tineye.com': { '/rest/search/': tineye },
  });
  const check = (
    urls: string[],
    env: Record<string, string> = {},
    cache: TtlCache | null = null,
    uploads?: (sha: string) => Promise<Buffer | null>,
  ): Promise<Report> =>
    testPipeline(
      { fetcher: w.deps.fetcher, endpoints: w.endpoints, waybackCache: cache },
      {
        TINEYE_API_KEY: 'test-key',
        TINEYE_API_URL: w.base('api.tineye.com'),
        WAYBACK_ENABLED: 'false',
        ...env,
      },
    ).check({ checkId: 'chk_web', org: 'o', targets: urls.map((url) => ({ url, input: url })), uploads });
  return { w, check };
}

t.test('TinEye’s crawl dates join the timeline and date the earliest sighting', async (t) => {
  const { w, check } = await world(t, json(fixture('tineye/search.json')));
  const { cache, entries } = memoryCache();
  const report = await check([PHOTO_URL], {}, cache);
  const item = report.media[0];
  t.equal(item?.status, 'ok');
  t.same(item?.web_search, [
    { engine: 'tineye', status: 'found', sightings: 4, total: 214, cached: false, message: null },
  ]);
  const crawled = item?.provenance?.timeline.filter((e) => e.kind === 'web_crawled') ?? [];
  t.same(
    crawled.map((e) => [e.at, e.url, e.strength]),
    [
      ['2016-08-14T00:00:00.000Z', 'https://forum.example/threads/aleppo-2016.4411/', 'medium'],
      ['2017-01-03T00:00:00.000Z', 'https://forum.example/threads/aleppo-2016.4411/page-2', 'medium'],
      ['2018-05-02T09:14:55.000Z', 'https://news.example/2018/05/weapons-cache', 'medium'],
      ['2022-03-02T00:00:00.000Z', 'https://blog.example/2022/03/02/raid-followup', 'medium'],
    ],
  );
  t.match(crawled[0], {
    description: 'TinEye’s crawler found the image on forum.example.',
    note: /^TinEye’s crawler first saw it at https:\/\/forum\.example\/attachments\/rpg-2016\.jpg on 2016-08-14; a crawl date is when the crawler came, not when it was posted/,
  });
  // The Canon 40D sample's camera clock says 2008: older than any crawl, so it stays the earliest.
  t.equal(item?.provenance?.earliest?.kind, 'exif_capture');
  t.equal(item?.provenance?.timeline[1]?.kind, 'web_crawled', 'the oldest crawl comes right after it');
  t.match(
    item?.provenance?.signals.find((s) => s.code === 'recycled'),
    {
      severity: 'high',
      message:
        /^This image was on the web \d+ years before this check: TinEye’s crawler found it at https:\/\/forum\.example\/threads\/aleppo-2016\.4411\/ on 2016-08-14\.$/,
    },
  );
  t.equal(
    entries.get(webSearchCacheKey('tineye', PHOTO_URL))?.ttl,
    604800,
    'cached for TINEYE_CACHE_SECONDS',
  );

  const again = await check([PHOTO_URL], {}, cache);
  t.equal(w.hits('api.tineye.com').length, 1, 'the same image URL is not searched twice');
  t.match(again.media[0]?.web_search, [{ status: 'found', sightings: 4, cached: true }]);
  t.same(
    again.media[0]?.provenance?.timeline.filter((e) => e.kind === 'web_crawled').length,
    4,
    'the cached sightings give the same timeline',
  );
  t.same(w.undeclared, []);
});

t.test('a crawl date is the earliest sighting when nothing older is known', async (t) => {
  // The same picture without its camera clock (re-encoded, as platforms do).
  const plain = await sharp(PHOTO).jpeg().toBuffer();
  const { check } = await world(t, json(fixture('tineye/search.json')), { '/plain.jpg': jpeg(plain) });
  const report = await check(['https://img.example/plain.jpg']);
  t.match(report.media[0]?.provenance?.earliest, {
    kind: 'web_crawled',
    at: '2016-08-14T00:00:00.000Z',
    url: 'https://forum.example/threads/aleppo-2016.4411/',
    strength: 'medium',
  });
});

t.test('a sighting of the checked copy itself dates it but is not a sign of recycling', async (t) => {
  const { check } = await world(
    t,
    json({
      code: 200,
      results: {
        matches: [
          { backlinks: [{ url: PHOTO_URL, backlink: 'https://img.example/', crawl_date: '2019-06-01' }] },
        ],
      },
    }),
  );
  const item = (await check([PHOTO_URL])).media[0];
  t.match(
    item?.provenance?.timeline.find((e) => e.kind === 'web_crawled'),
    { at: '2019-06-01T00:00:00.000Z' },
  );
  t.notOk(
    item?.provenance?.signals.some((s) => s.code === 'recycled'),
    'its own URL online before the check says nothing of recycling',
  );
});

t.test('TinEye down, refusing or slow: the check completes and says TinEye failed', async (t) => {
  const cases: Array<[string, Route | null, Record<string, string>, RegExp]> = [
    ['503', json({ code: 503, messages: ['Service unavailable'] }, 503), {}, /TinEye failed \(HTTP 503/],
    [
      '401',
      json({ code: 401, messages: ['Please provide a valid API key.'] }, 401),
      {},
      /refused the API key/,
    ],
    ['429', json({ code: 429 }, 429), {}, /rate limiting/],
    ['junk', (_q, _u, r) => r.writeHead(200).end('\u0000\u0001 not json'), {}, /not a search result/],
    ['no answer', () => undefined, { TINEYE_TIMEOUT_MS: '300' }, /within the time cap/],
    ['nothing listening', null, { TINEYE_API_URL: 'http://127.0.0.1:9' }, /could not be reached/],
  ];
  for (const [name, route, env, message] of cases) {
    await t.test(name, async (t) => {
      const { check } = await world(t, route ?? json({}));
      const { cache, entries } = memoryCache();
      const report = await check([PHOTO_URL], env, cache);
      const item = report.media[0];
      t.equal(item?.status, 'ok', 'the image is analyzed all the same');
      t.match(item?.web_search, [
        { engine: 'tineye', status: 'failed', sightings: 0, cached: false, message },
      ]);
      t.notOk(item?.provenance?.timeline.some((e) => e.kind === 'web_crawled'));
      t.equal(entries.size, 0, 'a failure is not cached');
    });
  }
});

t.test('uploads are never searched; images past TINEYE_MAX_IMAGES are skipped', async (t) => {
  const { w, check } = await world(t, json(fixture('tineye/search.json')));
  const sha = createHash('sha256').update(OTHER).digest('hex');
  const report = await check(
    [PHOTO_URL, `upload:${sha}`, 'https://img.example/other.jpg'],
    { TINEYE_MAX_IMAGES: '1' },
    null,
    async (s) => (s === sha ? OTHER : null),
  );
  const [photo, upload, other] = report.media;
  t.equal(upload?.status, 'ok');
  t.equal(upload?.web_search, undefined, 'an upload stays private');
  t.match(photo?.web_search, [{ status: 'found' }]);
  t.match(other?.web_search, [{ status: 'skipped', message: /first 1 images .*TINEYE_MAX_IMAGES/ }]);
  t.same(
    w.hits('api.tineye.com').map((h) => new URL(h, 'http://x').searchParams.get('image_url')),
    [PHOTO_URL],
  );
});

t.test('without TINEYE_API_KEY nothing is asked', async (t) => {
  const { w, check } = await world(t, json(fixture('tineye/search.json')));
  const report = await check([PHOTO_URL], { TINEYE_API_KEY: '' });
  t.equal(report.media[0]?.web_search, undefined);
  t.same(w.hits('api.tineye.com'), []);
});
