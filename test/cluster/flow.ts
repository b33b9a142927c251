// What the cluster and Sentinel tests run against their Redis: the end-to-end check flow (an API built
// as in production, a worker process, a report, a copy matched through the index stream), then the
// primary killed (kill -9) under load: the API answers 503 `redis_unavailable` until a replica has
// taken over and then 202 again, and every check it accepted, before or during the failover, ends
// `done`.
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import sharp from 'sharp';
import type { Test } from 'tap';
import { buildService } from '../../workers/index.js';
import { AUTH, testConfig, waitForCheck } from '../helpers/app.js';
import { fixture } from '../helpers/images.js';
import { startMediaServer } from '../helpers/media-server.js';
import { sleep, startWorkerProcess, stopGently, until } from '../faults/processes.js';

const VPDQ = new URL('../fixtures/video/vpdq-reference/', import.meta.url);
const vpdqLines = (name: string) =>
  readFileSync(new URL(`${name}.txt`, VPDQ), 'utf8')
    .trim()
    .split('\n');

const QUEUED = 6;
const LOAD = 300;

export interface FailoverFigures {
  /** From the kill to the first 202 after the last 503. */
  recoveredMs: number;
  /** From the kill to the last 503 (null: none). */
  last503Ms: number | null;
  answers503: number;
  /** The longest a submission took during the failover. */
  slowestMs: number;
  accepted: number;
}

/**
 * `redisEnv`: the configuration naming the Redis (cluster nodes or Sentinels); `killPrimary` kills the
 * primary holding the queue (the only one, with Sentinel). `expect503`: whether some submission must
 * have been refused. Behind Sentinels every command fails until the replica is promoted; a cluster
 * client retries a command for a moment (see src/redis.ts), so a submission may wait out the end of
 * the failover and be accepted: on a loaded machine a whole failover can fit in that wait.
 * The worker must then stop cleanly on SIGTERM: after a cluster failover BullMQ's close of an idle worker
 * could hang (workers/bullmq-worker.ts), and the process exited 1 at SHUTDOWN_TIMEOUT_MS.
 */
export async function checkFlowAndFailover(
  t: Test,
  redisEnv: Record<string, string>,
  killPrimary: (queuePrefix: string) => Promise<void>,
  expect503: boolean,
): Promise<FailoverFigures> {
  // Job locks outlast a failover (about 3 s here): with the 4 s of the fault tests a lock renewal
  // held up by the failover comes too late, BullMQ hands the job out again, and the first run's
  // result is refused ("Missing lock"): still done once, but not the case tested here.
  const lock = { JOB_LOCK_MS: '10000', STALLED_INTERVAL_MS: '2000' };
  const config = testConfig({ ...redisEnv, ROLE: 'api', ...lock });
  const app = await buildService(config);
  await app.ready();
  t.teardown(() => app.close());

  const photo = fixture('exif-samples/jpg/gps/DSCN0010.jpg');
  const resized = await sharp(photo).resize(320).jpeg({ quality: 40 }).toBuffer();
  const jpeg =
    (bytes: Buffer, delayMs = 0) =>
    (_q: IncomingMessage, res: ServerResponse) => {
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

  // --- banks: entries (many keys in many slots, written in one batch), a bank video (the video
  // index: 16 buckets per frame, read back 272 at a time) ---
  const bank = await app.inject({
    method: 'POST',
    url: '/v1/banks',
    headers: AUTH,
    payload: { name: 'Debunked', kind: 'debunked' },
  });
  t.equal(bank.statusCode, 201);
  const bankId = bank.json().id as string;
  const csv = [
    'pdq,quality,label',
    ...Array.from({ length: 50 }, (_, i) => `${i.toString(16).padStart(2, '0').repeat(32)},90,row ${i}`),
  ];
  const imported = await app.inject({
    method: 'POST',
    url: `/v1/banks/${bankId}/import`,
    headers: { ...AUTH, 'content-type': 'text/csv' },
    payload: csv.join('\n'),
  });
  t.match(imported.json(), { imported: 50, entries: 50 }, 'a hash list is imported');
  const entry = await app.inject({ method: 'GET', url: `/v1/banks/${bankId}/entries/e37`, headers: AUTH });
  t.match(entry.json(), { label: 'row 36', pdq: '24'.repeat(32) }, 'and its entries read back');
  const video = await app.inject({
    method: 'POST',
    url: `/v1/banks/${bankId}/vpdq?label=chair`,
    headers: { ...AUTH, 'content-type': 'text/plain' },
    payload: vpdqLines('chair-22-sd-grey-bar').join('\n'),
  });
  t.equal(video.statusCode, 201, video.body);
  const hits = await app.memory.videos.query(
    { vpdq: vpdqLines('chair-orig-22-sd-bar'), contentVpdq: [] },
    config.video.vpdq,
  );
  t.match(
    hits,
    [{ id: `b:${bankId}:${video.json().entry_id}`, query_match_percent: 100 }],
    'a copy of the bank video is found',
  );
  const upload = await app.inject({
    method: 'POST',
    url: `/v1/banks/${bankId}/entries/upload?label=sample`,
    headers: { ...AUTH, 'content-type': 'image/jpeg' },
    payload: photo,
  });
  t.equal(upload.statusCode, 201);
  const viaBank = await submit('/small.jpg?bank');
  const viaBankDone = await waitForCheck(app, viaBank.json().id, 60_000);
  t.ok(
    viaBankDone.report.media[0].provenance.matches.some((m: { source: string }) => m.source === 'bank'),
    'a check matches the bank entry (the worker follows the index stream)',
  );

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

  let last503: number | null = null;
  let recovered: number | null = null;
  let answers503 = 0;
  let slowest = 0;
  const bad: string[] = [];
  let n = 0;
  let acceptedInARow = 0;
  // One submission every 100 ms, for at least 6 s (twice the failover), until five in a row have been
  // accepted since the last 503 (60 s at most).
  const since = () => performance.now() - killedAt;
  while ((since() < 6000 || acceptedInARow < 5) && since() < 60_000 && n < LOAD) {
    const t0 = performance.now();
    const res = await submit(`/load/${n++}.jpg`);
    const at = performance.now();
    slowest = Math.max(slowest, at - t0);
    if (res.statusCode === 202) {
      ids.push(res.json().id);
      if (acceptedInARow++ === 0) recovered = at - killedAt;
    } else if (res.statusCode === 503 && res.json().code === 'redis_unavailable') {
      answers503++;
      last503 = at - killedAt;
      acceptedInARow = 0;
      recovered = null;
    } else {
      bad.push(`${res.statusCode} ${res.body}`);
    }
    await sleep(Math.max(0, 100 - (performance.now() - t0)));
  }
  t.same(bad, [], 'every answer is 202 or 503 redis_unavailable');
  if (expect503)
    t.ok(answers503 > 0, `the API answered 503 while the primary was gone (${answers503} times)`);
  t.ok(recovered !== null && acceptedInARow >= 5, 'then accepts checks again');
  t.ok(slowest < 5000, `no request was left hanging (slowest ${slowest.toFixed(0)} ms)`);

  for (const id of ids) {
    const check = await waitForCheck(app, id, 120_000);
    t.equal(check.status, 'done', `${id} done (${check.attempts} start(s))`);
  }
  t.equal(worker.child.exitCode, null, 'the worker process never died');
  t.notMatch(worker.stderr(), /CROSSSLOT|same slot|slots allocation group/, 'no command spanned two slots');
  t.equal(await stopGently(worker), 0, 'the worker stops cleanly on SIGTERM');
  const left = worker.stderr().match(/left to the exit/g)?.length ?? 0;
  t.comment(`worker closes left to the exit after their jobs ended: ${left}`);
  return {
    recoveredMs: recovered ?? NaN,
    last503Ms: last503,
    answers503,
    slowestMs: slowest,
    accepted: ids.length,
  };
}
