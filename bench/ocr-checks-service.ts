// One service of bench:ocr-checks (bench/ocr-checks.ts starts two: OCR off and OCR on), in a process of
// its own so that neither's background work (BullMQ's timers, its Redis connections, metrics) nor a
// check's leftover async work lands in the other's figures. Built as production builds it (API and
// workers, ROLE=all; the analysis on the event loop so all its CPU is this process's). Driven over IPC:
//   parent -> { type: 'check', url }   checks the picture at `url` through the API, to its end
//   child  -> { type: 'ready' } once started, then per check { type: 'checked', status, text, cpu_ms, tess_ms }
//   parent -> { type: 'close' }        closes the service, removes its keys, exits
// CPU of a check, measured here from the submit to its end: this process (process.cpuUsage: API, worker,
// analysis, OCR's own work, microseconds) and tesseract (this process's tess-serve processes only, from
// /proc/<pid>/task/*/schedstat, nanoseconds; plus any tesseract command it ran and reaped). The check's end
// is the checks worker's own `completed` (or final `failed`) event for the check's job, then one GET of the
// check, as a client reads its report: no polling loop, whose requests would be counted too.
import { randomBytes } from 'node:crypto';
import type { Job } from 'bullmq';
import { Redis } from 'ioredis';
import { loadConfig } from '../src/config.js';
import { QUEUES } from '../src/keys.js';
import { buildServer } from '../src/server.js';
import { configureSharp } from '../src/sharp-settings.js';
import { startWorkers } from '../workers/index.js';
import { AUTH, benchEnv, REDIS_URL, removePrefix } from './system.js';
import { tesseractMs } from './tesseract-cpu.js';
import { cpuMs } from './lib.js';

export type ToService = { type: 'check'; url: string } | { type: 'close' };
export type FromService =
  | { type: 'ready' }
  | { type: 'checked'; status: string; text: boolean; cpu_ms: number; tess_ms: number }
  | { type: 'error'; message: string };

const send = (m: FromService) => process.send?.(m);
// The bench ended without closing this service (it failed, or was stopped): end too, not left running.
process.on('disconnect', () => process.exit(1));

configureSharp();
const ocr = process.env.BENCH_OCR === 'true';
const prefix = `fsbench_ocrchecks_${randomBytes(4).toString('hex')}`;
const config = loadConfig(
  benchEnv(prefix, {
    ROLE: 'all',
    LOG_LEVEL: 'silent',
    OCR_ENABLED: String(ocr),
    ANALYZE_IN_THREADS: 'false',
    MAX_EVENT_LOOP_DELAY_MS: '0',
    OCR_TIMEOUT_MS: '120000',
  }),
);

/** Checks' jobs that ended (completed, or failed for good), by job id (= check id), and who waits on them. */
const ended = new Set<string>();
const waiting = new Map<string, () => void>();
const end = (id: string | undefined) => {
  if (!id) return;
  const w = waiting.get(id);
  if (w) {
    waiting.delete(id);
    w();
  } else ended.add(id);
};
const app = await buildServer(config, {
  startWorkers: async (...args: Parameters<typeof startWorkers>) => {
    const running = await startWorkers(...args);
    const checks = running.workers.find((w) => w.name === QUEUES.checks);
    if (!checks) throw new Error('no checks worker');
    checks.on('completed', (job: Job) => end(job.id));
    checks.on('failed', (job: Job | undefined) => {
      if (job && job.attemptsMade >= (job.opts.attempts ?? 1)) end(job.id);
    });
    return running;
  },
});
await app.ready();

type CheckBody = { status: string; report?: { media?: { text?: { status: string } }[] } };

/** One check of the picture at `url`, to its end, and its CPU. */
async function check(url: string): Promise<FromService> {
  const c0 = cpuMs();
  const t0 = tesseractMs();
  const res = await app.inject({ method: 'POST', url: '/v1/checks', headers: AUTH, payload: { url } });
  const id = res.json<{ id?: string }>().id;
  if (!id) throw new Error(`check not accepted: ${res.statusCode} ${res.body.slice(0, 300)}`);
  if (!ended.delete(id)) {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`check ${id} not done after 300 s`)), 300_000);
      waiting.set(id, () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
  const get = async () =>
    (await app.inject({ method: 'GET', url: `/v1/checks/${id}`, headers: AUTH })).json<CheckBody>();
  let body = await get();
  // A check failed for good is marked so just after its job's event: wait for that, 10 ms at a time.
  for (let i = 0; body.status !== 'done' && body.status !== 'failed'; i++) {
    if (i > 1000) throw new Error(`check ${id} ended but is still ${body.status}`);
    await new Promise((r) => setTimeout(r, 10));
    body = await get();
  }
  return {
    type: 'checked',
    status: body.status,
    text: body.report?.media?.[0]?.text?.status === 'read',
    cpu_ms: cpuMs() - c0,
    tess_ms: tesseractMs() - t0,
  };
}

// One message at a time: the parent waits for each answer before it sends the next.
process.on('message', (m: ToService) => {
  if (m.type === 'check') {
    check(m.url).then(send, (err: Error) => send({ type: 'error', message: err.message }));
    return;
  }
  void (async () => {
    await app.close();
    const redis = new Redis(REDIS_URL);
    await removePrefix(redis, prefix);
    redis.disconnect();
    process.exit(0);
  })();
});
if (!process.connected) process.exit(1);
send({ type: 'ready' });
