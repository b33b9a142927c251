// Forensic views through the service (FORENSIC_VIEWS=true): the report lists them, they are served to the
// check's organization only, and the report page shows them beside the picture with how to read each and
// what it cannot show; a tiny picture gets the reason instead.
import sharp from 'sharp';
import t from 'tap';
import { buildTestServer, get, keyFor, submit, waitForCheck } from '../helpers/app.js';
import { fixture } from '../helpers/images.js';
import type { ForensicViews } from '../../schemas/views.js';
import { startMediaServer } from '../helpers/media-server.js';
import { ELA_EXPLANATION, NOISE_EXPLANATION } from '../../src/views/forensic-views.js';

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
});
