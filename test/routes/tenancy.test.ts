// Trust between newsrooms: organization B, even with an admin key, can neither read nor change anything
// of organization A's, through any route, the queue dashboard or a job; shared banks are the operator's;
// a file A uploaded stays A's; events never carry another organization's work. (SECURITY.md)
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Job } from 'bullmq';
import sharp from 'sharp';
import t from 'tap';
import { AUTH, buildTestServer, createBank, get, keyFor, submit, waitForCheck } from '../helpers/app.js';
import { hashImage } from '../../src/pipeline/image-hashing.js';
import { fixture } from '../helpers/images.js';
import { startMediaServer } from '../helpers/media-server.js';
import { startReceiver } from '../helpers/receiver.js';

type App = Awaited<ReturnType<typeof buildTestServer>>['app'];
type Headers = Record<string, string>;
const PHOTO = fixture('exif-samples/jpg/gps/DSCN0010.jpg');

async function checked(app: App, url: string, headers: Headers) {
  const res = await submit(app, { url }, headers);
  if (res.statusCode !== 202) throw new Error(`${res.statusCode} ${res.body}`);
  return waitForCheck(app, res.json().id as string, 30000, headers);
}

async function jobOutcome(job: Job | undefined, timeoutMs = 60_000): Promise<string> {
  if (!job) return 'missing';
  const t0 = Date.now();
  for (;;) {
    const state = await job.getState();
    if (state === 'completed' || state === 'failed') return state;
    if (Date.now() - t0 > timeoutMs) return state;
    await new Promise((r) => setTimeout(r, 100));
  }
}

t.test('organization B walks every route against A’s work and gets nothing', async (t) => {
  const archives = mkdtempSync(join(tmpdir(), 'firstseen-tenancy-'));
  t.teardown(() => rmSync(archives, { recursive: true, force: true }));
  const { app } = await buildTestServer(t, {
    ARCHIVE_ENABLED: 'true',
    ARCHIVE_DIR: archives,
    FORENSIC_VIEWS: 'true',
  });
  const media = await startMediaServer(t);
  const a = await keyFor(app, 'newsroom-a', ['admin']);
  const b = await keyFor(app, 'newsroom-b', ['admin']);
  const receiver = await startReceiver(t);

  // A's work: a check, a subscription with a delivered event, a bank with an entry, a key.
  const sub = await app.inject({
    method: 'POST',
    url: '/v1/webhooks',
    headers: a,
    payload: { url: receiver.url, events: ['check.completed'] },
  });
  const subId = sub.json().id as string;
  // Submitted with an Idempotency-Key, which B then sends too.
  const check = await checked(app, `${media.base}/c2pa/CA.jpg`, { ...a, 'idempotency-key': 'a-key' });
  const [delivered] = await receiver.waitFor(1);
  const bank = await createBank(app, { name: 'A archive', kind: 'archive' }, a);
  const entry = await app.inject({
    method: 'POST',
    url: `/v1/banks/${bank}/entries`,
    headers: a,
    payload: { pdq: 'ab'.repeat(32), quality: 100, label: 'A entry' },
  });
  t.equal(entry.statusCode, 201);
  const aKeys = (await get(app, '/v1/admin/keys', a)).json().keys as Array<{ id: string }>;
  const aKey = aKeys[0]!.id;
  const sha = check.report.media[0].sha256 as string;

  const walk: Array<[string, string, object | string | undefined, Headers?]> = [
    ['GET', `/v1/checks/${check.id}`, undefined],
    ['GET', `/v1/checks/${check.id}`, undefined, { accept: 'text/html' }],
    ['GET', `/v1/checks/${check.id}/report`, undefined],
    ['GET', `/v1/checks/${check.id}/archive.wacz`, undefined],
    ['GET', `/v1/checks/${check.id}/media/0/views/ela`, undefined],
    ['GET', `/v1/checks/${check.id}/media/0/views/noise`, undefined],
    ['POST', `/v1/checks/${check.id}/media/0/views`, undefined],
    // The report page's button: a same-site form post, as B's browser would send it.
    [
      'POST',
      `/checks/${check.id}/media/0/views`,
      '',
      { 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'same-origin' },
    ],
    ['POST', `/v1/checks/${check.id}/watch`, undefined],
    ['DELETE', `/v1/checks/${check.id}/watch`, undefined],
    ['GET', `/checks/${check.id}`, undefined],
    ['GET', `/v1/webhooks/${subId}`, undefined],
    ['DELETE', `/v1/webhooks/${subId}`, undefined],
    ['POST', `/v1/webhooks/${subId}/rotate-secret`, undefined],
    ['GET', `/v1/webhooks/${subId}/deliveries`, undefined],
    ['POST', `/v1/webhooks/${subId}/deliveries/${delivered!.id}/redeliver`, undefined],
    ['GET', `/v1/banks/${bank}`, undefined],
    ['DELETE', `/v1/banks/${bank}`, undefined],
    ['POST', `/v1/banks/${bank}/entries`, { pdq: 'cd'.repeat(32), label: 'planted' }],
    ['POST', `/v1/banks/${bank}/entries/upload?label=planted`, 'image', { 'content-type': 'image/jpeg' }],
    ['POST', `/v1/banks/${bank}/import`, `${'ef'.repeat(32)},100\n`, { 'content-type': 'text/csv' }],
    [
      'POST',
      `/v1/banks/${bank}/vpdq?label=planted`,
      `0,100,${'ab'.repeat(32)},0.000\n`,
      { 'content-type': 'text/plain' },
    ],
    ['GET', `/v1/banks/${bank}/entries/e1`, undefined],
    // A fact-check into A's bank (even one of kind fact_check would be refused: the bank is A's).
    ['POST', `/v1/fact-checks`, { url: `${media.base}/c2pa/CA.jpg`, bank_id: bank }],
    [
      'POST',
      `/v1/fact-checks/import?bank_id=${bank}`,
      {
        dataFeedElement: [
          { '@type': 'ClaimReview', url: 'https://fc.example/planted', claimReviewed: 'planted' },
        ],
      },
    ],
    ['GET', `/v1/checks/${check.id}/mediareview`, undefined],
    ['GET', `/v1/admin/keys?org=newsroom-a`, undefined],
    ['DELETE', `/v1/admin/keys/${aKey}`, undefined],
    ['POST', `/v1/admin/keys`, { name: 'x', org: 'newsroom-a', scopes: ['admin'] }],
    ['POST', `/v1/admin/keys`, { name: 'x', scopes: ['operator'] }],
    ['POST', `/v1/banks`, { name: 'planted', kind: 'debunked', shared: true }],
    ['GET', '/admin/queues/api/queues', undefined],
    ['PUT', '/admin/queues/api/queues/pause', undefined],
    ['POST', '/admin/queues/api/queues/webhooks/add', { name: 'deliver', data: {} }],
    ['GET', '/metrics', undefined],
  ];
  for (const [method, url, body, extra] of walk) {
    const payload = body === 'image' ? PHOTO : body;
    const res = await app.inject({
      method: method as 'GET',
      url,
      headers: { ...b, ...extra },
      ...(payload !== undefined && { payload }),
    });
    t.ok([403, 404].includes(res.statusCode), `${method} ${url}: ${res.statusCode}`);
    t.notMatch(res.body, /newsroom-a|A archive|A entry/, `${method} ${url} says nothing of A`);
  }
  // B's own lists hold nothing of A's.
  for (const url of ['/v1/webhooks', '/v1/banks', '/v1/admin/keys']) {
    const res = await get(app, url, b);
    t.equal(res.statusCode, 200);
    t.notMatch(res.body, new RegExp(`${subId}|${bank}|${aKey}`), `${url} lists nothing of A`);
  }
  // The shared memory shows the public picture A checked, never A's check or organization.
  const pdq = check.report.media[0].hashes.pdq.hash as string;
  const lookup = await app.inject({ method: 'POST', url: '/v1/lookup', headers: b, payload: { pdq } });
  t.equal(lookup.json().matches[0]?.sha256, sha, 'the picture is in the shared memory');
  t.notMatch(lookup.body, new RegExp(`${check.id as string}|newsroom-a`));

  // Views asked at submission of the same link, with A's idempotency key: a check of B's own.
  const mine = await submit(
    app,
    { url: `${media.base}/c2pa/CA.jpg`, views: true },
    { ...b, 'idempotency-key': 'a-key' },
  );
  t.equal(mine.statusCode, 202);
  t.not(mine.json().id, check.id, 'never A’s check');
  const own = await waitForCheck(app, mine.json().id as string, 30000, b);
  t.match(own.report.media[0].views, { ela: { url: `/v1/checks/${own.id}/media/0/views/ela` } });

  // Nothing of A's changed.
  t.same((await get(app, `/v1/checks/${check.id}`, a)).json(), check, 'A’s check is as it was');
  t.equal((await get(app, `/v1/checks/${check.id}/archive.wacz`, a)).statusCode, 200, 'A has its archive');
  t.equal((await get(app, `/v1/checks/${check.id}/media/0/views/ela`, a)).statusCode, 200, 'A has its views');
  t.equal((await get(app, `/v1/webhooks/${subId}`, a)).statusCode, 200, 'A’s subscription is there');
  t.match((await get(app, `/v1/banks/${bank}`, a)).json(), { entries: 1 }, 'A’s bank has its one entry');
  t.equal((await get(app, '/v1/webhooks', a)).statusCode, 200, 'A’s key still works');
  t.equal(await app.checkQueue.isPaused(), false, 'the queue runs');
  t.equal(receiver.received.length, 1, 'no redelivery');

  // Every API route of the contract is walked above, or holds only the caller's own data.
  const shape = (m: string, u: string) =>
    `${m} ${u
      .split('?')[0]!
      .split('/')
      .map((seg) => (/^(chk_|wh_|bank_|key_|msg_|\{)|^e\d+$|^\d+$|^(ela|noise)$/.test(seg) ? '*' : seg))
      .join('/')}`;
  const walked = new Set(walk.map(([m, u]) => shape(m, u)));
  const ownData = new Set([
    'GET /healthz',
    'GET /readyz',
    'POST /v1/checks',
    'POST /v1/checks/upload',
    'GET /v1/webhooks',
    'POST /v1/webhooks',
    'GET /v1/banks',
    'GET /v1/admin/keys',
    'POST /v1/lookup',
    'GET /v1/media/*/thumbnail',
  ]);
  const contract = readFileSync(resolve(import.meta.dirname, '../../openapi.yaml'), 'utf8');
  let path = '';
  for (const line of contract.split('\n')) {
    const p = /^ {2}(\/\S*):$/.exec(line);
    if (p) path = p[1]!;
    const m = /^ {4}(get|post|put|delete|patch):$/.exec(line);
    if (!m || !path) continue;
    const route = shape(m[1]!.toUpperCase(), path);
    t.ok(walked.has(route) || ownData.has(route), `${route} is walked, or holds only the caller’s own data`);
  }
});

t.test('the queue dashboard: the operator’s only, and read-only unless configured', async (t) => {
  const { app } = await buildTestServer(t);
  const admin = await keyFor(app, 'newsroom-a', ['admin']);
  t.equal((await get(app, '/admin/queues/api/queues', admin)).statusCode, 403, 'an organization admin: no');
  const ops = await get(app, '/admin/queues/api/queues');
  t.equal(ops.statusCode, 200, 'the operator reads it');
  const pause = await app.inject({ method: 'PUT', url: '/admin/queues/api/queues/pause', headers: AUTH });
  t.equal(pause.statusCode, 405, 'pausing is refused');
  t.match(pause.body, /read-only/);
  const add = await app.inject({
    method: 'POST',
    url: '/admin/queues/api/queues/checks/add',
    headers: AUTH,
    payload: { name: 'check', data: {} },
  });
  t.equal(add.statusCode, 405, 'no job can be added');
  t.equal(await app.checkQueue.isPaused(), false);

  const writable = await buildTestServer(t, { DASHBOARD_READ_ONLY: 'false', ROLE: 'api' });
  const paused = await writable.app.inject({
    method: 'PUT',
    url: '/admin/queues/api/queues/pause',
    headers: AUTH,
  });
  t.equal(paused.statusCode, 200, 'with DASHBOARD_READ_ONLY=false the operator can act');
  t.equal(await writable.app.checkQueue.isPaused(), true);
});

t.test('workers never let a job name another organization’s check or message', async (t) => {
  const { app } = await buildTestServer(t, { DASHBOARD_READ_ONLY: 'false', JOB_ATTEMPTS: '1' });
  const media = await startMediaServer(t);
  const a = await keyFor(app, 'newsroom-a', ['admin']);
  const b = await keyFor(app, 'newsroom-b', ['admin']);
  const ra = await startReceiver(t);
  const rb = await startReceiver(t);
  for (const [headers, r] of [
    [a, ra],
    [b, rb],
  ] as const) {
    await app.inject({
      method: 'POST',
      url: '/v1/webhooks',
      headers,
      payload: { url: r.url, events: ['check.completed'] },
    });
  }
  const checkA = await checked(app, `${media.base}/c2pa/CA.jpg`, a);
  await ra.waitFor(1);
  const subB = (await get(app, '/v1/webhooks', b)).json().webhooks[0].id as string;
  const cb = await submit(app, { url: `${media.base}/c2pa/XCA.jpg`, callback_url: rb.url }, b);
  const checkB = await waitForCheck(app, cb.json().id as string, 30000, b);
  await rb.waitFor(2);

  // Jobs added through the (writable) dashboard, as a hostile operator's or a leaked key would.
  const add = async (queue: string, body: object) => {
    const res = await app.inject({
      method: 'POST',
      url: `/admin/queues/api/queues/${queue}/add`,
      headers: AUTH,
      payload: body,
    });
    t.equal(res.statusCode, 200, `${queue} job added`);
  };
  const messageA = `msg_${checkA.id as string}_completed`;
  await add('webhooks', {
    name: 'deliver',
    data: { message_id: messageA, target: { kind: 'subscription', id: subB } },
    options: { jobId: 'forged-sub' },
  });
  await add('webhooks', {
    name: 'deliver',
    data: { message_id: messageA, target: { kind: 'callback', check_id: checkB.id } },
    options: { jobId: 'forged-callback' },
  });
  await add('checks', {
    name: 'check',
    data: { check_id: checkA.id, targets: [{ input: 'x', url: `${media.base}/c2pa/XCA.jpg` }] },
    options: { jobId: 'forged-check' },
  });
  t.equal(await jobOutcome(await Job.fromId(app.webhookQueue, 'forged-sub')), 'failed');
  t.equal(await jobOutcome(await Job.fromId(app.webhookQueue, 'forged-callback')), 'failed');
  t.equal(await jobOutcome(await Job.fromId(app.checkQueue, 'forged-check')), 'failed');
  // The submission's `views` option rides in a check's own job only: one naming A's check with it fails.
  await add('checks', {
    name: 'check',
    data: { check_id: checkA.id, targets: checkA.targets, views: true },
    options: { jobId: 'forged-views' },
  });
  t.equal(await jobOutcome(await Job.fromId(app.checkQueue, 'forged-views')), 'failed');
  await new Promise((r) => setTimeout(r, 300));
  t.equal(rb.received.length, 2, 'B’s receiver got only B’s own two deliveries');
  t.notOk(
    rb.received.some((r) => r.body.includes(checkA.id as string)),
    'never A’s report',
  );
  const after = (await get(app, `/v1/checks/${checkA.id as string}`, a)).json();
  t.same(after, checkA, 'A’s check was neither re-run, rewritten nor marked failed');
  t.notOk(after.report.media[0].views, 'no views made for A’s check');
});

t.test('shared banks are published by the operator, and name their publisher', async (t) => {
  const { app } = await buildTestServer(t, { SHARED_BANK_PUBLISHERS: 'agency-c' });
  const copy = await sharp(PHOTO).resize(400).jpeg({ quality: 60 }).toBuffer();
  const media = await startMediaServer(t, {
    '/viral.jpg': (_q, r) => r.writeHead(200, { 'content-type': 'image/jpeg' }).end(copy),
  });
  const a = await keyFor(app, 'newsroom-a', ['admin']);
  const b = await keyFor(app, 'newsroom-b', ['admin']);
  const c = await keyFor(app, 'agency-c', ['admin']);
  const create = (headers: Headers, name: string, shared: boolean) =>
    app.inject({
      method: 'POST',
      url: '/v1/banks',
      headers,
      payload: { name, kind: 'debunked', shared },
    });
  const refused = await create(a, 'planted', true);
  t.match(refused.json(), { statusCode: 403, code: 'forbidden' }, 'an organization admin cannot publish');
  t.equal((await create(c, 'agency list', true)).statusCode, 201, 'an allowed publisher can');
  // A bank marked shared before the rule (or by a publisher no longer allowed) reaches nobody else.
  const legacy = await app.memory.banks.create('newsroom-a', {
    name: 'legacy planted',
    kind: 'debunked',
    shared: true,
  });
  await app.memory.banks.addEntries(legacy, [
    {
      label: 'planted verdict',
      verdict: 'fake',
      source_url: null,
      first_published: null,
      ...(await hashesOf(copy)),
    },
  ]);
  const shared = (await create(AUTH, 'Operator debunks', true)).json().id as string;
  const up = await app.inject({
    method: 'POST',
    url: `/v1/banks/${shared}/entries/upload?label=Nikon%20sample`,
    headers: { ...AUTH, 'content-type': 'image/jpeg' },
    payload: PHOTO,
  });
  t.equal(up.statusCode, 201);
  const listed = (await get(app, '/v1/banks', b)).json().banks as Array<{ name: string; publisher: string }>;
  t.same(
    listed.map((x) => [x.name, x.publisher]).sort(),
    [
      ['Operator debunks', 'default'],
      ['agency list', 'agency-c'],
    ],
    'B sees the published banks with their publishers, not the legacy one',
  );
  const done = await checked(app, `${media.base}/viral.jpg`, b);
  const banks = done.report.media[0].provenance.matches.filter(
    (m: { source: string }) => m.source === 'bank',
  );
  t.match(banks, [{ bank: { id: shared, publisher: 'default' } }], 'only the operator’s bank matches');
  t.match(
    done.report.media[0].provenance.signals.find((s: { code: string }) => s.code === 'bank_match'),
    { message: /in the bank "Operator debunks" of default/ },
  );
});

async function hashesOf(bytes: Buffer) {
  const h = await hashImage(bytes, 'image/jpeg', 1e8);
  return { pdq: h.hashes.pdq.hash, quality: h.hashes.pdq.quality, phash: h.hashes.phash };
}

t.test('a watchlist tells the organization whose check found the image, never another', async (t) => {
  const { app } = await buildTestServer(t, { WEBHOOK_BACKOFF_MS: '100' });
  const media = await startMediaServer(t);
  const a = await keyFor(app, 'newsroom-a', ['admin']);
  const b = await keyFor(app, 'newsroom-b', ['admin']);
  const receivers = { a: await startReceiver(t), b: await startReceiver(t), ops: await startReceiver(t) };
  for (const [headers, r] of [
    [a, receivers.a],
    [b, receivers.b],
    [AUTH, receivers.ops],
  ] as const) {
    await app.inject({
      method: 'POST',
      url: '/v1/webhooks',
      headers,
      payload: { url: r.url, events: ['match.found'] },
    });
  }
  const watch = async (headers: Headers, shared: boolean) => {
    const id = await createBank(app, { name: 'Watch', kind: 'watchlist', shared }, headers);
    const e = await app.inject({
      method: 'POST',
      url: `/v1/banks/${id}/entries`,
      headers,
      payload: { image_url: `${media.base}/c2pa/IMG_0003.jpg`, label: 'watched photo' },
    });
    t.equal(e.statusCode, 201);
    return id;
  };
  const bankA = await watch(a, false);
  const bankOps = await watch(AUTH, true);
  // B checks the watched picture: B hears of the operator's shared watchlist; A and the operator hear nothing.
  const checkB = await checked(app, `${media.base}/c2pa/CA.jpg`, b);
  const [eventB] = await receivers.b.waitFor(1);
  t.match(eventB!.json, { type: 'match.found', data: { check_id: checkB.id, bank: { id: bankOps } } });
  // A checks it: A hears of its own watchlist (and of the shared one).
  const checkA = await checked(app, `${media.base}/c2pa/CA.jpg?again`, a);
  const got = await receivers.a.waitFor(2);
  t.same(got.map((r) => (r.json.data.bank as { id: string }).id).sort(), [bankA, bankOps].sort());
  t.ok(got.every((r) => r.json.data.check_id === checkA.id));
  await new Promise((r) => setTimeout(r, 500));
  t.equal(receivers.b.received.length, 1, 'B heard only of its own check');
  t.equal(receivers.ops.received.length, 0, 'the operator never hears of other organizations’ checks');
});

t.test('a file a newsroom uploaded stays its own in the shared memory', async (t) => {
  const { app } = await buildTestServer(t);
  const media = await startMediaServer(t, {
    '/public.jpg': (_q, r) => r.writeHead(200, { 'content-type': 'image/jpeg' }).end(PHOTO),
  });
  const a = await keyFor(app, 'newsroom-a', ['admin']);
  const b = await keyFor(app, 'newsroom-b', ['admin']);
  const c = await keyFor(app, 'newsroom-c', ['admin']);
  const up = await app.inject({
    method: 'POST',
    url: '/v1/checks/upload?filename=tip.jpg',
    headers: { ...a, 'content-type': 'image/jpeg' },
    payload: PHOTO,
  });
  const uploaded = await waitForCheck(app, up.json().id as string, 30000, a);
  t.equal(uploaded.status, 'done');
  // B checks the same picture at a public URL: A's upload is not an earlier sighting B may see.
  const seenByB = await checked(app, `${media.base}/public.jpg`, b);
  t.same(seenByB.report.media[0].provenance.matches, [], 'no match: only A’s upload held it');
  t.notMatch(JSON.stringify(seenByB), /upload:|tip\.jpg|newsroom-a/);
  // C, later: the first sighting it may see is B's public one.
  const seenByC = await checked(app, `${media.base}/public.jpg?c`, c);
  t.match(seenByC.report.media[0].provenance.matches[0], {
    kind: 'exact',
    first_seen_url: `${media.base}/public.jpg`,
  });
  t.notMatch(JSON.stringify(seenByC), /upload:|tip\.jpg/);
  // A itself still sees its upload as the first sighting.
  const seenByA = await checked(app, `${media.base}/public.jpg?a`, a);
  t.match(seenByA.report.media[0].provenance.matches[0], { kind: 'exact', first_seen_url: /^upload:/ });
});
