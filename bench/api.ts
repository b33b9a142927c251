// `npm run bench:api`: requests per second and latency of the API under autocannon on loopback:
// GET /healthz (the floor: Fastify and nothing else), GET /v1/checks/:id of a finished check (auth, one
// Redis read, the report as JSON) and POST /v1/checks (auth, validation, the check record and its job).
// The API runs as its own process from the build (ROLE=api), as production runs it; autocannon runs
// here. BENCH_API_SECONDS (10) per route, BENCH_API_CONNECTIONS (50).
import { execSync } from 'node:child_process';
import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import { machine, ROOT, serveBuffers, stopProcess, writeResult } from './lib.js';
import {
  AUTH,
  benchEnv,
  fixture,
  REDIS_URL,
  removePrefix,
  rssMb,
  startApi,
  startWorkers,
  stopAll,
  waitAll,
} from './system.js';

const SECONDS = Number(process.env.BENCH_API_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_API_CONNECTIONS ?? 50);

async function main() {
  if (!process.env.BENCH_NO_BUILD) execSync('npm run build --silent', { cwd: ROOT, stdio: 'inherit' });
  const prefix = `bench_api_${process.pid}`;
  const env = benchEnv(prefix);
  const redis = new Redis(REDIS_URL);
  const { server, base: media } = await serveBuffers(
    new Map([['/photo.jpg', fixture('exif-samples/jpg/gps/DSCN0010.jpg')]]),
  );
  const api = await startApi(env);
  try {
    // One finished check to read: a worker runs it, then stops, so that nothing else competes.
    const workers = await startWorkers(1, env, redis);
    const accepted = await fetch(`${api.base}/v1/checks`, {
      method: 'POST',
      headers: { ...AUTH, 'content-type': 'application/json' },
      body: JSON.stringify({ url: `${media}/photo.jpg` }),
    });
    const { id } = (await accepted.json()) as { id: string };
    await waitAll(redis, prefix, [id], () => undefined, 60_000);
    await stopAll(workers);
    const view = await fetch(`${api.base}/v1/checks/${id}`, { headers: AUTH });
    const bodyBytes = (await view.arrayBuffer()).byteLength;

    const routes = [
      { name: 'GET /healthz', url: `${api.base}/healthz` },
      { name: 'GET /v1/checks/:id', url: `${api.base}/v1/checks/${id}`, headers: AUTH },
      {
        name: 'POST /v1/checks',
        url: `${api.base}/v1/checks`,
        method: 'POST' as const,
        headers: { ...AUTH, 'content-type': 'application/json' },
        body: JSON.stringify({ url: `${media}/photo.jpg` }),
      },
    ];
    const results = [];
    for (const route of routes) {
      const { name, ...opts } = route;
      const r = await autocannon({ ...opts, connections: CONNECTIONS, duration: SECONDS });
      const codes = Object.fromEntries(Object.entries(r.statusCodeStats).map(([c, s]) => [c, s.count]));
      const row = {
        route: name,
        requests_per_second: Math.round(r.requests.average),
        latency_ms: { p50: r.latency.p50, p90: r.latency.p90, p99: r.latency.p99, max: r.latency.max },
        requests: r.requests.total,
        status_codes: codes,
        errors: r.errors,
        timeouts: r.timeouts,
        api_rss_mb_after: rssMb(api.child.pid),
      };
      console.log(
        `${name}: ${row.requests_per_second} req/s, p50 ${row.latency_ms.p50} ms, p99 ${row.latency_ms.p99} ms ` +
          `(${JSON.stringify(codes)}, ${r.errors} errors)`,
      );
      results.push(row);
    }
    const file = writeResult('api', {
      machine: machine(),
      seconds_per_route: SECONDS,
      connections: CONNECTIONS,
      check_view_bytes: bodyBytes,
      results,
    });
    console.log(`wrote ${file}`);
  } finally {
    await stopProcess(api.child);
    server.close();
    await removePrefix(redis, prefix);
    redis.disconnect();
  }
}

await main();
