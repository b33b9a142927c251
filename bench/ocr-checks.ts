// `npx tsx bench/ocr-checks.ts`: what reading the text costs whole checks, which bench:ocr bounds from
// above with the analysis alone (a check also fetches, matches, remembers and reports). Two services, as
// production builds them (API and workers, ROLE=all; the analysis on the event loop so all its CPU is the
// process's), one with OCR off and one with OCR on, each in a child process of its own
// (bench/ocr-checks-service.ts, driven over IPC; each its own key prefix): one service's background work
// (BullMQ's timers, Redis connections, metrics) and a check's leftover async work never land in the
// other's figures, as they did when both ran in this process (one picture in ten with text read 1.19-1.74x
// over four quiet runs). This process serves the mixed corpus (the pipeline bench's 10 photos and 5 post
// screenshots, one per language, as bench:ocr) on a local host; each picture is checked as a URL, one
// check at a time, each with bytes of its own (a comment in the file: no exact match of an earlier run),
// by one service then the other, the order swapped every round, so a load that drifts during the run
// weighs on both alike. CPU per check, measured by the service's process from the submit to the check's
// end (its job's completion, then one GET of the check): that process (API, worker, analysis, OCR's own
// work; process.cpuUsage) and tesseract (its own tess-serve processes, /proc schedstat); this process's
// serving of the bytes and Redis's own CPU are not counted, nor is anything on the clock. Figures: CPU per
// check with and without text, and the slowdown of checks for a share of pictures with text.
// Env: BENCH_OCR_CHECKS_ROUNDS (5: measured checks of each picture per setting).
import { fork } from 'node:child_process';
import { resolve } from 'node:path';
import sharp from 'sharp';
import { configureSharp } from '../src/sharp-settings.js';
import { postScreenshot, type Lang } from '../test/helpers/text-images.js';
import { CORPUS, distinct, machine, NODE_FLAGS, ROOT, serveBuffers, writeResult } from './lib.js';
import type { FromService, ToService } from './ocr-checks-service.js';
import { fixture, REDIS_URL } from './system.js';

configureSharp();
const ROUNDS = Number(process.env.BENCH_OCR_CHECKS_ROUNDS ?? 5);

/** `text`: whether OCR read text in it (set by the run with OCR on: one of the photos is a caption). */
const pictures: { name: string; text: boolean; bytes: Buffer; format: string }[] = [];
for (const p of CORPUS) {
  const bytes = fixture(p);
  pictures.push({ name: p, text: false, bytes, format: (await sharp(bytes).metadata()).format ?? 'jpeg' });
}
for (const lang of ['eng', 'lit', 'rus', 'kaz', 'arb'] as Lang[]) {
  const shot = await postScreenshot(lang, 0, { photo: 'exifr/door-knocker.jpg' });
  pictures.push({ name: `screenshot ${lang}`, text: false, bytes: shot.png, format: 'png' });
}
const files = new Map<string, Buffer>();
const { server: host, base } = await serveBuffers(files);

/** A service in a child process of its own (bench/ocr-checks-service.ts), with OCR off or on. */
async function startService(ocr: boolean) {
  const child = fork(resolve(ROOT, 'bench/ocr-checks-service.ts'), [], {
    cwd: ROOT,
    execArgv: [...NODE_FLAGS, '--import=tsx'],
    env: { ...process.env, REDIS_URL, BENCH_OCR: String(ocr) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const answers: ((m: FromService) => void)[] = [];
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.on('message', (m: FromService) => answers.shift()?.(m));
  void exited.then(() => {
    for (const a of answers.splice(0)) a({ type: 'error', message: `service (OCR ${ocr}) exited` });
  });
  const next = () => new Promise<FromService>((r) => answers.push(r));
  const ready = await next();
  if (ready.type !== 'ready') throw new Error(`service (OCR ${ocr}) did not start: ${JSON.stringify(ready)}`);
  /** One check of the picture, to its end: its status, whether OCR read text in it, its CPU. */
  const check = async (p: (typeof pictures)[number]) => {
    const path = `/img/${serial++}.${p.format === 'jpeg' ? 'jpg' : p.format}`;
    files.set(path, distinct(p.bytes, p.format, serial));
    const answer = next();
    child.send({ type: 'check', url: `${base}${path}` } satisfies ToService);
    const m = await answer;
    files.delete(path);
    if (m.type !== 'checked') throw new Error(m.type === 'error' ? m.message : `unexpected ${m.type}`);
    return m;
  };
  const close = async () => {
    if (child.exitCode === null && child.connected) child.send({ type: 'close' } satisfies ToService);
    await exited;
  };
  return { check, close };
}

let serial = 0;

async function measure() {
  const off = await startService(false);
  const on = await startService(true);
  const cpu = { off: new Map<string, number[]>(), on: new Map<string, number[]>() };
  try {
    // Warm-up (modules, models, caches), and which pictures have text.
    for (const p of pictures) {
      await off.check(p);
      p.text = (await on.check(p)).text;
    }
    for (let r = 0; r < ROUNDS; r++) {
      for (const p of pictures) {
        const order = r % 2 ? (['on', 'off'] as const) : (['off', 'on'] as const);
        for (const which of order) {
          const { status, cpu_ms, tess_ms } = await (which === 'on' ? on : off).check(p);
          if (status !== 'done') console.log(`  ${p.name} (OCR ${which}): ${status}`);
          cpu[which].set(p.name, [...(cpu[which].get(p.name) ?? []), cpu_ms + tess_ms]);
        }
      }
    }
  } finally {
    await off.close();
    await on.close();
  }
  return cpu;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
// OpenCV's module (loaded by the analysis) answers an uncaught error by printing its own source: say it first.
const { off, on } = await measure().catch((err: unknown) => {
  console.error(`bench:ocr-checks failed: ${(err as Error).message}`);
  process.exit(1);
});
host.close();
const kind = (text: boolean, m: Map<string, number[]>) =>
  Math.round(mean(pictures.filter((p) => p.text === text).flatMap((p) => m.get(p.name) ?? [])));
const cost = {
  without_text: { ocr_off: kind(false, off), ocr_on: kind(false, on) },
  with_text: { ocr_off: kind(true, off), ocr_on: kind(true, on) },
};
const byShare = Object.fromEntries(
  [0, 0.1, 0.2, 1 / 3, 0.5].map((s) => {
    const a = (1 - s) * cost.without_text.ocr_off + s * cost.with_text.ocr_off;
    const b = (1 - s) * cost.without_text.ocr_on + s * cost.with_text.ocr_on;
    return [`${Math.round(s * 100)}%`, Math.round((b / a) * 100) / 100];
  }),
);
const result = {
  rounds: ROUNDS,
  cpu_ms_per_check: cost,
  cpu_ms_by_picture: Object.fromEntries(
    pictures.map((p) => [
      p.name,
      {
        text: p.text,
        ocr_off: Math.round(mean(off.get(p.name) ?? [])),
        ocr_on: Math.round(mean(on.get(p.name) ?? [])),
      },
    ]),
  ),
  cpu_slowdown_of_checks_by_text_share: byShare,
  machine: machine(),
};
console.log(JSON.stringify(result, null, 2));
console.log(`wrote ${writeResult('ocr-checks', result)}`);
