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
//                          and its CPU time (this process and tesseract; /proc ticks of 10 ms); text-free
//                          photos are read as a check reads them, from the analysis' decoded pixels
//   added cost per check   a mixed corpus (the pipeline bench's photos and the screenshots) analyzed as a
//                          check analyzes an image (analyzeImage), with and without readText: the ratio of
//                          images per second, an upper bound on the slowdown of whole checks (which also
//                          fetch, match and store); also in CPU time (this process and tesseract),
//                          which a busy shared machine distorts less than wall time
// One image at a time, tesseract with one thread (OCR_* defaults of src/config.ts).
// Env: BENCH_OCR_TEXTS (4: texts per language, at most 4).
import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { loadConfig } from '../src/config.js';
import { analyzeImage } from '../src/pipeline/analyze/index.js';
import { readText, type OcrOptions } from '../src/pipeline/ocr/index.js';
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
import { CORPUS, machine, summarize, writeResult } from './lib.js';

configureSharp();
// OCR is off by default (its cost); the bench measures it on.
const config = loadConfig({ OCR_ENABLED: 'true' });
if (!config.ocr) throw new Error('OCR_ENABLED is false');
const opts: OcrOptions = { ...config.ocr, maxInputPixels: config.maxInputPixels };
const info = await tesseractInfo(opts.path);
if (!info) throw new Error('tesseract is not installed: run sh scripts/setup-ocr.sh');
const TEXTS = Math.min(4, Number(process.env.BENCH_OCR_TEXTS ?? 4));
const LANGS: Lang[] = ['eng', 'lit', 'rus', 'kaz', 'arb'];
const OCR_CODE: Record<Lang, string> = { eng: 'eng', lit: 'lit', rus: 'rus', kaz: 'kaz', arb: 'ara' };
const PHOTOS = [
  'pdq/dih/bridge-1-original.jpg',
  'exifr/door-knocker.jpg',
  'exif-samples/jpg/gps/DSCN0010.jpg',
];

const TICK = 100; // USER_HZ: /proc times are in 1/100 s on Linux
/** CPU seconds of this process and of its waited-for children (tesseract), from /proc/self/stat. */
function cpuSeconds(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After the command name, field 3 is index 0: utime 11, stime 12, cutime 13, cstime 14.
  return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / TICK;
}
/** Wall and CPU time (this process and tesseract) of one call, in ms. */
const timed = async <T>(fn: () => Promise<T>): Promise<[T, number, number]> => {
  const c0 = cpuSeconds();
  const t0 = performance.now();
  const r = await fn();
  return [r, performance.now() - t0, (cpuSeconds() - c0) * 1000];
};
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
}
const rows: Row[] = [];
const screenshots: Buffer[] = [];
for (const lang of LANGS) {
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
      const [r, ms, cpuMs] = await timed(() => readText(bytes, opts));
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

const captions: { kind: string; cer: number; ms: number }[] = [];
const memes: [string, string, string][] = [
  ['exifr/door-knocker.jpg', 'WHEN THE NEWS IS FAKE', 'BUT THE PHOTO IS REAL'],
  ['pdq/dih/bridge-1-original.jpg', 'NOBODY CHECKS THE DATE', 'EVERYBODY SHARES IT'],
  ['exif-samples/jpg/gps/DSCN0010.jpg', 'THIS WAS TAKEN YESTERDAY', 'SAID NO ONE EVER'],
];
for (const [photo, top, bottom] of memes) {
  const [r, ms] = await timed(async () => readText(await meme(photo, top, bottom), opts));
  captions.push({ kind: 'meme', cer: cer(`${top} ${bottom}`, r.lines.map((l) => l.text).join(' ')), ms });
}
const signs: [string, string[]][] = [
  ['pdq/dih/bridge-1-original.jpg', ['MAIN STREET', 'CLOSED 12 MAY']],
  ['exifr/door-knocker.jpg', ['GEDIMINO PR. 9', 'VILNIUS']],
  ['exif-samples/jpg/gps/DSCN0021.jpg', ['ВЫХОД', 'EXIT 3']],
];
for (const [photo, lines] of signs) {
  const [r, ms] = await timed(async () => readText(await sign(photo, lines), opts));
  captions.push({ kind: 'sign', cer: cer(lines.join(' '), r.lines.map((l) => l.text).join(' ')), ms });
}

// As a check reads them: the detector on the pixels the analysis decoded (the analysis is not timed).
const free: { photo: string; skipped: boolean; ms: number; cpu_ms: number }[] = [];
for (const photo of TEXT_FREE_PHOTOS) {
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
const mixed = [...CORPUS.map((p) => fixture(p)), ...screenshots.filter((_, i) => i % 4 === 0)];
const probe = async (b: Buffer) => {
  const m = await sharp(b).metadata();
  return { mime: `image/${m.format ?? 'jpeg'}`, format: m.format ?? 'jpeg' };
};
const probes = await Promise.all(mixed.map(probe));
const cpu: Record<'base' | 'ocr', number[]> = { base: [], ocr: [] };
const pass = async (withOcr: boolean) => {
  const c0 = cpuSeconds();
  const t0 = performance.now();
  for (const [i, b] of mixed.entries()) {
    const analysis = await analyzeImage(b, probes[i] as { mime: string; format: string }, {
      maxInputPixels: config.maxInputPixels,
    });
    // As process-check.ts does: the detector reads the analysis' decoded pixels.
    if (withOcr) await readText(b, opts, {}, analysis.pixels);
  }
  cpu[withOcr ? 'ocr' : 'base'].push(cpuSeconds() - c0);
  return (performance.now() - t0) / 1000;
};
await pass(true); // warm-up: sharp, tesseract's data in the page cache
const base: number[] = [];
const withText: number[] = [];
for (let k = 0; k < 2; k++) {
  base.push(await pass(false));
  withText.push(await pass(true));
}
const perSecond = (s: number[]) => mixed.length / Math.min(...s);

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
  };
};
const result = {
  tesseract: info.version,
  languages: opts.languages,
  screenshots_clean: summary('clean'),
  screenshots_degraded: summary('degraded'),
  memes_cer_mean: r4(mean(captions.filter((c) => c.kind === 'meme').map((c) => c.cer))),
  signs_cer_mean: r4(mean(captions.filter((c) => c.kind === 'sign').map((c) => c.cer))),
  captions_ms: summarize(captions.map((c) => c.ms)),
  text_free: {
    photos: free.length,
    skipped_pct: pct(free.filter((f) => f.skipped).length, free.length),
    ms: summarize(free.map((f) => f.ms)),
    cpu_ms_mean: Math.round(mean(free.map((f) => f.cpu_ms)) * 10) / 10,
  },
  mixed_corpus: {
    images: mixed.length,
    images_per_s_without_ocr: Math.round(perSecond(base) * 100) / 100,
    images_per_s_with_ocr: Math.round(perSecond(withText) * 100) / 100,
    slowdown: Math.round((perSecond(base) / perSecond(withText)) * 100) / 100,
    cpu_ms_per_image_without_ocr: Math.round((Math.min(...cpu.base.slice(-2)) * 1000) / mixed.length),
    cpu_ms_per_image_with_ocr: Math.round((Math.min(...cpu.ocr.slice(-2)) * 1000) / mixed.length),
    cpu_slowdown: Math.round((Math.min(...cpu.ocr.slice(-2)) / Math.min(...cpu.base.slice(-2))) * 100) / 100,
  },
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
