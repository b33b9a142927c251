// "Has someone already fact-checked this?" A fact-check article is added (POST /v1/fact-checks): its
// ClaimReview is read and its picture remembered. Copies of that picture submitted later (resized, cropped,
// stamped "FALSE") carry the fact-check in their reports; an organization that checked the picture before
// the fact-check existed hears of it (`fact_check.found`), and no other organization does.
import sharp from 'sharp';
import t, { type Test } from 'tap';
import { AUTH, buildTestServer, get, keyFor, submit, waitForCheck } from '../helpers/app.js';
import { fixture, partialCrop } from '../helpers/images.js';
import { startMediaServer, type Handler } from '../helpers/media-server.js';
import { startReceiver } from '../helpers/receiver.js';

type App = Awaited<ReturnType<typeof buildTestServer>>['app'];
type Headers = Record<string, string>;
const PHOTO = fixture('exif-samples/jpg/gps/DSCN0010.jpg');
const OTHER = fixture('exif-samples/jpg/gps/DSCN0021.jpg');

const jpeg =
  (bytes: Buffer): Handler =>
  (_q, r) =>
    r.writeHead(200, { 'content-type': 'image/jpeg' }).end(bytes);

/** A fact-check article as publishers mark it up: a ClaimReview naming the picture it reviewed. */
function article(imageUrl: string, rating: string, publisher: string): Handler {
  const review = {
    '@context': 'https://schema.org',
    '@type': 'ClaimReview',
    datePublished: '2022-01-07',
    url: 'https://factcheck.example/2022/01/07/depot',
    headline: 'Photo of a weapons depot raid is from 2016',
    claimReviewed: 'Photo shows protesters raiding a weapons depot this week',
    author: { '@type': 'Organization', name: publisher, url: 'https://factcheck.example/' },
    reviewRating: { '@type': 'Rating', alternateName: rating },
    itemReviewed: { '@type': 'Claim', appearance: [{ '@type': 'ImageObject', contentUrl: imageUrl }] },
  };
  const page = `<!doctype html><html><head><title>Fact check</title>
<script type="application/ld+json">${JSON.stringify(review)}</script></head><body><p>Rated.</p></body></html>`;
  return (_q, r) => r.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page);
}

async function run(
  app: App,
  submitted: { statusCode: number; json: () => Record<string, unknown> },
  headers: Headers,
) {
  if (submitted.statusCode !== 202) throw new Error(`not accepted: ${JSON.stringify(submitted.json())}`);
  return waitForCheck(app, submitted.json().id as string, 60000, headers);
}

async function addFactCheck(t: Test, app: App, url: string, headers: Headers = AUTH) {
  const res = await app.inject({ method: 'POST', url: '/v1/fact-checks', headers, payload: { url } });
  const done = await run(app, res, headers);
  t.equal(done.status, 'done', `fact-check ${url} read`);
  return { bank: res.json<{ bank_id: string }>().bank_id, check: done };
}

async function checkImage(app: App, url: string, headers: Headers) {
  const done = await run(app, await submit(app, { url }, headers), headers);
  return Object.assign(done.report.media[0], { check_id: done.id as string });
}

t.test('a fact-check’s picture, resized, cropped or stamped "FALSE", is already fact-checked', async (t) => {
  const { app } = await buildTestServer(t);
  const meta = await sharp(PHOTO).metadata();
  const [w, h] = [meta.width, meta.height];
  const stamp = Buffer.from(
    `<svg width="${w}" height="${h}"><rect x="0" y="${Math.round(h * 0.4)}" width="${w}" height="${Math.round(h * 0.2)}" fill="#d00"/>` +
      `<text x="${w / 2}" y="${Math.round(h * 0.55)}" font-size="${Math.round(h * 0.15)}" font-family="DejaVu Sans" font-weight="bold" fill="#fff" text-anchor="middle">FALSE</text></svg>`,
  );
  const routes: Record<string, Handler> = {
    '/fc/photo.jpg': jpeg(PHOTO),
    '/viral/small.jpg': jpeg(await sharp(PHOTO).resize(400).jpeg({ quality: 50 }).toBuffer()),
    // sharp's JPEG default quality is 80, as partialCrop saves it.
    '/viral/crop.jpg': jpeg(await partialCrop(PHOTO, { left: 0.15, top: 0.1, width: 0.7, height: 0.75 })),
    '/viral/stamped.jpg': jpeg(
      await sharp(PHOTO)
        .composite([{ input: stamp }])
        .jpeg()
        .toBuffer(),
    ),
  };
  const media = await startMediaServer(t, routes);
  routes['/fc/article'] = article(`${media.base}/fc/photo.jpg`, 'Missing context', 'Example Fact Check');
  const { bank, check } = await addFactCheck(t, app, `${media.base}/fc/article`);
  t.match(check.report.targets[0].page.reviews, [
    { rating: 'Missing context', publisher: { name: 'Example Fact Check' } },
  ]);
  const banks = await get(app, `/v1/banks/${bank}`);
  t.match(
    banks.json(),
    { kind: 'fact_check', entries: 1, shared: true },
    'the operator’s fact-check bank, shared',
  );

  const newsroom = await keyFor(app, 'newsroom-a', ['submit', 'read']);
  for (const [path, kind] of [
    ['/viral/small.jpg', /near_duplicate/],
    ['/viral/crop.jpg', /content_region|partial|near_duplicate/],
    ['/viral/stamped.jpg', /partial|near_duplicate/],
  ] as const) {
    const item = await checkImage(app, `${media.base}${path}`, newsroom);
    t.match(
      item.fact_checks?.[0],
      {
        rating: 'Missing context',
        publisher: { name: 'Example Fact Check' },
        reviewed_at: '2022-01-07T00:00:00.000Z',
        url: 'https://factcheck.example/2022/01/07/depot',
        claim: 'Photo shows protesters raiding a weapons depot this week',
        match: { kind },
        bank: { id: bank, publisher: 'default' },
      },
      `${path}: the fact-check, and how the picture matched (${String(item.fact_checks?.[0]?.match.kind)})`,
    );
    const signal = item.provenance.signals.find((s: { code: string }) => s.code === 'already_fact_checked');
    t.match(signal, {
      severity: 'high',
      message: /^Example Fact Check rated this picture “Missing context” on 7 Jan 2022/,
    });
    t.ok(
      item.provenance.timeline.some((e: { kind: string }) => e.kind === 'fact_checked'),
      'the fact-check’s date is in the timeline',
    );
    const page = await app.inject({ method: 'GET', url: `/checks/${item.check_id}`, headers: newsroom });
    const body = page.body;
    t.ok(
      body.includes('Already fact-checked') &&
        body.indexOf('Already fact-checked') < body.indexOf('<h3>Signals</h3>'),
      'the report page shows the fact-check first',
    );
  }
});

t.test('a fact-check added after a check reaches that organization, and only it', async (t) => {
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
      payload: { url: receiver.url, events: ['fact_check.found'] },
    });
    t.equal(res.statusCode, 201);
  }
  const routes: Record<string, Handler> = {
    '/viral.jpg': jpeg(OTHER),
    '/fc/copy.jpg': jpeg(await sharp(OTHER).resize(500).jpeg({ quality: 70 }).toBuffer()),
  };
  const media = await startMediaServer(t, routes);
  routes['/fc/article'] = article(`${media.base}/fc/copy.jpg`, 'False', 'Newsroom A Checks');
  const seenByA = await run(app, await submit(app, { url: `${media.base}/viral.jpg` }, a), a);
  const seenByB = await run(app, await submit(app, { url: `${media.base}/viral.jpg?b` }, b), b);
  t.equal(seenByA.report.media[0].fact_checks, undefined, 'not fact-checked yet');

  const { bank } = await addFactCheck(t, app, `${media.base}/fc/article`, a);
  const [event] = await hooks.a.waitFor(1);
  t.match(event!.json, {
    type: 'fact_check.found',
    data: {
      check_ids: [seenByA.id],
      media_url: `${media.base}/viral.jpg`,
      match: { kind: 'near_duplicate', hash: 'pdq' },
      fact_check: { rating: 'False', publisher: { name: 'Newsroom A Checks' } },
      bank: { id: bank, publisher: 'newsroom-a' },
    },
  });
  t.notOk(JSON.stringify(event!.json).includes(seenByB.id), 'never another organization’s check');

  // A's own bank is A's: B's later check does not meet it, A's does.
  const again = {
    a: await checkImage(app, `${media.base}/viral.jpg?again`, a),
    b: await checkImage(app, `${media.base}/viral.jpg?again-b`, b),
  };
  t.match(again.a.fact_checks, [{ rating: 'False' }]);
  t.equal(again.b.fact_checks, undefined, 'another organization’s private fact-check stays its own');
  await new Promise((r) => setTimeout(r, 1000));
  t.equal(hooks.b.received.length, 0, 'B heard nothing');
  t.equal(hooks.a.received.length, 1, 'A heard once');
});

t.test('adding fact-checks: what is refused', async (t) => {
  const { app } = await buildTestServer(t);
  const a = await keyFor(app, 'newsroom-a', ['admin']);
  const b = await keyFor(app, 'newsroom-b', ['admin']);
  const post = (payload: object, headers: Headers) =>
    app.inject({ method: 'POST', url: '/v1/fact-checks', headers, payload });
  t.match((await post({ url: 'ftp://x.example/a' }, a)).json(), { code: 'invalid_url' });
  const archive = await app.inject({
    method: 'POST',
    url: '/v1/banks',
    headers: a,
    payload: { name: 'A', kind: 'archive' },
  });
  t.match((await post({ url: 'https://fc.example/a', bank_id: archive.json().id }, a)).json(), {
    code: 'invalid_request',
  });
  t.equal(
    (await post({ url: 'https://fc.example/a', bank_id: archive.json().id }, b)).statusCode,
    404,
    'B cannot add to A’s bank',
  );
  const reader = await keyFor(app, 'newsroom-a', ['read']);
  t.equal((await post({ url: 'https://fc.example/a' }, reader)).statusCode, 403, 'a read key cannot add');
});

t.test(
  'a ClaimReview feed of 10,000 reviews, in two chunks: progress, per-item errors, pictures fetched',
  async (t) => {
    const { app } = await buildTestServer(t);
    const media = await startMediaServer(t, { '/feed/photo.jpg': jpeg(OTHER) });
    const review = (i: number) => ({
      '@context': 'https://schema.org',
      '@type': 'ClaimReview',
      url: `https://factcheck.example/reviews/${i}`,
      claimReviewed: `Claim number ${i}`,
      datePublished: '2021-03-04',
      author: { '@type': 'Organization', name: 'Feed Fact Check' },
      reviewRating: { '@type': 'Rating', alternateName: i % 2 ? 'False' : 'Misleading' },
      ...(i === 7 && {
        itemReviewed: {
          '@type': 'Claim',
          appearance: [{ '@type': 'ImageObject', contentUrl: `${media.base}/feed/photo.jpg` }],
        },
      }),
    });
    // Every 1,000th item is no review: a Thing, a string, a review with neither url nor claim.
    const item = (i: number) =>
      i % 1000 === 999
        ? [{ '@type': 'Thing' }, 'text', { '@type': 'ClaimReview' }][((i / 1000) % 3) | 0]
        : review(i);
    const chunk = (from: number) => ({
      '@context': 'https://schema.org',
      '@type': 'DataFeed',
      dataFeedElement: Array.from({ length: 5000 }, (_, k) => ({
        '@type': 'DataFeedItem',
        item: [item(from + k)],
      })),
    });
    const send = (body: object) =>
      app.inject({ method: 'POST', url: '/v1/fact-checks/import', headers: AUTH, payload: body });
    const first = await send(chunk(0));
    t.equal(first.statusCode, 200, first.body.slice(0, 200));
    t.match(first.json(), { imported: 4995, rejected: 5, entries: 4995, pictures_queued: 1 });
    t.match(first.json().errors, [
      { line: 1000, reason: 'not a ClaimReview or MediaReview' },
      { line: 2000, reason: 'not an object' },
      { line: 3000, reason: 'no url and no claimReviewed' },
    ]);
    const second = await send(chunk(5000));
    t.match(
      second.json(),
      { imported: 4995, rejected: 5, entries: 9990, pictures_queued: 0 },
      'progress: the bank’s count',
    );
    t.match(second.json().errors[0], { line: 1000 }, 'lines count within the chunk');
    t.equal((await send({ '@type': 'DataFeed' })).statusCode, 400, 'no dataFeedElement');
    const bad = await app.inject({
      method: 'POST',
      url: '/v1/fact-checks/import',
      headers: { ...AUTH, 'content-type': 'application/json' },
      payload: '{"dataFeedElement": [',
    });
    t.match(bad.json(), { code: 'invalid_json' }, 'a body that is not JSON');

    // Review 7 named a picture: a check fetched it and linked it; a copy of it is now fact-checked.
    const deadline = Date.now() + 90_000; // a hang guard: the feed's import is not timed here
    let item7;
    while (Date.now() < deadline) {
      item7 = await checkImage(app, `${media.base}/feed/photo.jpg?copy${Date.now()}`, AUTH);
      if (item7.fact_checks) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    t.match(item7?.fact_checks, [
      { claim: 'Claim number 7', rating: 'False', publisher: { name: 'Feed Fact Check' } },
    ]);
  },
);
