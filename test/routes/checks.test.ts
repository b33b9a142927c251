// The API as users meet it: submit, poll, read the report. Real Redis, a local image host.
import { createHash } from 'node:crypto';
import t from 'tap';
import { AUTH, buildTestServer, get, submit, waitForCheck } from '../helpers/app.js';
import { animatedGif, exiftool, fixture, pixelBombPng } from '../helpers/images.js';
import { startMediaServer } from '../helpers/media-server.js';
import { until } from '../helpers/until.js';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

t.test('an image URL gives a report with the right sha256, size, MIME and dimensions', async (t) => {
  const { app } = await buildTestServer(t);
  const gif = await animatedGif();
  const media = await startMediaServer(t, {
    '/anim.gif': (_q, r) => r.writeHead(200, { 'content-type': 'image/gif' }).end(gif),
    // The server lies about the type: the report must say what the bytes are.
    '/lying.png': (_q, r) => r.writeHead(200, { 'content-type': 'image/png' }).end(fixture('c2pa/mars.webp')),
  });
  const cases = [
    'exif-samples/jpg/gps/DSCN0010.jpg',
    'c2pa/sample1.png',
    'c2pa/mars.webp',
    'c2pa/test.tiff',
    'exifr/avif/Irvine_CA.avif',
    'exif-samples/heic/IMG_5195.HEIC',
  ];
  for (const rel of cases) {
    const res = await submit(app, { url: `${media.base}/${rel}` });
    t.equal(res.statusCode, 202, `${rel} accepted`);
    const check = await waitForCheck(app, res.json().id);
    t.equal(check.status, 'done');
    const [item] = check.report.media;
    const bytes = fixture(rel);
    const truth = exiftool(rel);
    const [w, h] = String(truth['Composite:ImageSize']).split(' ').map(Number);
    t.match(
      item,
      {
        status: 'ok',
        sha256: sha256(bytes),
        bytes: bytes.length,
        mime: truth['File:MIMEType'],
        mime_mismatch: false,
      },
      rel,
    );
    t.same([item.width, item.height], [w, h], `${rel} dimensions agree with ExifTool`);
    t.equal(item.animated, false);
  }

  const anim = await waitForCheck(app, (await submit(app, { url: `${media.base}/anim.gif` })).json().id);
  t.match(anim.report.media[0], {
    status: 'ok',
    format: 'gif',
    mime: 'image/gif',
    width: 160,
    height: 120,
    animated: true,
    frames: 3,
    sha256: sha256(gif),
  });

  const lying = await waitForCheck(app, (await submit(app, { url: `${media.base}/lying.png` })).json().id);
  t.match(lying.report.media[0], {
    mime: 'image/webp',
    declared_mime: 'image/png',
    mime_mismatch: true,
    format: 'webp',
  });
});

t.test(
  'text with links: each resolved; a page is read for its images; HTML posing as an image is not_media',
  async (t) => {
    const { app } = await buildTestServer(t);
    const media = await startMediaServer(t, {
      '/article': (_q, r) =>
        r
          .writeHead(200, { 'content-type': 'text/html' })
          .end(
            '<html><head><meta property="og:image" content="/c2pa/IMG_0003.jpg"></head><body>news</body></html>',
          ),
      '/photo.jpg': (_q, r) =>
        r.writeHead(200, { 'content-type': 'image/jpeg' }).end('<html>not an image</html>'),
    });
    const text = `Seen on ${media.base}/article today; the photo ${media.base}/exif-samples/jpg/Canon_40D.jpg, ${media.base}/photo.jpg and ${media.base}/c2pa/CA.jpg.`;
    const res = await submit(app, { text });
    t.equal(res.statusCode, 202);
    const check = await waitForCheck(app, res.json().id);
    t.equal(check.status, 'done');
    t.equal(check.targets.length, 4);
    t.same(
      check.report.targets.map((x: { kind: string }) => x.kind),
      ['page', 'media', 'media', 'media'],
    );
    t.same(
      check.report.media.map((m: { source_url: string; status: string; error?: { code: string } }) => [
        m.source_url.replace(media.base, ''),
        m.error?.code ?? m.status,
      ]),
      [
        ['/c2pa/IMG_0003.jpg', 'ok'],
        ['/exif-samples/jpg/Canon_40D.jpg', 'ok'],
        ['/photo.jpg', 'not_media'],
        ['/c2pa/CA.jpg', 'ok'],
      ],
    );
    t.equal(check.report.media[0].target_index, 0, 'the og:image came from the article');
    const report = await get(app, `/v1/checks/${check.id}/report`);
    t.equal(report.statusCode, 200);
    t.same(report.json(), check.report);
  },
);

t.test('bad media: each a clear per-item error, and the worker keeps serving', async (t) => {
  const { app } = await buildTestServer(t, {
    FETCH_MAX_BYTES: String(1024 * 1024),
    FETCH_TIMEOUT_MS: '1000',
  });
  const jpeg = fixture('exif-samples/jpg/mobile/HMD_Nokia_8.3_5G.jpg');
  const media = await startMediaServer(t, {
    '/big.jpg': (_q, r) => r.writeHead(200, { 'content-type': 'image/jpeg' }).end(jpeg), // 2.1 MB > 1 MiB cap
    '/slow.jpg': (_q, r) =>
      void r.writeHead(200, { 'content-type': 'image/jpeg' }).write(jpeg.subarray(0, 100)),
    '/loop.jpg': (_q, r) => r.writeHead(302, { location: '/loop.jpg' }).end(),
    // Cut in the middle of the pixel data: the header reads, the decode fails.
    '/truncated-pixels.jpg': (_q, r) =>
      r
        .writeHead(200, { 'content-type': 'image/jpeg' })
        .end(fixture('exif-samples/jpg/gps/DSCN0010.jpg').subarray(0, 100000)),
    // Cut inside the metadata segments, before the image header.
    '/truncated.jpg': (_q, r) =>
      r.writeHead(200, { 'content-type': 'image/jpeg' }).end(fixture('c2pa/CA.jpg').subarray(0, 40000)),
    '/bomb.png': (_q, r) => r.writeHead(200, { 'content-type': 'image/png' }).end(pixelBombPng()),
    '/empty.jpg': (_q, r) => r.writeHead(200, { 'content-type': 'image/jpeg' }).end(),
  });
  const expected: Record<string, string> = {
    '/big.jpg': 'too_large',
    '/slow.jpg': 'timeout',
    '/loop.jpg': 'too_many_redirects',
    '/truncated.jpg': 'image_truncated',
    '/truncated-pixels.jpg': 'image_truncated',
    '/bomb.png': 'too_many_pixels',
    '/empty.jpg': 'empty_file',
    '/missing.jpg': 'http_error',
  };
  for (const [path, code] of Object.entries(expected)) {
    const check = await waitForCheck(app, (await submit(app, { url: `${media.base}${path}` })).json().id);
    t.equal(check.status, 'done', `${path}: the check completes`);
    t.match(check.report.media[0], { status: 'error', error: { code } }, `${path} -> ${code}`);
  }
  const after = await waitForCheck(app, (await submit(app, { url: `${media.base}/c2pa/CA.jpg` })).json().id);
  t.match(after.report.media[0], { status: 'ok', format: 'jpeg' }, 'the next job is served normally');
});

t.test('validation errors are 400 with stable codes', async (t) => {
  const { app } = await buildTestServer(t, { MAX_TARGETS: '2' });
  const cases: [unknown, number, string][] = [
    [{}, 400, 'invalid_request'],
    [{ url: 'https://a.example/x.jpg', text: 'x' }, 400, 'invalid_request'],
    [{ url: 'https://a.example/x.jpg', extra: 1 }, 400, 'invalid_request'],
    [{ url: 42 }, 400, 'invalid_request'],
    [{ url: 'javascript:alert(1)' }, 400, 'invalid_url'],
    [{ text: 'no links here' }, 400, 'no_target'],
    [{ text: 'https://a.example/1 https://a.example/2 https://a.example/3' }, 400, 'too_many_targets'],
  ];
  for (const [payload, status, code] of cases) {
    const res = await submit(app, payload as object);
    t.equal(res.statusCode, status, JSON.stringify(payload));
    t.equal(res.json().code, code, JSON.stringify(payload));
  }
  const notJson = await app.inject({
    method: 'POST',
    url: '/v1/checks',
    headers: { ...AUTH, 'content-type': 'application/json' },
    payload: '{nope',
  });
  t.match(notJson.json(), { statusCode: 400, code: 'invalid_json' });
  const unknown = await get(app, '/v1/checks/chk_doesnotexist');
  t.match(unknown.json(), { statusCode: 404, code: 'not_found' });
  const badId = await get(app, '/v1/checks/..%2F..%2Fetc');
  t.equal(badId.statusCode, 400);
  const noRoute = await get(app, '/v2/nothing');
  t.match(noRoute.json(), { statusCode: 404, code: 'not_found' });
});

t.test('idempotency: same key, same check; same URL within the window, same check', async (t) => {
  const { app } = await buildTestServer(t);
  const media = await startMediaServer(t);
  const url = `${media.base}/c2pa/CA.jpg`;
  const a = await submit(app, { url }, { 'idempotency-key': 'k-1' });
  const b = await submit(app, { url: `${media.base}/c2pa/XCA.jpg` }, { 'idempotency-key': 'k-1' });
  t.equal(a.statusCode, 202);
  t.equal(b.statusCode, 200);
  t.equal(b.json().id, a.json().id, 'the key decides');
  t.equal(b.json().reused, true);

  const c = await submit(app, { url: `${url}#fragment` }); // normalizes to the same URL
  t.equal(c.json().id, a.json().id, 'same normalized URL within the window');
  const d = await submit(app, { text: `look: ${url}` });
  t.equal(d.json().id, a.json().id, 'the same single link in text is the same work');

  await waitForCheck(app, a.json().id);
  const e = await submit(app, { url }, { 'idempotency-key': 'k-2' });
  t.equal(e.json().id, a.json().id, 'a new key for known work gets the existing check');
  const again = await submit(app, { url: `${url}#x` }, { 'idempotency-key': 'k-2' });
  t.equal(again.json().id, a.json().id, 'and the new key now leads to it too');
  t.equal(again.json().status, 'done');
});

t.test('with the dedup window off, the same URL is checked again', async (t) => {
  const { app } = await buildTestServer(t, { DEDUP_WINDOW_SECONDS: '0' });
  const media = await startMediaServer(t);
  const url = `${media.base}/c2pa/CA.jpg`;
  const a = await submit(app, { url });
  const b = await submit(app, { url });
  t.not(a.json().id, b.json().id);
  await waitForCheck(app, a.json().id);
  await waitForCheck(app, b.json().id);
});

t.test('a file uploaded instead of a link: analyzed the same way, bytes kept only until done', async (t) => {
  const { app, config } = await buildTestServer(t);
  const photo = fixture('exif-samples/jpg/gps/DSCN0010.jpg');
  const res = await app.inject({
    method: 'POST',
    url: '/v1/checks/upload?filename=from%20whatsapp.jpg',
    headers: { ...AUTH, 'content-type': 'image/jpeg' },
    payload: photo,
  });
  t.equal(res.statusCode, 202);
  const check = await waitForCheck(app, res.json().id);
  t.match(check.targets, [{ input: 'upload:from whatsapp.jpg', url: `upload:${sha256(photo)}` }]);
  t.notOk(
    'reverse_search' in check.report.media[0],
    'an upload gets no reverse search links: it stays private',
  );
  t.match(check.report.media[0], {
    status: 'ok',
    sha256: sha256(photo),
    bytes: photo.length,
    width: 640,
    metadata: { gps: { latitude: Number } },
  });
  // The worker deletes the upload after it has stored the report and announced it (a crash before
  // then re-runs the check, which still needs the bytes), so a reader who sees `done` may be a moment
  // early: wait for it, within a bound.
  await until(
    'the upload deleted once its check is done',
    async () =>
      (await app.redis.exists(`${config.keyPrefix}:upload:${check.id as string}`)) === 0 &&
      (await app.redis.hlen(`${config.keyPrefix}:uploads:default`)) === 0,
    5000,
  );
  t.pass('the upload is deleted once its check is done, and no longer counts in the quota');
  const json = await app.inject({
    method: 'POST',
    url: '/v1/checks/upload',
    headers: { ...AUTH, 'content-type': 'text/plain' },
    payload: 'hello',
  });
  t.equal(json.statusCode, 415);
  t.equal(json.json().code, 'unsupported_media_type');
});
