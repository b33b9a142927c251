// The forensic views' part of `npm run bench:forensics` (issue 20 item 3), also runnable alone
// (`npx tsx bench/forensic-views.ts`, writing bench/results/forensic-views.json):
//
//   cost      forensicViews (ELA re-save and noise residual from the file's own pixels, both rendered as
//             WebP), CPU ms per image, on the pipeline corpus and on a photo at 0.3, 1, 2 and 4 MP; and
//             analyzeImage with and without views, interleaved (A,B,A,B), as a ratio of the stage
//   per check what a check costs with FORENSIC_VIEWS on: (check CPU + views CPU) / check CPU, the check's
//             CPU taken from `npm run bench` (2 cores, ~20 checks/s: ~100 ms of CPU per one-image check)
//   contrast  ELA of a copy-move (a photo's own never-compressed pixels pasted off the 8x8 grid, saved
//             once more): the pasted region's mean error over the rest's, at the file's own quality
//
// CPU time is process.cpuUsage (all threads, libvips' included).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { analyzeImage } from '../src/pipeline/analyze/index.js';
import { errorLevels, forensicViews, meanOver } from '../src/pipeline/analyze/views.js';
import { configureSharp } from '../src/sharp-settings.js';
import { CORPUS, machine, ROOT, summarize, writeResult } from './lib.js';

const FIXTURES = join(ROOT, 'test', 'fixtures');
/** CPU of one one-image check, from bench:pipeline's sustained rate (2 cores / ~20 checks/s). */
const CHECK_CPU_MS = 100;

const cpuMs = (from: NodeJS.CpuUsage) => {
  const d = process.cpuUsage(from);
  return (d.user + d.system) / 1000;
};

function probeOf(name: string) {
  if (/\.png$/.test(name)) return { mime: 'image/png', format: 'png' };
  if (/\.webp$/.test(name)) return { mime: 'image/webp', format: 'webp' };
  return { mime: 'image/jpeg', format: 'jpeg' };
}

async function viewsCpu(bytes: Buffer, format: string, repeat = 3): Promise<number> {
  const meta = await sharp(bytes).metadata();
  const input = {
    bytes,
    width: meta.width,
    height: meta.height,
    orientation: meta.orientation ?? null,
    jpegQuality: format === 'jpeg' ? 85 : null,
    maxPixels: 100_000_000,
  };
  await forensicViews(input); // warm
  const ms: number[] = [];
  for (let i = 0; i < repeat; i++) {
    const t0 = process.cpuUsage();
    await forensicViews(input);
    ms.push(cpuMs(t0));
  }
  return summarize(ms).p50;
}

export async function benchViews() {
  configureSharp();
  const photo = readFileSync(join(FIXTURES, 'exifr/IMG_20180725_163423.jpg'));
  const sizes: Record<string, number> = {};
  for (const [w, h] of [
    [640, 480],
    [1280, 800],
    [1600, 1200],
    [2048, 1536],
  ] as const) {
    const jpeg = await sharp(photo).rotate().resize(w, h, { fit: 'cover' }).jpeg({ quality: 85 }).toBuffer();
    sizes[`${((w * h) / 1e6).toFixed(1)} MP (${w}x${h})`] = await viewsCpu(jpeg, 'jpeg');
  }
  const corpus: Record<string, number | string> = {};
  for (const name of CORPUS) {
    const bytes = readFileSync(join(FIXTURES, name));
    const meta = await sharp(bytes).metadata();
    corpus[name] =
      meta.width * meta.height > 2048 * 2048
        ? 'too_large (skipped, ~0 ms)'
        : await viewsCpu(bytes, probeOf(name).format);
  }
  console.log('\nforensic views: CPU ms per image (p50 of 3)');
  for (const [k, v] of Object.entries(sizes)) console.log(`  ${k}: ${v} ms`);
  for (const [k, v] of Object.entries(corpus))
    console.log(`  ${k}: ${v}${typeof v === 'number' ? ' ms' : ''}`);

  // The analysis stage with and without views, interleaved: A, B, A, B over the corpus, 3 rounds.
  const files = CORPUS.map((n) => ({ bytes: readFileSync(join(FIXTURES, n)), probe: probeOf(n) }));
  const totals = { off: 0, on: 0 };
  for (let round = 0; round < 4; round++) {
    for (const views of [false, true]) {
      const t0 = process.cpuUsage();
      for (const f of files) await analyzeImage(f.bytes, f.probe, { maxInputPixels: 100_000_000, views });
      if (round > 0) totals[views ? 'on' : 'off'] += cpuMs(t0); // round 0 warms up
    }
  }
  const perImage = { off: totals.off / 3 / files.length, on: totals.on / 3 / files.length };
  const r = (x: number) => Math.round(x * 10) / 10;
  const stage = {
    cpu_ms_without: r(perImage.off),
    cpu_ms_with: r(perImage.on),
    ratio: Math.round((perImage.on / perImage.off) * 100) / 100,
  };
  const viewsMs = perImage.on - perImage.off;
  const perCheck = Math.round(((CHECK_CPU_MS + viewsMs) / CHECK_CPU_MS) * 100) / 100;
  console.log(
    `analysis stage on the corpus: ${stage.cpu_ms_without} -> ${stage.cpu_ms_with} CPU ms per image with views (${stage.ratio}x the stage); a one-image check ~${perCheck}x its CPU (~${CHECK_CPU_MS} ms) with FORENSIC_VIEWS on, 1.0x off (target: within 1.2x)`,
  );

  // ELA contrast of a copy-move, at the file's own quality.
  const contrast: Record<string, number | string> = {};
  for (const name of [
    'exif-samples/jpg/gps/DSCN0010.jpg',
    'pdq/dih/bridge-1-original.jpg',
    'exifr/canon-dslr.jpg',
  ]) {
    for (const [q1, q2] of [
      [90, 90],
      [95, 85],
      [80, 85],
      [75, 75],
      [70, 60],
    ] as const) {
      contrast[`${name} q${q1}->q${q2}`] = await pastedContrast(readFileSync(join(FIXTURES, name)), q1, q2);
    }
  }
  console.log('ELA of a copy-move (pasted region / rest, at the file’s own quality; > 1: brighter):');
  for (const [k, v] of Object.entries(contrast)) console.log(`  ${k}: ${v}`);
  return {
    machine: machine(),
    cpu_ms_per_image: { sizes, corpus },
    analysis_stage: stage,
    per_check: perCheck,
    ela_contrast: contrast,
  };
}

async function pastedContrast(photo: Buffer, q1: number, q2: number): Promise<number | string> {
  const W = 640;
  const H = 480;
  const raw = { raw: { width: W, height: H, channels: 3 as const } };
  const pixels = await sharp(photo).rotate().resize(W, H, { fit: 'cover' }).removeAlpha().raw().toBuffer();
  const first = await sharp(pixels, raw).jpeg({ quality: q1 }).toBuffer();
  const box = { left: 323, top: 165, width: 160, height: 120 };
  const patch = await sharp(pixels, raw)
    .extract({ left: 37, top: 21, width: 160, height: 120 })
    .png()
    .toBuffer();
  const second = await sharp(first)
    .composite([{ input: patch, left: box.left, top: box.top }])
    .jpeg({ quality: q2 })
    .toBuffer();
  const map = await errorLevels({ data: await sharp(second).raw().toBuffer(), width: W, height: H }, q2);
  const inner = meanOver(map, { left: 41, top: 22, width: 18, height: 13 });
  const whole = meanOver(map, { left: 0, top: 0, width: map.width, height: map.height });
  const n = map.width * map.height;
  const rest = (whole * n - inner * 18 * 13) / (n - 18 * 13);
  // A smooth picture can re-save with no error at all, anywhere: no contrast to speak of.
  if (whole === 0) return 'no error anywhere';
  return Math.round((inner / Math.max(rest, 1e-9)) * 100) / 100;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await benchViews();
  console.log(`written to ${writeResult('forensic-views', result)}`);
}
