// The heart of firstseen, as a fact-checker meets it: a photo seen before comes back (as the same file,
// resized, flipped), a bank knows it, a watchlist hears of it, a bot looks a hash up.
import sharp from 'sharp';
import t from 'tap';
import { AUTH, buildTestServer, createBank, get, submit, waitForCheck } from '../helpers/app.js';
import { fixture } from '../helpers/images.js';
import { withExifOf } from '../helpers/jpeg.js';
import { startMediaServer } from '../helpers/media-server.js';
import { startReceiver } from '../helpers/receiver.js';

type App = Awaited<ReturnType<typeof buildTestServer>>['app'];
const PHOTO = fixture('exif-samples/jpg/gps/DSCN0010.jpg');
const OTHER = fixture('exif-samples/jpg/gps/DSCN0021.jpg');

async function check(app: App, url: string, headers = AUTH) {
  const res = await submit(app, { url }, headers);
  t.equal(res.statusCode, 202, `submitted ${url}`);
  const done = await waitForCheck(app, res.json().id, 30000, headers);
  return done.report.media[0];
}

t.test(
  'seen before: the same file, a resized copy and a mirrored copy all lead back to the first sighting',
  async (t) => {
    const { app } = await buildTestServer(t, { RECYCLED_MARGIN_HOURS: '0' });
    const resized = await sharp(PHOTO).resize(320).jpeg({ quality: 40 }).toBuffer();
    const mirrored = await sharp(PHOTO).flop().jpeg().toBuffer();
    const media = await startMediaServer(t, {
      '/copy.jpg': (_q, r) => r.writeHead(200, { 'content-type': 'image/jpeg' }).end(PHOTO),
      '/small.jpg': (_q, r) => r.writeHead(200, { 'content-type': 'image/jpeg' }).end(resized),
      '/mirror.jpg': (_q, r) => r.writeHead(200, { 'content-type': 'image/jpeg' }).end(mirrored),
    });
    const first = await check(app, `${media.base}/exif-samples/jpg/gps/DSCN0010.jpg`);
    t.same(first.provenance.matches, [], 'nothing seen before the first sighting');

    const again = await check(app, `${media.base}/copy.jpg`);
    t.match(again.provenance.matches[0], {
      kind: 'exact',
      source: 'seen',
      hash: 'sha256',
      distance: 0,
      first_seen_url: `${media.base}/exif-samples/jpg/gps/DSCN0010.jpg`,
      sightings: 1,
    });
    t.match(again.provenance.signals, [{ code: 'recycled' }]);

    const small = await check(app, `${media.base}/small.jpg`);
    const near = small.provenance.matches[0];
    t.match(near, { kind: 'near_duplicate', hash: 'pdq', transform: 'none', sha256: first.sha256 });
    t.ok(near.distance <= 31, `resized copy within PDQ's threshold (${near.distance} bits)`);
    t.same(
      small.provenance.timeline.map((e: { kind: string }) => e.kind),
      ['match_first_seen', 'checked'],
      'the copy lost its EXIF; the earlier sighting remains',
    );

    const mirror = await check(app, `${media.base}/mirror.jpg`);
    t.match(
      mirror.provenance.matches.find((m: { sha256: string }) => m.sha256 === first.sha256),
      { kind: 'near_duplicate', transform: 'mirrored' },
    );

    const unrelated = await check(app, `${media.base}/exif-samples/jpg/gps/DSCN0021.jpg`);
    t.same(unrelated.provenance.matches, [], 'a different photo matches nothing');

    const lookup = await app.inject({
      method: 'POST',
      url: '/v1/lookup',
      headers: AUTH,
      payload: { pdq: small.hashes.pdq.hash },
    });
    t.equal(lookup.statusCode, 200);
    t.ok(
      lookup.json().matches.some((m: { sha256: string }) => m.sha256 === first.sha256),
      '/v1/lookup finds it from a PDQ',
    );
    const byPhash = await app.inject({
      method: 'POST',
      url: '/v1/lookup',
      headers: AUTH,
      payload: { phash: first.hashes.phash, max_distance: 0 },
    });
    t.ok(
      byPhash.json().matches.some((m: { hash: string }) => m.hash === 'phash'),
      'and from a pHash',
    );
    t.match((await app.inject({ method: 'POST', url: '/v1/lookup', headers: AUTH, payload: {} })).json(), {
      code: 'invalid_request',
    });
  },
);

t.test('signals from the image itself', async (t) => {
  const { app } = await buildTestServer(t);
  const edited = withExifOf(PHOTO, await sharp(OTHER).jpeg().toBuffer());
  const media = await startMediaServer(t, {
    '/edited.jpg': (_q, r) => r.writeHead(200, { 'content-type': 'image/jpeg' }).end(edited),
  });
  const codes = async (path: string) =>
    (await check(app, `${media.base}${path}`)).provenance.signals.map((s: { code: string }) => s.code);
  // Its camera's date was set a day wrong: 22 hours from its GPS time.
  t.same(await codes('/exif-samples/jpg/gps/DSCN0010.jpg'), [
    'capture_predates_post',
    'gps_present',
    'capture_time_disagrees_gps',
  ]);
  t.ok((await codes('/exifr/iptc-staff-photographer-example.jpg')).includes('edited_with_software'));
  // The c2pa-rs test images were saved with the standard libjpeg tables at quality 75, without camera EXIF.
  t.same(await codes('/c2pa/CA.jpg'), ['metadata_stripped', 'c2pa_valid', 'recompressed']);
  t.same(await codes('/c2pa/XCA.jpg'), ['metadata_stripped', 'c2pa_invalid', 'recompressed']);
  t.ok((await codes('/edited.jpg')).includes('thumbnail_mismatch'), 'pixels swapped under a camera’s EXIF');
});

t.test('banks: known media by upload and by hash list; organizations; deletion', async (t) => {
  const { app } = await buildTestServer(t);
  const copy = await sharp(PHOTO).resize(400).jpeg({ quality: 50 }).toBuffer();
  const media = await startMediaServer(t, {
    '/viral.jpg': (_q, r) => r.writeHead(200, { 'content-type': 'image/jpeg' }).end(copy),
  });
  const created = await app.inject({
    method: 'POST',
    url: '/v1/banks',
    headers: AUTH,
    payload: { name: 'Debunked', kind: 'debunked' },
  });
  t.equal(created.statusCode, 201);
  const bank = created.json().id as string;
  const upload = await app.inject({
    method: 'POST',
    url: `/v1/banks/${bank}/entries/upload?label=${encodeURIComponent('Nikon sample, 2008')}&verdict=${encodeURIComponent('old photo, 2008')}`,
    headers: { ...AUTH, 'content-type': 'image/jpeg' },
    payload: PHOTO,
  });
  t.equal(upload.statusCode, 201);
  t.match(upload.json(), { id: 'e1', label: 'Nikon sample, 2008', quality: 100 });

  const csv = [
    'pdq,quality,label,first_published,source_url',
    `${'ab'.repeat(32)},90,Some archive photo,2015-01-02,https://agency.example/1`,
    'nothex,90,Bad row',
    `${'cd'.repeat(32)},abc,Bad quality`,
  ].join('\n');
  const imported = await app.inject({
    method: 'POST',
    url: `/v1/banks/${bank}/import`,
    headers: { ...AUTH, 'content-type': 'text/csv' },
    payload: csv,
  });
  t.match(imported.json(), { imported: 1, rejected: 2, entries: 2, errors: [{ line: 3 }, { line: 4 }] });
  // ThreatExchange-style rows: hash and quality, no header.
  const te = await app.inject({
    method: 'POST',
    url: `/v1/banks/${bank}/import`,
    headers: { ...AUTH, 'content-type': 'text/csv' },
    payload: `${'ef'.repeat(32)},100\n`,
  });
  t.match(te.json(), { imported: 1, entries: 3 });

  const item = await check(app, `${media.base}/viral.jpg`);
  t.match(item.provenance.matches[0], {
    source: 'bank',
    hash: 'pdq',
    bank: { id: bank, label: 'Nikon sample, 2008', verdict: 'old photo, 2008', kind: 'debunked' },
  });
  t.match(
    item.provenance.signals.find((s: { code: string }) => s.code === 'bank_match'),
    { severity: 'high', message: /old photo, 2008/ },
  );

  const otherKey = (
    await app.inject({
      method: 'POST',
      url: '/v1/admin/keys',
      headers: AUTH,
      payload: { name: 'b', org: 'newsroom-b', scopes: ['read', 'submit'] },
    })
  ).json().key;
  const b = { authorization: `Bearer ${otherKey as string}` };
  t.equal(
    (await get(app, `/v1/banks/${bank}`, b)).statusCode,
    404,
    'an unshared bank is invisible to others',
  );
  const theirs = await check(app, `${media.base}/viral.jpg?b`, b);
  t.notOk(
    theirs.provenance.matches.some((m: { source: string }) => m.source === 'bank'),
    'and never matches their images',
  );

  t.equal((await app.inject({ method: 'DELETE', url: `/v1/banks/${bank}`, headers: AUTH })).statusCode, 204);
  const after = await check(app, `${media.base}/viral.jpg?after`);
  t.notOk(
    after.provenance.matches.some((m: { source: string }) => m.source === 'bank'),
    'a deleted bank stops matching at once',
  );
});

t.test('a watchlist bank: the owner hears when a watched image reappears', async (t) => {
  const { app } = await buildTestServer(t, { WEBHOOK_BACKOFF_MS: '100' });
  const receiver = await startReceiver(t);
  await app.inject({
    method: 'POST',
    url: '/v1/webhooks',
    headers: AUTH,
    payload: { url: receiver.url, events: ['match.found'] },
  });
  const bank = await createBank(app, { name: 'Watch', kind: 'watchlist' });
  const media = await startMediaServer(t);
  const entry = await app.inject({
    method: 'POST',
    url: `/v1/banks/${bank}/entries`,
    headers: AUTH,
    payload: { image_url: `${media.base}/c2pa/IMG_0003.jpg`, label: 'watched photo' },
  });
  t.equal(entry.statusCode, 201);
  await check(app, `${media.base}/c2pa/CA.jpg`); // same pixels as IMG_0003, with Content Credentials
  const [event] = await receiver.waitFor(1);
  t.match(event!.json, {
    type: 'match.found',
    data: { bank: { id: bank }, entry: { label: 'watched photo' }, media_url: `${media.base}/c2pa/CA.jpg` },
  });
});
