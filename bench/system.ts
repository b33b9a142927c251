// Shared by the whole-system benchmarks (api, pipeline, backpressure): an API process and worker
// processes from the build, as production runs them, their memory, and clean-up of a key prefix.
import { freePort, sleep } from '../test/faults/processes.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Redis } from 'ioredis';
import { keys } from '../src/keys.js';
import { NODE_FLAGS, ROOT, startWorker, stopProcess } from './lib.js';

export const fixture = (rel: string) => readFileSync(resolve(ROOT, 'test', 'fixtures', rel));

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
/** The admin key every benchmark's service starts with (BOOTSTRAP_API_KEY). */
export const BENCH_KEY = 'fsk_bench_bootstrap_key_0001';
export const AUTH = { authorization: `Bearer ${BENCH_KEY}` };

/**
 * The environment of a benchmark's processes. Rate limits are off: they limit one API key, and the
 * benchmarks measure the service, not one client's quota. Under-pressure stays at its default (a 503 is
 * counted, not hidden). Wayback lookups are off (no network).
 */
export function benchEnv(prefix: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    REDIS_URL,
    KEY_PREFIX: prefix,
    LOG_LEVEL: 'warn',
    BOOTSTRAP_API_KEY: BENCH_KEY,
    RATE_LIMIT_PER_MINUTE: '0',
    FETCH_ALLOW_LOOPBACK: 'true',
    DEDUP_WINDOW_SECONDS: '0',
    WAYBACK_ENABLED: 'false',
    // Evidence archives only where a benchmark measures them (bench/pipeline.ts, BENCH_ARCHIVE).
    ARCHIVE_ENABLED: 'false',
    ...extra,
  };
}

// The fault tests start processes the same way: one free-port probe and one sleep for both.
export { freePort, sleep };

/** `npm run api`'s entry from the build (ROLE=api) on a free loopback port; resolves once it answers. */
export async function startApi(env: Record<string, string>): Promise<{ child: ChildProcess; base: string }> {
  const port = await freePort();
  const child = spawn(process.execPath, [...NODE_FLAGS, 'dist/workers/server.js'], {
    cwd: ROOT,
    env: { ...process.env, ...env, ROLE: 'api', HOST: '127.0.0.1', PORT: String(port) },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const base = `http://127.0.0.1:${port}`;
  const t0 = Date.now();
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the API process exited with ${child.exitCode}`);
    const ok = await fetch(`${base}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return { child, base };
    if (Date.now() - t0 > 30_000) throw new Error('the API process did not answer within 30 s');
    await sleep(100);
  }
}

/** Worker processes from the build; resolves once each has sent its first heartbeat. */
export async function startWorkers(
  n: number,
  env: Record<string, string>,
  redis: Redis,
  /** Variables of the i-th process only (a metrics port of its own, say). */
  own: (i: number) => Record<string, string> = () => ({}),
): Promise<ChildProcess[]> {
  const procs = Array.from({ length: n }, (_, i) => startWorker({ ...env, ...own(i) }));
  const k = keys(env.KEY_PREFIX as string);
  const t0 = Date.now();
  while ((await redis.zcard(k.workers())) < n) {
    if (Date.now() - t0 > 60_000)
      throw new Error(`only ${await redis.zcard(k.workers())} of ${n} workers up`);
    await sleep(100);
  }
  return procs;
}

export async function stopAll(procs: ChildProcess[]): Promise<void> {
  await Promise.all(procs.map((p) => stopProcess(p)));
}

/** Resident memory of a process in MB (Linux /proc), or NaN once it is gone. */
export function rssMb(pid: number | undefined): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]);
    return Math.round((kb / 1024) * 10) / 10;
  } catch {
    return NaN;
  }
}

export async function redisUsedMb(redis: Redis): Promise<number> {
  const info = await redis.info('memory');
  return Math.round((Number(/used_memory:(\d+)/.exec(info)?.[1]) / 2 ** 20) * 10) / 10;
}

/** Deletes every key of a prefix, firstseen's own and BullMQ's (never anything else). */
export async function removePrefix(redis: Redis, prefix: string): Promise<void> {
  for (const pattern of [`${prefix}:*`, `{${prefix}}:*`, `{${prefix}:*`]) {
    let cursor = '0';
    do {
      const [next, found] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      if (found.length) await redis.unlink(...found);
    } while (cursor !== '0');
  }
}

/** Polls the checks' statuses in Redis until every one is done or failed; `onDone` gets each as it ends. */
export async function waitAll(
  redis: Redis,
  prefix: string,
  ids: Iterable<string>,
  onDone: (id: string, status: string, at: number) => void,
  timeoutMs: number,
  /**
   * `intervalMs` between polls (20); `sent` counts the commands the polling sends, so that a benchmark
   * can tell its own HGETs from the service's in Redis's command counts.
   */
  opts: { intervalMs?: number; sent?: { commands: number } } = {},
): Promise<void> {
  const k = keys(prefix);
  const pending = new Set(ids);
  const t0 = performance.now();
  while (pending.size) {
    const list = [...pending];
    for (let i = 0; i < list.length; i += 2000) {
      const batch = list.slice(i, i + 2000);
      const pipe = redis.pipeline();
      for (const id of batch) pipe.hget(k.check(id), 'status');
      if (opts.sent) opts.sent.commands += batch.length;
      const res = (await pipe.exec()) ?? [];
      const now = performance.now();
      batch.forEach((id, j) => {
        const st = res[j]?.[1];
        if (st === 'done' || st === 'failed') {
          pending.delete(id);
          onDone(id, st, now);
        }
      });
    }
    if (performance.now() - t0 > timeoutMs)
      throw new Error(`${pending.size} checks unfinished after ${timeoutMs} ms`);
    if (pending.size) await sleep(opts.intervalMs ?? 20);
  }
}

export interface LoopDelay {
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
}

/**
 * A worker process's event-loop delay since the previous call, from its /metrics (WORKER_METRICS_PORT):
 * prom-client's default metrics measure it with perf_hooks.monitorEventLoopDelay (10 ms resolution) and
 * start afresh at each scrape.
 */
export async function workerLoopDelay(port: number): Promise<LoopDelay | null> {
  const body = await fetch(`http://127.0.0.1:${port}/metrics`).then(
    (r) => r.text(),
    () => null,
  );
  if (body === null) return null;
  const read = (name: string) =>
    Math.round(
      Number(new RegExp(`^firstseen_nodejs_eventloop_lag_${name}_seconds (\\S+)$`, 'm').exec(body)?.[1]) *
        1e4,
    ) / 10;
  return { p50_ms: read('p50'), p99_ms: read('p99'), max_ms: read('max') };
}
