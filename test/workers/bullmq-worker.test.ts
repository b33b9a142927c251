// Closing the queues' workers (workers/bullmq-worker.ts): jobs in progress are counted on the real
// Redis, a close waits for them, and a close that still hangs once they have ended (BullMQ's, after a
// Redis Cluster failover: test/cluster/cluster.test.ts) is left after its grace instead of holding the
// process until the shutdown timeout.
import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import t from 'tap';
import { closeWorker, createWorker, jobsInProgress } from '../../workers/bullmq-worker.js';
import { REDIS_URL, removePrefix } from '../helpers/app.js';
import { sleep, until } from '../helpers/until.js';

const warnings: object[] = [];
const log = { warn: (obj: object) => void warnings.push(obj) };

t.test('a worker counts its jobs in progress; its close waits for them and then closes', async (t) => {
  const prefix = `fstest_${process.pid}_${randomBytes(4).toString('hex')}`;
  const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const queue = new Queue('closing', { connection, prefix: `{${prefix}}` });
  t.teardown(async () => {
    await queue.close();
    connection.disconnect();
    await removePrefix(prefix);
  });
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  let finished = false;
  const worker = createWorker<{ n: number }>(
    'closing',
    async () => {
      await released;
      finished = true;
      return 'done';
    },
    { connection, prefix: `{${prefix}}` },
  );
  t.equal(jobsInProgress(worker), 0, 'no job in progress before any');
  await queue.add('job', { n: 1 });
  await until('the job started', () => jobsInProgress(worker) === 1, 10_000);

  const closed = closeWorker(worker, log, 200);
  await sleep(600);
  t.equal(finished, false, 'the job is still running');
  let settled = false;
  void closed.then(() => (settled = true));
  await sleep(0);
  t.equal(settled, false, 'the close waits for the job in progress, past the grace');
  release();
  t.equal(await closed, 'closed', "BullMQ's close ended");
  t.equal(finished, true, 'the job ended first');
  t.equal(jobsInProgress(worker), 0, 'nothing in progress after it');
  t.same(warnings, [], 'nothing logged');
});

t.test('a close that hangs after its jobs ended is left after the grace, with a warning', async (t) => {
  warnings.length = 0;
  let active = 1;
  const hanging = { name: 'views', close: () => new Promise<void>(() => {}) };
  const t0 = Date.now();
  const result = closeWorker(hanging, log, 150, () => active);
  await sleep(400);
  let settled = false;
  void result.then(() => (settled = true));
  await sleep(0);
  t.equal(settled, false, 'not left while a job is in progress');
  active = 0;
  const at = Date.now();
  t.equal(await result, 'abandoned', 'left once the job ended and the grace ran out');
  t.ok(Date.now() - at >= 150, 'not before the grace');
  t.ok(Date.now() - t0 < 5000, 'and not much after it');
  t.match(warnings, [{ queue: 'views', grace_ms: 150 }], 'a warning names the queue');
});

t.test('a close that fails counts as closed', async (t) => {
  const failing = { name: 'webhooks', close: () => Promise.reject(new Error('connection lost')) };
  t.equal(await closeWorker(failing, log, 50, () => 0), 'closed');
});
