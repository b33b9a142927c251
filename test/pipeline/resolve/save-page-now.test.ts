// Save Page Now (WAYBACK_SAVE_*): a check asks the Wayback Machine (a local stand-in) to capture the post it
// resolved, follows the capture's status, and puts the capture on the timeline; the credentials never enter
// the evidence archive; a capture that never completes, or an archive that refuses, costs the check only
// the bounded wait; without credentials nothing is asked.
import type { IncomingMessage } from 'node:http';
import pino from 'pino';
import t, { type Test } from 'tap';
import { SOFTWARE } from '../../../src/archive/archive-check.js';
import { createWarcRecorder } from '../../../src/archive/warc-recorder.js';
import { fixture as image } from '../../helpers/images.js';
import { testPipeline } from '../../helpers/pipeline.js';
import { fixture, json, sequence, startWorld, type Route } from './world.js';

const STATUS_ID = '112233445566778899';
const POST_URL = `https://social.example/@beispiel/${STATUS_ID}`;
const PHOTO = image('exif-samples/jpg/gps/DSCN0010.jpg');

const body = (req: IncomingMessage) =>
  new Promise<string>((resolve) => {
    let s = '';
    req.on('data', (c: Buffer) => (s += c.toString()));
    req.on('end', () => resolve(s));
  });

async function world(t: Test, archive: Record<string, Route>) {
  const status = JSON.parse(fixture('mastodon/status-media.json').toString('utf8')) as Record<
    string,
    unknown
  >;
  status.media_attachments = [
    {
      id: '1',
      type: 'image',
      url: 'https://files.social.example/a.jpeg',
      preview_url: null,
      meta: {},
    },
  ];
  return startWorld(t, {
    'social.example': { [`/api/v1/statuses/${STATUS_ID}`]: json(status) },
    'files.social.example': {
      '/a.jpeg': (_q, _u, r) => r.writeHead(200, { 'content-type': 'image/jpeg' }).end(PHOTO),
    },
    'web.archive.org': archive,
  });
}

const spn = (base: string, extra: Record<string, string> = {}) => ({
  WAYBACK_SAVE_URL: base,
  WAYBACK_SAVE_ACCESS_KEY: 'spn-key',
  WAYBACK_SAVE_SECRET: 'spn-secret-do-not-archive',
  WAYBACK_SAVE_POLL_MS: '20',
  WAYBACK_SAVE_WAIT_MS: '5000',
  ...extra,
});

t.test(
  'the post is captured on request and the capture joins the timeline, credentials kept out of the archive',
  async (t) => {
    const asked: Array<{ auth: string | undefined; body: string }> = [];
    const w = await world(t, {
      '/save': (req, _u, res) =>
        void body(req).then((b) => {
          asked.push({ auth: req.headers.authorization, body: b });
          json({ url: POST_URL, job_id: 'spn2-0a1b2c' })(req, _u, res);
        }),
      '/save/status/spn2-0a1b2c': sequence(
        json({ status: 'pending' }),
        json({ status: 'success', timestamp: '20261205003000', original_url: POST_URL }),
      ),
    });
    const log = pino({ level: 'silent' });
    const recorder = await createWarcRecorder({
      checkId: 'chk_spn',
      maxBytes: 1 << 24,
      software: SOFTWARE,
      log,
    });
    const report = await testPipeline(
      { fetcher: w.deps.fetcher, endpoints: w.endpoints },
      spn(w.base('web.archive.org')),
    ).check({ checkId: 'chk_spn', org: 'o', targets: [{ url: POST_URL, input: 'post' }], recorder });
    t.same(asked, [
      { auth: 'LOW spn-key:spn-secret-do-not-archive', body: `url=${encodeURIComponent(POST_URL)}` },
    ]);
    const item = report.media[0];
    t.equal(item?.status, 'ok');
    const saved = item?.provenance?.timeline.find((e) => e.kind === 'wayback_saved');
    t.match(saved, {
      at: '2026-12-05T00:30:00.000Z',
      url: `${w.base('web.archive.org')}/web/20261205003000/${POST_URL}`,
      strength: 'strong',
      description: /At this check’s request, the Wayback Machine archived https:\/\/social\.example\//,
    });
    t.not(item?.provenance?.earliest?.kind, 'wayback_saved', 'a capture made now is no earlier sighting');
    const warc = await recorder.finish();
    t.teardown(() => warc.remove());
    t.notOk(
      warc.cdxj.some((line) => line.includes('/save')),
      'the Save Page Now exchanges (with their credentials) are not in the evidence archive',
    );
    t.ok(
      warc.cdxj.some((line) => line.includes('a.jpeg')),
      'the post’s media are',
    );
  },
);

t.test('a capture still pending when the wait runs out: the check goes on without it', async (t) => {
  const w = await world(t, {
    '/save': json({ url: POST_URL, job_id: 'spn2-slow' }),
    '/save/status/spn2-slow': json({ status: 'pending' }),
  });
  const report = await testPipeline(
    { fetcher: w.deps.fetcher, endpoints: w.endpoints },
    spn(w.base('web.archive.org'), { WAYBACK_SAVE_WAIT_MS: '1000' }),
  ).check({ checkId: 'chk_slow', org: 'o', targets: [{ url: POST_URL, input: 'post' }] });
  t.equal(report.media[0]?.status, 'ok');
  t.notOk(report.media[0]?.provenance?.timeline.some((e) => e.kind === 'wayback_saved'));
  // The check ended although the capture never did; the wait is bounded by WAYBACK_SAVE_WAIT_MS (1000) over
  // polls at least WAYBACK_SAVE_POLL_MS (20) apart: at most 51 status requests, however slow the machine.
  const polls = w.hits('web.archive.org').filter((h) => h.startsWith('/save/status/')).length;
  t.ok(polls >= 3, `the status was followed: ${polls} polls`);
  t.ok(polls <= 51, `and given up at the deadline: ${polls} polls`);
});

t.test('429 is retried with backoff; a refusal or a failed capture leaves no event', async (t) => {
  const w = await world(t, {
    '/save': sequence(
      json({ message: 'slow down' }, 429),
      json({ url: POST_URL, job_id: 'spn2-err' }),
      json({ status: 'error', message: 'You need to be logged in' }, 401),
    ),
    '/save/status/spn2-err': json({ status: 'error', status_ext: 'error:bad-gateway' }),
  });
  const pipeline = testPipeline(
    { fetcher: w.deps.fetcher, endpoints: w.endpoints },
    spn(w.base('web.archive.org')),
  );
  const first = await pipeline.check({
    checkId: 'chk_a',
    org: 'o',
    targets: [{ url: POST_URL, input: 'p' }],
  });
  t.same(
    w.hits('web.archive.org').filter((h) => h === '/save'),
    ['/save', '/save'],
    'the 429 was asked again',
  );
  t.notOk(
    first.media[0]?.provenance?.timeline.some((e) => e.kind === 'wayback_saved'),
    'capture failed',
  );
  const second = await pipeline.check({
    checkId: 'chk_b',
    org: 'o',
    targets: [{ url: POST_URL, input: 'p' }],
  });
  t.equal(second.media[0]?.status, 'ok', 'a 401 from the archive does not fail the check');
  t.notOk(second.media[0]?.provenance?.timeline.some((e) => e.kind === 'wayback_saved'));
});

t.test('without credentials, nothing is asked of the archive', async (t) => {
  const w = await world(t, { '*': json({}) });
  const report = await testPipeline(
    { fetcher: w.deps.fetcher, endpoints: w.endpoints },
    {
      WAYBACK_SAVE_URL: w.base('web.archive.org'),
      WAYBACK_SAVE_ACCESS_KEY: 'only-a-key',
    },
  ).check({ checkId: 'chk_off', org: 'o', targets: [{ url: POST_URL, input: 'post' }] });
  t.equal(report.media[0]?.status, 'ok');
  t.same(w.hits('web.archive.org'), []);
});
