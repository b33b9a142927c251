// Google Fact Check Tools (FACT_CHECK_TOOLS_*): with a key, a check asks a stand-in of the v1alpha1 API for
// fact-checks of each public image (claims:imageSearch) and of each post's words (claims:search). Image
// results join the item's fact_checks (and raise already_fact_checked); text results are leads on the
// post. The key never enters the evidence archive, answers are cached, and an API that fails costs the
// check nothing but the answer.
import pino from 'pino';
import t, { type Test } from 'tap';
import { SOFTWARE } from '../../src/archive/archive-check.js';
import { createWarcRecorder } from '../../src/archive/warc-recorder.js';
import { readClaims } from '../../src/pipeline/fact-check-tools.js';
import type { TtlCache } from '../../src/services/ttl-cache.js';
import { fixture as image } from '../helpers/images.js';
import { testPipeline } from '../helpers/pipeline.js';
import { fixture, json, startWorld, type Route } from './resolve/world.js';

const STATUS_ID = '112233445566778899';
const POST_URL = `https://social.example/@beispiel/${STATUS_ID}`;
const IMAGE_URL = 'https://files.social.example/a.jpeg';
const KEY = 'fct-key-do-not-archive';
const PHOTO = image('exif-samples/jpg/gps/DSCN0010.jpg');

/** A claim as the API answers it: a claim with one review by an AFP-like publisher. */
const claim = (rating: string) => ({
  text: 'Photo shows the bridge flooded this week',
  claimant: 'Social media users',
  claimDate: '2021-12-30T00:00:00Z',
  claimReview: [
    {
      publisher: { name: 'AFP Fact Check', site: 'factcheck.afp.com' },
      url: 'https://factcheck.afp.com/doc.afp.com.32ABC9',
      title: 'This photo of a flooded bridge is from 2016',
      reviewDate: '2022-01-07T10:00:00Z',
      textualRating: rating,
      languageCode: 'en',
    },
  ],
});

function memoryCache(): TtlCache & { keys: string[] } {
  const map = new Map<string, string>();
  return {
    keys: [],
    get: async (k) => map.get(k) ?? null,
    async set(k, v) {
      map.set(k, v);
      this.keys.push(k);
    },
  };
}

async function world(t: Test, api: Record<string, Route>) {
  const status = JSON.parse(fixture('mastodon/status-media.json').toString('utf8')) as Record<
    string,
    unknown
  >;
  status.media_attachments = [{ id: '1', type: 'image', url: IMAGE_URL, preview_url: null, meta: {} }];
  return startWorld(t, {
    'social.example': { [`/api/v1/statuses/${STATUS_ID}`]: json(status) },
    'files.social.example': {
      '/a.jpeg': (_q, _u, r) => r.writeHead(200, { 'content-type': 'image/jpeg' }).end(PHOTO),
    },
    'factchecktools.example': api,
  });
}

t.test(
  'fact-checks found by the image and by the post’s words; the key stays out of the archive',
  async (t) => {
    const asked: URL[] = [];
    const w = await world(t, {
      '/v1alpha1/claims:imageSearch': (q, u, r) => {
        asked.push(u);
        json({ results: [{ claim: claim('Missing context') }] })(q, u, r);
      },
      '/v1alpha1/claims:search': (q, u, r) => {
        asked.push(u);
        json({ claims: [claim('False')] })(q, u, r);
      },
    });
    const cache = memoryCache();
    const env = { FACT_CHECK_TOOLS_API_KEY: KEY, FACT_CHECK_TOOLS_URL: w.base('factchecktools.example') };
    const pipeline = testPipeline(
      { fetcher: w.deps.fetcher, endpoints: w.endpoints, waybackCache: cache },
      {
        ...env,
        WAYBACK_ENABLED: 'false',
      },
    );
    const recorder = await createWarcRecorder({
      checkId: 'chk_fct',
      maxBytes: 1 << 24,
      software: SOFTWARE,
      log: pino({ level: 'silent' }),
    });
    const report = await pipeline.check({
      checkId: 'chk_fct',
      org: 'o',
      targets: [{ url: POST_URL, input: 'post' }],
      recorder,
    });
    const item = report.media[0];
    t.match(item?.fact_checks, [
      {
        source: 'fact_check_tools',
        rating: 'Missing context',
        publisher: { name: 'AFP Fact Check', site: 'https://factcheck.afp.com/' },
        url: 'https://factcheck.afp.com/doc.afp.com.32ABC9',
        claim: 'Photo shows the bridge flooded this week',
        reviewed_at: '2022-01-07T10:00:00.000Z',
        match: { kind: 'image_search', hash: 'fact_check_tools' },
      },
    ]);
    t.equal(item?.fact_checks?.[0]?.bank, undefined, 'not from a bank');
    t.match(item?.provenance?.signals, [
      {
        code: 'already_fact_checked',
        message:
          'AFP Fact Check rated this picture “Missing context” on 7 Jan 2022 (Google Fact Check Tools found this image in it).',
      },
    ]);
    t.match(
      report.posts[0]?.fact_checks,
      [{ rating: 'False', match: { kind: 'text_search' } }],
      'leads on the post',
    );
    const image = asked.find((u) => u.pathname.endsWith('imageSearch'));
    t.equal(image?.searchParams.get('imageUri'), IMAGE_URL);
    t.equal(image?.searchParams.get('key'), KEY);
    const text = asked.find((u) => u.pathname.endsWith(':search'));
    t.match(text?.searchParams.get('query'), /^Brücke bei Nacht/, 'the post’s words, links left out');
    t.equal(text?.searchParams.get('languageCode'), 'de', 'in the post’s language');
    const warc = await recorder.finish();
    t.teardown(() => warc.remove());
    t.notOk(
      warc.cdxj.some((line) => line.includes('factchecktools')),
      'the API requests (with the key) are not archived',
    );
    t.notOk(
      cache.keys.some((k) => k.includes(KEY)),
      'nor is the key in the cache keys',
    );

    // The same image and post again: answered from the cache.
    const before = asked.length;
    await pipeline.check({ checkId: 'chk_fct2', org: 'o', targets: [{ url: POST_URL, input: 'post' }] });
    t.equal(asked.length, before, 'cached answers, no new request');
  },
);

t.test('an API that refuses or answers junk costs the check nothing but the answer', async (t) => {
  for (const answer of [
    json({ error: { code: 403, message: 'API key not valid' } }, 403),
    (_q: unknown, _u: URL, r: import('node:http').ServerResponse) =>
      r.writeHead(200, { 'content-type': 'application/json' }).end('{"results": [{"claim": '),
    json({ results: 'not a list', claims: [{ claimReview: [{ url: 'javascript:alert(1)' }, 42] }] }),
  ] as Route[]) {
    const w = await world(t, { '/v1alpha1/claims:imageSearch': answer, '/v1alpha1/claims:search': answer });
    const report = await testPipeline(
      { fetcher: w.deps.fetcher, endpoints: w.endpoints },
      { FACT_CHECK_TOOLS_API_KEY: KEY, FACT_CHECK_TOOLS_URL: w.base('factchecktools.example') },
    ).check({ checkId: 'chk_fct', org: 'o', targets: [{ url: POST_URL, input: 'post' }] });
    t.equal(report.media[0]?.status, 'ok', 'the check completes');
    t.equal(report.media[0]?.fact_checks, undefined, 'without fact-checks');
    t.equal(report.posts[0]?.fact_checks, undefined);
  }
});

t.test('without a key nothing is asked', async (t) => {
  let asked = 0;
  const w = await world(t, {
    '/v1alpha1/claims:imageSearch': (q, u, r) => {
      asked++;
      json({})(q, u, r);
    },
  });
  await testPipeline({ fetcher: w.deps.fetcher, endpoints: w.endpoints }).check({
    checkId: 'chk_fct',
    org: 'o',
    targets: [{ url: POST_URL, input: 'post' }],
  });
  t.equal(asked, 0);
});

t.test('readClaims keeps at most 10 reviews and only http(s) URLs', async (t) => {
  const many = { claims: Array.from({ length: 50 }, () => claim('False')) };
  t.equal(readClaims(many).length, 10);
  t.same(readClaims({ claims: [{ claimReview: [{ url: 'ftp://x' }] }] }), []);
  t.same(readClaims(null), []);
});
