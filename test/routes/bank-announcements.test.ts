// A debunked or watchlist entry added after checks saw its picture reaches those checks (issue 18 item 3):
// the organization whose watchlist it is hears `match.found` about its own checks, never another's; a
// shared debunked entry tells every organization that checked the picture, each of its own checks only.
import { createHash } from 'node:crypto';
import sharp from 'sharp';
import t, { type Test } from 'tap';
import { hashImage } from '../../src/pipeline/image-hashing.js';
import { AUTH, buildTestServer, createBank, keyFor, submit, waitForCheck } from '../helpers/app.js';
import { fixture, partialCrop } from '../helpers/images.js';
import { startMediaServer, type Handler } from '../helpers/media-server.js';
import { prng } from '../helpers/prng.js';
import { startReceiver } from '../helpers/receiver.js';

type App = Awaited<ReturnType<typeof buildTestServer>>['app'];
type Headers = Record<string, string>;
const PHOTO = fixture('exif-samples/jpg/gps/DSCN0021.jpg');
const OTHER = fixture('exif-samples/jpg/gps/DSCN0010.jpg');
const BRIDGE = fixture('pdq/dih/bridge-1-original.jpg');
const sha256Of = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

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

/** The message ids of the deliveries queued so far whose id starts with `prefix` (one per event and subscription). */
async function queuedMessages(app: App, prefix: string): Promise<string[]> {
  const jobs = await app.webhookQueue.getJobs([
    'waiting',
    'prioritized',
    'active',
    'delayed',
    'completed',
    'failed',
  ]);
  return jobs.map((j) => j.data.message_id).filter((id) => id.startsWith(prefix));
}

async function subscribe(app: App, headers: Headers, url: string, t: Test) {
  const res = await app.inject({
    method: 'POST',
    url: '/v1/webhooks',
    headers,
    payload: { url, events: ['match.found', 'fact_check.found'] },
  });
  t.equal(res.statusCode, 201);
}

/** `hex` with the bits at `positions` flipped. */
function flipped(hex: string, positions: readonly number[]): string {
  const buf = Buffer.from(hex, 'hex');
  for (const b of positions) buf[b >> 3] = (buf[b >> 3] as number) ^ (0x80 >> (b & 7));
  return buf.toString('hex');
}

t.test('rows of a CSV import are announced as an entry added alone is, once per image', async (t) => {
  const { app } = await buildTestServer(t, { WEBHOOK_BACKOFF_MS: '100' });
  const a = await keyFor(app, 'newsroom-a', ['admin']);
  const b = await keyFor(app, 'newsroom-b', ['admin']);
  const hooks = { a: await startReceiver(t), b: await startReceiver(t) };
  await subscribe(app, a, hooks.a.url, t);
  await subscribe(app, b, hooks.b.url, t);
  const media = await startMediaServer(t, { '/viral.jpg': jpeg(PHOTO), '/other.jpg': jpeg(OTHER) });
  const seenByA = await checked(app, `${media.base}/viral.jpg`, a);
  const otherByB = await checked(app, `${media.base}/other.jpg`, b);
  const { hashes } = await hashImage(PHOTO, 'image/jpeg', 1e8);
  const pdq = hashes.pdq.hash;

  // A's own debunked list: 1,000 rows of other pictures, and three of this one (line 2 is e1).
  const rows = ['pdq,quality,label,verdict,source_url'];
  const random = prng(18);
  for (let i = 0; i < 1000; i++) {
    const hex = Array.from({ length: 32 }, () =>
      Math.floor(random() * 256)
        .toString(16)
        .padStart(2, '0'),
    );
    rows.push(`${hex.join('')},90,unrelated ${i},False,https://fakes.example/${i}`);
  }
  rows.splice(
    101,
    0,
    `${flipped(pdq, [1, 40, 77, 130, 200, 250])},90,Depot far,Old photo,https://fakes.example/far`,
  );
  rows.splice(501, 0, `${pdq},90,Depot raid photo,From 2016,https://fakes.example/depot`);
  rows.splice(901, 0, `${flipped(pdq, [3, 99])},90,Depot near,Old photo,https://fakes.example/near`);
  const debunked = await createBank(app, { name: 'A debunked', kind: 'debunked' }, a);
  const imported = await app.inject({
    method: 'POST',
    url: `/v1/banks/${debunked}/import`,
    headers: { ...a, 'content-type': 'text/csv' },
    payload: rows.join('\n'),
  });
  t.equal(imported.statusCode, 200, imported.body.slice(0, 200));
  t.match(imported.json(), { imported: 1003, rejected: 0 });
  // Every event is queued by the time the import answers: one, for the one image A's check saw.
  t.same(await queuedMessages(app, `msg_fc_${debunked}_`), [
    `msg_fc_${debunked}_e501_${sha256Of(PHOTO).slice(0, 16)}_newsroom-a`,
  ]);
  const [event] = await hooks.a.waitFor(1);
  t.match(event!.json, {
    type: 'fact_check.found',
    data: {
      check_ids: [seenByA],
      match: { kind: 'near_duplicate', hash: 'pdq', distance: 0 },
      media_url: `${media.base}/viral.jpg`,
      fact_check: {
        url: 'https://fakes.example/depot',
        title: 'Depot raid photo',
        rating: 'From 2016',
        publisher: { name: 'A debunked' },
      },
      bank: { id: debunked, kind: 'debunked', publisher: 'newsroom-a', entry_id: 'e501' },
    },
  });
  t.equal(hooks.b.received.length, 0, 'B checked another picture, and may not see A’s bank');

  // B's own watchlist gets the other picture by an import: match.found, found_when entry_added.
  const other = (await hashImage(OTHER, 'image/jpeg', 1e8)).hashes.pdq.hash;
  const watchlist = await createBank(app, { name: 'B watchlist', kind: 'watchlist' }, b);
  const watched = await app.inject({
    method: 'POST',
    url: `/v1/banks/${watchlist}/import`,
    headers: { ...b, 'content-type': 'text/csv' },
    payload: `pdq,quality,label\n${flipped(other, [5, 6, 7])},95,Flood photo\n${pdq},95,Depot photo\n`,
  });
  t.equal(watched.statusCode, 200, watched.body.slice(0, 200));
  const [toB] = await hooks.b.waitFor(1);
  t.match(toB!.json, {
    type: 'match.found',
    data: {
      check_id: otherByB,
      check_ids: [otherByB],
      found_when: 'entry_added',
      bank: { id: watchlist, name: 'B watchlist' },
      entry: { id: 'e1', label: 'Flood photo' },
      kind: 'near_duplicate',
      hash: 'pdq',
      distance: 3,
    },
  });
  t.notOk(JSON.stringify(toB!.json).includes(seenByA), 'never A’s check of the depot photo');
  t.same(
    await queuedMessages(app, `msg_wl_${watchlist}_`),
    [`msg_wl_${watchlist}_e1_${sha256Of(OTHER).slice(0, 16)}_newsroom-b`],
    'A’s check of the depot photo is not B’s to hear of',
  );
  t.equal(hooks.a.received.length, 1);
});

t.test(
  'a picture added later finds a crop of it seen before, and a crop added later the whole',
  async (t) => {
    const { app } = await buildTestServer(t, { WEBHOOK_BACKOFF_MS: '100' });
    const a = await keyFor(app, 'newsroom-a', ['admin']);
    const hook = await startReceiver(t);
    await subscribe(app, a, hook.url, t);
    const bridgeCrop = await partialCrop(BRIDGE);
    const media = await startMediaServer(t, { '/cropped.jpg': jpeg(bridgeCrop), '/whole.jpg': jpeg(BRIDGE) });
    // A crop of the bridge, seen first; the whole bridge photo then added to a debunked bank.
    const seenCrop = await checked(app, `${media.base}/cropped.jpg`, a);
    const debunked = await createBank(app, { name: 'Known fakes', kind: 'debunked' }, a);
    const whole = await app.inject({
      method: 'POST',
      url: `/v1/banks/${debunked}/entries/upload?label=Bridge%20collapse&verdict=Old%20photo`,
      headers: { ...a, 'content-type': 'image/jpeg' },
      payload: BRIDGE,
    });
    t.equal(whole.statusCode, 201, whole.body.slice(0, 200));
    const [event] = await hook.waitFor(1);
    t.match(event!.json, {
      type: 'fact_check.found',
      data: {
        check_ids: [seenCrop],
        sha256: sha256Of(bridgeCrop),
        match: { kind: 'partial', hash: 'orb', distance: 0 },
        fact_check: { title: 'Bridge collapse', rating: 'Old photo' },
        bank: { id: debunked, entry_id: whole.json().id },
      },
    });
    const inliers = (event!.json.data.match as { inliers?: number }).inliers ?? 0;
    t.ok(inliers >= 20, `${inliers} inliers`);

    // The other way: the whole picture seen first; a crop of it added to a watchlist.
    const desk = fixture('pdq/exif-rotn/exif-rotn-1.jpg');
    const deskPhoto = await sharp(desk).rotate().jpeg({ quality: 90 }).toBuffer();
    const more = await startMediaServer(t, { '/desk.jpg': jpeg(deskPhoto) });
    const seenWhole = await checked(app, `${more.base}/desk.jpg`, a);
    const watchlist = await createBank(app, { name: 'Watch', kind: 'watchlist' }, a);
    const cropped = await app.inject({
      method: 'POST',
      url: `/v1/banks/${watchlist}/entries/upload?label=Desk%20crop`,
      headers: { ...a, 'content-type': 'image/jpeg' },
      payload: await partialCrop(deskPhoto),
    });
    t.equal(cropped.statusCode, 201, cropped.body.slice(0, 200));
    const [, back] = await hook.waitFor(2);
    t.match(back!.json, {
      type: 'match.found',
      data: {
        check_ids: [seenWhole],
        found_when: 'entry_added',
        entry: { id: cropped.json().id, label: 'Desk crop' },
        kind: 'partial',
        hash: 'orb',
        sha256: sha256Of(deskPhoto),
      },
    });
  },
);
