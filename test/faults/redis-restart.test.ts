// Redis killed (kill -9) and restarted while checks are queued and running, with `appendonly yes` as
// the README recommends for production. The test starts a redis-server of its own on a free port and
// kills only that one. While Redis is down the API answers 503 at once (never hangs); after the
// restart nothing acknowledged before is lost and the workers carry on by themselves.
import type { IncomingMessage, ServerResponse } from 'node:http';
import t from 'tap';
import { buildService } from '../../workers/index.js';
import { AUTH, testConfig, waitForCheck } from '../helpers/app.js';
import { fixture } from '../helpers/images.js';
import { startMediaServer } from '../helpers/media-server.js';
import { hasRedisServer, sleep, startOwnRedis, startWorkerProcess, stopGently, until } from './processes.js';

const CHECKS = 8;

const skip = hasRedisServer() ? false : 'no redis-server binary on the PATH to start a Redis of our own';

t.test('kill -9 of Redis mid-run: 503 while down, nothing lost, work resumes', { skip }, async (t) => {
  const redis = await startOwnRedis(t);
  const lock = { JOB_LOCK_MS: '4000', STALLED_INTERVAL_MS: '2000' };
  const config = testConfig({ REDIS_URL: redis.url, ROLE: 'api', ...lock });
  const app = await buildService(config);
  await app.ready();
  t.teardown(() => app.close());

  const photo = fixture('exif-samples/jpg/gps/DSCN0010.jpg');
  let inFlight = 0;
  // Each download takes 1.5 s, so that with two at a time some checks are running and the rest queued
  // when Redis dies.
  const slow = (_q: IncomingMessage, res: ServerResponse) => {
    inFlight++;
    setTimeout(() => {
      inFlight--;
      res.writeHead(200, { 'content-type': 'image/jpeg' }).end(photo);
    }, 1500);
  };
  const routes = Object.fromEntries(Array.from({ length: CHECKS + 1 }, (_, i) => [`/slow/${i}.jpg`, slow]));
  const media = await startMediaServer(t, routes);

  const worker = startWorkerProcess(t, {
    REDIS_URL: redis.url,
    KEY_PREFIX: config.keyPrefix,
    FETCH_ALLOW_LOOPBACK: 'true',
    WORKER_CONCURRENCY: '2',
    WAYBACK_ENABLED: 'false',
    ...lock,
  });
  await until('a worker heartbeat', async () => (await app.inject('/readyz')).statusCode === 200);

  const ids: string[] = [];
  for (let i = 0; i < CHECKS; i++) {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/checks',
      headers: AUTH,
      payload: { url: `${media.base}/slow/${i}.jpg` },
    });
    t.equal(res.statusCode, 202);
    ids.push(res.json().id);
  }
  await until('two checks running', () => inFlight === 2);
  // appendfsync everysec (the default): a kill -9 may lose the last second of writes. Every 202 above
  // is older than that when Redis dies.
  await sleep(1200);
  await redis.kill();

  for (const [method, url, payload] of [
    ['POST', '/v1/checks', { url: `${media.base}/slow/${CHECKS}.jpg` }],
    ['GET', `/v1/checks/${ids[0]}`, undefined],
    ['GET', '/readyz', undefined],
  ] as const) {
    const t0 = performance.now();
    const res = await app.inject({ method, url, headers: AUTH, ...(payload && { payload }) });
    const ms = performance.now() - t0;
    t.equal(res.statusCode, 503, `${method} ${url} while Redis is down: 503`);
    if (url !== '/readyz') t.equal(res.json().code, 'redis_unavailable');
    t.ok(ms < 5000, `answered in ${ms.toFixed(0)} ms, not left hanging`); // hanging is forever: Redis is down
  }
  t.equal((await app.inject('/healthz')).statusCode, 200, 'the process itself is up');
  await sleep(2000);
  await redis.start();

  // The API's connection comes back on its own (retryStrategy), then every check completes.
  await until('the API reaches Redis again', async () => {
    const res = await app.inject({ method: 'GET', url: `/v1/checks/${ids[0]}`, headers: AUTH });
    return res.statusCode === 200;
  });
  for (const id of ids) {
    const check = await waitForCheck(app, id, 60_000);
    t.equal(check.status, 'done', `${id} done (${check.attempts} start(s))`);
    t.match(check.report.media[0], { status: 'ok', bytes: photo.length });
  }
  const after = await app.inject({
    method: 'POST',
    url: '/v1/checks',
    headers: AUTH,
    payload: { url: `${media.base}/slow/${CHECKS}.jpg` },
  });
  t.equal(after.statusCode, 202, 'submissions are accepted again');
  t.equal((await waitForCheck(app, after.json().id, 30_000)).status, 'done', 'and new work is done');
  t.equal(worker.child.exitCode, null, 'the worker process never died');
  t.equal(await stopGently(worker), 0, worker.stderr().slice(-2000));
});
