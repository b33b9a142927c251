// GET /v1/checks/:id/mediareview through the whole app (API and worker as in production), with a
// stand-in TinEye: the crawl dates reach the timeline, the draft names the earliest sighting, its
// JSON-LD holds only schema.org terms, and only the check's organization sees it.
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { AUTH, buildTestServer, get, submit, waitForCheck } from '../helpers/app.js';
import { startMediaServer, FIXTURES } from '../helpers/media-server.js';
import { expandOffline, vocabularyProblems } from '../helpers/schema-org.js';
import { verifyWacz } from '../helpers/wacz-reader.js';

type App = Awaited<ReturnType<typeof buildTestServer>>['app'];

async function createKey(app: App, org: string) {
  const res = await app.inject({
    method: 'POST',
    url: '/v1/admin/keys',
    payload: { name: `bot ${org}`, org, scopes: ['submit', 'read'] },
    headers: AUTH,
  });
  return { authorization: `Bearer ${res.json().key as string}` };
}

const SEARCH = readFileSync(`${FIXTURES}/platforms/tineye/search.json`);

t.test('a MediaReview draft of a check, to its organization only', async (t) => {
  const asked: string[] = [];
  const tineye = await startMediaServer(t, {
    '/rest/search/': (req, res) => {
      asked.push(String(req.headers['x-api-key']));
      res.writeHead(200, { 'content-type': 'application/json' }).end(SEARCH);
    },
  });
  const dir = await mkdtemp(join(tmpdir(), 'firstseen-mediareview-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const { app } = await buildTestServer(t, {
    TINEYE_API_KEY: 'stand-in-key',
    TINEYE_API_URL: tineye.base,
    ARCHIVE_ENABLED: 'true',
    ARCHIVE_DIR: dir,
  });
  const media = await startMediaServer(t);
  const a = await createKey(app, 'newsroom-a');
  const b = await createKey(app, 'newsroom-b');
  const url = `${media.base}/exif-samples/jpg/Canon_40D.jpg`;
  const id = (await submit(app, { url }, a)).json().id as string;
  const check = await waitForCheck(app, id, 60_000, a);
  t.equal(check.status, 'done');
  t.same(asked, ['stand-in-key'], 'TinEye was asked once, with the key');
  const item = check.report.media[0];
  t.match(item.web_search, [{ engine: 'tineye', status: 'found', sightings: 4 }]);
  t.match(
    item.provenance.timeline.filter((e: { kind: string }) => e.kind === 'web_crawled'),
    [
      {
        at: '2016-08-14T00:00:00.000Z',
        url: 'https://forum.example/threads/aleppo-2016.4411/',
        strength: 'medium',
      },
    ],
    'the stand-in’s crawl dates are in the timeline',
  );

  const wacz = await verifyWacz((await get(app, `/v1/checks/${id}/archive.wacz`, a)).rawPayload);
  const uris = wacz.records.map((r) => r.headers.get('warc-target-uri') ?? '');
  t.ok(uris.includes(url), 'the image request is in the archive');
  t.notOk(
    uris.some((u) => u.startsWith(tineye.base)),
    'the TinEye request is not',
  );
  t.notOk(
    wacz.records.some((r) => r.block.includes('stand-in-key')),
    'nor its key, anywhere',
  );

  const res = await get(app, `/v1/checks/${id}/mediareview`, a);
  t.equal(res.statusCode, 200);
  t.match(res.headers['content-type'], /^application\/ld\+json/);
  const draft = res.json();
  t.match(draft, {
    '@context': 'https://schema.org',
    '@graph': [
      {
        '@type': 'MediaReview',
        itemReviewed: {
          '@type': 'MediaReviewItem',
          mediaItemAppearance: [
            {
              '@type': 'ImageObject',
              contentUrl: url,
              sha256: item.sha256,
              uploadDate: '2016-08-14T00:00:00.000Z',
            },
          ],
        },
        originalMediaLink: 'https://forum.example/threads/aleppo-2016.4411/',
      },
    ],
  });
  t.notOk('mediaAuthenticityCategory' in draft['@graph'][0], 'the rating is the fact-checker’s');
  t.same(vocabularyProblems(await expandOffline(draft)), [], 'only schema.org terms, where they belong');

  const other = await get(app, `/v1/checks/${id}/mediareview`, b);
  t.equal(other.statusCode, 404, 'another organization: not found, like the check itself');
  t.equal(other.json().code, 'not_found');
  t.equal((await get(app, '/v1/checks/chk_nothing/mediareview', a)).statusCode, 404);
  t.equal(
    (await app.inject({ method: 'GET', url: `/v1/checks/${id}/mediareview` })).statusCode,
    401,
    'no key, no draft',
  );
});

t.test('TinEye down: the check completes, says so, and the draft goes on without it', async (t) => {
  // A port nothing listens on.
  const { app } = await buildTestServer(t, { TINEYE_API_KEY: 'k', TINEYE_API_URL: 'http://127.0.0.1:9' });
  const media = await startMediaServer(t);
  const url = `${media.base}/exif-samples/jpg/Canon_40D.jpg`;
  const check = await waitForCheck(app, (await submit(app, { url })).json().id as string);
  t.equal(check.status, 'done');
  t.match(check.report.media[0].web_search, [
    { engine: 'tineye', status: 'failed', message: /could not be reached/ },
  ]);
  const draft = (await get(app, `/v1/checks/${check.id as string}/mediareview`)).json();
  t.match(draft['@graph'], [{ itemReviewed: { mediaItemAppearance: [{ contentUrl: url }] } }]);
  t.notOk('originalMediaLink' in draft['@graph'][0], 'no sighting online, no link');
});
