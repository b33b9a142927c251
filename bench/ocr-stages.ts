// `npx tsx bench/ocr-stages.ts` (npm run bench:ocr-stages): where reading the text costs CPU, stage by
// stage, on bench:ocr-checks' corpus (the pipeline bench's photos and one post screenshot per language,
// clean and shared: 50% and JPEG q40), each read as a check reads it (readText with the analysis' pixels).
// Per picture, in ms of CPU (means of BENCH_OCR_STAGES_ROUNDS readings, default 3):
//   analysis     analyzeImage, for scale (what the check spends without OCR on it)
//   thumb        the detector's grey thumbnail from those pixels; detect: the detector on it
//   node, tess   readText in all: this process (all threads: sharp too) and tesseract (tess-serve's
//                threads, from /proc/<pid>/task/*/schedstat: nanoseconds, not 10 ms ticks)
//   <stage>      each timed stage of readText (ocr_prepare, ocr_sample, ocr_script, ocr, ocr_second,
//                ocr_header), split the same way
// The figures are CPU time, which a loaded machine inflates less than wall time; the load is printed.
import { readFileSync, readdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import sharp from 'sharp';
import { loadConfig } from '../src/config.js';
import { analyzeImage } from '../src/pipeline/analyze/index.js';
import { detectText, greyThumbnail } from '../src/pipeline/ocr/detect.js';
import { serverPids } from '../src/pipeline/ocr/engine.js';
import { readText, type OcrOptions } from '../src/pipeline/ocr/index.js';
import { observeStages } from '../src/pipeline/timings.js';
import { configureSharp } from '../src/sharp-settings.js';
import { fixture } from '../test/helpers/images.js';
import { degrade, postScreenshot, type Lang } from '../test/helpers/text-images.js';
import { CORPUS, machine, writeResult } from './lib.js';

configureSharp();
const config = loadConfig({ OCR_ENABLED: 'true' });
if (!config.ocr) throw new Error('OCR_ENABLED is false');
const opts: OcrOptions = { ...config.ocr, maxInputPixels: config.maxInputPixels };
const ROUNDS = Number(process.env.BENCH_OCR_STAGES_ROUNDS ?? 3);

/** CPU ms of every tess-serve thread alive (schedstat: nanoseconds on the CPU). */
function tessMs(): number {
  let ns = 0;
  for (const pid of serverPids()) {
    try {
      for (const t of readdirSync(`/proc/${pid}/task`))
        ns += Number(readFileSync(`/proc/${pid}/task/${t}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // ended since
    }
  }
  return ns / 1e6;
}
const nodeMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

const stages = new Map<string, { node: number; tess: number }>();
const open = new Map<string, { node: number; tess: number }>();
observeStages((stage, end) => {
  if (!end) return void open.set(stage, { node: nodeMs(), tess: tessMs() });
  const o = open.get(stage);
  if (!o) return;
  const s = stages.get(stage) ?? { node: 0, tess: 0 };
  s.node += nodeMs() - o.node;
  s.tess += tessMs() - o.tess;
  stages.set(stage, s);
});

const pictures: { name: string; bytes: Buffer }[] = CORPUS.map((p) => ({ name: p, bytes: fixture(p) }));
for (const lang of ['eng', 'lit', 'rus', 'kaz', 'arb'] as Lang[]) {
  const shot = await postScreenshot(lang, 0, { photo: 'exifr/door-knocker.jpg' });
  pictures.push({ name: `screenshot ${lang}`, bytes: shot.png });
  pictures.push({ name: `screenshot ${lang} shared`, bytes: await degrade(shot.png, shot.width) });
}

const r1 = (x: number) => Math.round(x * 10) / 10;
const rows: Record<string, unknown>[] = [];
for (const p of pictures) {
  const m = await sharp(p.bytes).metadata();
  const probe = { mime: `image/${m.format ?? 'jpeg'}`, format: m.format ?? 'jpeg' };
  const analyze = () => analyzeImage(p.bytes, probe, { maxInputPixels: config.maxInputPixels });
  const { pixels } = await analyze();
  if (!pixels) continue;
  await readText(p.bytes, opts, {}, pixels); // warm-up: the models this picture needs loaded
  let t = nodeMs();
  for (let r = 0; r < ROUNDS; r++) await analyze();
  const analysis = (nodeMs() - t) / ROUNDS;
  t = nodeMs();
  for (let r = 0; r < ROUNDS * 5; r++) greyThumbnail(pixels);
  const thumbMs = (nodeMs() - t) / (ROUNDS * 5);
  const thumb = greyThumbnail(pixels);
  t = nodeMs();
  for (let r = 0; r < ROUNDS * 5; r++) detectText(thumb);
  const detect = (nodeMs() - t) / (ROUNDS * 5);
  stages.clear();
  let status = '';
  const n0 = nodeMs();
  const t0 = tessMs();
  for (let r = 0; r < ROUNDS; r++) status = (await readText(p.bytes, opts, {}, pixels)).status;
  const row: Record<string, unknown> = {
    picture: p.name,
    status,
    analysis: r1(analysis),
    thumb: r1(thumbMs),
    detect: r1(detect),
    node: r1((nodeMs() - n0) / ROUNDS),
    tess: r1((tessMs() - t0) / ROUNDS),
  };
  for (const [k, v] of stages) row[k] = { node: r1(v.node / ROUNDS), tess: r1(v.tess / ROUNDS) };
  rows.push(row);
  console.log(JSON.stringify(row));
}
const result = { rounds: ROUNDS, load_after: loadavg().map(r1), pictures: rows, machine: machine() };
console.log(`wrote ${writeResult('ocr-stages', result)}`);
process.exit(0);
