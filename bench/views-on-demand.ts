// What one request for forensic views after a check costs (POST /v1/checks/:id/media/:index/views with
// FORENSIC_VIEWS off; `npm run bench:views`, writing bench/results/views-on-demand.json):
// the views worker's stage (src/pipeline/views-on-demand.ts) on a 1 MP and a 3 MP JPEG: the file
// downloaded again through the SSRF-safe fetcher from a local server, its sha256 checked, the views made
// (in the analysis pool's thread, as deployed, and on the event loop), and kept in Redis; beside them,
// forensicViews alone on the same bytes (what the views themselves cost). Then the same request for a
// file whose views are kept: found, never made again.
//
// CPU time is process.cpuUsage (all threads: the pool's thread and libvips' included); the load average
// is printed beside it, as wall times on a shared machine are inflated.
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import sharp from 'sharp';
import type { MediaItem } from '../schemas/report.js';
import { loadConfig } from '../src/config.js';
import { keys } from '../src/keys.js';
import { createLogger } from '../src/logger.js';
import { createSafeFetcher } from '../src/net/safe-fetch.js';
import { createAnalysisPool } from '../src/pipeline/analyze/pool.js';
import { viewsKeeper } from '../src/pipeline/pipeline.js';
import { viewsInputOf, viewsOnDemand, type ViewsOnDemandDeps } from '../src/pipeline/views-on-demand.js';
import { forensicViews } from '../src/pipeline/analyze/views.js';
import { connectRedis } from '../src/redis.js';
import { createForensicViewStore } from '../src/services/thumbnails.js';
import { configureSharp } from '../src/sharp-settings.js';
import { prng } from '../test/helpers/prng.js';
import { machine, ROOT, serveBuffers, summarize, writeResult } from './lib.js';

const REPEAT = Number(process.env.BENCH_REPEAT ?? 7);
const QUALITY = 90;

const cpuMs = (from: NodeJS.CpuUsage) => {
  const d = process.cpuUsage(from);
  return (d.user + d.system) / 1000;
};

/** A fixture photo at `width` x `height` with grain (so it compresses like a photograph), JPEG q90. */
async function photoAt(width: number, height: number): Promise<Buffer> {
  const photo = readFileSync(join(ROOT, 'test', 'fixtures', 'exifr/IMG_20180725_163423.jpg'));
  const base = await sharp(photo).rotate().resize(width, height, { fit: 'cover' }).raw().toBuffer();
  const rnd = prng(width);
  for (let i = 0; i < base.length; i++) {
    base[i] = Math.max(0, Math.min(255, (base[i] as number) + Math.round((rnd() - 0.5) * 16)));
  }
  return sharp(base, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: QUALITY })
    .toBuffer();
}

configureSharp();
const config = loadConfig({ ...process.env, FETCH_ALLOW_LOOPBACK: 'true', LOG_LEVEL: 'silent' });
const prefix = `fsbench_views_${process.pid}`;
const redis = connectRedis(config.redis, 'worker');
const store = createForensicViewStore(redis, prefix);
const fetcher = createSafeFetcher(config.fetch);
const pool = createAnalysisPool({ threads: 1, maxQueue: 8, timeoutMs: 120_000, keepAlive: true });
const log = createLogger(config);

const sizes = { '1mp': [1155, 866], '3mp': [2000, 1500] } as const;
const files = new Map<string, Buffer>();
for (const [name, [w, h]] of Object.entries(sizes)) files.set(`/${name}.jpg`, await photoAt(w, h));
const { server, base } = await serveBuffers(files);

function itemOf(name: string, bytes: Buffer, width: number, height: number): MediaItem {
  return {
    index: 0,
    target_index: 0,
    post_index: null,
    source_url: `${base}/${name}.jpg`,
    final_url: `${base}/${name}.jpg`,
    redirects: [],
    status: 'ok',
    timings_ms: {},
    sha256: createHash('sha256').update(bytes).digest('hex'),
    width,
    height,
    decode: {
      orientation: null,
      rotated_for_hashing: false,
      decoder: 'sharp',
      first_frame_only: false,
      hashed_width: 1024,
      hashed_height: Math.round((1024 * height) / width),
    },
    jpeg: { standard_quality: QUALITY, quality: QUALITY },
  } as unknown as MediaItem;
}

async function forget(sha256: string) {
  const k = keys(prefix);
  await redis.del(k.forensicView('ela', sha256));
  await redis.del(k.forensicView('noise', sha256));
  await redis.del(k.forensicViewFacts(sha256));
}

const deps = (inPool: boolean): ViewsOnDemandDeps => ({
  views: viewsKeeper(store, 3600)!,
  fetcher,
  uploads: async () => null,
  compute: inPool ? pool.views : undefined,
  maxInputPixels: config.maxInputPixels,
  log,
});

const results: Record<string, unknown> = {};
const loadBefore = machine().load;
const MODES = ['pool', 'event_loop', 'views_only'] as const;
for (const [name, [w, h]] of Object.entries(sizes)) {
  const bytes = files.get(`/${name}.jpg`)!;
  const item = itemOf(name, bytes, w, h);
  const own = viewsInputOf(item, config.maxInputPixels)!;
  const cpu = Object.fromEntries(MODES.map((m) => [m, [] as number[]]));
  const wall = Object.fromEntries(MODES.map((m) => [m, [] as number[]]));
  const keptCpu: number[] = [];
  // Interleaved (pool, event loop, views alone, pool, …) so that the machine's load drifts over all
  // three alike; the first round warms up (the thread loads its modules) and is not counted.
  for (let i = 0; i <= REPEAT; i++) {
    for (const mode of MODES) {
      await forget(item.sha256!);
      const c0 = process.cpuUsage();
      const w0 = performance.now();
      if (mode === 'views_only') await forensicViews({ ...own, bytes });
      else {
        const views = await viewsOnDemand({ checkId: 'chk_bench', item }, deps(mode === 'pool'));
        if (!views.ela || !views.noise) throw new Error(`no views made: ${JSON.stringify(views)}`);
      }
      if (i === 0) continue;
      cpu[mode]!.push(cpuMs(c0));
      wall[mode]!.push(performance.now() - w0);
      if (mode !== 'pool') continue;
      // Asked again (another check of the same file): found in Redis, never made again.
      const k0 = process.cpuUsage();
      await viewsOnDemand({ checkId: 'chk_bench', item }, deps(true));
      keptCpu.push(cpuMs(k0));
    }
  }
  for (const mode of MODES) {
    const r = {
      bytes: bytes.length,
      pixels: w * h,
      cpu_ms: summarize(cpu[mode]!),
      wall_ms: summarize(wall[mode]!),
    };
    results[`${name}_${mode}`] = r;
    console.log(
      `${name} (${w}x${h}, ${(bytes.length / 1024).toFixed(0)} KB, q${QUALITY}) ${mode}: CPU p50 ${r.cpu_ms.p50} ms (min-max ${Math.min(...cpu[mode]!).toFixed(1)}-${r.cpu_ms.max}), wall p50 ${r.wall_ms.p50} ms`,
    );
  }
  const kept = summarize(keptCpu);
  results[`${name}_kept`] = { cpu_ms: kept };
  console.log(`${name} asked again, views kept: CPU p50 ${kept.p50} ms (max ${kept.max})`);
}
const loadAfter = machine().load;
console.log(
  `load average before ${loadBefore.map((x) => x.toFixed(1)).join(' ')}, after ${loadAfter.map((x) => x.toFixed(1)).join(' ')}`,
);
const file = writeResult('views-on-demand', {
  machine: { ...machine(), load_before: loadBefore },
  repeat: REPEAT,
  results,
});
console.log(`wrote ${file}`);
for (const name of Object.keys(sizes)) await forget(itemOf(name, files.get(`/${name}.jpg`)!, 1, 1).sha256!);
server.close();
await fetcher.close();
await pool.close();
redis.disconnect();
