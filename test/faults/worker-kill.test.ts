// A worker SIGKILLed in the middle of the analysis (the download finished, the pixels are being
// decoded), not only mid-download (test/workers/crash.test.ts covers that): another worker completes the
// check, the check carries one report that does not count the killed attempt as an earlier sighting, and
// each receiver gets each event once (one delivery per webhook-id).
import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import t from 'tap';
import { keys } from '../../src/keys.js';
import { AUTH, buildTestServer, get, submit, waitForCheck } from '../helpers/app.js';
import { fixture } from '../helpers/images.js';
import { startMediaServer } from '../helpers/media-server.js';
import { startReceiver } from '../helpers/receiver.js';
import { killHard, sleep, startWorkerProcess, stopGently, until } from './processes.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

t.test('SIGKILL mid-analysis: completed by another worker, one report, one delivery per event', async (t) => {
  // Long enough that a loaded machine renews the lock in time during the 51 MP HEIC (a lost lock
  // counts as a stall, and three stalls fail the check); short enough to keep the test quick.
  const lock = { JOB_LOCK_MS: '6000', STALLED_INTERVAL_MS: '1000' };
  const { app, config } = await buildTestServer(t, { ROLE: 'api', ...lock });
  const env = {
    REDIS_URL: config.redisUrl,
    KEY_PREFIX: config.keyPrefix,
    FETCH_ALLOW_LOOPBACK: 'true',
    WAYBACK_ENABLED: 'false',
    ...lock,
  };
  const quick = fixture('exif-samples/jpg/gps/DSCN0010.jpg');
  // 8736x5856 HEVC: about 3-6 s of decoding in the HEIC thread, a wide window to kill the worker in.
  const slow = fixture('c2pa/sample1.heic');
  const served = { quick: 0, slow: 0 };
  let slowServed: () => void = () => undefined;
  const slowDone = new Promise<void>((r) => (slowServed = r));
  const media = await startMediaServer(t, {
    '/quick.jpg': (_q, res) => {
      res.on('finish', () => served.quick++);
      res.writeHead(200, { 'content-type': 'image/jpeg' }).end(quick);
    },
    '/slow.heic': (_q, res) => {
      res.on('finish', () => {
        served.slow++;
        slowServed();
      });
      res.writeHead(200, { 'content-type': 'image/heic' }).end(slow);
    },
  });
  const subscriber = await startReceiver(t);
  const callback = await startReceiver(t);
  const sub = await app.inject({
    method: 'POST',
    url: '/v1/webhooks',
    headers: AUTH,
    payload: { url: subscriber.url, events: ['check.completed', 'check.failed'] },
  });
  t.equal(sub.statusCode, 201);

  const redis = new Redis(config.redisUrl);
  t.teardown(() => redis.disconnect());
  const k = keys(config.keyPrefix);

  const first = startWorkerProcess(t, env);
  const res = await submit(app, {
    text: `${media.base}/quick.jpg and ${media.base}/slow.heic`,
    callback_url: callback.url,
  });
  t.equal(res.statusCode, 202);
  const id = res.json().id as string;

  await slowDone;
  // The quick photo is analyzed and remembered while the HEIC decodes; then the worker dies.
  await until('the quick photo is remembered', async () => (await redis.exists(k.media(sha(quick)))) === 1);
  await sleep(300);
  const before = (await get(app, `/v1/checks/${id}`)).json();
  t.equal(before.status, 'running', 'killed while running');
  t.notOk(before.report, 'no report yet');
  t.equal(
    await redis.exists(k.media(sha(slow))),
    0,
    'the HEIC is not analyzed yet: the kill lands mid-analysis',
  );
  await killHard(first);

  const second = startWorkerProcess(t, env);
  const check = await waitForCheck(app, id, 90_000);
  t.equal(check.status, 'done', JSON.stringify(check.error ?? null) + second.stderr().slice(-3000));
  t.equal(check.attempts, 2, 'started by the killed worker, then by the second');
  t.equal(served.slow, 2, 'downloaded again by the second worker');
  const [photo, heic] = check.report.media;
  t.match(photo, { status: 'ok', sha256: sha(quick) });
  t.match(heic, { status: 'ok', sha256: sha(slow), format: 'heic', width: 8736 });

  // The killed attempt remembered the photo before dying; the re-run must not present that as an
  // earlier sighting of the picture, nor count it twice.
  t.same(
    photo.provenance.matches.filter((m: { sha256: string }) => m.sha256 === sha(quick)),
    [],
    'the photo does not match itself (the killed attempt of the same check)',
  );
  t.equal(await redis.hget(k.media(sha(quick)), 'sightings'), '1', 'one sighting of the photo');
  t.equal(await redis.llen(k.mediaSightings(sha(quick))), 1);
  t.equal(await redis.hget(k.media(sha(quick)), 'first_check_id'), id);

  // Deliveries: wait past any retry or duplicate, then count per receiver and webhook-id.
  await subscriber.waitFor(1, 30_000);
  await callback.waitFor(1, 30_000);
  await sleep(2000);
  for (const [name, r] of [
    ['subscription', subscriber],
    ['callback', callback],
  ] as const) {
    t.equal(r.received.length, 1, `${name}: one delivery`);
    t.match(r.received[0]?.json, { type: 'check.completed', data: { id, status: 'done', attempts: 2 } });
    t.equal(r.received[0]?.id, `msg_${id}_completed`);
  }
  t.equal(await stopGently(second), 0, 'the second worker shuts down cleanly');
});
