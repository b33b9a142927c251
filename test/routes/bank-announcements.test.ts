// A debunked or watchlist entry added after checks saw its picture reaches those checks (issue 18 item 3):
// the organization whose watchlist it is hears `match.found` about its own checks, never another's; a
// shared debunked entry tells every organization that checked the picture, each of its own checks only.
import sharp from 'sharp';
import t from 'tap';
import { AUTH, buildTestServer, createBank, keyFor, submit, waitForCheck } from '../helpers/app.js';
import { fixture } from '../helpers/images.js';
import { startMediaServer, type Handler } from '../helpers/media-server.js';
import { startReceiver } from '../helpers/receiver.js';

type App = Awaited<ReturnType<typeof buildTestServer>>['app'];
type Headers = Record<string, string>;
const PHOTO = fixture('exif-samples/jpg/gps/DSCN0021.jpg');
const OTHER = fixture('exif-samples/jpg/gps/DSCN0010.jpg');

const jpeg =
  (bytes: Buffer): Handler =>
  (_q, r) =>
    r.writeHead(200, { 'content-type': 'image/jpeg' }).end(bytes);

async function checked(app: App, url: string, headers: Headers) {
  const res = await submit(app, { url }, headers);
  if (res.statusCode !== 202) throw new Error(`${res.statusCode} ${res.body}`);
  const done = await waitForCheck(app, res.json().id as string, 60000, headers);
  if (done.status !== 'done') throw new Error(`check ${done.id as string} ${done.status as string}`);
  return done.id as string;
}

t.test('entries added later reach the organizations whose checks saw the picture', async (t) => {
  const { app } = await buildTestServer(t, { WEBHOOK_BACKOFF_MS: '100' });
  const a = await keyFor(app, 'newsroom-a', ['admin']);
  const b = await keyFor(app, 'newsroom-b', ['admin']);
  const hooks = { a: await startReceiver(t), b: await startReceiver(t) };
  for (const [headers, receiver] of [
    [a, hooks.a],
    [b, hooks.b],
  ] as const) {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/webhooks',
      headers,
      payload: { url: receiver.url, events: ['match.found', 'fact_check.found'] },
    });
    t.equal(res.statusCode, 201);
  }
  const copy = await sharp(PHOTO).resize(400).jpeg({ quality: 70 }).toBuffer();
  const media = await startMediaServer(t, {
    '/viral.jpg': jpeg(PHOTO),
    '/other.jpg': jpeg(OTHER),
    '/debunk/photo.jpg': jpeg(copy),
  });
  const seenByA = await checked(app, `${media.base}/viral.jpg`, a);
  const otherByA = await checked(app, `${media.base}/other.jpg`, a);
  const seenByB = await checked(app, `${media.base}/viral.jpg?b`, b);

  // A's private watchlist, with a resized copy of the picture uploaded as its entry.
  const watchlist = await createBank(app, { name: 'A watchlist', kind: 'watchlist' }, a);
  const added = await app.inject({
    method: 'POST',
    url: `/v1/banks/${watchlist}/entries/upload?label=Depot%20photo&verdict=watch`,
    headers: { ...a, 'content-type': 'image/jpeg' },
    payload: copy,
  });
  t.equal(added.statusCode, 201, added.body.slice(0, 200));
  const [event] = await hooks.a.waitFor(1);
  t.match(event!.json, {
    type: 'match.found',
    data: {
      check_id: seenByA,
      check_ids: [seenByA],
      found_when: 'entry_added',
      bank: { id: watchlist, name: 'A watchlist' },
      entry: { id: added.json().id, label: 'Depot photo', verdict: 'watch' },
      kind: 'near_duplicate',
      hash: 'pdq',
      media_url: `${media.base}/viral.jpg`,
    },
  });
  const sent = JSON.stringify(event!.json);
  t.notOk(sent.includes(seenByB), 'never another organization’s check');
  t.notOk(sent.includes(otherByA), 'nor a check of another picture');
  await new Promise((r) => setTimeout(r, 1000));
  t.equal(hooks.b.received.length, 0, 'B heard nothing of A’s private watchlist');
  t.equal(hooks.a.received.length, 1, 'A heard once');

  // The operator's shared debunked bank: each organization hears of its own check.
  const debunked = await createBank(app, { name: 'Known fakes', kind: 'debunked', shared: true }, AUTH);
  const entry = await app.inject({
    method: 'POST',
    url: `/v1/banks/${debunked}/entries`,
    headers: AUTH,
    payload: {
      image_url: `${media.base}/debunk/photo.jpg`,
      label: 'Depot raid photo',
      verdict: 'From 2016, not this week',
      source_url: 'https://fakes.example/depot',
    },
  });
  t.equal(entry.statusCode, 201, entry.body.slice(0, 200));
  const [, toA] = await hooks.a.waitFor(2);
  const [toB] = await hooks.b.waitFor(1);
  for (const [got, own, other] of [
    [toA!, seenByA, seenByB],
    [toB!, seenByB, seenByA],
  ] as const) {
    t.match(got.json, {
      type: 'fact_check.found',
      data: {
        check_ids: [own],
        match: { kind: 'near_duplicate', hash: 'pdq' },
        fact_check: {
          url: 'https://fakes.example/depot',
          title: 'Depot raid photo',
          rating: 'From 2016, not this week',
          publisher: { name: 'Known fakes' },
        },
        bank: { id: debunked, kind: 'debunked', publisher: 'default' },
      },
    });
    t.notOk(JSON.stringify(got.json).includes(other), 'only its own check');
  }
  // A later check of the picture meets the entry through the index, once: as a bank match.
  const later = await submit(app, { url: `${media.base}/viral.jpg?later` }, b);
  const report = (await waitForCheck(app, later.json().id as string, 60000, b)).report;
  t.match(report.media[0].provenance.signals, [{ code: 'bank_match' }]);
  t.equal(
    (report.media[0].fact_checks ?? []).length,
    0,
    'a debunked entry the image matches itself is its bank_match, not also a fact-check',
  );
});
