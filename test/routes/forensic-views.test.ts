// Forensic views through the service (FORENSIC_VIEWS=true): the report lists them, they are served to the
// check's organization only, and the report page shows them beside the picture with how to read each and
// what it cannot show; a tiny picture gets the reason instead. With FORENSIC_VIEWS off, a check's
// organization asks for them per item (the API, or the page's button), and a file's views are made once;
// or at submission (`views: true`), and an upload's views after its check come from its evidence archive.
import sharp from 'sharp';
import t from 'tap';
import { buildTestServer, get, keyFor, submit, waitForCheck } from '../helpers/app.js';
import { fixture } from '../helpers/images.js';
import type { ForensicViews } from '../../schemas/views.js';
import { startMediaServer } from '../helpers/media-server.js';
import {
  ASK_LABEL,
  ASKED_NOTICE,
  ELA_EXPLANATION,
  NOISE_EXPLANATION,
} from '../../src/views/forensic-views.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Job } from 'bullmq';
import { VIEWS_BOX_LABEL } from '../../src/views/submit-page.js';
import { keys } from '../../src/keys.js';
import { until } from '../helpers/until.js';

const PHOTO = fixture('exif-samples/jpg/gps/DSCN0010.jpg'); // 640x480, Nikon tables libjpeg writes at quality 84 (ImageMagick reads 75)

t.test('views: in the report, served to the check’s organization, on its page', async (t) => {
  const { app } = await buildTestServer(t, { FORENSIC_VIEWS: 'true' });
  const tiny = await sharp(PHOTO).resize(80, 60).jpeg({ quality: 90 }).toBuffer();
  const media = await startMediaServer(t, {
    '/tiny.jpg': (_req, res) => res.writeHead(200, { 'content-type': 'image/jpeg' }).end(tiny),
  });
  const a = await keyFor(app, 'newsroom-a', ['submit', 'read']);
  const b = await keyFor(app, 'newsroom-b', ['admin']);
  const res = await submit(
    app,
    { text: `${media.base}/exif-samples/jpg/gps/DSCN0010.jpg ${media.base}/tiny.jpg` },
    a,
  );
  t.equal(res.statusCode, 202);
  const check = await waitForCheck(app, res.json().id as string, 30000, a);
  t.equal(check.status, 'done');
  const [photo, small] = check.report.media as Array<{ views?: ForensicViews; sha256: string }>;
  t.match(photo?.views, {
    ela: { url: `/v1/checks/${check.id}/media/0/views/ela`, quality: 84 },
    noise: { url: `/v1/checks/${check.id}/media/0/views/noise` },
  });
  t.notOk(photo?.views?.skipped);
  t.match(small?.views, { skipped: { code: 'too_small', reason: /80x60/ } });
  t.notOk(small?.views?.ela, 'no view of a tiny picture');

  for (const kind of ['ela', 'noise'] as const) {
    const url = photo!.views![kind]!.url;
    const ok = await get(app, url, a);
    t.equal(
      ok.statusCode,
      200,
      `${kind}: the check’s organization gets it ${ok.statusCode === 200 ? '' : ok.body}`,
    );
    t.equal(ok.headers['content-type'], 'image/webp');
    t.match(ok.headers['cache-control'], /private/);
    const meta = await sharp(ok.rawPayload).metadata();
    t.equal(meta.format, 'webp');
    const other = await get(app, url, b);
    t.equal(other.statusCode, 404, `${kind}: another organization, even its admin, does not`);
    t.notMatch(other.body, /newsroom-a/);
    const cached = await get(app, url, { ...a, 'if-none-match': ok.headers.etag as string });
    t.equal(cached.statusCode, 304);
  }
  t.equal(
    (await get(app, `/v1/checks/${check.id}/media/1/views/ela`, a)).statusCode,
    404,
    'none made, none served',
  );
  t.equal((await get(app, `/v1/checks/${check.id}/media/7/views/ela`, a)).statusCode, 404, 'no such item');
  const anonymous = await app.inject({ method: 'GET', url: photo!.views!.ela!.url });
  t.equal(anonymous.statusCode, 401);
  t.match(anonymous.headers['www-authenticate'], /Basic/, 'a browser is asked for its key');

  const page = await get(app, `/checks/${check.id}`, a);
  t.equal(page.statusCode, 200);
  const html = page.body;
  t.match(html, `src="/v1/checks/${check.id}/media/0/views/ela"`);
  t.match(html, `src="/v1/checks/${check.id}/media/0/views/noise"`);
  const escaped = (s: string) => s.replace(/’/g, '’');
  t.match(html, escaped(ELA_EXPLANATION), 'how to read error levels, and what they cannot show');
  t.match(html, escaped(NOISE_EXPLANATION), 'how to read noise, and what it cannot show');
  t.match(html, /Inconclusive on their own/, 'never a verdict');
  t.match(html, /at quality 84/);
  t.match(
    html,
    /No error level or noise views of this picture \(<code>too_small<\/code>\)/,
    'the reason for the tiny one',
  );
  t.notMatch(html, ASK_LABEL, 'nothing to ask for when the check made them');

  // The same file at another URL: its views are the kept ones, not made again.
  const again = await submit(app, { url: `${media.base}/exif-samples/jpg/gps/DSCN0010.jpg?copy=2` }, a);
  const second = await waitForCheck(app, again.json().id as string, 30000, a);
  const [copy] = second.report.media as Array<{ views?: ForensicViews; timings_ms: Record<string, number> }>;
  t.same(
    copy?.views,
    {
      ela: { ...photo!.views!.ela, url: `/v1/checks/${second.id}/media/0/views/ela` },
      noise: { ...photo!.views!.noise, url: `/v1/checks/${second.id}/media/0/views/noise` },
    },
    'the same views, served through the new check',
  );
  t.notOk('views' in (copy?.timings_ms ?? {}), 'not made again (no `views` stage timed)');
  t.ok('views' in (check.report.media[0].timings_ms as object), 'the first check made them');
  t.equal((await get(app, copy!.views!.ela!.url, a)).statusCode, 200);
});

/** Polls the check until item `index` has `views` (at most `tries` reads, 100 ms apart). */
async function viewsOf(
  app: Awaited<ReturnType<typeof buildTestServer>>['app'],
  id: string,
  index: number,
  headers: Record<string, string>,
  tries = 600,
): Promise<ForensicViews> {
  for (let i = 0; i < tries; i++) {
    const views = (await get(app, `/v1/checks/${id}`, headers)).json().report.media[index].views as
      ForensicViews | undefined;
    if (views) return views;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`item ${index} of ${id} has no views after ${tries} reads`);
}

t.test(
  'views on demand (FORENSIC_VIEWS off): asked per item, made once per file, to the check’s organization',
  async (t) => {
    const { app } = await buildTestServer(t);
    const photo = PHOTO;
    const before = await sharp(PHOTO).resize(600, 450).jpeg({ quality: 90 }).toBuffer();
    const other = await sharp(PHOTO).resize(320, 240).jpeg({ quality: 90 }).toBuffer();
    const hits: Record<string, number> = {};
    const serve = (path: string, body: () => Buffer) => ({
      [path]: (_req: IncomingMessage, res: ServerResponse) => {
        hits[path] = (hits[path] ?? 0) + 1;
        res.writeHead(200, { 'content-type': 'image/jpeg' }).end(body());
      },
    });
    const media = await startMediaServer(t, {
      ...serve('/photo.jpg', () => photo),
      ...serve('/same.jpg', () => photo),
      // The check downloads the photo; asked later, the URL serves another picture.
      ...serve('/changing.jpg', () => (hits['/changing.jpg'] === 1 ? before : other)),
    });
    const a = await keyFor(app, 'newsroom-a', ['submit', 'read']);
    const b = await keyFor(app, 'newsroom-b', ['admin']);
    const res = await submit(
      app,
      { text: `${media.base}/photo.jpg ${media.base}/changing.jpg ${media.base}/missing.jpg` },
      a,
    );
    const check = await waitForCheck(app, res.json().id as string, 60000, a);
    t.equal(check.status, 'done');
    const id = check.id as string;
    t.notOk(check.report.media[0].views, 'no views made with the check');
    t.equal((await get(app, `/v1/checks/${id}/media/0/views/ela`, a)).statusCode, 404);
    t.equal(hits['/photo.jpg'], 1);

    const page = (await get(app, `/checks/${id}`, a)).body;
    t.match(
      page,
      `<form method="post" action="/checks/${id}/media/0/views"><button type="submit">${ASK_LABEL}</button></form>`,
      'the page offers the views (a form: the page runs no script)',
    );
    t.notMatch(page, `action="/checks/${id}/media/2/views"`, 'not for an item that failed');

    const post = (index: number, headers: Record<string, string>, checkId = id) =>
      app.inject({ method: 'POST', url: `/v1/checks/${checkId}/media/${index}/views`, headers });
    const foreign = await post(0, b);
    t.equal(foreign.statusCode, 404, 'another organization cannot ask, even its admin');
    t.notMatch(foreign.body, /newsroom-a/);
    t.equal((await post(2, a)).json().code, 'views_unavailable', 'a failed item has no views');
    t.equal((await post(9, a)).statusCode, 404, 'no such item');

    const asked = await post(0, a);
    t.equal(asked.statusCode, 202, asked.body);
    t.same(asked.json(), { status: 'queued', links: { check: `/v1/checks/${id}` } });
    const views = await viewsOf(app, id, 0, a);
    t.match(views, {
      ela: { url: `/v1/checks/${id}/media/0/views/ela`, quality: 84 },
      noise: { url: `/v1/checks/${id}/media/0/views/noise` },
    });
    t.equal(hits['/photo.jpg'], 2, 'the file was downloaded again, once');
    for (const kind of ['ela', 'noise'] as const) {
      const got = await get(app, views[kind]!.url, a);
      t.equal(got.statusCode, 200, `${kind} served`);
      t.equal((await sharp(got.rawPayload).metadata()).format, 'webp');
      t.equal((await get(app, views[kind]!.url, b)).statusCode, 404, `${kind}: not to another organization`);
    }
    const done = await post(0, a);
    t.equal(done.statusCode, 200, 'asked again: there already');
    t.same(done.json(), { status: 'done', views, links: { check: `/v1/checks/${id}` } });
    t.equal(hits['/photo.jpg'], 2, 'nothing downloaded or made again');
    const shown = (await get(app, `/checks/${id}`, a)).body;
    t.match(shown, `src="/v1/checks/${id}/media/0/views/ela"`, 'the page shows them');
    t.notMatch(shown, `action="/checks/${id}/media/0/views"`);

    // The URL now serves other bytes: no views of another picture under this one's name.
    t.equal((await post(1, a)).statusCode, 202);
    t.match(await viewsOf(app, id, 1, a), { skipped: { code: 'file_changed' } });
    t.notOk((await viewsOf(app, id, 1, a)).ela);
    t.match(
      (await get(app, `/checks/${id}`, a)).body,
      `action="/checks/${id}/media/1/views"><button type="submit">Try again</button>`,
      'may be asked again',
    );

    // Another organization's check of the same file (another URL): the views kept are its own at once.
    const theirs = await waitForCheck(
      app,
      (await submit(app, { url: `${media.base}/same.jpg` }, b)).json().id,
      60000,
      b,
    );
    const reused = await post(0, b, theirs.id as string);
    t.equal(reused.statusCode, 200, 'no job: kept for this file');
    t.same(reused.json().views, {
      ela: { ...views.ela, url: `/v1/checks/${theirs.id}/media/0/views/ela` },
      noise: { ...views.noise, url: `/v1/checks/${theirs.id}/media/0/views/noise` },
    });
    t.equal(hits['/same.jpg'], 1, 'not downloaded again');
    t.equal((await get(app, `/v1/checks/${theirs.id}/media/0/views/ela`, b)).statusCode, 200);

    // An upload's bytes go when its check is done.
    const up = await app.inject({
      method: 'POST',
      url: '/v1/checks/upload?filename=tip.jpg',
      headers: { ...a, 'content-type': 'image/jpeg' },
      payload: other,
    });
    const uploaded = await waitForCheck(app, up.json().id as string, 60000, a);
    t.notMatch(
      (await get(app, `/checks/${uploaded.id as string}`, a)).body,
      `action="/checks/${uploaded.id as string}/media/0/views"`,
      'no button for an upload whose check has no archive',
    );
    const gone = await post(0, a, uploaded.id as string);
    t.equal(gone.statusCode, 410);
    t.equal(gone.json().code, 'upload_gone');
    t.match(gone.json().message, /Upload the file again/);
  },
);

t.test('views: true at submission makes them with the check, without FORENSIC_VIEWS', async (t) => {
  const { app } = await buildTestServer(t);
  const media = await startMediaServer(t);
  const a = await keyFor(app, 'newsroom-a', ['submit', 'read']);
  const url = `${media.base}/exif-samples/jpg/gps/DSCN0010.jpg`;

  const plain = await submit(app, { url }, a);
  t.equal(plain.statusCode, 202);
  const without = await waitForCheck(app, plain.json().id as string, 60000, a);
  t.equal(without.status, 'done');
  t.notOk(without.report.media[0].views, 'without the option: none');

  // The same link within the dedup window: not folded into the check made without views.
  const asked = await submit(app, { url, views: true }, a);
  t.equal(asked.statusCode, 202, asked.body);
  t.equal(asked.json().reused, false);
  t.not(asked.json().id, without.id, 'a check of its own');
  const id = asked.json().id as string;
  const job = await Job.fromId(app.checkQueue, id);
  t.match(job?.data, { check_id: id, views: true }, 'the option is in the job (a retry keeps it)');
  const check = await waitForCheck(app, id, 60000, a);
  t.equal(check.status, 'done');
  const views = check.report.media[0].views as ForensicViews;
  t.match(views, {
    ela: { url: `/v1/checks/${id}/media/0/views/ela`, quality: 84 },
    noise: { url: `/v1/checks/${id}/media/0/views/noise` },
  });
  t.notOk(views.skipped);
  t.ok('views' in (check.report.media[0].timings_ms as object), 'made in the analysis of this check');
  for (const kind of ['ela', 'noise'] as const) {
    const got = await get(app, views[kind]!.url, a);
    t.equal(got.statusCode, 200, `${kind} served`);
    t.equal((await sharp(got.rawPayload).metadata()).format, 'webp');
  }
  t.notMatch((await get(app, `/checks/${id}`, a)).body, ASK_LABEL, 'the page shows them, no button');
  // Asked again, the same link folds into the check that has them.
  const again = await submit(app, { url, views: true }, a);
  t.same([again.statusCode, again.json().id], [200, id]);
  const plainJob = await Job.fromId(app.checkQueue, without.id as string);
  t.notOk(plainJob?.data.views, 'a check without the option: none in its job');

  // Uploads: ?views=true.
  const file = await sharp(PHOTO).resize(320, 240).jpeg({ quality: 90 }).toBuffer();
  const upload = (query: string) =>
    app.inject({
      method: 'POST',
      url: `/v1/checks/upload?filename=tip.jpg${query}`,
      headers: { ...a, 'content-type': 'image/jpeg' },
      payload: file,
    });
  const up = await upload('&views=true');
  t.equal(up.statusCode, 202, up.body);
  const uploaded = await waitForCheck(app, up.json().id as string, 60000, a);
  t.match(uploaded.report.media[0].views, { ela: { url: /\/media\/0\/views\/ela$/ }, noise: {} });

  // Not a boolean: 400 with the machine-readable code, nothing queued.
  const before = await app.checkQueue.getJobCounts();
  for (const views of ['yes', 'true', 1, null, {}]) {
    const res = await submit(app, { url: `${url}?bad`, views }, a);
    t.equal(res.statusCode, 400, `views: ${JSON.stringify(views)}`);
    t.match(res.json(), { code: 'invalid_request', details: [{ path: '/views' }] });
  }
  const bad = await upload('&views=yes');
  t.equal(bad.statusCode, 400);
  t.equal(bad.json().code, 'invalid_request');
  t.same(await app.checkQueue.getJobCounts(), before, 'no job added');
});

t.test('the page’s form: the views box asks for them with the check', async (t) => {
  const { app } = await buildTestServer(t);
  const media = await startMediaServer(t);
  const a = await keyFor(app, 'newsroom-a', ['submit', 'read']);
  t.match((await get(app, '/', a)).body, `name="views" value="true"> ${VIEWS_BOX_LABEL}`);
  const url = `${media.base}/exif-samples/jpg/gps/DSCN0010.jpg`;
  const sent = await app.inject({
    method: 'POST',
    url: '/',
    headers: { ...a, 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'same-origin' },
    payload: new URLSearchParams({ input: url, views: 'true' }).toString(),
  });
  t.equal(sent.statusCode, 303, sent.body);
  const id = /^\/checks\/(chk_[\w-]+)$/.exec(sent.headers.location as string)?.[1] as string;
  const check = await waitForCheck(app, id, 60000, a);
  t.match(check.report.media[0].views, { ela: { quality: 84 }, noise: {} }, 'made with the check');
});

t.test('an upload’s views after its check: read back from its own archive', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'firstseen-views-archive-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const { app } = await buildTestServer(t, { ARCHIVE_ENABLED: 'true', ARCHIVE_DIR: dir });
  const a = await keyFor(app, 'newsroom-a', ['submit', 'read']);
  const b = await keyFor(app, 'newsroom-b', ['submit', 'read']);
  const upload = async (headers: Record<string, string>) => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/checks/upload?filename=tip.jpg',
      headers: { ...headers, 'content-type': 'image/jpeg' },
      payload: PHOTO,
    });
    t.equal(res.statusCode, 202, res.body);
    const check = await waitForCheck(app, res.json().id as string, 60000, headers);
    t.equal(check.status, 'done');
    t.ok(check.report.archive, 'archived');
    t.notOk(check.report.media[0].views, 'no views made with the check');
    return check.id as string;
  };
  const post = (id: string, headers: Record<string, string>) =>
    app.inject({ method: 'POST', url: `/v1/checks/${id}/media/0/views`, headers });
  const mine = await upload(a);
  const theirs = await upload(b);
  // The worker deletes the bytes right after storing the report.
  const k = keys(app.config.keyPrefix);
  for (const id of [mine, theirs])
    await until('the upload’s bytes are gone', async () => (await app.redis.exists(k.upload(id))) === 0);

  // B's archive is deleted: the same file in A's archive is not B's to use.
  await app.archives!.delete('newsroom-b', theirs);
  const gone = await post(theirs, b);
  t.equal(gone.statusCode, 410, gone.body);
  t.equal(gone.json().code, 'upload_gone');
  t.equal((await post(mine, b)).statusCode, 404, 'nor may B ask through A’s check');

  t.match(
    (await get(app, `/checks/${mine}`, a)).body,
    `action="/checks/${mine}/media/0/views"`,
    'the page offers the views of an archived upload',
  );
  const asked = await post(mine, a);
  t.equal(asked.statusCode, 202, asked.body);
  const views = await viewsOf(app, mine, 0, a);
  t.match(views, {
    ela: { url: `/v1/checks/${mine}/media/0/views/ela`, quality: 84 },
    noise: { url: `/v1/checks/${mine}/media/0/views/noise` },
  });
  t.notOk(views.skipped, 'made from the archived original');
  const ela = await get(app, views.ela!.url, a);
  t.equal(ela.statusCode, 200);
  t.equal((await sharp(ela.rawPayload).metadata()).format, 'webp');
  t.equal((await get(app, views.ela!.url, b)).statusCode, 404, 'served to A only');
});

t.test('the page’s button: a same-origin form post, back to the item', async (t) => {
  const { app } = await buildTestServer(t);
  const media = await startMediaServer(t);
  const a = await keyFor(app, 'newsroom-a', ['submit', 'read']);
  const res = await submit(app, { url: `${media.base}/exif-samples/jpg/gps/DSCN0010.jpg` }, a);
  const id = (await waitForCheck(app, res.json().id as string, 60000, a)).id as string;
  const form = { ...a, 'content-type': 'application/x-www-form-urlencoded' };
  const cross = await app.inject({
    method: 'POST',
    url: `/checks/${id}/media/0/views`,
    headers: { ...form, 'sec-fetch-site': 'cross-site' },
    payload: '',
  });
  t.equal(cross.statusCode, 403, 'another site cannot make a signed-in browser ask');
  const ok = await app.inject({
    method: 'POST',
    url: `/checks/${id}/media/0/views`,
    headers: { ...form, 'sec-fetch-site': 'same-origin' },
    payload: '',
  });
  t.equal(ok.statusCode, 303, ok.body);
  t.equal(ok.headers.location, `/checks/${id}#image-1`);
  const page = await get(app, `/checks/${id}`, a);
  // The worker may have made them already; while it has not, the page says so and reloads.
  if (page.body.includes(ASKED_NOTICE))
    t.match(page.body, /<meta http-equiv="refresh"/, 'while they are made, the page reloads itself');
  await viewsOf(app, id, 0, a);
  const after = (await get(app, `/checks/${id}`, a)).body;
  t.match(after, `src="/v1/checks/${id}/media/0/views/noise"`, 'then shows them');
  t.notMatch(after, /<meta http-equiv="refresh"/, 'and stops reloading');
});
