// A worker process killed mid-job (SIGKILL: no chance to clean up) does not lose the check: once its
// lock expires, another worker picks the job up again and completes it.
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import t from 'tap';
import { buildTestServer, get, submit, waitForCheck } from '../helpers/app.js';
import { fixture } from '../helpers/images.js';
import { startMediaServer } from '../helpers/media-server.js';

const ROOT = resolve(import.meta.dirname, '..', '..');

function startWorkerProcess(env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, ['--import=tsx', 'workers/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.resume();
  child.stderr?.resume();
  return child;
}

t.test('SIGKILL of a worker mid-job: the check is picked up again and completes', async (t) => {
  // The API runs without workers here; the workers are child processes we can kill.
  // 2 s: the second worker renews its lock every second while it analyses, since OpenCV loads and the
  // image is analyzed in its analysis threads, not on its event loop. (It was 5 s while both ran on the
  // loop: with 2 s, a busy worker's lock could expire mid-check and the job run a third time.)
  const lock = { JOB_LOCK_MS: '2000', STALLED_INTERVAL_MS: '1500' };
  const { app, config } = await buildTestServer(t, { ROLE: 'api', ...lock });
  const env = {
    REDIS_URL: config.redisUrl,
    KEY_PREFIX: config.keyPrefix,
    FETCH_ALLOW_LOOPBACK: 'true',
    FETCH_TIMEOUT_MS: '60000',
    LOG_LEVEL: 'warn',
    ...lock,
  };
  const photo = fixture('exif-samples/jpg/gps/DSCN0010.jpg');
  let requests = 0;
  let firstRequestSeen: () => void = () => undefined;
  const firstRequest = new Promise<void>((r) => (firstRequestSeen = r));
  const media = await startMediaServer(t, {
    // The first download hangs (the worker is mid-job when it dies); later ones are served.
    '/photo.jpg': (_q, res) => {
      requests++;
      if (requests === 1) {
        res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': photo.length });
        res.write(photo.subarray(0, 1000));
        firstRequestSeen();
        return;
      }
      res.writeHead(200, { 'content-type': 'image/jpeg' }).end(photo);
    },
  });

  const first = startWorkerProcess(env);
  t.teardown(() => void first.kill('SIGKILL'));
  const res = await submit(app, { url: `${media.base}/photo.jpg` });
  t.equal(res.statusCode, 202);
  const id = res.json().id as string;
  await firstRequest;
  t.equal((await get(app, `/v1/checks/${id}`)).json().status, 'running');
  first.kill('SIGKILL');
  await new Promise((r) => first.once('exit', r));

  const second = startWorkerProcess(env);
  t.teardown(() => void second.kill('SIGKILL'));
  const check = await waitForCheck(app, id, 60000);
  t.equal(check.status, 'done');
  t.equal(check.attempts, 2, 'started twice: once by the killed worker, once by the second');
  t.match(check.report.media[0], { status: 'ok', bytes: photo.length, width: 640, height: 480 });
  t.equal(requests, 2);
  second.kill('SIGTERM');
  await new Promise((r) => second.once('exit', r));
});
