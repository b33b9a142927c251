// `npm run bench:backpressure`: BENCH_BP_CHECKS (10,000) checks submitted as fast as the API takes them
// (BENCH_BP_CLIENTS concurrent clients, 64) to BENCH_BP_WORKERS (2) worker processes that drain far
// more slowly. Measured: the API's latency while loaded (the submissions themselves, and a reader
// polling a check every 100 ms), memory sampled every second (RSS of the API and of each worker,
// Redis used_memory, the queue's backlog), and that every check completes.
// The API and workers run from the build as separate processes, as in production.
import { execSync } from 'node:child_process';
import { Redis } from 'ioredis';
import sharp from 'sharp';
import { machine, ROOT, serveBuffers, stopProcess, summarize, writeResult } from './lib.js';
import {
  AUTH,
  benchEnv,
  fixture,
  REDIS_URL,
  redisUsedMb,
  removePrefix,
  rssMb,
  sleep,
  startApi,
  startWorkers,
  stopAll,
  waitAll,
} from './system.js';

const N = Number(process.env.BENCH_BP_CHECKS ?? 10_000);
const CLIENTS = Number(process.env.BENCH_BP_CLIENTS ?? 64);
const WORKERS = Number(process.env.BENCH_BP_WORKERS ?? 2);
const PHOTOS = [
  'exif-samples/jpg/gps/DSCN0010.jpg',
  'exif-samples/jpg/Canon_40D.jpg',
  'exifr/door-knocker.jpg',
  'pdq/dih/bridge-1-original.jpg',
  'c2pa/CA.jpg',
];

interface Sample {
  t_s: number;
  api_rss_mb: number;
  worker_rss_mb: number[];
  redis_used_mb: number;
  waiting: number;
  finished: number;
}

async function main() {
  if (!process.env.BENCH_NO_BUILD) execSync('npm run build --silent', { cwd: ROOT, stdio: 'inherit' });
  // Small photos (320 and 640 px): the point is the backlog, not the analysis of big files.
  const files = new Map<string, Buffer>();
  for (const [i, path] of PHOTOS.entries()) {
    for (const side of [320, 640]) {
      files.set(
        `/img/${i}-${side}.jpg`,
        await sharp(fixture(path)).resize(side, side, { fit: 'inside' }).keepMetadata().jpeg().toBuffer(),
      );
    }
  }
  const paths = [...files.keys()];
  const { server, base: media } = await serveBuffers(files);
  const prefix = `bench_bp_${process.pid}`;
  const env = benchEnv(prefix);
  const redis = new Redis(REDIS_URL);
  const redisBefore = await redisUsedMb(redis);
  const api = await startApi(env);
  const workers = await startWorkers(WORKERS, env, redis);
  const waitKey = `{${prefix}}:checks:wait`;

  const samples: Sample[] = [];
  const finished = new Set<string>();
  const t0 = performance.now();
  const sampler = setInterval(() => {
    void (async () => {
      const last = samples.at(-1);
      // A line every 30 s, so that a long run shows its progress (and a cut-short one its figures).
      if (last && samples.length % 30 === 0) console.log(JSON.stringify(last));
      samples.push({
        t_s: Math.round((performance.now() - t0) / 100) / 10,
        api_rss_mb: rssMb(api.child.pid),
        worker_rss_mb: workers.map((w) => rssMb(w.pid)),
        redis_used_mb: await redisUsedMb(redis),
        waiting: await redis.llen(waitKey),
        finished: finished.size,
      });
    })();
  }, 1000);

  // The reader: a newsroom polling one check while the flood goes on.
  const ids: string[] = [];
  const readLatency = { submitting: [] as number[], draining: [] as number[] };
  const readStatus: Record<string, number> = {};
  // An object, not a variable: the reader loop reads what the main flow changes later.
  const state: { phase: 'submitting' | 'draining' | 'over' } = { phase: 'submitting' };
  const reader = (async () => {
    while (state.phase !== 'over') {
      const id = ids[0];
      if (id) {
        const s = performance.now();
        const res = await fetch(`${api.base}/v1/checks/${id}`, { headers: AUTH }).catch(() => null);
        await res?.arrayBuffer();
        const phase = state.phase as 'submitting' | 'draining' | 'over'; // changed while awaiting
        if (phase !== 'over') readLatency[phase].push(performance.now() - s);
        const code = String(res?.status ?? 'error');
        readStatus[code] = (readStatus[code] ?? 0) + 1;
      }
      await sleep(100);
    }
  })();

  // The flood: CLIENTS clients, each submitting the next check as soon as its last was answered.
  const submitLatency: number[] = [];
  const submitStatus: Record<string, number> = {};
  let next = 0;
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (next < N) {
        const n = next++;
        const s = performance.now();
        const res = await fetch(`${api.base}/v1/checks`, {
          method: 'POST',
          headers: { ...AUTH, 'content-type': 'application/json' },
          body: JSON.stringify({ url: `${media}${paths[n % paths.length]}?n=${n}` }),
        }).catch(() => null);
        submitLatency.push(performance.now() - s);
        const code = String(res?.status ?? 'error');
        submitStatus[code] = (submitStatus[code] ?? 0) + 1;
        if (res?.status === 202) ids.push(((await res.json()) as { id: string }).id);
        else await res?.arrayBuffer();
      }
    }),
  );
  const submitMs = performance.now() - t0;
  const backlogAtEndOfSubmission = await redis.llen(waitKey);
  state.phase = 'draining';
  console.log(
    `submitted ${ids.length} of ${N} in ${Math.round(submitMs)} ms (${Math.round((ids.length / submitMs) * 1000)}/s); ` +
      `${backlogAtEndOfSubmission} waiting`,
  );
  let failed = 0;
  await waitAll(
    redis,
    prefix,
    ids,
    (id, status) => {
      finished.add(id);
      if (status === 'failed') failed++;
    },
    120 * 60_000,
  );
  const wallMs = performance.now() - t0;
  state.phase = 'over';
  await reader;
  clearInterval(sampler);
  const redisFull = await redisUsedMb(redis);

  await stopAll(workers);
  await stopProcess(api.child);
  server.close();
  await removePrefix(redis, prefix);
  redis.disconnect();

  const max = (xs: number[]) => Math.max(...xs.filter((x) => Number.isFinite(x)));
  const r1 = (x: number) => Math.round(x * 10) / 10;
  const result = {
    machine: machine(),
    checks: N,
    accepted: ids.length,
    completed: finished.size,
    failed,
    clients: CLIENTS,
    worker_processes: WORKERS,
    submit: {
      ms: Math.round(submitMs),
      per_second: r1((ids.length / submitMs) * 1000),
      latency_ms: summarize(submitLatency),
      status_codes: submitStatus,
      backlog_at_end: backlogAtEndOfSubmission,
    },
    drain: {
      ms_after_submission: Math.round(wallMs - submitMs),
      // From the first submission to the last report.
      overall_checks_per_second: r1((ids.length / wallMs) * 1000),
    },
    read_while_submitting_ms: summarize(readLatency.submitting),
    read_while_draining_ms: summarize(readLatency.draining),
    read_status_codes: readStatus,
    memory: {
      api_rss_mb_max: max(samples.map((s) => s.api_rss_mb)),
      api_rss_mb_end: samples.at(-1)?.api_rss_mb,
      worker_rss_mb_max: max(samples.flatMap((s) => s.worker_rss_mb)),
      worker_rss_mb_end: samples.at(-1)?.worker_rss_mb,
      redis_used_mb_before: redisBefore,
      redis_used_mb_max: max(samples.map((s) => s.redis_used_mb)),
      redis_used_mb_with_all_reports: redisFull,
      // Reports stay in Redis by design (a check is kept); per check, that is:
      redis_kb_per_check: r1(((redisFull - redisBefore) * 1024) / Math.max(1, ids.length)),
    },
    samples,
  };
  console.log(
    `all ${finished.size} checks finished (${failed} failed) in ${Math.round(wallMs / 1000)} s; ` +
      `POST p99 ${result.submit.latency_ms.p99} ms while flooding; reader p99 ${result.read_while_submitting_ms.p99} ms ` +
      `while flooding, ${result.read_while_draining_ms.p99} ms while draining; RSS max: API ${result.memory.api_rss_mb_max} MB, ` +
      `worker ${result.memory.worker_rss_mb_max} MB; Redis +${r1(redisFull - redisBefore)} MB ` +
      `(${result.memory.redis_kb_per_check} KB per check kept)`,
  );
  console.log(`wrote ${writeResult('backpressure', result)}`);
}

await main();
