// No organization slows another's work: its webhook receivers, its floods of checks and uploads, its
// lookups; and the operator's doors (bootstrap key, metrics) stay the operator's. (SECURITY.md)
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import t, { type Test } from 'tap';
import { buildService, startWorkers } from '../../workers/index.js';
import { createLogger } from '../../src/logger.js';
import { AUTH, buildTestServer, get, keyFor, submit, testConfig, waitForCheck } from '../helpers/app.js';
import { fixture } from '../helpers/images.js';
import { startMediaServer } from '../helpers/media-server.js';
import { startReceiver } from '../helpers/receiver.js';

type Headers = Record<string, string>;
const PHOTO = fixture('exif-samples/jpg/gps/DSCN0010.jpg');

/** A receiver that never answers: it holds each request open and counts how many it holds at once. */
async function deadReceiver(t: Test) {
  const open = new Set<ServerResponse>();
  let most = 0;
  let total = 0;
  const server = createServer((_req: IncomingMessage, res: ServerResponse) => {
    open.add(res);
    total++;
    most = Math.max(most, open.size);
    res.on('close', () => open.delete(res));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => {
    server.closeAllConnections();
    server.close();
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    stats: () => ({ open: open.size, most, total }),
  };
}

t.test('one organization’s dead receivers never hold up another’s deliveries', async (t) => {
  // Reproduces the report: an organization's many subscriptions to a receiver that never answers delayed
  // another organization's delivery by 29 s. Now: at most WEBHOOK_MAX_SUBSCRIPTIONS subscriptions, at most
  // WEBHOOK_ORG_CONCURRENCY of its deliveries in flight, and the other organization's first delivery
  // goes ahead of its queue.
  const { app } = await buildTestServer(t, { WEBHOOK_TIMEOUT_MS: '20000', WEBHOOK_ATTEMPTS: '1' });
  const media = await startMediaServer(t);
  const a = await keyFor(app, 'newsroom-a', ['admin']);
  const b = await keyFor(app, 'newsroom-b', ['admin']);
  const dead = await deadReceiver(t);
  for (let i = 0; i < 25; i++) {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/webhooks',
      headers: a,
      payload: { url: `${dead.url}?${i}`, events: ['check.completed'] },
    });
    t.equal(res.statusCode, 201);
  }
  const over = await app.inject({
    method: 'POST',
    url: '/v1/webhooks',
    headers: a,
    payload: { url: dead.url, events: ['check.completed'] },
  });
  t.match(over.json(), { statusCode: 409, code: 'too_many_subscriptions' });

  await waitForCheck(app, (await submit(app, { url: `${media.base}/c2pa/CA.jpg` }, a)).json().id, 30000, a);
  const t0 = Date.now();
  while (dead.stats().open < 4 && Date.now() - t0 < 15000) await new Promise((r) => setTimeout(r, 50));
  t.equal(dead.stats().open, 4, 'A’s deliveries hang, four at a time');

  const fine = await startReceiver(t);
  await app.inject({
    method: 'POST',
    url: '/v1/webhooks',
    headers: b,
    payload: { url: fine.url, events: ['check.completed'] },
  });
  const started = Date.now();
  await waitForCheck(app, (await submit(app, { url: `${media.base}/c2pa/XCA.jpg` }, b)).json().id, 30000, b);
  await fine.waitFor(1, 15000);
  const waited = Date.now() - started;
  t.ok(waited < 15000, `B’s check and delivery took ${waited} ms while A’s receivers hung (timeout 20 s)`);
  t.equal(dead.stats().most, 4, 'A never had more than WEBHOOK_ORG_CONCURRENCY deliveries in flight');
});

t.test('a flood of one organization’s checks does not queue another’s behind it', async (t) => {
  const { app, config } = await buildTestServer(t, { ROLE: 'api', DEDUP_WINDOW_SECONDS: '0' });
  const media = await startMediaServer(t);
  const a = await keyFor(app, 'newsroom-a', ['submit', 'read']);
  const b = await keyFor(app, 'newsroom-b', ['submit', 'read']);
  const flood: string[] = [];
  for (let i = 0; i < 12; i++)
    flood.push((await submit(app, { url: `${media.base}/c2pa/CA.jpg?${i}` }, a)).json().id as string);
  const mine = (await submit(app, { url: `${media.base}/c2pa/XCA.jpg` }, b)).json().id as string;
  // One worker, one check at a time: the order in which checks finish is the queue's order.
  const running = await startWorkers(
    { ...config, worker: { ...config.worker, concurrency: 1 } },
    createLogger(config),
  );
  t.teardown(() => running.close());
  const doneB = await waitForCheck(app, mine, 60000, b);
  const finishedA = await Promise.all(
    flood.map(async (id) => (await get(app, `/v1/checks/${id}`, a)).json<{ status: string }>()),
  );
  const aheadOfB = finishedA.filter((c) => c.status === 'done').length;
  t.equal(doneB.status, 'done');
  t.ok(
    aheadOfB <= 2,
    `${aheadOfB} of A’s 12 queued checks ran before B’s (B’s first is ranked with A’s first)`,
  );
  await Promise.all(flood.map((id) => waitForCheck(app, id, 60000, a)));
});

t.test(
  'uploads: an organization’s quota of bytes waiting, and a bound on bodies received at once',
  async (t) => {
    const quota = Math.floor(PHOTO.length * 1.5);
    const { app } = await buildTestServer(t, {
      ROLE: 'api', // no worker: uploads stay waiting
      UPLOAD_ORG_QUOTA_BYTES: String(quota),
      UPLOAD_MAX_CONCURRENT: '1',
      DEDUP_WINDOW_SECONDS: '0',
    });
    const a = await keyFor(app, 'newsroom-a', ['submit', 'read']);
    const b = await keyFor(app, 'newsroom-b', ['submit', 'read']);
    const upload = (headers: Headers, body: Buffer = PHOTO) =>
      app.inject({
        method: 'POST',
        url: '/v1/checks/upload',
        headers: { ...headers, 'content-type': 'image/jpeg' },
        payload: body,
      });
    t.equal((await upload(a)).statusCode, 202);
    const over = await upload(a);
    t.match(over.json(), { statusCode: 429, code: 'upload_quota_exceeded' });
    t.equal((await upload(b)).statusCode, 202, 'another organization’s quota is its own');
    const again = await upload(a, PHOTO.subarray(0, Math.floor(PHOTO.length * 0.4)));
    t.equal(again.statusCode, 202, 'a refused upload left nothing behind: a smaller one still fits');

    // One body at a time per process: a slow upload holds the slot; the next is refused before its body.
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as AddressInfo;
    const slow = httpRequest({
      host: '127.0.0.1',
      port,
      method: 'POST',
      path: '/v1/checks/upload',
      headers: { ...b, 'content-type': 'image/jpeg', 'content-length': PHOTO.length },
    });
    slow.on('error', () => undefined);
    slow.write(PHOTO.subarray(0, 1000));
    await new Promise((r) => setTimeout(r, 300));
    const busy = await upload(b);
    t.match(busy.json(), { statusCode: 503, code: 'uploads_busy' });
    slow.destroy();
    await new Promise((r) => setTimeout(r, 300));
    t.equal((await upload(b, PHOTO.subarray(0, 5000))).statusCode, 202, 'an aborted upload frees its slot');
  },
);

t.test('a changed BOOTSTRAP_API_KEY revokes the previous one', async (t) => {
  const first = await buildTestServer(t, { BOOTSTRAP_API_KEY: 'fsk_first_bootstrap_key_1' });
  const prefix = first.config.keyPrefix;
  const old = { authorization: 'Bearer fsk_first_bootstrap_key_1' };
  t.equal((await get(first.app, '/v1/admin/keys', old)).statusCode, 200);
  await first.app.close();
  const second = await buildService(
    testConfig({ KEY_PREFIX: prefix, BOOTSTRAP_API_KEY: 'fsk_second_bootstrap_key_2' }),
  );
  await second.ready();
  t.teardown(() => second.close());
  t.equal((await get(second, '/v1/admin/keys', old)).statusCode, 401, 'the old key no longer works');
  const now = await get(second, '/v1/admin/keys', { authorization: 'Bearer fsk_second_bootstrap_key_2' });
  t.equal(now.statusCode, 200);
  t.equal(now.json().keys.length, 1, 'one bootstrap key is registered');
  const third = await buildService(testConfig({ KEY_PREFIX: prefix, BOOTSTRAP_API_KEY: '' }));
  await third.ready();
  t.teardown(() => third.close());
  t.equal(
    (await get(third, '/v1/admin/keys', { authorization: 'Bearer fsk_second_bootstrap_key_2' })).statusCode,
    401,
    'emptying BOOTSTRAP_API_KEY revokes it too',
  );
});

t.test('metrics are the operator’s: a key with the operator scope, or a separate port', async (t) => {
  const { app } = await buildTestServer(t, { METRICS_PORT: '0' });
  const admin = await keyFor(app, 'newsroom-a', ['admin']);
  t.equal((await get(app, '/metrics', admin)).statusCode, 403, 'an organization admin: no');
  const scraper = await app.inject({
    method: 'POST',
    url: '/v1/admin/keys',
    headers: AUTH,
    payload: { name: 'prometheus', scopes: ['operator'] },
  });
  const scrape = { authorization: `Bearer ${scraper.json().key as string}` };
  t.equal((await get(app, '/metrics', scrape)).statusCode, 200, 'an operator-scoped key');
  t.equal((await get(app, '/v1/checks/chk_x', scrape)).statusCode, 403, 'which reads nothing else');
  const refused = await app.inject({
    method: 'POST',
    url: '/v1/admin/keys',
    headers: admin,
    payload: { name: 'x', scopes: ['operator'] },
  });
  t.equal(refused.statusCode, 403, 'only the operator grants the operator scope');

  const port = await freePort();
  const separate = await buildTestServer(t, { METRICS_PORT: String(port), HOST: '127.0.0.1' });
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  t.equal(res.status, 200, 'METRICS_PORT serves it without a key');
  t.match(await res.text(), /firstseen_queue_jobs/);
  t.equal((await separate.app.inject({ url: '/metrics' })).statusCode, 401, 'the API port still wants a key');
});

t.test('/v1/lookup: distance within the match threshold, hits capped', async (t) => {
  const { app } = await buildTestServer(t);
  const lookup = (payload: object) =>
    app.inject({ method: 'POST', url: '/v1/lookup', headers: AUTH, payload });
  const pdq = 'ab'.repeat(32);
  t.equal((await lookup({ pdq, max_distance: 128 })).statusCode, 400);
  t.match((await lookup({ pdq, max_distance: 40 })).json(), {
    code: 'invalid_request',
    message: /at most 31/,
  });
  t.equal((await lookup({ pdq, max_distance: 31, limit: 5 })).statusCode, 200);
  t.match((await lookup({ phash: 'ab'.repeat(8), max_distance: 20 })).json(), { message: /at most 10/ });
});

t.test('a job that cannot be queued leaves no claim: the same URL sent again runs', async (t) => {
  const { app } = await buildTestServer(t);
  const media = await startMediaServer(t);
  const url = `${media.base}/c2pa/CA.jpg`;
  const add = app.checkQueue.add.bind(app.checkQueue);
  let failures = 1;
  app.checkQueue.add = (async (...args: Parameters<typeof add>) => {
    if (failures-- > 0) throw new Error('Connection is closed.');
    return add(...args);
  }) as typeof add;
  const failed = await submit(app, { url }, { 'idempotency-key': 'k1' });
  t.match(failed.json(), { statusCode: 503, code: 'redis_unavailable' }, 'Redis went away mid-submission');
  const again = await submit(app, { url }, { 'idempotency-key': 'k1' });
  t.equal(again.statusCode, 202, 'not "reused" for a check that never runs');
  t.equal(again.json().reused, false);
  t.equal((await waitForCheck(app, again.json().id as string)).status, 'done');
});

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}
