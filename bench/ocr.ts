// `npx tsx bench/ocr.ts` (npm run bench:ocr): how well and how fast firstseen reads the text in images,
// on pictures generated here with real fonts (test/helpers/text-images.ts; nothing downloaded):
//   CER clean / degraded   character error rate of a post's text (edits / characters), on the screenshot as
//                          rendered and after a round of sharing (scaled to 50%, JPEG quality 40)
//   language right         the first language reported is the post's (texts of 40+ characters)
//   handle + time read     the post's @handle and its time stamp are both among `found` (after the close
//                          reading of the handle line, src/pipeline/screenshot/header.ts)
//   false handles          screenshots with a handle among `found` that is not the post's (someone else's:
//                          worse than none, it could trace the screenshot to the wrong person)
//   text-free skipped      photos without text where the detector stopped OCR from running (`no_text`)
//   ms per image           readText's wall time per kind of picture (detector + tesseract child processes),
//                          and its CPU time (this process and tesseract; /proc ticks of 10 ms); pictures
//                          are read as a check reads them, with the analysis' decoded pixels (not timed)
//   added cost per check   a mixed corpus (the pipeline bench's photos and the screenshots) analyzed as a
//                          check analyzes an image (analyzeImage), with and without readText: the ratio of
//                          images per second, an upper bound on the slowdown of whole checks (which also
//                          fetch, match and store); also in CPU time (this process and tesseract),
//                          which a busy shared machine distorts less than wall time
//   whole checks           the target's own figure (issue 19: checks per second with OCR on within 1.25x of
//                          without): bench/ocr-checks.ts run as a child process (two services as production
//                          builds them, Redis at REDIS_URL), its CPU per check and slowdown by share of
//                          pictures with text under `checks`, one picture in ten against `slowdown_max`
//   cost by share of text images  the mixed corpus's CPU per picture without text (the detector alone) and
//                          with text, with and without OCR, give the slowdown for any share of pictures
//                          with text (the corpus has 6 in 15: the 5 screenshots and one of the pipeline
//                          bench's photos, a caption on a picture): `cpu_slowdown_by_text_share`
// CPU is split between this process (decoding, the detector, preparing the picture: `node`) and
// tesseract (`tesseract`: the commands it waited for, and the tess-serve processes running, read in /proc).
// One image at a time, tesseract with one thread (OCR_* defaults of src/config.ts).
// Env: BENCH_OCR_TEXTS (4: texts per language, at most 4); BENCH_OCR_PARTS (screenshots,captions,free,mixed,
// checks: the parts to run; the mixed corpus needs the screenshots); BENCH_OCR_SERVER=false reads with one
// tesseract command per reading instead of tess-serve (OCR_SERVER).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import sharp from 'sharp';
import { loadConfig } from '../src/config.js';
import { analyzeImage } from '../src/pipeline/analyze/index.js';
import { readText, type OcrOptions } from '../src/pipeline/ocr/index.js';
import { tessServePath } from '../src/pipeline/ocr/engine.js';
import { tesseractInfo } from '../src/pipeline/ocr/tesseract.js';
import { configureSharp } from '../src/sharp-settings.js';
import { fixture } from '../test/helpers/images.js';
import {
  bodyText,
  cer,
  degrade,
  meme,
  postScreenshot,
  sign,
  TEXT_FREE_PHOTOS,
  type Lang,
} from '../test/helpers/text-images.js';
import { CORPUS, machine, NODE_FLAGS, ROOT, summarize, writeResult } from './lib.js';
import { procStat, TICK, tesseractSeconds } from './tesseract-cpu.js';

configureSharp();
// OCR is off by default (its cost); the bench measures it on.
const config = loadConfig({ OCR_ENABLED: 'true', OCR_SERVER: process.env.BENCH_OCR_SERVER ?? 'true' });
if (!config.ocr) throw new Error('OCR_ENABLED is false');
const opts: OcrOptions = { ...config.ocr, maxInputPixels: config.maxInputPixels };
const info = await tesseractInfo(opts.path);
if (!info) throw new Error('tesseract is not installed: run sh scripts/setup-ocr.sh');
const TEXTS = Math.min(4, Number(process.env.BENCH_OCR_TEXTS ?? 4));
const PARTS = new Set((process.env.BENCH_OCR_PARTS ?? 'screenshots,captions,free,mixed,checks').split(','));
const served = !!opts.server && !!tessServePath();
const LANGS: Lang[] = ['eng', 'lit', 'rus', 'kaz', 'arb'];
const OCR_CODE: Record<Lang, string> = { eng: 'eng', lit: 'lit', rus: 'rus', kaz: 'kaz', arb: 'ara' };
const PHOTOS = [
  'pdq/dih/bridge-1-original.jpg',
  'exifr/door-knocker.jpg',
  'exif-samples/jpg/gps/DSCN0010.jpg',
];

/**
 * CPU seconds of this process (`node`) and of tesseract (`tesseract`): the commands this process waited
 * for, and the tess-serve processes running.
 */
function cpuSeconds(): { node: number; tesseract: number; all: number } {
  const f = procStat('self');
  const tesseract = tesseractSeconds(f);
  const node = ((f[11] as number) + (f[12] as number)) / TICK;
  return { node, tesseract, all: node + tesseract };
}
interface Cpu {
  node_ms: number;
  tesseract_ms: number;
}
/** Wall and CPU time (this process and tesseract) of one call, in ms. */
const timed = async <T>(fn: () => Promise<T>): Promise<[T, number, number, Cpu]> => {
  const c0 = cpuSeconds();
  const t0 = performance.now();
  const r = await fn();
  const c1 = cpuSeconds();
  const cpu = { node_ms: (c1.node - c0.node) * 1000, tesseract_ms: (c1.tesseract - c0.tesseract) * 1000 };
  return [r, performance.now() - t0, (c1.all - c0.all) * 1000, cpu];
};
/** Mean CPU of calls, in ms: this process's, tesseract's and both. */
const cpuMean = (cs: Cpu[]) => ({
  n: cs.length,
  node_ms: Math.round(mean(cs.map((c) => c.node_ms))),
  tesseract_ms: Math.round(mean(cs.map((c) => c.tesseract_ms))),
  cpu_ms: Math.round(mean(cs.map((c) => c.node_ms + c.tesseract_ms))),
});
const pct = (n: number, d: number) => Math.round((1000 * n) / Math.max(1, d)) / 10;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
const r4 = (x: number) => Math.round(x * 10000) / 10000;

interface Row {
  lang: Lang;
  variant: 'clean' | 'degraded';
  cer: number;
  language_right: boolean;
  handle: boolean;
  false_handle: boolean;
  time: boolean;
  ms: number;
  cpu_ms: number;
  cpu: Cpu;
}
const rows: Row[] = [];
/** The pixels a check's analysis decodes (Analysis.pixels), which readText reads instead of the bytes. */
const decoded = async (bytes: Buffer) => {
  const m = await sharp(bytes).metadata();
  const analysis = await analyzeImage(
    bytes,
    { mime: `image/${m.format ?? 'jpeg'}`, format: m.format ?? 'jpeg' },
    { maxInputPixels: config.maxInputPixels },
  );
  return analysis.pixels;
};
const screenshots: Buffer[] = [];
// Each language's models loaded once before measuring (a running tess-serve keeps them; the command
// loads them on every reading, which the figures then include).
if (served && PARTS.has('screenshots'))
  for (const lang of LANGS) await readText((await postScreenshot(lang, 0)).png, opts);
for (const lang of PARTS.has('screenshots') ? LANGS : []) {
  for (let i = 0; i < TEXTS; i++) {
    const shot = await postScreenshot(lang, i, {
      dark: i % 2 === 1,
      ...(i % 2 === 0 && { photo: PHOTOS[i % PHOTOS.length] as string }),
    });
    const variants = [
      ['clean', shot.png, 1],
      ['degraded', await degrade(shot.png, shot.width), 0.5],
    ] as const;
    for (const [variant, bytes, scale] of variants) {
      // As a check reads them: with the pixels the analysis decoded (the analysis is not timed).
      const pixels = await decoded(bytes);
      const [r, ms, cpuMs, cpu] = await timed(() => readText(bytes, opts, {}, pixels));
      const read = bodyText(r.lines, shot.body, scale);
      const row: Row = {
        lang,
        variant,
        cer: cer(shot.truth.text, read),
        language_right: r.languages[0] === OCR_CODE[lang],
        handle: r.found.handles.includes(shot.truth.handle),
        false_handle: r.found.handles.some((h) => h !== shot.truth.handle),
        time: r.found.times.includes(shot.truth.time),
        ms,
        cpu_ms: cpuMs,
        cpu,
      };
      rows.push(row);
      if (variant === 'clean') screenshots.push(bytes);
      if (row.cer > 0.03 || !row.handle || !row.time || row.false_handle)
        console.log(
          `  ${lang} #${i} ${variant}: cer ${row.cer.toFixed(3)} handle ${row.handle} time ${row.time} languages ${r.languages.join(',')}\n    truth: ${shot.truth.text}\n    read:  ${read}\n    found: ${JSON.stringify(r.found)}`,
        );
    }
  }
}

const captions: { kind: string; cer: number; ms: number; cpu: Cpu }[] = [];
const memes: [string, string, string][] = [
  ['exifr/door-knocker.jpg', 'WHEN THE NEWS IS FAKE', 'BUT THE PHOTO IS REAL'],
  ['pdq/dih/bridge-1-original.jpg', 'NOBODY CHECKS THE DATE', 'EVERYBODY SHARES IT'],
  ['exif-samples/jpg/gps/DSCN0010.jpg', 'THIS WAS TAKEN YESTERDAY', 'SAID NO ONE EVER'],
];
for (const [photo, top, bottom] of PARTS.has('captions') ? memes : []) {
  const bytes = await meme(photo, top, bottom);
  const [r, ms, , cpu] = await timed(() => readText(bytes, opts));
  captions.push({
    kind: 'meme',
    cer: cer(`${top} ${bottom}`, r.lines.map((l) => l.text).join(' ')),
    ms,
    cpu,
  });
}
const signs: [string, string[]][] = [
  ['pdq/dih/bridge-1-original.jpg', ['MAIN STREET', 'CLOSED 12 MAY']],
  ['exifr/door-knocker.jpg', ['GEDIMINO PR. 9', 'VILNIUS']],
  ['exif-samples/jpg/gps/DSCN0021.jpg', ['ВЫХОД', 'EXIT 3']],
];
for (const [photo, lines] of PARTS.has('captions') ? signs : []) {
  const bytes = await sign(photo, lines);
  const [r, ms, , cpu] = await timed(() => readText(bytes, opts));
  captions.push({ kind: 'sign', cer: cer(lines.join(' '), r.lines.map((l) => l.text).join(' ')), ms, cpu });
}

// As a check reads them: the detector on the pixels the analysis decoded (the analysis is not timed).
const free: { photo: string; skipped: boolean; ms: number; cpu_ms: number }[] = [];
for (const photo of PARTS.has('free') ? TEXT_FREE_PHOTOS : []) {
  const bytes = fixture(photo);
  const m = await sharp(bytes).metadata();
  const analysis = await analyzeImage(
    bytes,
    { mime: `image/${m.format ?? 'jpeg'}`, format: m.format ?? 'jpeg' },
    { maxInputPixels: config.maxInputPixels },
  );
  const [r, ms, cpuMs] = await timed(() => readText(bytes, opts, {}, analysis.pixels));
  free.push({ photo, skipped: r.status === 'no_text', ms, cpu_ms: cpuMs });
  if (r.status !== 'no_text') console.log(`  text-free ${photo}: ${r.status} "${r.text.slice(0, 60)}"`);
}

// Added cost: the pipeline bench's photos plus one screenshot in four (a mixed corpus), analyzed as a check
// analyzes an image, with and without reading the text.
const mixed = PARTS.has('mixed')
  ? [...CORPUS.map((p) => fixture(p)), ...screenshots.filter((_, i) => i % 4 === 0)]
  : [];
/** Whether each picture of the mixed corpus has text (OCR read it), from the warm-up pass. */
const hasText: boolean[] = [];
const probe = async (b: Buffer) => {
  const m = await sharp(b).metadata();
  return { mime: `image/${m.format ?? 'jpeg'}`, format: m.format ?? 'jpeg' };
};
const probes = await Promise.all(mixed.map(probe));
const cpu: Record<'base' | 'ocr', number[]> = { base: [], ocr: [] };
// Per image of the measured passes: the analysis' CPU, and reading its text's (node and tesseract).
const analysisCpu: { i: number; ms: number }[] = [];
const textCpu: { i: number; cpu: Cpu }[] = [];
const pass = async (withOcr: boolean, measured = true) => {
  const c0 = cpuSeconds().all;
  const t0 = performance.now();
  for (const [i, b] of mixed.entries()) {
    const [analysis, , analysisMs] = await timed(() =>
      analyzeImage(b, probes[i] as { mime: string; format: string }, {
        maxInputPixels: config.maxInputPixels,
      }),
    );
    if (measured) analysisCpu.push({ i, ms: analysisMs });
    // As process-check.ts does: the detector reads the analysis' decoded pixels.
    if (!withOcr) continue;
    const [r, , , c] = await timed(() => readText(b, opts, {}, analysis.pixels));
    if (measured) textCpu.push({ i, cpu: c });
    else hasText[i] = r.status !== 'no_text';
  }
  if (measured) cpu[withOcr ? 'ocr' : 'base'].push(cpuSeconds().all - c0);
  return (performance.now() - t0) / 1000;
};
if (mixed.length > 0) await pass(true, false); // warm-up: sharp, tesseract's data in the page cache
const base: number[] = [];
const withText: number[] = [];
for (let k = 0; k < (mixed.length > 0 ? 2 : 0); k++) {
  base.push(await pass(false));
  withText.push(await pass(true));
}
const perSecond = (s: number[]) => mixed.length / Math.min(...s);
// What reading the text adds to a picture without text (the detector alone) and to one with text, over
// what analyzing it costs: the slowdown of the analysis of a stream of images, for a share of them with text.
const analysisMs = (text: boolean) => mean(analysisCpu.filter((a) => hasText[a.i] === text).map((a) => a.ms));
const textMs = (text: boolean) =>
  mean(textCpu.filter((a) => hasText[a.i] === text).map((a) => a.cpu.node_ms + a.cpu.tesseract_ms));
const byTextShare = Object.fromEntries(
  [0, 0.1, 0.2, 1 / 3, 0.5].map((share) => {
    const baseMs = (1 - share) * analysisMs(false) + share * analysisMs(true);
    const added = (1 - share) * textMs(false) + share * textMs(true);
    return [`${Math.round(share * 100)}%`, Math.round(((baseMs + added) / baseMs) * 100) / 100];
  }),
);

const by = (variant: Row['variant']) => rows.filter((r) => r.variant === variant);
const summary = (variant: Row['variant']) => {
  const rs = by(variant);
  return {
    images: rs.length,
    cer_mean: r4(mean(rs.map((r) => r.cer))),
    cer_by_language: Object.fromEntries(
      LANGS.map((l) => [l, r4(mean(rs.filter((r) => r.lang === l).map((r) => r.cer)))]),
    ),
    language_right_pct: pct(rs.filter((r) => r.language_right).length, rs.length),
    handle_and_time_pct: pct(rs.filter((r) => r.handle && r.time).length, rs.length),
    false_handles: rs.filter((r) => r.false_handle).length,
    ms: summarize(rs.map((r) => r.ms)),
    cpu_ms_mean: Math.round(mean(rs.map((r) => r.cpu_ms))),
    cpu_by_language: Object.fromEntries(
      LANGS.map((l) => [l, cpuMean(rs.filter((r) => r.lang === l).map((r) => r.cpu))]),
    ),
    cpu: cpuMean(rs.map((r) => r.cpu)),
  };
};
const result = {
  tesseract: info.version,
  engine: served ? 'tess-serve (models loaded once)' : 'tesseract command per reading',
  languages: opts.languages,
  screenshots_clean: summary('clean'),
  screenshots_degraded: summary('degraded'),
  memes_cer_mean: r4(mean(captions.filter((c) => c.kind === 'meme').map((c) => c.cer))),
  signs_cer_mean: r4(mean(captions.filter((c) => c.kind === 'sign').map((c) => c.cer))),
  captions_ms: summarize(captions.map((c) => c.ms)),
  memes_cpu: cpuMean(captions.filter((c) => c.kind === 'meme').map((c) => c.cpu)),
  signs_cpu: cpuMean(captions.filter((c) => c.kind === 'sign').map((c) => c.cpu)),
  text_free: {
    photos: free.length,
    skipped_pct: pct(free.filter((f) => f.skipped).length, free.length),
    ms: summarize(free.map((f) => f.ms)),
    cpu_ms_mean: Math.round(mean(free.map((f) => f.cpu_ms)) * 10) / 10,
  },
  mixed_corpus:
    mixed.length === 0
      ? null
      : {
          images: mixed.length,
          with_text: hasText.filter(Boolean).length,
          images_per_s_without_ocr: Math.round(perSecond(base) * 100) / 100,
          images_per_s_with_ocr: Math.round(perSecond(withText) * 100) / 100,
          slowdown: Math.round((perSecond(base) / perSecond(withText)) * 100) / 100,
          cpu_ms_per_image_without_ocr: Math.round((Math.min(...cpu.base.slice(-2)) * 1000) / mixed.length),
          cpu_ms_per_image_with_ocr: Math.round((Math.min(...cpu.ocr.slice(-2)) * 1000) / mixed.length),
          cpu_slowdown:
            Math.round((Math.min(...cpu.ocr.slice(-2)) / Math.min(...cpu.base.slice(-2))) * 100) / 100,
          analysis_cpu_ms: {
            text_free: Math.round(analysisMs(false)),
            with_text: Math.round(analysisMs(true)),
          },
          text_cpu_ms: {
            text_free: cpuMean(textCpu.filter((a) => !hasText[a.i]).map((a) => a.cpu)),
            with_text: cpuMean(textCpu.filter((a) => hasText[a.i]).map((a) => a.cpu)),
          },
          cpu_slowdown_by_text_share: byTextShare,
        },
  checks: PARTS.has('checks') ? wholeChecks() : null,
  targets: {
    cer_clean_max: 0.03,
    cer_degraded_max: 0.08,
    language_right_min_pct: 95,
    handle_and_time_min_pct: 90,
    false_handles_max: 0,
    text_free_skipped_min_pct: 90,
    slowdown_max: 1.25,
  },
  machine: machine(),
};
console.log(JSON.stringify(result, null, 2));
console.log(`wrote ${writeResult('ocr', result)}`);

/**
 * bench/ocr-checks.ts in a child process (its services print to this one's output), and what it wrote:
 * CPU per check with and without text, OCR off and on, and the slowdown of whole checks by share of
 * pictures with text; `slowdown_one_in_ten` is the figure `targets.slowdown_max` is for.
 */
function wholeChecks() {
  execFileSync(process.execPath, [...NODE_FLAGS, '--import=tsx', resolve(ROOT, 'bench/ocr-checks.ts')], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const r = JSON.parse(readFileSync(resolve(ROOT, 'bench/results/ocr-checks.json'), 'utf8')) as {
    rounds: number;
    cpu_ms_per_check: unknown;
    cpu_slowdown_of_checks_by_text_share: Record<string, number>;
  };
  return {
    rounds: r.rounds,
    cpu_ms_per_check: r.cpu_ms_per_check,
    slowdown_by_text_share: r.cpu_slowdown_of_checks_by_text_share,
    slowdown_one_in_ten: r.cpu_slowdown_of_checks_by_text_share['10%'],
  };
}
