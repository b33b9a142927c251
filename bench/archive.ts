// `npm run bench:archive`: what evidence archiving costs per check, in CPU time, measured in one process
// so a loaded machine weighs on both sides alike: the same checks (one local image URL each, the bench
// corpus's originals up to 4000 px and 4 MB) run through the pipeline (createPipeline) without a recorder, then with one
// plus the WACZ packaging and a directory store, interleaved, BENCH_ROUNDS (5) rounds. Matching is off
// here (no Redis), so the figure overstates the share of archiving in a real check, which also matches.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { archiveCheck, SOFTWARE } from '../src/archive/archive-check.js';
import { createDirectoryStore } from '../src/archive/store.js';
import { createWarcRecorder } from '../src/archive/warc-recorder.js';
import { loadConfig } from '../src/config.js';
import { createSafeFetcher } from '../src/net/safe-fetch.js';
import { createPipeline } from '../src/pipeline/pipeline.js';
import { CORPUS, cpuMs, machine, serveBuffers, writeResult } from './lib.js';
import { fixture } from './system.js';
import { configureSharp } from '../src/sharp-settings.js';

configureSharp(); // as the API and the workers run it

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const IMAGES = CORPUS;

const log = pino({ level: 'silent' });

async function main() {
  const files = new Map(IMAGES.map((p, i) => [`/img/${i}${p.slice(p.lastIndexOf('.'))}`, fixture(p)]));
  const { server, base } = await serveBuffers(files);
  const fetcher = createSafeFetcher({
    maxBytes: 52_428_800,
    connectTimeoutMs: 5000,
    timeoutMs: 30_000,
    maxRedirects: 5,
    userAgent: 'firstseen-bench',
    allowLoopback: true,
    allowedNetworks: [],
  });
  const dir = mkdtempSync(join(tmpdir(), 'firstseen-bench-archive-'));
  const store = createDirectoryStore(dir, 0);
  // The production pipeline with the env schema's defaults (the platform URLs are never called here).
  const pipeline = createPipeline({
    config: loadConfig({ LOG_LEVEL: 'silent' }),
    memory: null,
    fetcher,
    waybackCache: null,
    thumbnails: null,
    log,
  });
  const cpu = { off: 0, on: 0, archiveOnly: 0 };
  const bytes: number[] = [];
  let n = 0;
  for (let round = 0; round < ROUNDS; round++) {
    for (const archive of [false, true]) {
      for (const path of files.keys()) {
        const checkId = `chk_bench_${round}_${n++}`;
        const t0 = cpuMs();
        const recorder = archive
          ? await createWarcRecorder({
              checkId,
              maxBytes: 268_435_456,
              software: SOFTWARE,
              log,
              dir: store.scratch,
            })
          : null;
        const report = await pipeline.check({
          checkId,
          org: 'bench',
          targets: [{ url: `${base}${path}`, input: path }],
          recorder,
        });
        if (report.media[0]?.status !== 'ok') throw new Error(`${path}: ${report.media[0]?.error?.code}`);
        if (recorder) {
          const t1 = cpuMs();
          const summary = await archiveCheck({ recorder, store, org: 'bench', report });
          cpu.archiveOnly += cpuMs() - t1;
          bytes.push(summary.bytes);
          await store.delete('bench', checkId);
        }
        cpu[archive ? 'on' : 'off'] += cpuMs() - t0;
      }
    }
  }
  const checks = ROUNDS * files.size;
  const result = {
    checks_per_mode: checks,
    cpu_ms_per_check_without_archive: Math.round((cpu.off / checks) * 10) / 10,
    cpu_ms_per_check_with_archive: Math.round((cpu.on / checks) * 10) / 10,
    cpu_ms_packaging_per_check: Math.round((cpu.archiveOnly / checks) * 10) / 10,
    ratio: Math.round((cpu.on / cpu.off) * 100) / 100,
    archive_bytes_mean: Math.round(bytes.reduce((a, b) => a + b, 0) / bytes.length),
  };
  console.log(
    `${checks} checks each way: ${result.cpu_ms_per_check_without_archive} CPU ms per check without archives, ` +
      `${result.cpu_ms_per_check_with_archive} with (WACZ packaging and store: ${result.cpu_ms_packaging_per_check} ms; ` +
      `archives of ${result.archive_bytes_mean} bytes on average): ${result.ratio}x the CPU time per check (target: within 1.15x)`,
  );
  server.close();
  await fetcher.close();
  rmSync(dir, { recursive: true, force: true });
  console.log(`wrote ${writeResult('archive', { machine: machine(), images: IMAGES, result })}`);
}

await main();
