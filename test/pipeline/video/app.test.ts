// Videos through the running service, wired as production wires them (workers/check.ts): a check of a
// video URL gets `media[].video`, its keyframe thumbnails are served, and the report page shows the
// video's facts and keyframes with every string from the file escaped.
import t from 'tap';
import type { Check } from '../../../schemas/check.js';
import { renderCheckPage } from '../../../src/views/check-page.js';
import { AUTH, buildTestServer, get, submit, waitForCheck } from '../../helpers/app.js';
import { startMediaServer } from '../../helpers/media-server.js';
import { generateClip } from './helpers.js';

const HOSTILE = `"'><script>alert(1)</script><img src=x onerror=alert(1)>`;

t.test('a video URL checked by the service: analysis, thumbnails, report page', async (t) => {
  const { app } = await buildTestServer(t);
  const clip = generateClip(
    [
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=640x360:rate=25',
      '-t',
      '4',
      '-metadata',
      `com.apple.quicktime.make=${HOSTILE}`,
      '-metadata',
      'com.apple.quicktime.location.ISO6709=+50.4501+030.5234/',
      '-movflags',
      'use_metadata_tags',
      '-c:v',
      'libx264',
      '-pix_fmt',
      'yuv420p',
    ],
    'mov',
  );
  const media = await startMediaServer(t, {
    '/clip.mov': (_q, r) => r.writeHead(200, { 'content-type': 'video/quicktime' }).end(clip),
  });
  const check = (await waitForCheck(
    app,
    (await submit(app, { url: `${media.base}/clip.mov` })).json().id as string,
    120_000,
  )) as Check;
  t.equal(check.status, 'done');
  const item = check.report?.media[0];
  t.match(item, { status: 'ok', format: 'quicktime', width: 640, height: 360 });
  t.equal(item?.video?.frames_hashed, 4, 'one frame a second');
  t.equal(item?.video?.metadata.make, HOSTILE);
  t.ok(item?.provenance?.signals.some((s) => s.code === 'gps_present'));

  const keyframe = item?.video?.keyframes[0]?.thumbnail as string;
  const thumb = await get(app, `/v1/media/${keyframe}/thumbnail`);
  t.equal(thumb.statusCode, 200);
  t.equal(thumb.headers['content-type'], 'image/webp');
  t.equal((await get(app, `/v1/media/${item?.sha256 ?? ''}/thumbnail`)).statusCode, 200, 'the video’s own');

  const page = await app.inject({
    method: 'GET',
    url: `/checks/${check.id}`,
    headers: { ...AUTH, accept: 'text/html' },
  });
  t.equal(page.statusCode, 200);
  t.match(page.body, '<h3>Video</h3>');
  t.match(page.body, `src="/v1/media/${keyframe}/thumbnail"`, 'the keyframe shown from firstseen');
  t.notMatch(page.body, '<script>alert(1)', 'the file’s strings are escaped');
  t.match(page.body, '&lt;script&gt;alert(1)&lt;/script&gt;');
  t.match(renderCheckPage(check), /Frames hashed<\/th><td>4 \(1fps\+scene&gt;0\.4, at 640 × 360\)/);
});
