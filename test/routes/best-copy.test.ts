// The copy closest to the original (issue 20): a resized, recompressed copy is checked first and the
// camera's own file later. Both reports, the copy's read again after the original's check, name the
// original as the best copy, with the reasons. A better copy another newsroom only uploaded is never named.
import sharp from 'sharp';
import t from 'tap';
import { buildTestServer, get, keyFor, submit, waitForCheck } from '../helpers/app.js';
import { fixture } from '../helpers/images.js';
import { startMediaServer, type Handler } from '../helpers/media-server.js';

type App = Awaited<ReturnType<typeof buildTestServer>>['app'];
type Headers = Record<string, string>;
/** A Nikon Coolpix P6000 photo: 640x480, camera EXIF (make, model, capture date), IJG quality estimate 75. */
const ORIGINAL = fixture('exif-samples/jpg/gps/DSCN0010.jpg');

const jpeg =
  (bytes: Buffer): Handler =>
  (_q, r) =>
    r.writeHead(200, { 'content-type': 'image/jpeg' }).end(bytes);

async function checked(app: App, url: string, headers: Headers) {
  const res = await submit(app, { url }, headers);
  if (res.statusCode !== 202) throw new Error(`${res.statusCode} ${res.body}`);
  return waitForCheck(app, res.json().id as string, 60000, headers);
}

const reportOf = async (app: App, id: string, headers: Headers) =>
  (await get(app, `/v1/checks/${id}/report`, headers)).json();

t.test('a copy checked before the original names the original once it is seen', async (t) => {
  const { app } = await buildTestServer(t);
  // sharp drops the metadata unless told to keep it: the copy is what a platform serves.
  const copy = await sharp(ORIGINAL).resize(320).jpeg({ quality: 60 }).toBuffer();
  const media = await startMediaServer(t, {
    '/viral/copy.jpg': jpeg(copy),
    '/camera/dscn0010.jpg': jpeg(ORIGINAL),
  });
  const a = await keyFor(app, 'newsroom-a', ['admin']);
  const b = await keyFor(app, 'newsroom-b', ['admin']);

  const first = await checked(app, `${media.base}/viral/copy.jpg`, a);
  t.equal(first.status, 'done');
  const copyItem = first.report.media[0];
  t.match(copyItem, { width: 320, height: 240, jpeg: { quality: 60 } });
  t.equal(copyItem.best_copy, undefined, 'nothing to rank against yet');

  // B uploads the camera file: private to B. A's report must not learn of it.
  const up = await app.inject({
    method: 'POST',
    url: '/v1/checks/upload?filename=from-source.jpg',
    headers: { ...b, 'content-type': 'image/jpeg' },
    payload: ORIGINAL,
  });
  const uploaded = await waitForCheck(app, up.json().id as string, 60000, b);
  t.match(
    uploaded.report.media[0].best_copy,
    { this_one: true, reasons: [] },
    'B’s own ranking: its upload is best',
  );
  const again = await reportOf(app, first.id, a);
  t.equal(again.media[0].best_copy, undefined, 'another organization’s upload is not named');
  t.notMatch(JSON.stringify(again), /upload:|from-source|newsroom-b/);
  t.notMatch(JSON.stringify(again), uploaded.report.media[0].sha256, 'not even its sha256');

  // A checks the camera file at a public URL.
  const second = await checked(app, `${media.base}/camera/dscn0010.jpg`, a);
  const original = second.report.media[0];
  t.match(original.metadata, { camera_exif: true, camera: { make: 'NIKON' } });
  t.match(
    original.best_copy,
    {
      this_one: true,
      reasons: [],
      known: 2,
      copies: [
        { this: true, sha256: original.sha256, width: 640, height: 480, camera_exif: true, framing: 'whole' },
        {
          this: false,
          sha256: copyItem.sha256,
          width: 320,
          height: 240,
          jpeg_quality: 60,
          camera_exif: false,
        },
      ],
    },
    'the original’s report names itself',
  );
  t.notOk(
    original.provenance.signals.some((s: { code: string }) => s.code === 'not_the_best_copy'),
    'no not_the_best_copy on the best copy',
  );
  t.notMatch(JSON.stringify(second), /upload:|from-source/, 'B’s upload stays B’s in A’s later check too');

  // The copy's report, fetched again: the original, with the reasons.
  for (const url of [`/v1/checks/${first.id}/report`, `/v1/checks/${first.id}`]) {
    const body = (await get(app, url, a)).json();
    const item = (body.report ?? body).media[0];
    t.match(
      item.best_copy,
      {
        this_one: false,
        updated: true,
        reasons: ['more_pixels', 'camera_metadata', 'less_compressed'],
        known: 2,
        copies: [
          {
            this: false,
            sha256: original.sha256,
            width: 640,
            height: 480,
            camera_exif: true,
            camera: /NIKON/,
            first_seen_url: `${media.base}/camera/dscn0010.jpg`,
          },
          { this: true, sha256: copyItem.sha256, width: 320 },
        ],
        summary: new RegExp(
          `^The copy first seen on \\d+ \\w+ 20\\d\\d at ${media.base}/camera/dscn0010\\.jpg \\(640x480, camera EXIF \\(NIKON[^)]*\\), JPEG quality \\d+\\) is closer to the original than this one \\(320x240, no camera EXIF, JPEG quality 60\\): larger, with the camera metadata this one lacks and less compressed\\.$`,
        ),
      },
      `${url}: the copy's report names the original`,
    );
    t.match(
      item.provenance.signals.filter((s: { code: string }) => s.code === 'not_the_best_copy'),
      [{ severity: 'medium', message: item.best_copy.summary }],
      'one not_the_best_copy signal',
    );
    t.notMatch(JSON.stringify(body), /upload:|from-source/, 'the first public sighting, not B’s upload');
  }

  // The report page says it too.
  const page = await app.inject({ method: 'GET', url: `/checks/${first.id}`, headers: a });
  t.match(page.body, /Closest copy to the original/);
  t.match(page.body, /640 × 480/);

  // B, reading nothing of A's: B's check list has only its own; A's report is A's.
  t.equal((await get(app, `/v1/checks/${first.id}`, b)).statusCode, 404);
});
