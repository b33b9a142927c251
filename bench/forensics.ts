// `npm run bench:forensics`: what the JPEG forensics of issue 20 cost and what the double-compression
// detector finds.
//
//   structure   readJpeg (segments, tables, quality, signature) per JPEG fixture, in microseconds of CPU
//               (target: under 1 ms per image)
//   double      the double-compression estimate (bounded Huffman decode of at most ENERGY_MAX_BLOCKS
//               luminance blocks, IDCT, the 49-shift DC search on the top DOUBLE_MAX_BLOCKS, the aligned
//               models and the 63-offset fine-detail search of double-energy.ts on all), CPU ms per image,
//               on the JPEG fixtures and on 12 MP JPEGs generated from a fixture photo
//   analysis    analyzeImage on the pipeline corpus' JPEGs and the 12 MP JPEGs: the whole stage's CPU time
//               and the share of timings_ms.jpeg in it; `ratio` is whole / (whole - jpeg), how much slower
//               the analysis stage is with the JPEG reading than it would be without (target: within 1.2x)
//   views       the forensic views (bench/forensic-views.ts): CPU per image by size, the analysis stage
//               with and without them, a check's cost with FORENSIC_VIEWS on, ELA contrast of a copy-move
//   detection   the generated set of test/helpers/double-jpeg.ts (8 photos; q95/q90/q80 then q75/q70/q60,
//               aligned and cropped off the grid between the saves, plus single saves): per pair of
//               qualities, detections, first quality named right, and CPU ms per image (decode included);
//               then per first quality and grid. Twice: at 768x512, and at LARGE_SIZE (2304x1536, 7 photos)
//
// CPU time is process.cpuUsage (all threads): the per-core figure least disturbed by other processes on a
// shared machine. Env: BENCH_FORENSICS_REPEAT (50: passes over the fixtures for `structure`).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import { join, relative } from 'node:path';
import sharp from 'sharp';
import { analyzeImage } from '../src/pipeline/analyze/index.js';
import {
  readDoubleCompression,
  readDoubleCompressionDetail,
  readJpeg,
} from '../src/pipeline/analyze/jpeg/index.js';
import type { DoubleCompressionDetail } from '../src/pipeline/analyze/jpeg/double-compression.js';
import { DOUBLE_MAX_BLOCKS, ENERGY_MAX_BLOCKS } from '../src/pipeline/analyze/jpeg/double-compression.js';
import { configureSharp } from '../src/sharp-settings.js';
import {
  doubleCompressionSet,
  LARGE_SIZE,
  LARGE_SOURCES,
  SHIFTED_GRID,
  type DoubleSample,
} from '../test/helpers/double-jpeg.js';
import { prng } from '../test/helpers/prng.js';
import { CORPUS, machine, ROOT, summarize, writeResult } from './lib.js';
import { benchViews } from './forensic-views.js';

const FIXTURES = join(ROOT, 'test', 'fixtures');
const REPEAT = Number(process.env.BENCH_FORENSICS_REPEAT ?? 50);
const NO_CAMERA = { cameraExif: false, camera: null };

const cpuMs = (from: NodeJS.CpuUsage) => {
  const d = process.cpuUsage(from);
  return (d.user + d.system) / 1000;
};

function jpegs(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) return jpegs(p);
      return /\.jpe?g$/i.test(name) ? [p] : [];
    });
}

configureSharp();
const files = jpegs(FIXTURES).map((p) => ({ name: relative(FIXTURES, p), bytes: readFileSync(p) }));

// Structure: warm up once, then REPEAT passes; the figure per image is the pass's CPU over the images.
for (const f of files) readJpeg(f.bytes, NO_CAMERA);
const perImageUs: number[] = [];
for (let r = 0; r < REPEAT; r++) {
  const t0 = process.cpuUsage();
  for (const f of files) readJpeg(f.bytes, NO_CAMERA);
  perImageUs.push((cpuMs(t0) * 1000) / files.length);
}
const worstFile = files
  .map((f) => {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < 20; i++) readJpeg(f.bytes, NO_CAMERA);
    return { name: f.name, us: Number(process.hrtime.bigint() - t0) / 20 / 1000 };
  })
  .sort((a, b) => b.us - a.us)[0];
const structure = { images: files.length, cpu_us_per_image: summarize(perImageUs), slowest_wall: worstFile };
console.log(
  `structure: ${files.length} JPEG fixtures, ${structure.cpu_us_per_image.p50} µs CPU per image (p50 of ${REPEAT} passes; target < 1000 µs); slowest ${worstFile?.name} ${worstFile?.us.toFixed(0)} µs wall`,
);

// 12 MP JPEGs: a fixture photo at 4000x3000 with grain, quality 90.
const photo = readFileSync(join(FIXTURES, 'exifr/IMG_20180725_163423.jpg'));
const large: Buffer[] = [];
for (const q of [90, 80]) {
  const rnd = prng(q);
  const base = await sharp(photo).rotate().resize(4000, 3000, { fit: 'cover' }).raw().toBuffer();
  // Grain, so that the file compresses like a photograph rather than a smooth resize.
  for (let i = 0; i < base.length; i++) {
    base[i] = Math.max(0, Math.min(255, (base[i] as number) + Math.round((rnd() - 0.5) * 16)));
  }
  large.push(
    await sharp(base, { raw: { width: 4000, height: 3000, channels: 3 } })
      .jpeg({ quality: q })
      .toBuffer(),
  );
}

async function doubleCost(set: Buffer[]): Promise<ReturnType<typeof summarize>> {
  const ms: number[] = [];
  for (const b of set) {
    const { structure: s, section } = readJpeg(b, NO_CAMERA);
    if (section.status === 'unreadable') continue;
    await readDoubleCompression(b, s); // warm
    const t0 = process.cpuUsage();
    await readDoubleCompression(b, s);
    ms.push(cpuMs(t0));
  }
  return summarize(ms);
}
const double = { fixtures: await doubleCost(files.map((f) => f.bytes)), large_12mp: await doubleCost(large) };
console.log(
  `double compression: CPU ms per image, fixtures p50 ${double.fixtures.p50} p95 ${double.fixtures.p95}; 12 MP p50 ${double.large_12mp.p50} (at most ${ENERGY_MAX_BLOCKS} blocks decoded, ${DOUBLE_MAX_BLOCKS} of them for the DC search)`,
);

// The analysis stage with the JPEG reading in it.
// The estimate is asked for (JPEG_DOUBLE_COMPRESSION=true): analyzeImage leaves it out by default.
const WITH_DOUBLE = { maxInputPixels: 100_000_000, jpegDoubleCompression: true };
async function analysisCost(set: Buffer[]) {
  const rows: Array<{ whole: number; jpeg: number }> = [];
  for (const b of set) {
    await analyzeImage(b, { mime: 'image/jpeg', format: 'jpeg' }, WITH_DOUBLE);
    const t0 = process.cpuUsage();
    const a = await analyzeImage(b, { mime: 'image/jpeg', format: 'jpeg' }, WITH_DOUBLE);
    rows.push({ whole: cpuMs(t0), jpeg: a.timings_ms.jpeg ?? 0 });
  }
  const whole = rows.reduce((s, r) => s + r.whole, 0) / rows.length;
  const jpeg = rows.reduce((s, r) => s + r.jpeg, 0) / rows.length;
  const r = (x: number) => Math.round(x * 10) / 10;
  return {
    images: rows.length,
    whole_cpu_ms: r(whole),
    jpeg_wall_ms: r(jpeg),
    ratio: Math.round((whole / Math.max(1, whole - jpeg)) * 100) / 100,
  };
}
const corpus = CORPUS.filter((c) => /\.jpe?g$/.test(c)).map((c) => readFileSync(join(FIXTURES, c)));
const analysis = { corpus: await analysisCost(corpus), large_12mp: await analysisCost(large) };
for (const [name, a] of Object.entries(analysis)) {
  console.log(
    `analysis (${name}): ${a.whole_cpu_ms} CPU ms per image, of which jpeg ~${a.jpeg_wall_ms} ms: ${a.ratio}x the stage without it (target <= 1.2x)`,
  );
}

const views = await benchViews();

// Detection on the generated set: per pair of qualities, on the grid and off it; the first quality named
// (exactly on the grid; within 2 off it, where it is read from the DC step alone, which q80-82 share); the
// CPU of the estimate (decode included) per image of the set. Twice: the issue-20 set (768x512), and the
// same saves at LARGE_SIZE from LARGE_SOURCES (what the fine-detail reading's larger budget gives).
interface Row {
  detected: number;
  of: number;
  primary_right: number;
  /** Shifted samples: detections by an off-grid reading that name the crop's grid (SHIFTED_GRID). */
  offset_right: number;
  cpu_ms: number[];
}
/**
 * Whether an off-grid detection names the first save's grid of the set's crop on both axes: a shifted
 * detection at another offset is the reading firing on noise in a file that happens to be double saved.
 */
function offsetRight(d: DoubleCompressionDetail): boolean {
  if (!d.detected || d.grid !== 'shifted') return false;
  const at = d.shifted?.detected ? d.shifted : d.energy?.detected ? d.energy : d.lattice;
  return at?.dx === SHIFTED_GRID.dx && at.dy === SHIFTED_GRID.dy;
}
const pct = (a: number, b: number) => (b ? `${Math.round((100 * a) / b)}%` : '-');
async function detection(set: DoubleSample[], label: string) {
  const table: Record<string, Row> = {};
  // Per first quality and grid: detections (the issue's breakdown).
  const byFirst: Record<string, { detected: number; of: number; offset_right: number }> = {};
  for (const s of set) {
    const { structure: st } = readJpeg(s.jpeg, NO_CAMERA);
    const t0 = process.cpuUsage();
    const d = await readDoubleCompressionDetail(s.jpeg, st);
    const ms = cpuMs(t0);
    const key = s.kind === 'single' ? `single q${s.q2}` : `${s.kind} q${s.q1} -> q${s.q2}`;
    const row = (table[key] ??= { detected: 0, of: 0, primary_right: 0, offset_right: 0, cpu_ms: [] });
    row.of++;
    row.cpu_ms.push(ms);
    if (d.detected) row.detected++;
    if (s.kind === 'shifted' && offsetRight(d)) row.offset_right++;
    const tolerance = s.kind === 'shifted' ? 2 : 0;
    if (d.detected && d.primary_quality !== null && Math.abs(d.primary_quality - (s.q1 ?? 0)) <= tolerance) {
      row.primary_right++;
    }
    const first = (byFirst[s.kind === 'single' ? 'single' : `${s.kind} q${s.q1} first`] ??= {
      detected: 0,
      of: 0,
      offset_right: 0,
    });
    first.of++;
    if (d.detected) first.detected++;
    if (s.kind === 'shifted' && offsetRight(d)) first.offset_right++;
  }
  const totals = (kind: string) => {
    const rows = Object.entries(table).filter(([k]) => k.startsWith(kind));
    return {
      detected: rows.reduce((s, [, r]) => s + r.detected, 0),
      of: rows.reduce((s, [, r]) => s + r.of, 0),
      primary_right: rows.reduce((s, [, r]) => s + r.primary_right, 0),
      offset_right: rows.reduce((s, [, r]) => s + r.offset_right, 0),
    };
  };
  console.log(
    `\ndetection (generated set, ${label}; targets: >= 90% where q1 > q2, <= 5% false alarms on single saves)`,
  );
  console.log(
    `| set | detected | first quality named right | crop's grid (${SHIFTED_GRID.dx}, ${SHIFTED_GRID.dy}) named | CPU ms p50 |\n| --- | --- | --- | --- | --- |`,
  );
  for (const [k, r] of Object.entries(table)) {
    const named = k.startsWith('single') ? '-' : `${r.primary_right}/${r.detected}`;
    const offset = k.startsWith('shifted') ? `${r.offset_right}/${r.detected}` : '-';
    console.log(
      `| ${k} | ${r.detected}/${r.of} (${pct(r.detected, r.of)}) | ${named} | ${offset} | ${summarize(r.cpu_ms).p50} |`,
    );
  }
  console.log(
    `per first quality: ${Object.entries(byFirst)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(
        ([k, r]) =>
          `${k} ${r.detected}/${r.of}${k.startsWith('shifted') ? ` (${r.offset_right} at the crop's grid)` : ''}`,
      )
      .join(', ')}`,
  );
  const summary = { single: totals('single'), aligned: totals('aligned'), shifted: totals('shifted') };
  const cpuAll = summarize(Object.values(table).flatMap((r) => r.cpu_ms));
  console.log(
    `totals: false alarms ${summary.single.detected}/${summary.single.of} (${pct(summary.single.detected, summary.single.of)}), aligned ${summary.aligned.detected}/${summary.aligned.of} (${pct(summary.aligned.detected, summary.aligned.of)}), shifted ${summary.shifted.detected}/${summary.shifted.of} (${pct(summary.shifted.detected, summary.shifted.of)}; ${summary.shifted.offset_right} of them at the crop's grid); first quality named right ${summary.aligned.primary_right}/${summary.aligned.detected} aligned, ${summary.shifted.primary_right}/${summary.shifted.detected} shifted (within 2); CPU per image p50 ${cpuAll.p50} ms, p95 ${cpuAll.p95} ms; load average ${os
      .loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')}`,
  );
  return { table, by_first_quality: byFirst, summary, cpu_ms: cpuAll };
}
const detection768 = await detection(await doubleCompressionSet(), '768x512, 8 photos');
const detectionLarge = await detection(
  await doubleCompressionSet(LARGE_SOURCES, LARGE_SIZE),
  `${LARGE_SIZE.width}x${LARGE_SIZE.height}, ${LARGE_SOURCES.length} photos`,
);

const file = writeResult('forensics', {
  machine: machine(),
  structure,
  double,
  analysis,
  views: { ...views, machine: undefined },
  detection: detection768,
  detection_large: detectionLarge,
});
console.log(`\nwritten to ${file}`);
