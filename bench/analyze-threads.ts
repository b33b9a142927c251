// Where the analysis' CPU goes, thread by thread (issue 21's whole analysis <= 1.3x the decode alone).
//
// bench:analyze reads the target on process CPU (every thread), and above the decode its breakdown
// leaves "the rest" (copies, garbage collection) unexplained. This reads each thread's own CPU from
// /proc/self/task/<tid>/schedstat (ns) around rounds of the 8 generated 12 MP JPEGs (bench/large-jpegs.ts)
// analyzed in the analysis pool (one thread, as a check runs it, loadConfig() defaults), then decoded alone
// on the calling thread, alternating, and prints per image:
//   libvips      libvips' own threads (the decode: the same work in both);
//   main         the calling thread;
//   analysis     the pool's thread: the Node thread that works during the analyses and not during the
//                decodes alone;
//   V8           V8's platform workers (concurrent and parallel garbage collection, background
//                compilation): the first 4 Node threads after the main one (Node starts them first; 4 is
//                its --v8-pool-size default);
//   libuv        the other Node threads: libuv's pool (sharp's calls are queued there), started later.
// With the process's peak resident memory (ANALYZE_HEAP_MB trades memory for garbage collection).
// Linux only (/proc). Environment: BENCH_THREADS_ROUNDS (16), BENCH_ANALYZE_LARGE (8 images),
// BENCH_THREADS_MODE (rounds: the analyses of a round, then its decodes; pairs: each image analyzed and
// decoded back to back, in a seeded random order, as bench:analyze's target reads it), BENCH_THREADS_LOADED
// (on: before timing, the thread extracts one picture's features with OpenCV.js and analyzes a HEVC HEIC,
// so it holds what a running worker's thread holds after its first partial-match candidate and its first
// HEIC; off: a fresh thread).
import { readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { loadConfig } from '../src/config.js';
import { decodeForHashing } from '../src/pipeline/analyze/decode.js';
import type { AnalyzeOptions } from '../src/pipeline/analyze/index.js';
import { createAnalysisPool } from '../src/pipeline/analyze/pool.js';
import { configureSharp } from '../src/sharp-settings.js';
import { sharedConcat } from '../src/bytes.js';
import { LARGE_SOURCES, loadAsWorker, makeLarge, xorshift } from './large-jpegs.js';
import { cpuMs, machine, writeResult } from './lib.js';

const ROUNDS = Number(process.env.BENCH_THREADS_ROUNDS ?? 16);
const LARGE = Number(process.env.BENCH_ANALYZE_LARGE ?? 8);
/** BENCH_THREADS_MODE=pairs: each image analyzed and decoded back to back (as bench:analyze's target reads it). */
const PAIRS = process.env.BENCH_THREADS_MODE === 'pairs';
const LOADED = process.env.BENCH_THREADS_LOADED !== 'off';
/** Node's --v8-pool-size default: the platform workers it starts before any other thread. */
const V8_POOL_SIZE = 4;

configureSharp();
const config = loadConfig();
const p = config.partial;
const opts: AnalyzeOptions = {
  maxInputPixels: config.maxInputPixels,
  jpegDoubleCompression: config.jpegDoubleCompression,
  features: p.features ? { side: p.side, maxKeypoints: p.maxKeypoints, engine: p.orb } : null,
  views: config.forensicViews,
};
const say = (s: string) => console.log(`${new Date().toISOString().slice(11, 19)} ${s}`);

/** Each thread's CPU so far (ns), by thread id, with its name. */
function threads(): Map<string, { comm: string; ns: number }> {
  const out = new Map<string, { comm: string; ns: number }>();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const comm = readFileSync(`/proc/self/task/${tid}/comm`, 'latin1').trim();
      const ns = Number(readFileSync(`/proc/self/task/${tid}/schedstat`, 'latin1').split(' ')[0]);
      out.set(tid, { comm, ns });
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return out;
}

const since = (a: Map<string, { ns: number }>, b: Map<string, { ns: number }>) =>
  new Map([...b].map(([tid, t]) => [tid, t.ns - (a.get(tid)?.ns ?? 0)]));

async function main() {
  say(`generating ${LARGE} 12 MP JPEGs`);
  const items: Array<{ bytes: Buffer; probe: { mime: string; format: string } }> = [];
  for (let i = 0; i < LARGE; i++) {
    const bytes = await makeLarge(LARGE_SOURCES[i % LARGE_SOURCES.length] as string, i + 1);
    // As a download is held (src/bytes.ts): shared memory, which the pool reads in place.
    const shared = sharedConcat([bytes], bytes.length);
    items.push({ bytes: shared, probe: { mime: 'image/jpeg', format: 'jpeg' } });
  }
  const pool = createAnalysisPool({ ...config.analysis, threads: 1, keepAlive: true, eager: true });
  const analyze = (it: (typeof items)[number]) => pool.analyze(it.bytes, it.probe, opts);
  const decode = (it: (typeof items)[number]) =>
    decodeForHashing(it.bytes, { maxPixels: config.maxInputPixels });
  if (LOADED) {
    say('loading OpenCV.js and the HEIC decoder as a running worker has them');
    await loadAsWorker(pool.analyze, (items[0] as (typeof items)[number]).bytes, opts);
  }
  say('warming up');
  for (let w = 0; w < 2; w++)
    for (const it of items) {
      await analyze(it);
      await decode(it);
    }
  const a = new Map<string, number>();
  const d = new Map<string, number>();
  const add = (into: Map<string, number>, from: Map<string, number>) => {
    for (const [tid, ns] of from) into.set(tid, (into.get(tid) ?? 0) + ns);
  };
  let processA = 0;
  let processD = 0;
  if (PAIRS) {
    say(`${ROUNDS * items.length} pairs: one image analyzed and decoded alone, back to back`);
    const rand = xorshift(0x5eed);
    for (let r = 0; r < ROUNDS; r++)
      for (const it of items)
        for (const stage of rand() & 1 ? (['a', 'd'] as const) : (['d', 'a'] as const)) {
          const t0 = threads();
          const c0 = cpuMs();
          await (stage === 'a' ? analyze(it) : decode(it));
          const cpu = cpuMs() - c0;
          if (stage === 'a') processA += cpu;
          else processD += cpu;
          add(stage === 'a' ? a : d, since(t0, threads()));
        }
  } else {
    say(`${ROUNDS} rounds of ${items.length} analyses, then ${items.length} decodes alone`);
    for (let r = 0; r < ROUNDS; r++) {
      let t0 = threads();
      let c0 = cpuMs();
      for (const it of items) await analyze(it);
      processA += cpuMs() - c0;
      add(a, since(t0, threads()));
      t0 = threads();
      c0 = cpuMs();
      for (const it of items) await decode(it);
      processD += cpuMs() - c0;
      add(d, since(t0, threads()));
    }
  }
  const names = threads();
  // Peak resident memory of the process (VmHWM): what a larger initial heap (ANALYZE_HEAP_MB) costs.
  const peakMb = Number(/VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'latin1'))?.[1] ?? 0) / 1024;
  await pool.close();

  const n = ROUNDS * items.length;
  const pid = String(process.pid);
  const platform = new Set(
    [...names]
      .filter(([tid, t]) => tid !== pid && t.comm === 'node')
      .map(([tid]) => tid)
      .sort((x, y) => Number(x) - Number(y))
      .slice(0, V8_POOL_SIZE),
  );
  const groupOf = (tid: string): string => {
    const comm = names.get(tid)?.comm ?? '';
    if (tid === pid) return 'main';
    if (comm.startsWith('libvips')) return 'libvips';
    if (comm !== 'node') return `other (${comm || 'ended'})`;
    const inA = a.get(tid) ?? 0;
    const inD = d.get(tid) ?? 0;
    if (inA > 0 && inD < inA / 100) return 'analysis';
    return platform.has(tid) ? 'V8' : 'libuv';
  };
  const groups = new Map<string, { analyze: number; decode: number }>();
  for (const tid of new Set([...a.keys(), ...d.keys()])) {
    const g = groupOf(tid);
    const s = groups.get(g) ?? { analyze: 0, decode: 0 };
    s.analyze += (a.get(tid) ?? 0) / 1e6 / n;
    s.decode += (d.get(tid) ?? 0) / 1e6 / n;
    groups.set(g, s);
  }
  const r2 = (x: number) => Math.round(x * 100) / 100;
  console.log('\nCPU ms per 12 MP JPEG, by thread   analysis in the pool   decode alone   difference');
  let ta = 0;
  let td = 0;
  const rows: Record<string, { analyze: number; decode: number }> = {};
  for (const [g, s] of [...groups].sort((x, y) => y[1].analyze - x[1].analyze)) {
    ta += s.analyze;
    td += s.decode;
    rows[g] = { analyze: r2(s.analyze), decode: r2(s.decode) };
    console.log(
      `  ${g.padEnd(32)} ${s.analyze.toFixed(2).padStart(8)} ${s.decode.toFixed(2).padStart(14)} ${(s.analyze - s.decode).toFixed(2).padStart(12)}`,
    );
  }
  console.log(
    `  ${'all threads'.padEnd(32)} ${ta.toFixed(2).padStart(8)} ${td.toFixed(2).padStart(14)} ${(ta - td).toFixed(2).padStart(12)}   x${(ta / td).toFixed(3)} (process CPU: x${(processA / processD).toFixed(3)})`,
  );
  const load = loadavg()
    .map((x) => x.toFixed(1))
    .join(' ');
  console.log(
    `ANALYZE_HEAP_MB ${config.analysis.initialHeapMb}; ${PAIRS ? 'pairs' : 'rounds'}; thread ${LOADED ? 'holding OpenCV.js and the HEIC decoder' : 'fresh'}; ` +
      `peak RSS ${Math.round(peakMb)} MB; load average after ${load}`,
  );
  const file = writeResult('analyze-threads', {
    machine: machine(),
    images: items.length,
    rounds: ROUNDS,
    cpu_ms_per_image_by_thread: rows,
    ratio_threads: r2(ta / td),
    ratio_process: r2(processA / processD),
    analyze_heap_mb: config.analysis.initialHeapMb,
    mode: PAIRS ? 'pairs' : 'rounds',
    thread_loaded: LOADED,
    peak_rss_mb: Math.round(peakMb),
  });
  say(`wrote ${file}`);
}

await main();
