// `npm run bench`: checks per second and submission-to-report latency for 200 local image URLs,
// with 1 and then 2 worker processes (from the build, as production runs them) against one Redis.
// The API is built with buildServer (ROLE=api) in this process; submissions go through HTTP inject.
import { execSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Redis } from 'ioredis';
import { loadConfig } from '../src/config.js';
import { keys } from '../src/keys.js';
import { buildServer } from '../src/server.js';
import { machine, ROOT, serveBuffers, startWorker, stopProcess, summarize, writeResult } from './lib.js';

const N = Number(process.env.BENCH_CHECKS ?? 200);
const FIXTURES = [
  'exif-samples/jpg/gps/DSCN0010.jpg',
  'exif-samples/jpg/Canon_40D.jpg',
  'exif-samples/jpg/orientation/landscape_6.jpg',
  'exifr/door-knocker.jpg',
  'c2pa/CA.jpg',
  'c2pa/sample1.png',
  'c2pa/mars.webp',
  'pdq/dih/bridge-1-original.jpg',
  'exif-samples/jpg/hdr/canon_hdr_YES.jpg',
  'exifr/iptc-staff-photographer-example.jpg',
];

async function run(workers: number, files: Map<string, Buffer>, base: string) {
  const prefix = `bench_${process.pid}_${workers}`;
  const env = {
    KEY_PREFIX: prefix,
    FETCH_ALLOW_LOOPBACK: 'true',
    LOG_LEVEL: 'warn',
    DEDUP_WINDOW_SECONDS: '0',
    MAX_TARGETS: '20',
  };
  const config = loadConfig({ ...env, ROLE: 'api', LOG_LEVEL: 'silent' });
  const api = await buildServer(config);
  await api.ready();
  const procs = Array.from({ length: workers }, () => startWorker(env));
  const redis = new Redis(config.redisUrl);
  const k = keys(prefix);
  await new Promise((r) => setTimeout(r, 1500)); // let the workers connect

  const paths = [...files.keys()];
  const submitted = new Map<string, number>();
  const latencies: number[] = [];
  const t0 = performance.now();
  for (let i = 0; i < N; i++) {
    const res = await api.inject({
      method: 'POST',
      url: '/v1/checks',
      payload: { url: `${base}${paths[i % paths.length]}?n=${i}` },
    });
    submitted.set(res.json<{ id: string }>().id, performance.now());
  }
  const submitMs = performance.now() - t0;
  const pending = new Set(submitted.keys());
  let failedItems = 0;
  while (pending.size) {
    const ids = [...pending];
    const pipe = redis.pipeline();
    for (const id of ids) pipe.hget(k.check(id), 'status');
    const statuses = (await pipe.exec()) ?? [];
    const now = performance.now();
    ids.forEach((id, i) => {
      const st = statuses[i]?.[1];
      if (st === 'done' || st === 'failed') {
        latencies.push(now - (submitted.get(id) as number));
        pending.delete(id);
        if (st === 'failed') failedItems++;
      }
    });
    await new Promise((r) => setTimeout(r, 10));
  }
  const wallMs = performance.now() - t0;
  for (const p of procs) await stopProcess(p);
  await api.close();
  const stale = await redis.keys(`${prefix}:*`);
  const bull = await redis.keys(`{${prefix}}:*`);
  if (stale.length + bull.length) await redis.del(...stale, ...bull);
  redis.disconnect();
  return {
    workers,
    checks: N,
    failed: failedItems,
    checks_per_second: Math.round((N / wallMs) * 1000 * 10) / 10,
    submit_ms_total: Math.round(submitMs),
    latency_ms: summarize(latencies),
  };
}

async function main() {
  execSync('npm run build --silent', { cwd: ROOT, stdio: 'inherit' });
  const files = new Map(FIXTURES.map((f) => [`/${f}`, readFileSync(resolve(ROOT, 'test', 'fixtures', f))]));
  const { server, base } = await serveBuffers(files);
  const results = [];
  for (const workers of [1, 2]) {
    const r = await run(workers, files, base);
    console.log(
      `${workers} worker process(es): ${r.checks_per_second} checks/s; submission-to-report p50 ${r.latency_ms.p50} ms, p95 ${r.latency_ms.p95} ms (${r.failed} failed)`,
    );
    results.push(r);
  }
  server.close();
  const file = writeResult('pipeline', { machine: machine(), fixtures: FIXTURES, results });
  console.log(`wrote ${file}`);
}

await main();
