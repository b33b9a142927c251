// The HTML routes over HTTP: signing in with Basic, the form and its redirect, content negotiation on
// /v1/checks/:id, a running check's page reloading itself, error pages, and thumbnails.
import { createHash } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import t from 'tap';
import { prefersHtml } from '../../src/routes/pages/negotiate.js';
import { storeThumbnail, thumbnailKey } from '../../src/services/thumbnails.js';
import { AUTH, buildTestServer, submit, TEST_KEY, waitForCheck } from '../helpers/app.js';
import { fixture } from '../helpers/images.js';
import { startMediaServer } from '../helpers/media-server.js';

const BROWSER_ACCEPT =
  'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8';
const basic = (key: string) => ({
  authorization: `Basic ${Buffer.from(`newsroom:${key}`).toString('base64')}`,
});
const BASIC = basic(TEST_KEY);
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const PHOTO = fixture('exif-samples/jpg/gps/DSCN0010.jpg');
const PHOTO_SHA = createHash('sha256').update(PHOTO).digest('hex');

type App = Awaited<ReturnType<typeof buildTestServer>>['app'];

async function keyWith(app: App, scopes: string[], org = 'default') {
  const res = await app.inject({
    method: 'POST',
    url: '/v1/admin/keys',
    headers: AUTH,
    payload: { name: scopes.join('+'), org, scopes },
  });
  return res.json().key as string;
}

t.test('prefersHtml: HTML only when the Accept header prefers it', async (t) => {
  for (const accept of [
    BROWSER_ACCEPT,
    'text/html',
    'text/html, application/json',
    'application/json;q=0.5, text/html',
    'text/*',
  ]) {
    t.ok(prefersHtml(accept), `HTML for ${accept}`);
  }
  for (const accept of [
    undefined,
    '',
    '*/*',
    'application/json',
    'application/json, text/html',
    'text/html;q=0.5, application/json',
    'text/html;q=0, */*',
    'application/*, text/*',
    'garbage',
  ]) {
    t.notOk(prefersHtml(accept), `JSON for ${String(accept)}`);
  }
});

t.test('signing in: pages answer 401 with a Basic challenge; the API does not', async (t) => {
  const { app } = await buildTestServer(t);
  for (const [url, headers] of [
    ['/', {}],
    ['/checks/chk_x', {}],
    ['/', basic('fsk_not_a_real_key_000000')],
    ['/v1/checks/chk_x', { accept: BROWSER_ACCEPT }],
  ] as const) {
    const res = await app.inject({ method: 'GET', url, headers });
    t.equal(res.statusCode, 401, `${url} without a valid key`);
    t.equal(res.headers['www-authenticate'], 'Basic realm="firstseen", charset="UTF-8"');
    t.match(res.headers['content-type'], /^text\/html/);
    t.match(
      res.body,
      /<h1>A key is needed<\/h1>[\s\S]*any user name and your firstseen API key as the password/,
    );
  }
  const api = await app.inject({ method: 'GET', url: '/v1/checks/chk_x' });
  t.equal(api.statusCode, 401);
  t.notOk(api.headers['www-authenticate'], 'JSON clients get no browser prompt');
  t.equal(api.json().code, 'unauthorized');

  const readOnly = await keyWith(app, ['read']);
  const form = await app.inject({ method: 'GET', url: '/', headers: basic(readOnly) });
  t.equal(form.statusCode, 403, 'the form needs the submit scope');
  t.match(form.body, /lacks the &quot;submit&quot; scope/);
});

t.test('the form: submit a link, get redirected to the check page', async (t) => {
  const { app } = await buildTestServer(t);
  const media = await startMediaServer(t);
  const form = await app.inject({ method: 'GET', url: '/', headers: BASIC });
  t.equal(form.statusCode, 200);
  t.match(form.headers['content-type'], 'text/html; charset=utf-8');
  t.match(
    form.headers['content-security-policy'],
    /^default-src 'none'; img-src 'self'; style-src 'sha256-[A-Za-z0-9+/=]+'; form-action 'self'/,
  );
  t.equal(form.headers['x-frame-options'], 'DENY');
  t.equal(form.headers['cache-control'], 'no-store');
  t.match(form.body, /<form class="form" method="post" action="\/"/);
  t.notMatch(form.body, /<script/i);
  t.match(
    (await app.inject({ method: 'GET', url: '/?input=%3Cb%3E', headers: BASIC })).body,
    '>&lt;b&gt;</textarea>',
    'prefilled, escaped',
  );

  const url = `${media.base}/exif-samples/jpg/gps/DSCN0010.jpg`;
  const posted = await app.inject({
    method: 'POST',
    url: '/',
    headers: { ...BASIC, ...FORM, origin: 'http://localhost:80', host: 'localhost:80' },
    payload: new URLSearchParams({ input: ` ${url} ` }).toString(),
  });
  t.equal(posted.statusCode, 303);
  const location = posted.headers.location as string;
  t.match(location, /^\/checks\/chk_[A-Za-z0-9_-]+$/);
  const id = location.split('/').pop() as string;
  const done = await waitForCheck(app, id);
  t.same(done.targets, [{ input: url, url }], 'one link is submitted as a url');

  const text = await app.inject({
    method: 'POST',
    url: '/',
    headers: { ...BASIC, ...FORM, 'sec-fetch-site': 'same-origin' },
    payload: new URLSearchParams({ input: `Seen on two sites: ${url}?a and ${url}?b.` }).toString(),
  });
  t.equal(text.statusCode, 303, 'text with links is submitted as text');
  const textId = (text.headers.location as string).split('/').pop() as string;
  t.equal((await waitForCheck(app, textId)).targets.length, 2);

  for (const [input, message] of [
    ['', /Paste a link, or some text with links, or choose a file\./],
    ['no links in here', /Give a &quot;url&quot; or a &quot;text&quot; with at least one http\(s\) link/],
  ] as const) {
    const bad = await app.inject({
      method: 'POST',
      url: '/',
      headers: { ...BASIC, ...FORM },
      payload: new URLSearchParams({ input }).toString(),
    });
    t.equal(bad.statusCode, 400);
    t.match(bad.body, message, 'the form again, with the reason');
    t.match(bad.body, `aria-invalid="true"`);
    t.match(bad.body, `>${input}</textarea>`, 'and what was typed');
  }

  for (const headers of [
    { 'sec-fetch-site': 'cross-site' },
    { origin: 'https://evil.example', host: 'localhost:80' },
  ]) {
    const forged = await app.inject({
      method: 'POST',
      url: '/',
      headers: { ...BASIC, ...FORM, ...headers },
      payload: new URLSearchParams({ input: url }).toString(),
    });
    t.equal(forged.statusCode, 403, `cross-site post refused (${Object.keys(headers)[0]})`);
    t.match(forged.body, /Cross-site form submissions are refused/);
  }
});

/** A multipart body as a browser sends the form: the text field, then the file field (maybe empty). */
function multipartForm(input: string, file: { name: string; type: string; bytes: Buffer } | null) {
  const boundary = '----firstseenFormBoundary7MA4YWxkTrZu0gW';
  const part = (headers: string, body: Buffer | string) =>
    Buffer.concat([
      Buffer.from(`--${boundary}\r\n${headers}\r\n\r\n`),
      Buffer.from(body),
      Buffer.from('\r\n'),
    ]);
  const payload = Buffer.concat([
    part('Content-Disposition: form-data; name="input"', input),
    file
      ? part(
          `Content-Disposition: form-data; name="file"; filename="${file.name}"\r\nContent-Type: ${file.type}`,
          file.bytes,
        )
      : part(
          'Content-Disposition: form-data; name="file"; filename=""\r\nContent-Type: application/octet-stream',
          '',
        ),
    Buffer.from(`--${boundary}--\r\n`),
  ]);
  return { payload, headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

t.test('the form: upload a file, or links, as a browser sends them (multipart)', async (t) => {
  const { app } = await buildTestServer(t, { FETCH_MAX_BYTES: String(PHOTO.length + 10) });
  const media = await startMediaServer(t);
  const form = await app.inject({ method: 'GET', url: '/', headers: BASIC });
  t.match(form.body, /<form [^>]*enctype="multipart\/form-data"/);
  t.match(form.body, /<input type="file" id="file" name="file" accept="image\/\*,video\/\*"/);

  const post = (body: ReturnType<typeof multipartForm>) =>
    app.inject({
      method: 'POST',
      url: '/',
      headers: { ...BASIC, ...body.headers, 'sec-fetch-site': 'same-origin' },
      payload: body.payload,
    });
  const uploaded = await post(multipartForm('', { name: 'flood <1>.jpg', type: 'image/jpeg', bytes: PHOTO }));
  t.equal(uploaded.statusCode, 303, 'a file alone is checked');
  const id = (uploaded.headers.location as string).split('/').pop() as string;
  const done = await waitForCheck(app, id);
  t.equal(done.status, 'done');
  t.equal(done.targets[0]?.url, `upload:${PHOTO_SHA}`, 'the bytes, by their sha256');
  t.equal(done.report?.media[0]?.sha256, PHOTO_SHA);
  t.equal(done.report?.media[0]?.status, 'ok');
  const page = await app.inject({ method: 'GET', url: `/checks/${id}`, headers: BASIC });
  t.match(page.body, 'Uploaded file <code>flood _1_.jpg</code>', 'its name, made harmless');
  t.notMatch(page.body, `upload:${PHOTO_SHA}`, 'the internal upload address is never shown as a source');

  const url = `${media.base}/exif-samples/jpg/gps/DSCN0010.jpg`;
  const linked = await post(multipartForm(url, null));
  t.equal(linked.statusCode, 303, 'links typed on the multipart form, with no file chosen');
  const linkedId = (linked.headers.location as string).split('/').pop() as string;
  t.same((await waitForCheck(app, linkedId)).targets, [{ input: url, url }]);

  const both = await post(multipartForm(url, { name: 'a.jpg', type: 'image/jpeg', bytes: PHOTO }));
  t.equal(both.statusCode, 400);
  t.match(both.body, /Check a file or links, one at a time/);
  t.match(both.body, `>${url}</textarea>`, 'what was typed is kept');

  const big = await post(
    multipartForm('', {
      name: 'big.jpg',
      type: 'image/jpeg',
      bytes: Buffer.concat([PHOTO, Buffer.alloc(64)]),
    }),
  );
  t.equal(big.statusCode, 400, 'a file over FETCH_MAX_BYTES');
  t.match(big.body, /That file is larger than [\d.]+ MB\./);

  const nothing = await post(multipartForm('  ', null));
  t.equal(nothing.statusCode, 400);
  t.match(nothing.body, /or choose a file/);
});

t.test('a check page: reloads while running, then the report; JSON or HTML on /v1/checks/:id', async (t) => {
  const { app, config } = await buildTestServer(t);
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  const media = await startMediaServer(t, {
    '/slow.jpg': (_q, r: ServerResponse) => {
      void held.then(() => r.writeHead(200, { 'content-type': 'image/jpeg' }).end(PHOTO));
    },
  });
  const id = (await submit(app, { url: `${media.base}/slow.jpg` })).json().id as string;

  const pending = await app.inject({ method: 'GET', url: `/checks/${id}`, headers: BASIC });
  t.equal(pending.statusCode, 200);
  t.match(pending.body, '<meta http-equiv="refresh" content="2">');
  t.match(pending.body, /<h1>Checking…<\/h1>[\s\S]*role="status">(Queued|Running)/);
  t.match(pending.body, `${media.base}/slow.jpg`);

  release();
  await waitForCheck(app, id);
  const page = await app.inject({ method: 'GET', url: `/checks/${id}`, headers: BASIC });
  t.notMatch(page.body, 'http-equiv="refresh"');
  t.match(page.body, /<h1>Provenance report<\/h1>/);
  // The worker kept a thumbnail while analyzing: the page shows it.
  t.match(page.body, `<img src="/v1/media/${PHOTO_SHA}/thumbnail" alt="The checked image">`);
  t.ok(await app.redis.exists(thumbnailKey(config.keyPrefix, PHOTO_SHA)), 'kept by the pipeline');
  await app.redis.del(thumbnailKey(config.keyPrefix, PHOTO_SHA));
  const without = await app.inject({ method: 'GET', url: `/checks/${id}`, headers: BASIC });
  t.match(without.body, 'No thumbnail kept', 'and says so when there is none');
  await storeThumbnail(app.redis, config.keyPrefix, PHOTO_SHA, PHOTO);
  const withThumb = await app.inject({ method: 'GET', url: `/checks/${id}`, headers: BASIC });
  t.match(withThumb.body, `<img src="/v1/media/${PHOTO_SHA}/thumbnail" alt="The checked image">`);

  const html = await app.inject({
    method: 'GET',
    url: `/v1/checks/${id}`,
    headers: { ...AUTH, accept: BROWSER_ACCEPT },
  });
  t.match(html.headers['content-type'], /^text\/html/, 'a browser gets the page');
  t.equal(html.headers.vary, 'Accept');
  t.equal(html.body, withThumb.body);
  for (const accept of [undefined, '*/*', 'application/json', 'application/json, text/html']) {
    const res = await app.inject({
      method: 'GET',
      url: `/v1/checks/${id}`,
      headers: { ...AUTH, ...(accept && { accept }) },
    });
    t.match(res.headers['content-type'], /^application\/json/, `JSON for ${String(accept)}`);
    t.equal(res.json().status, 'done');
  }

  const otherKey = await keyWith(app, ['read', 'submit'], 'newsroom-b');
  const theirs = await app.inject({ method: 'GET', url: `/checks/${id}`, headers: basic(otherKey) });
  t.equal(theirs.statusCode, 404, "another organization's check does not exist for them");
  t.match(theirs.body, /<h1>Not found<\/h1>[\s\S]*belongs to another organization/);
  const invalid = await app.inject({ method: 'GET', url: '/checks/not!valid', headers: BASIC });
  t.equal(invalid.statusCode, 400);
  t.match(invalid.headers['content-type'], /^text\/html/);
});

t.test('thumbnails: any read key, cached, 404 when none was kept', async (t) => {
  const { app, config } = await buildTestServer(t);
  const url = `/v1/media/${PHOTO_SHA}/thumbnail`;
  const none = await app.inject({ method: 'GET', url, headers: AUTH });
  t.equal(none.statusCode, 404);
  t.equal(none.json().code, 'not_found');

  t.equal(await storeThumbnail(app.redis, config.keyPrefix, PHOTO_SHA, PHOTO), 'stored');
  t.ok(await app.redis.exists(thumbnailKey(config.keyPrefix, PHOTO_SHA)));
  const otherOrg = await keyWith(app, ['read'], 'newsroom-b');
  const res = await app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${otherOrg}` } });
  t.equal(res.statusCode, 200, 'any organization with a read key');
  t.equal(res.headers['content-type'], 'image/webp');
  t.equal(res.headers['cache-control'], 'private, max-age=604800, immutable');
  t.equal(res.headers.etag, `"${PHOTO_SHA}"`);
  t.equal(res.rawPayload.subarray(8, 12).toString(), 'WEBP');
  t.ok(res.rawPayload.length < 30000, `small (${res.rawPayload.length} bytes)`);
  const again = await app.inject({
    method: 'GET',
    url,
    headers: { ...AUTH, 'if-none-match': `"${PHOTO_SHA}"` },
  });
  t.equal(again.statusCode, 304);

  const anonymous = await app.inject({ method: 'GET', url });
  t.equal(anonymous.statusCode, 401);
  t.match(anonymous.headers['www-authenticate'], /^Basic/, 'a browser resends its credentials');
  const wrong = await app.inject({ method: 'GET', url, headers: basic('fsk_not_a_real_key_000000') });
  t.equal(wrong.statusCode, 401);
  t.match(wrong.headers['www-authenticate'], /^Basic/, 'and may ask for another key');
  const submitOnly = await keyWith(app, ['submit']);
  t.equal(
    (await app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${submitOnly}` } })).statusCode,
    403,
  );
  t.equal(
    (await app.inject({ method: 'GET', url: '/v1/media/ABC/thumbnail', headers: AUTH })).statusCode,
    400,
  );
});
