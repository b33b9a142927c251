// A webhook delivery whose worker process is killed (SIGKILL) between attempts: the retry, made by
// another worker process, carries the same webhook-id, and the check is done. Moved here from
// test/routes/webhooks.test.ts with the other tests that start processes of their own (`npm run
// test:processes`, which .ci/run runs after `npm test`).
import t from 'tap';
import { AUTH, buildTestServer, submit, waitForCheck } from '../helpers/app.js';
import { startMediaServer } from '../helpers/media-server.js';
import { startReceiver } from '../helpers/receiver.js';
import { killHard, startWorkerProcess, stopGently } from './processes.js';

t.test('a worker killed between attempts loses nothing', async (t) => {
  const env = {
    WEBHOOK_ATTEMPTS: '4',
    WEBHOOK_BACKOFF_MS: '1500',
    JOB_LOCK_MS: '2000',
    STALLED_INTERVAL_MS: '1000',
  };
  const { app, config } = await buildTestServer(t, { ROLE: 'api', ...env });
  const media = await startMediaServer(t);
  const receiver = await startReceiver(t, (n) => (n === 1 ? 500 : 200));
  const sub = await app.inject({
    method: 'POST',
    url: '/v1/webhooks',
    headers: AUTH,
    payload: { url: receiver.url, events: ['check.completed', 'check.failed'], description: 'bot' },
  });
  t.equal(sub.statusCode, 201);
  const workerEnv = {
    ...env,
    REDIS_URL: config.redisUrl,
    KEY_PREFIX: config.keyPrefix,
    FETCH_ALLOW_LOOPBACK: 'true',
  };
  const first = startWorkerProcess(t, workerEnv);
  const check = await submit(app, { url: `${media.base}/c2pa/CA.jpg` });
  await receiver.waitFor(1, 30000); // first attempt: 500, a retry is scheduled
  await killHard(first);
  const second = startWorkerProcess(t, workerEnv);
  const got = await receiver.waitFor(2, 30000);
  t.equal(got[1]!.id, got[0]!.id, 'the retry carries the same webhook-id');
  t.equal((await waitForCheck(app, check.json().id)).status, 'done');
  t.equal(await stopGently(second), 0, 'the second worker stops cleanly');
});
