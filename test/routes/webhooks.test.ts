// Signed webhooks as a newsroom bot receives them: subscriptions, signatures, retries, 410, the delivery
// log, redelivery, per-check callbacks. (No loss when a worker dies between attempts:
// test/faults/webhook-worker-kill.test.ts.)
import t from 'tap';
import { AUTH, buildTestServer, get, submit } from '../helpers/app.js';
import { startMediaServer } from '../helpers/media-server.js';
import { startReceiver } from '../helpers/receiver.js';

const FAST_RETRIES = { WEBHOOK_BACKOFF_MS: '150', WEBHOOK_ATTEMPTS: '4' };
type App = Awaited<ReturnType<typeof buildTestServer>>['app'];

async function subscribe(app: App, url: string, events = ['check.completed', 'check.failed']) {
  const res = await app.inject({
    method: 'POST',
    url: '/v1/webhooks',
    headers: AUTH,
    payload: { url, events, description: 'bot' },
  });
  return res;
}

t.test('a subscription gets check.completed, signed, once per event', async (t) => {
  const { app } = await buildTestServer(t, FAST_RETRIES);
  const media = await startMediaServer(t);
  const receiver = await startReceiver(t);
  const sub = await subscribe(app, receiver.url);
  t.equal(sub.statusCode, 201);
  const { id, secret } = sub.json();
  t.match(secret, /^whsec_/);
  t.notOk((await get(app, `/v1/webhooks/${id}`)).json().secret, 'the secret is not shown again');

  const check = await submit(app, { url: `${media.base}/c2pa/CA.jpg` });
  const [first] = await receiver.waitFor(1);
  t.ok(first);
  t.doesNotThrow(() => receiver.verify(first!, secret), 'the signature verifies with the secret');
  t.throws(
    () => receiver.verify(first!, 'whsec_' + Buffer.alloc(32, 7).toString('base64')),
    'and not with another',
  );
  t.match(first!.json, { type: 'check.completed', data: { id: check.json().id, status: 'done' } });
  t.ok(first!.json.data.report, 'the report comes with the event');
  // The worker announces the check as it stored it, without reading it back: the same as a reader gets.
  t.same(first!.json.data, (await get(app, `/v1/checks/${check.json().id}`)).json(), 'the check as stored');
  t.match(first!.id, /^msg_/);
  await new Promise((r) => setTimeout(r, 500));
  t.equal(receiver.received.length, 1, 'one event, one delivery');

  const log = await get(app, `/v1/webhooks/${id}/deliveries`);
  t.match(log.json().deliveries, [
    { message_id: first!.id, event: 'check.completed', outcome: 'delivered', http_status: 204, attempt: 1 },
  ]);
});

t.test('500s are retried with the same webhook-id until the receiver accepts', async (t) => {
  const { app } = await buildTestServer(t, FAST_RETRIES);
  const media = await startMediaServer(t);
  const receiver = await startReceiver(t, (n) => (n < 3 ? 500 : 200));
  const { id } = (await subscribe(app, receiver.url)).json();
  await submit(app, { url: `${media.base}/c2pa/CA.jpg` });
  const got = await receiver.waitFor(3);
  t.equal(new Set(got.map((r) => r.id)).size, 1, 'every retry carries the same webhook-id');
  const log = (await get(app, `/v1/webhooks/${id}/deliveries`)).json().deliveries;
  t.same(
    log.map((d: { outcome: string }) => d.outcome),
    ['delivered', 'failed', 'failed'],
  );
  t.same(
    log.map((d: { attempt: number }) => d.attempt),
    [3, 2, 1],
  );
});

t.test('410 Gone disables the subscription; attempts used up go to the dead-letter list', async (t) => {
  const { app } = await buildTestServer(t, FAST_RETRIES);
  const media = await startMediaServer(t);
  const gone = await startReceiver(t, () => 410);
  const broken = await startReceiver(t, () => 503);
  const goneSub = (await subscribe(app, gone.url)).json();
  const brokenSub = (await subscribe(app, broken.url)).json();
  await submit(app, { url: `${media.base}/c2pa/CA.jpg` });
  await gone.waitFor(1);
  await broken.waitFor(4);
  await new Promise((r) => setTimeout(r, 500));
  t.equal(gone.received.length, 1, 'no retry after 410');
  t.equal((await get(app, `/v1/webhooks/${goneSub.id}`)).json().disabled, true);
  t.equal(broken.received.length, 4, 'WEBHOOK_ATTEMPTS attempts');
  const log = (await get(app, `/v1/webhooks/${brokenSub.id}/deliveries`)).json().deliveries;
  t.equal(log[0].outcome, 'dead');

  // After fixing the receiver, an operator redelivers the event.
  const messageId = broken.received[0]!.id;
  const redeliver = await app.inject({
    method: 'POST',
    url: `/v1/webhooks/${brokenSub.id}/deliveries/${messageId}/redeliver`,
    headers: AUTH,
  });
  t.equal(redeliver.statusCode, 202);
  await broken.waitFor(5);
  t.equal(broken.received[4]!.id, messageId, 'redelivered with the same webhook-id');
});

t.test('a per-check callback_url gets its own signed events', async (t) => {
  const { app } = await buildTestServer(t, FAST_RETRIES);
  const media = await startMediaServer(t);
  const receiver = await startReceiver(t);
  const res = await submit(app, { url: `${media.base}/missing.jpg`, callback_url: receiver.url });
  t.equal(res.statusCode, 202);
  const secret = res.json().callback_secret as string;
  t.match(secret, /^whsec_/);
  const [got] = await receiver.waitFor(1);
  t.doesNotThrow(() => receiver.verify(got!, secret));
  t.match(got!.json, { type: 'check.completed', data: { id: res.json().id } });
  const bad = await submit(app, { url: `${media.base}/x.jpg`, callback_url: 'ftp://example.com/' });
  t.match(bad.json(), { statusCode: 400, code: 'invalid_url' });
});

t.test('subscriptions: validation, organizations, rotation, deletion', async (t) => {
  const { app } = await buildTestServer(t);
  t.match((await subscribe(app, 'not a url')).json(), { statusCode: 400, code: 'invalid_url' });
  t.match((await subscribe(app, 'https://x.example/h', ['nope'])).json(), {
    statusCode: 400,
    code: 'invalid_request',
  });
  const sub = (await subscribe(app, 'https://x.example/h')).json();
  const other = await app.inject({
    method: 'POST',
    url: '/v1/admin/keys',
    headers: AUTH,
    payload: { name: 'b', org: 'newsroom-b', scopes: ['read', 'submit'] },
  });
  const b = { authorization: `Bearer ${other.json().key as string}` };
  t.equal((await get(app, `/v1/webhooks/${sub.id}`, b)).statusCode, 404, 'another newsroom cannot see it');
  t.same((await get(app, '/v1/webhooks', b)).json(), { webhooks: [] });
  const rotated = await app.inject({
    method: 'POST',
    url: `/v1/webhooks/${sub.id}/rotate-secret`,
    headers: AUTH,
  });
  t.not(rotated.json().secret, sub.secret);
  t.equal(
    (await app.inject({ method: 'DELETE', url: `/v1/webhooks/${sub.id}`, headers: AUTH })).statusCode,
    204,
  );
  t.equal((await get(app, `/v1/webhooks/${sub.id}`)).statusCode, 404);
});

t.test('SSRF: a subscription pointing at a private address is never called', async (t) => {
  const { app } = await buildTestServer(t, { ...FAST_RETRIES, FETCH_ALLOW_LOOPBACK: 'false' });
  const receiver = await startReceiver(t);
  const sub = (await subscribe(app, receiver.url)).json();
  const media = await startMediaServer(t);
  await submit(app, { url: `${media.base}/x.jpg` }); // the check itself fails to fetch (loopback), fine
  const t0 = Date.now();
  let log: Array<{ outcome: string; error?: string }> = [];
  while (Date.now() - t0 < 60_000 && !log.some((d) => d.outcome === 'dead')) {
    log = (await get(app, `/v1/webhooks/${sub.id}/deliveries`)).json().deliveries;
    await new Promise((r) => setTimeout(r, 100));
  }
  t.equal(receiver.received.length, 0);
  t.match(log.at(-1)?.error, /blocked_address/);
  t.equal(log.filter((d) => d.outcome === 'failed').length, 1, 'not retried: it can never succeed');
});
