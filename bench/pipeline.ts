// `npm run bench`: the whole pipeline with 1, 2 and 4 worker processes (from the build, as production
// runs them) against one Redis: BENCH_CHECKS (500) checks of local image URLs of mixed sizes, submitted
// at once; sustained checks per second, submission-to-report latency (p50/p95/p99), and where the time
// goes: waiting in the queue, then each stage of the reports' timings_ms.
// BENCH_WORKERS="1,2,4" chooses the runs; BENCH_FEATURES="on,off" runs each with and without feature
// matching (FEATURE_MATCHING) and prints what partial matching costs in checks per second;
// BENCH_ARCHIVE="off,on" runs each without and with evidence archives (ARCHIVE_ENABLED, a WACZ per
// check in a temporary ARCHIVE_DIR) and prints what archiving costs; the default is "on", as deployed.
// BENCH_CORPUS=distinct uses N different generated pictures instead of copies of 10 photos (each copy a
// file of its own); BENCH_CORPUS=repeats the same copies with their bytes unchanged (files checked again,
// as a viral picture is); BENCH_MEMO=off turns the analysis memo off. The API is built with buildService
// (ROLE=api) in this process; submissions go through HTTP inject. Each run first makes BENCH_WARMUP (200)
// checks of other files, unmeasured, so that the figures are those of a running service, not of its start.
// Wall figures mean little on a machine that runs other things; the CPU figure does not depend on that:
// CPU ms per check of every process of the run (this one with the API and the image server, each worker
// process with its threads, and their main threads alone, redis-server), the checks per second that CPU allows on 2 idle cores (issue
// 21's target: 40), and Redis commands per check. redis-server's figures are the whole server's: give the
// bench a Redis of its own (REDIS_URL) when others use the default one.
import { execSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import sharp from 'sharp';
import type { Report } from '../schemas/report.js';
import { loadConfig } from '../src/config.js';
import { keys } from '../src/keys.js';
import { buildService } from '../workers/index.js';
import { CORPUS, distinct, machine, percentile, ROOT, serveBuffers, summarize, writeResult } from './lib.js';
import {
  AUTH,
  benchEnv,
  fixture,
  freePort,
  REDIS_URL,
  removePrefix,
  startWorkers,
  stopAll,
  waitAll,
  workerLoopDelay,
} from './system.js';

const N = Number(process.env.BENCH_CHECKS ?? 500);
const WORKERS = (process.env.BENCH_WORKERS ?? '1,2,4').split(',').map(Number);
/** BENCH_CORPUS=distinct: N different pictures (generated scenes) instead of copies of 10 photos. */
const DISTINCT = process.env.BENCH_CORPUS === 'distinct';
/**
 * BENCH_CORPUS=repeats: the default corpus without the comment that makes each copy's bytes its own, so
 * its ~40 files are each checked ~BENCH_CHECKS/40 times with the same bytes, as a viral picture is: what
 * the analysis memo (ANALYSIS_MEMO_SECONDS) saves. The default corpus's copies are all different files.
 */
const REPEATS = process.env.BENCH_CORPUS === 'repeats';
const FEATURES = (process.env.BENCH_FEATURES ?? 'on').split(',').map((v) => v.trim() !== 'off');
const ARCHIVE = (process.env.BENCH_ARCHIVE ?? 'on').split(',').map((v) => v.trim() !== 'off');
/**
 * BENCH_MEMO=off: every check analyzes its file (ANALYSIS_MEMO_SECONDS=0). On (the default, as deployed),
 * only files checked before read the memo: the default corpus's WebP copies (served as they are), every
 * file of BENCH_CORPUS=repeats after its second check, none of BENCH_CORPUS=distinct.
 */
const MEMO = process.env.BENCH_MEMO !== 'off';
/**
 * BENCH_WARMUP (200): checks of other files each run makes first, unmeasured. A worker process pays once
 * for what a long-running one does not pay again: its analysis threads load their modules, V8 compiles and
 * recompiles the hot code (its compiler threads), OpenCV loads at the first geometric check. At 400 checks
 * that was ~13 CPU s of a run, ~33 ms of the ~85 ms per check it printed (5 December 2026): the figure said
 * more about start-up than about a check. The warm-up files are distinct from the measured ones (their
 * bytes, so no analysis memo and no exact match carries over) and stay in the memory, as a running service's
 * earlier checks do. 0: no warm-up, the cost of a cold start included.
 */
const WARMUP = Number(process.env.BENCH_WARMUP ?? 200);

/** Sizes of the archives written in a run's ARCHIVE_DIR (`<org>/<check>.wacz`). */
function archiveSizes(dir: string): number[] {
  const sizes: number[] = [];
  for (const org of readdirSync(dir))
    for (const f of readdirSync(join(dir, org))) sizes.push(statSync(join(dir, org, f)).size);
  return sizes;
}
const BASES = CORPUS;
/** Long sides of the variants; 0 keeps the original (up to 4000 px, 4 MB). */
const SIDES = [320, 800, 1600, 0];

/**
 * N different pictures: circles, rectangles, lines and polygons at seeded places and colours over a
 * gradient, 1024 x 768 JPEG. No two share a picture, so every one is indexed and nothing should match: the
 * feature index's cost with a stream of new images, which the default corpus (copies of 10 photos)
 * understates. No text: the same words in one font on every picture made 71 of 510 geometric checks pass
 * (clip-art sharing a caption looks like a partial copy; real photos with one shared watermark did not).
 */
async function distinctCorpus(): Promise<{ files: Map<string, Buffer>; warm: Map<string, Buffer> }> {
  let seed = 12345;
  const rnd = () => {
    seed = (seed * 1664525 + 1013904223) >>> 0;
    return seed / 2 ** 32;
  };
  const colour = () =>
    `rgb(${Math.floor(rnd() * 256)},${Math.floor(rnd() * 256)},${Math.floor(rnd() * 256)})`;
  const files = new Map<string, Buffer>();
  const warm = new Map<string, Buffer>();
  for (let i = 0; i < N + WARMUP; i++) {
    const shapes: string[] = [];
    for (let k = 0; k < 40; k++) {
      const x = Math.round(rnd() * 1024);
      const y = Math.round(rnd() * 768);
      const r = Math.round(10 + rnd() * 120);
      const kind = k % 4;
      if (kind === 0) shapes.push(`<circle cx="${x}" cy="${y}" r="${r}" fill="${colour()}"/>`);
      else if (kind === 1)
        shapes.push(
          `<rect x="${x}" y="${y}" width="${r * 2}" height="${r}" fill="${colour()}" transform="rotate(${Math.round(rnd() * 90)} ${x} ${y})"/>`,
        );
      else if (kind === 2)
        shapes.push(
          `<line x1="${x}" y1="${y}" x2="${Math.round(rnd() * 1024)}" y2="${Math.round(rnd() * 768)}" stroke="${colour()}" stroke-width="${1 + Math.round(rnd() * 8)}"/>`,
        );
      else {
        const pts = Array.from({ length: 3 + Math.floor(rnd() * 4) }, () => {
          const a = rnd() * 2 * Math.PI;
          const d = r * (0.3 + rnd());
          return `${Math.round(x + d * Math.cos(a))},${Math.round(y + d * Math.sin(a))}`;
        });
        shapes.push(`<polygon points="${pts.join(' ')}" fill="${colour()}"/>`);
      }
    }
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="1024" height="768"><defs><linearGradient id="g" x2="1" y2="1"><stop offset="0" stop-color="${colour()}"/><stop offset="1" stop-color="${colour()}"/></linearGradient></defs><rect width="100%" height="100%" fill="url(#g)"/>${shapes.join('')}</svg>`;
    const jpeg = await sharp(Buffer.from(svg)).jpeg({ quality: 85 }).toBuffer();
    if (i < N) files.set(`/img/${i}.jpg`, jpeg);
    else warm.set(`/warm/${i - N}.jpg`, jpeg);
  }
  return { files, warm };
}

/**
 * The benchmark's images: each base at each size, then N files made distinct from those (or, with
 * BENCH_CORPUS=repeats, N copies of them as they are), and WARMUP more for the warm-up, always distinct.
 */
async function corpus(): Promise<{ files: Map<string, Buffer>; warm: Map<string, Buffer> }> {
  const variants: Array<{ bytes: Buffer; format: string }> = [];
  for (const path of BASES) {
    const original = fixture(path);
    const { format = 'jpeg', width = 0, height = 0 } = await sharp(original).metadata();
    for (const side of SIDES) {
      if (side === 0 || side >= Math.max(width, height)) {
        variants.push({ bytes: original, format });
        if (side !== 0) continue;
        break;
      }
      const resized = sharp(original).resize(side, side, { fit: 'inside' }).keepMetadata();
      const bytes = await (
        format === 'png' ? resized.png() : format === 'webp' ? resized.webp() : resized.jpeg()
      ).toBuffer();
      variants.push({ bytes, format });
    }
  }
  const ext: Record<string, string> = { jpeg: 'jpg', png: 'png', webp: 'webp' };
  const files = new Map<string, Buffer>();
  for (let i = 0; i < N; i++) {
    const v = variants[i % variants.length] as (typeof variants)[number];
    files.set(`/img/${i}.${ext[v.format] ?? 'jpg'}`, REPEATS ? v.bytes : distinct(v.bytes, v.format, i));
  }
  const warm = new Map<string, Buffer>();
  for (let i = 0; i < WARMUP; i++) {
    const v = variants[i % variants.length] as (typeof variants)[number];
    warm.set(`/warm/${i}.${ext[v.format] ?? 'jpg'}`, distinct(v.bytes, v.format, N + i));
  }
  return { files, warm };
}

const r1 = (x: number) => Math.round(x * 10) / 10;
/** Issue 21: no process's event loop stalls more than this at p99 under this load. */
const LOOP_TARGET_MS = 50;
/** Issue 21: >= 40 checks/s on this 2-core machine; the CPU figure says what 2 idle cores would allow. */
const CPU_CORES = 2;
const CHECKS_TARGET = 40;
/** How often the bench reads the checks' statuses. */
const POLL_MS = 100;

/**
 * CPU a process has used, user + system of all its threads and its waited-for children, in ms (Linux
 * /proc/<pid>/stat: utime, stime, cutime, cstime in clock ticks of 10 ms). NaN once it is gone.
 */
function procCpuMs(pid: number | undefined): number {
  return statCpuMs(`/proc/${pid}/stat`, [11, 12, 13, 14]);
}

/**
 * CPU of a process's main thread alone (the event loop: fetch, Redis, matching, report, archives), user +
 * system, in ms: /proc/<pid>/task/<pid>/stat, whose thread id is the process's. The rest of the process's
 * figure is its other threads (the analysis pool, libuv's pool with libvips and zlib, V8's GC helpers).
 */
function mainThreadCpuMs(pid: number | undefined): number {
  return statCpuMs(`/proc/${pid}/task/${pid}/stat`, [11, 12]);
}

/**
 * CPU of the worker processes' threads by kind, in ms: each thread's user + system time, keyed by its name
 * (/proc/<pid>/task/<tid>/comm) with digits dropped ("node" the main thread, "libuv-worker" libuv's pool,
 * "V8 DefaultWorke" V8's GC and compiler helpers, worker_threads and libvips's own by theirs). A thread
 * that ended during the run is missing from the second snapshot: its CPU shows as `ended`.
 */
function threadCpuMs(pids: (number | undefined)[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const pid of pids) {
    let tids: string[] = [];
    try {
      tids = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const tid of tids) {
      let name = 'ended';
      try {
        name = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim().replace(/\d+/g, '#');
      } catch {
        continue;
      }
      const ms = statCpuMs(`/proc/${pid}/task/${tid}/stat`, [11, 12]);
      // The main thread is "node" too, as are worker_threads and V8's helpers: it is named apart.
      if (Number.isFinite(ms)) out.set(`${pid}/${tid}\t${tid === String(pid) ? 'main' : name}`, ms);
    }
  }
  return out;
}

function statCpuMs(path: string, fields: number[]): number {
  try {
    // The command name (field 2) may hold spaces: the fields after it start past its closing parenthesis.
    const stat = readFileSync(path, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // f[0] is field 3 (state): utime is field 14, so f[11]; stime f[12], cutime f[13], cstime f[14].
    const ticks = fields.reduce((s, i) => s + Number(f[i]), 0);
    return ticks * 10; // USER_HZ is 100 on Linux
  } catch {
    return NaN;
  }
}

/** redis-server's own CPU (INFO cpu: user + system of all its threads), in ms. */
async function redisCpuMs(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const read = (name: string) => Number(new RegExp(`^${name}:(\\S+)`, 'm').exec(info)?.[1] ?? NaN);
  return (read('used_cpu_user') + read('used_cpu_sys')) * 1000;
}

/** Calls per Redis command (INFO commandstats), e.g. { evalsha: 1200, hset: 800 }. */
async function redisCommandCalls(redis: Redis): Promise<Map<string, number>> {
  const info = await redis.info('commandstats');
  const calls = new Map<string, number>();
  for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) calls.set(m[1] as string, Number(m[2]));
  return calls;
}

/**
 * What the run cost in CPU, whatever else the machine ran meanwhile: the bench process (the API, the
 * image server, the submitting and polling), each worker process (its analysis threads included) and
 * redis-server, from just before the first submission to the last check's end. Redis's figure is the
 * whole server's: other clients of the same server count too (BENCH's REDIS_URL should be its own).
 */
interface CpuSnapshot {
  bench: NodeJS.CpuUsage;
  workers: number[];
  /** The workers' main threads (part of `workers`). */
  mainThreads: number[];
  /** Every thread of the workers, `<pid>/<tid>\t<name>` -> CPU ms. */
  threads: Map<string, number>;
  redis: number;
  commands: Map<string, number>;
}

async function cpuSnapshot(pids: (number | undefined)[], redis: Redis): Promise<CpuSnapshot> {
  return {
    bench: process.cpuUsage(),
    workers: pids.map(procCpuMs),
    mainThreads: pids.map(mainThreadCpuMs),
    threads: threadCpuMs(pids),
    redis: await redisCpuMs(redis),
    commands: await redisCommandCalls(redis),
  };
}

function cpuPerCheck(before: CpuSnapshot, after: CpuSnapshot, checks: number, pollingHgets: number) {
  const per = (ms: number) => Math.round((ms / checks) * 10) / 10;
  const used = process.cpuUsage(before.bench);
  const bench = (used.user + used.system) / 1000;
  const workers = after.workers.map((ms, i) => ms - (before.workers[i] as number));
  const mainThreads = after.mainThreads.map((ms, i) => ms - (before.mainThreads[i] as number));
  const redisMs = after.redis - before.redis;
  // The workers' CPU by kind of thread; what threads that ended used is the rest of the processes' total.
  const byKind = new Map<string, number>();
  let counted = 0;
  const busiest: [string, number][] = [];
  for (const [id, ms] of after.threads) {
    const kind = id.slice(id.indexOf('\t') + 1);
    const used = ms - (before.threads.get(id) ?? 0);
    busiest.push([id, used]);
    byKind.set(kind, (byKind.get(kind) ?? 0) + used);
    counted += used;
  }
  byKind.set('ended threads', workers.reduce((a, b) => a + b, 0) - counted);
  busiest.sort((a, b) => b[1] - a[1]);
  const total = bench + workers.reduce((a, b) => a + b, 0) + redisMs;
  const commands = [...after.commands]
    .map(
      ([name, n]) =>
        [name, n - (before.commands.get(name) ?? 0) - (name === 'hget' ? pollingHgets : 0)] as const,
    )
    .filter(([name, n]) => n > 0 && name !== 'info')
    .sort((a, b) => b[1] - a[1]);
  const cmdTotal = commands.reduce((s, [, n]) => s + n, 0);
  return {
    total_ms_per_check: per(total),
    bench_ms_per_check: per(bench),
    workers_ms_per_check: per(workers.reduce((a, b) => a + b, 0)),
    worker_process_ms_per_check: workers.map(per),
    /** Of the workers' figure, their main threads' (event loops), added up: the rest is their other threads. */
    worker_main_threads_ms_per_check: per(mainThreads.reduce((a, b) => a + b, 0)),
    /** The workers' figure by kind of thread (thread names, digits as #). */
    worker_threads_ms_per_check: Object.fromEntries(
      [...byKind].sort((a, b) => b[1] - a[1]).map(([kind, ms]) => [kind, per(ms)]),
    ),
    /** The workers' 8 busiest threads (`<pid>/<tid> <name>`): the analysis pool's are among them. */
    busiest_threads_ms_per_check: Object.fromEntries(
      busiest.slice(0, 8).map(([id, ms]) => [id.replace('\t', ' '), per(ms)]),
    ),
    redis_ms_per_check: per(redisMs),
    /** What a machine of CPU_CORES cores, busy with nothing else, would sustain at this cost. */
    checks_per_second_on_2_cores: r1((CPU_CORES * 1000) / (total / checks)),
    /** Every command redis-server ran for the service (those inside Lua scripts too), the bench's polling not. */
    redis_commands_per_check: per(cmdTotal),
    bench_polling_commands_per_check: per(pollingHgets),
    redis_commands: Object.fromEntries(commands.map(([name, n]) => [name, per(n)])),
    load_average: loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

async function run(
  workers: number,
  files: Map<string, Buffer>,
  warm: Map<string, Buffer>,
  base: string,
  features: boolean,
  archive: boolean,
) {
  const prefix = `bench_${process.pid}_${workers}_${features ? 'f' : 'nf'}_${archive ? 'a' : 'na'}`;
  const archiveDir = mkdtempSync(join(tmpdir(), 'firstseen-bench-archives-'));
  const env = benchEnv(prefix, {
    FEATURE_MATCHING: String(features),
    ARCHIVE_ENABLED: String(archive),
    ARCHIVE_DIR: archiveDir,
    ...(!MEMO && { ANALYSIS_MEMO_SECONDS: '0' }),
    // The analysis pool's settings as given (ANALYZE_IN_THREADS=false: the event loop, as before it).
    ...Object.fromEntries(
      ['ANALYZE_IN_THREADS', 'ANALYZE_THREADS']
        .filter((name) => process.env[name] !== undefined)
        .map((name) => [name, process.env[name] as string]),
    ),
  });
  const config = loadConfig({ ...env, ROLE: 'api', LOG_LEVEL: 'silent' });
  const api = await buildService(config);
  await api.ready();
  const redis = new Redis(REDIS_URL);
  const ports = await Promise.all(Array.from({ length: workers }, () => freePort()));
  const procs = await startWorkers(workers, env, redis, (i) => ({
    WORKER_METRICS_PORT: String(ports[i]),
  }));
  const submit = async (path: string) =>
    (
      await api.inject({
        method: 'POST',
        url: '/v1/checks',
        headers: AUTH,
        payload: { url: `${base}${path}` },
      })
    ).json<{ id: string }>().id;
  // The warm-up (BENCH_WARMUP): submitted and finished before anything is measured.
  const warmIds: string[] = [];
  for (const path of warm.keys()) warmIds.push(await submit(path));
  let warmFailed = 0;
  await waitAll(
    redis,
    prefix,
    warmIds,
    (_id, status) => void (status === 'failed' && warmFailed++),
    30 * 60_000,
    {
      intervalMs: POLL_MS,
      sent: { commands: 0 },
    },
  );
  if (warmFailed) console.log(`  (${warmFailed} of ${warmIds.length} warm-up checks failed)`);
  // Event-loop delay under load: the workers' from their /metrics (a scrape starts the window afresh, so
  // this one ends the warm-up's), the API's (this process: it also submits and polls) from a monitor of
  // its own.
  await Promise.all(ports.map((p) => workerLoopDelay(p)));
  const apiLoop = monitorEventLoopDelay({ resolution: 10 });
  apiLoop.enable();

  const submitted = new Map<string, number>();
  const latencies: number[] = [];
  const doneAt: number[] = [];
  let failed = 0;
  const pids = procs.map((p) => p.pid);
  const polling = { commands: 0 };
  const cpuBefore = await cpuSnapshot(pids, redis);
  const t0 = performance.now();
  for (const path of files.keys()) submitted.set(await submit(path), performance.now());
  const submitMs = performance.now() - t0;
  await waitAll(
    redis,
    prefix,
    submitted.keys(),
    (id, status, at) => {
      latencies.push(at - (submitted.get(id) as number));
      doneAt.push(at - t0);
      if (status === 'failed') failed++;
    },
    30 * 60_000,
    // Every 100 ms (the latencies are seconds): the polling is the bench's cost, not the service's, and its
    // HGETs are told apart from the service's commands below.
    { intervalMs: POLL_MS, sent: polling },
  );
  const wallMs = performance.now() - t0;
  const cpu = cpuPerCheck(cpuBefore, await cpuSnapshot(pids, redis), N, polling.commands);
  apiLoop.disable();
  const workerLoops = await Promise.all(ports.map((p) => workerLoopDelay(p)));
  const ms = (ns: number) => Math.round(ns / 1e5) / 10;
  const loop = {
    target_p99_ms: LOOP_TARGET_MS,
    api: { p50_ms: ms(apiLoop.percentile(50)), p99_ms: ms(apiLoop.percentile(99)), max_ms: ms(apiLoop.max) },
    workers: workerLoops,
  };
  await stopAll(procs);
  await api.close();

  // Where the time went, from the reports themselves.
  const k = keys(prefix);
  const stages = new Map<string, number[]>();
  const queued: number[] = [];
  const running: number[] = [];
  let itemErrors = 0;
  let fromMemo = 0;
  const ids = [...submitted.keys()];
  for (let i = 0; i < ids.length; i += 500) {
    const pipe = redis.pipeline();
    for (const id of ids.slice(i, i + 500)) pipe.hmget(k.check(id), 'created_at', 'report');
    for (const [, value] of (await pipe.exec()) ?? []) {
      const [created, raw] = value as [string, string | null];
      if (!raw) continue;
      const report = JSON.parse(raw) as Report;
      queued.push(Date.parse(report.started_at) - Date.parse(created));
      running.push(Date.parse(report.completed_at) - Date.parse(report.started_at));
      for (const item of report.media) {
        if (item.status !== 'ok') itemErrors++;
        if (item.timings_ms.memo !== undefined && item.timings_ms.decode === undefined) fromMemo++;
        for (const [stage, ms] of Object.entries(item.timings_ms)) {
          if (!stages.has(stage)) stages.set(stage, []);
          stages.get(stage)?.push(ms);
        }
      }
    }
  }
  // Redis bytes of the analysis memos the run kept (files checked twice or more).
  const memoBytes: number[] = [];
  for (let cursor = '0'; ;) {
    const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}:memo:*`, 'COUNT', 1000);
    for (const key of found) memoBytes.push(Number(await redis.call('MEMORY', 'USAGE', key, 'SAMPLES', '0')));
    cursor = next;
    if (cursor === '0') break;
  }
  await removePrefix(redis, prefix);
  redis.disconnect();
  const archives = archive ? archiveSizes(archiveDir) : [];
  rmSync(archiveDir, { recursive: true, force: true });

  const total = [...stages.values()].reduce((s, v) => s + v.reduce((a, b) => a + b, 0), 0);
  const perStage = Object.fromEntries(
    [...stages.entries()].map(([stage, v]) => {
      const sum = v.reduce((a, b) => a + b, 0);
      return [
        stage,
        {
          ...summarize(v),
          mean: Math.round((sum / v.length) * 10) / 10,
          share: Math.round((sum / total) * 1000) / 10,
        },
      ];
    }),
  );
  doneAt.sort((a, b) => a - b);
  const t10 = percentile(doneAt, 10);
  const t90 = percentile(doneAt, 90);
  return {
    workers,
    worker_concurrency: config.worker.concurrency,
    checks: N,
    warmup_checks: warm.size,
    failed,
    item_errors: itemErrors,
    submit_ms_total: Math.round(submitMs),
    wall_ms: Math.round(wallMs),
    checks_per_second: r1((N / wallMs) * 1000),
    // Completions between the 10th and the 90th percentile: the rate once the pipeline is full.
    sustained_checks_per_second: r1(((0.8 * N) / (t90 - t10)) * 1000),
    latency_ms: summarize(latencies),
    queue_wait_ms: summarize(queued),
    processing_ms: summarize(running),
    stages_ms: perStage,
    archives: archive ? { count: archives.length, bytes: summarize(archives) } : null,
    analysis_memo: MEMO
      ? { items_read_from_memo: fromMemo, memos_kept: memoBytes.length, redis_bytes: summarize(memoBytes) }
      : null,
    analysis_threads: config.analysis.threads,
    event_loop_delay: loop,
    cpu,
  };
}

async function main() {
  if (!process.env.BENCH_NO_BUILD) execSync('npm run build --silent', { cwd: ROOT, stdio: 'inherit' });
  const { files, warm } = DISTINCT ? await distinctCorpus() : await corpus();
  const sizes = [...files.values()].map((b) => b.length);
  const { server, base } = await serveBuffers(new Map([...files, ...warm]));
  const results: (Awaited<ReturnType<typeof run>> & { feature_matching: boolean; archive: boolean })[] = [];
  for (const workers of WORKERS)
    for (const features of FEATURES)
      for (const archive of ARCHIVE) {
        const r = {
          ...(await run(workers, files, warm, base, features, archive)),
          feature_matching: features,
          archive,
        };
        const stages = Object.entries(r.stages_ms)
          .sort((a, b) => b[1].share - a[1].share)
          .map(([s, v]) => `${s} ${v.share}%`)
          .join(', ');
        console.log(
          `${workers} worker process(es), feature matching ${features ? 'on' : 'off'}, archives ${archive ? 'on' : 'off'}, analysis memo ${MEMO ? 'on' : 'off'}, after ${r.warmup_checks} warm-up checks: ${r.sustained_checks_per_second} checks/s sustained (${r.checks_per_second} overall); ` +
            `submission-to-report p50 ${r.latency_ms.p50} ms, p95 ${r.latency_ms.p95} ms, p99 ${r.latency_ms.p99} ms; ` +
            `per check: ${r.queue_wait_ms.p50} ms queued, ${r.processing_ms.p50} ms processing (p50); stages: ${stages} ` +
            `(${r.failed} failed, ${r.item_errors} item errors)` +
            (r.archives ? `; archives: ${r.archives.count}, p50 ${r.archives.bytes.p50} bytes` : '') +
            (r.analysis_memo
              ? `; analysis memo: ${r.analysis_memo.items_read_from_memo} of ${N} files read from it, ${r.analysis_memo.memos_kept} kept, p50 ${r.analysis_memo.redis_bytes.p50} Redis bytes each`
              : ''),
        );
        const loops = r.event_loop_delay;
        const worst = Math.max(loops.api.p99_ms, ...loops.workers.map((w) => w?.p99_ms ?? NaN));
        console.log(
          `  event-loop delay p99 (target <= ${LOOP_TARGET_MS} ms): API ${loops.api.p99_ms} ms (max ${loops.api.max_ms}); ` +
            loops.workers
              .map((w, i) => `worker ${i + 1} ${w ? `${w.p99_ms} ms (max ${w.max_ms})` : 'unread'}`)
              .join(', ') +
            ` -> ${worst <= LOOP_TARGET_MS ? 'met' : 'NOT met'}; analysis ${r.analysis_threads === null ? 'on the event loop' : `in ${r.analysis_threads} thread(s) per process`}`,
        );
        const c = r.cpu;
        console.log(
          `  CPU per check: ${c.total_ms_per_check} ms (bench process with API and image server ${c.bench_ms_per_check}, ` +
            `workers ${c.workers_ms_per_check} [${c.worker_process_ms_per_check.join(' + ')}; main threads ${c.worker_main_threads_ms_per_check}], redis-server ${c.redis_ms_per_check}) ` +
            `-> ${c.checks_per_second_on_2_cores} checks/s this CPU allows on ${CPU_CORES} cores (target >= ${CHECKS_TARGET}: ` +
            `${c.checks_per_second_on_2_cores >= CHECKS_TARGET ? 'met' : 'NOT met'}); load average ${c.load_average.join(' ')}`,
        );
        console.log(
          `  workers' CPU per check by thread: ` +
            Object.entries(c.worker_threads_ms_per_check)
              .filter(([, ms]) => Math.abs(ms) >= 0.1)
              .map(([kind, ms]) => `${kind} ${ms}`)
              .join(', ') +
            `; busiest: ` +
            Object.entries(c.busiest_threads_ms_per_check)
              .map(([id, ms]) => `${id} ${ms}`)
              .join(', '),
        );
        console.log(
          `  Redis commands per check: ${c.redis_commands_per_check} (` +
            Object.entries(c.redis_commands)
              .slice(0, 12)
              .map(([name, n]) => `${name} ${n}`)
              .join(', ') +
            ')',
        );
        results.push(r);
      }
  for (const workers of WORKERS) {
    for (const archive of ARCHIVE) {
      const on = results.find((r) => r.workers === workers && r.feature_matching && r.archive === archive);
      const off = results.find((r) => r.workers === workers && !r.feature_matching && r.archive === archive);
      if (on && off)
        console.log(
          `${workers} worker process(es): without feature matching ${off.sustained_checks_per_second} checks/s, with ${on.sustained_checks_per_second}: ${(off.sustained_checks_per_second / on.sustained_checks_per_second).toFixed(2)}x the time per check`,
        );
    }
    for (const features of [...new Set(FEATURES)]) {
      // BENCH_ARCHIVE=off,on,off,on interleaves runs, so a machine whose load drifts weighs on both.
      const mean = (archive: boolean) => {
        const runs = results.filter(
          (r) => r.workers === workers && r.feature_matching === features && r.archive === archive,
        );
        return runs.length
          ? r1(runs.reduce((sum, r) => sum + r.sustained_checks_per_second, 0) / runs.length)
          : null;
      };
      const on = mean(true);
      const off = mean(false);
      if (on && off)
        console.log(
          `${workers} worker process(es), feature matching ${features ? 'on' : 'off'}: without archives ${off} checks/s, with ${on}: ${(off / on).toFixed(2)}x the time per check (target: within 1.15x)`,
        );
    }
  }
  server.close();
  const file = writeResult(DISTINCT ? 'pipeline-distinct' : 'pipeline', {
    machine: machine(),
    images: DISTINCT
      ? {
          count: files.size,
          bytes: summarize(sizes),
          corpus: 'distinct generated pictures (shapes, no text), 1024 x 768',
        }
      : { count: files.size, bytes: summarize(sizes), bases: BASES, sides: SIDES },
    results,
  });
  console.log(`wrote ${file}`);
}

await main();
