// What the cluster and Sentinel tests run against their Redis: the end-to-end check flow (an API built
// as in production, a worker process, a report, a copy matched through the index stream), then the
// primary killed (kill -9) under load: the API answers 503 `redis_unavailable` until a replica has
// taken over and then 202 again, and every check it accepted, before or during the failover, ends
// `done`.
import type { IncomingMessage, ServerResponse } from 'node:http';
import sharp from 'sharp';
import type { Test } from 'tap';
import { buildServer } from '../../src/server.js';
import { AUTH, testConfig, waitForCheck } from '../helpers/app.js';
import { fixture } from '../helpers/images.js';
import { startMediaServer } from '../helpers/media-server.js';
import { sleep, startWorkerProcess, stopGently, until } from '../faults/processes.js';

const QUEUED = 6;
const LOAD = 300;

export interface FailoverFigures {
  /** From the kill to the first 202 after it. */
  recoveredMs: number;
  /** From the first 503 to the last one. */
  unavailableMs: number;
  answers503: number;
  accepted: number;
}

/**
 * `redisEnv`: the configuration naming the Redis (cluster nodes or Sentinels); `killPrimary` kills the
 * primary holding the queue (the only one, with Sentinel).
 */
export async function checkFlowAndFailover(
  t: Test,
  redisEnv: Record<string, string>,
  killPrimary: (queuePrefix: string) => Promise<void>,
): Promise<FailoverFigures> {
  const lock = { JOB_LOCK_MS: '4000', STALLED_INTERVAL_MS: '2000' };
  const config = testConfig({ ...redisEnv, ROLE: 'api', ...lock });
  const app = await buildServer(config);
  await app.ready();
  t.teardown(() => app.close());

  const photo = fixture('exif-samples/jpg/gps/DSCN0010.jpg');
  const resized = await sharp(photo).resize(320).jpeg({ quality: 40 }).toBuffer();
  const jpeg = (bytes: Buffer, delayMs = 0) => (_q: IncomingMessage, res: ServerResponse) => {
    setTimeout(() => res.writeHead(200, { 'content-type': 'image/jpeg' }).end(bytes), delayMs);
  };
  let inFlight = 0;
  const slow = (_q: IncomingMessage, res: ServerResponse) => {
    inFlight++;
    setTimeout(() => {
      inFlight--;
      res.writeHead(200, { 'content-type': 'image/jpeg' }).end(photo);
    }, 1500);
  };
  const media = await startMediaServer(t, {
    '/first.jpg': jpeg(photo),
    '/small.jpg': jpeg(resized),
    ...Object.fromEntries(Array.from({ length: QUEUED }, (_, i) => [`/slow/${i}.jpg`, slow])),
    ...Object.fromEntries(Array.from({ length: LOAD }, (_, i) => [`/load/${i}.jpg`, jpeg(photo, 100)])),
  });

  const worker = startWorkerProcess(t, {
    ...redisEnv,
    KEY_PREFIX: config.keyPrefix,
    FETCH_ALLOW_LOOPBACK: 'true',
    WORKER_CONCURRENCY: '2',
    WAYBACK_ENABLED: 'false',
    ...lock,
  });
  await until('a worker heartbeat', async () => (await app.inject('/readyz')).statusCode === 200, 60_000);

  const submit = (url: string) =>
    app.inject({ method: 'POST', url: '/v1/checks', headers: AUTH, payload: { url: `${media.base}${url}` } });

  // --- the check flow ---
  const first = await submit('/first.jpg');
  t.equal(first.statusCode, 202, 'a check is accepted');
  const firstDone = await waitForCheck(app, first.json().id, 60_000);
  t.equal(firstDone.status, 'done', 'and done by the worker');
  t.same(firstDone.report.media[0].provenance.matches, [], 'nothing seen before');
  const small = await submit('/small.jpg');
  const smallDone = await waitForCheck(app, small.json().id, 60_000);
  t.match(
    smallDone.report.media[0].provenance.matches[0],
    { kind: 'near_duplicate', hash: 'pdq', sha256: firstDone.report.media[0].sha256 },
    'a resized copy is matched to the first sighting (near-duplicate index, fed by the stream)',
  );
  const lookup = await app.inject({
    method: 'POST',
    url: '/v1/lookup',
    headers: AUTH,
    payload: { pdq: smallDone.report.media[0].hashes.pdq.hash },
  });
  t.equal(lookup.statusCode, 200, 'the API process has the index too (it follows the stream)');
  t.ok(lookup.json().matches.length >= 1, 'and finds the first sighting');

  // --- the primary killed under load ---
  const ids: string[] = [];
  for (let i = 0; i < QUEUED; i++) {
    const res = await submit(`/slow/${i}.jpg`);
    t.equal(res.statusCode, 202);
    ids.push(res.json().id);
  }
  await until('two checks running', () => inFlight === 2);
  // Replication to the replica is asynchronous (and the AOF is written every second): every 202
  // above is older than that when the primary dies.
  await sleep(1200);
  const killedAt = performance.now();
  await killPrimary(config.queuePrefix);

  let first503: number | null = null;
  let last503: number | null = null;
  let recovered: number | null = null;
  let answers503 = 0;
  let slowest = 0;
  const bad: string[] = [];
  let n = 0;
  let acceptedAfter = 0;
  // One submission every 100 ms until five have been accepted after the first 503 (or 60 s pass).
  while (acceptedAfter < 5 && performance.now() - killedAt < 60_000 && n < LOAD) {
    const t0 = performance.now();
    const res = await submit(`/load/${n++}.jpg`);
    const at = performance.now();
    slowest = Math.max(slowest, at - t0);
    if (res.statusCode === 202) {
      ids.push(res.json().id);
      if (first503 !== null) {
        acceptedAfter++;
        recovered ??= at - killedAt;
      }
    } else if (res.statusCode === 503 && res.json().code === 'redis_unavailable') {
      answers503++;
      first503 ??= at;
      last503 = at;
    } else {
      bad.push(`${res.statusCode} ${res.body}`);
    }
    await sleep(Math.max(0, 100 - (performance.now() - t0)));
  }
  t.same(bad, [], 'every answer is 202 or 503 redis_unavailable');
  t.ok(answers503 > 0, `the API answered 503 while the primary was gone (${answers503} times)`);
  t.ok(recovered !== null, 'then accepted checks again');
  t.ok(slowest < 5000, `no request was left hanging (slowest ${slowest.toFixed(0)} ms)`);

  for (const id of ids) {
    const check = await waitForCheck(app, id, 120_000);
    t.equal(check.status, 'done', `${id} done (${check.attempts} start(s))`);
  }
  t.equal(worker.child.exitCode, null, 'the worker process never died');
  t.equal(await stopGently(worker), 0, worker.stderr().slice(-2000));
  return {
    recoveredMs: recovered ?? NaN,
    unavailableMs: first503 !== null && last503 !== null ? last503 - first503 : 0,
    answers503,
    accepted: ids.length,
  };
}
