// `npx tsx bench/ocr-checks.ts`: what reading the text costs whole checks, which bench:ocr bounds from
// above with the analysis alone (a check also fetches, matches, remembers and reports). The service is
// built in this process as production builds it (API and workers, ROLE=all; the analysis on the event
// loop so all its CPU is this process's), once with OCR off and once on; each picture of the mixed corpus
// (the pipeline bench's 10 photos and 5 post screenshots, one per language, as bench:ocr) is checked as
// a URL on a local host, one check at a time, each with bytes of its own (a comment in the file: no exact
// match of an earlier run). Both services (OCR off, OCR on; each its own key prefix) run side by side and
// each picture is checked by one then the other, the order swapped every round, so a load that drifts
// during the run weighs on both alike (before, all checks with OCR off ran first: a text-free photo then
// showed +1 ms with OCR on where the text detector alone costs ~13). CPU per check: this process (API,
// worker, analysis, OCR's own work; process.cpuUsage, microseconds) and tesseract (tess-serve's processes,
// read in /proc in clock ticks); Redis's own CPU is not counted (a shared server), nor is anything on the
// clock. Figures: CPU per check with and without text, and the slowdown of checks for a share of pictures
// with text.
// Env: BENCH_OCR_CHECKS_ROUNDS (5: measured checks of each picture per setting).
import { randomBytes } from 'node:crypto';
import sharp from 'sharp';
import { loadConfig } from '../src/config.js';
import { configureSharp } from '../src/sharp-settings.js';
import { buildService } from '../workers/index.js';
import { postScreenshot, type Lang } from '../test/helpers/text-images.js';
import { CORPUS, distinct, machine, serveBuffers, writeResult } from './lib.js';
import { AUTH, benchEnv, fixture, REDIS_URL, removePrefix } from './system.js';
import { tesseractSeconds } from './tesseract-cpu.js';
import { Redis } from 'ioredis';

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

/** CPU seconds of this process (all threads), its waited-for children and the tess-serve processes. */
function cpuSeconds(): number {
  const own = process.cpuUsage();
  return tesseractSeconds() + (own.user + own.system) / 1e6;
}

let serial = 0;

/** One service as production builds it, with OCR off or on, under a key prefix of its own. */
async function startService(ocr: boolean) {
  const prefix = `fsbench_ocrchecks_${randomBytes(4).toString('hex')}`;
  const config = loadConfig(
    benchEnv(prefix, {
      ROLE: 'all',
      LOG_LEVEL: 'silent',
      OCR_ENABLED: String(ocr),
      ANALYZE_IN_THREADS: 'false',
      MAX_EVENT_LOOP_DELAY_MS: '0',
      OCR_TIMEOUT_MS: '120000',
    }),
  );
  const app = await buildService(config);
  await app.ready();
  /** One check of the picture, to its end: its status, and whether OCR read text in it. */
  const check = async (p: (typeof pictures)[number]) => {
    const path = `/img/${serial++}.${p.format === 'jpeg' ? 'jpg' : p.format}`;
    files.set(path, distinct(p.bytes, p.format, serial));
    const res = await app.inject({
      method: 'POST',
      url: '/v1/checks',
      headers: AUTH,
      payload: { url: `${base}${path}` },
    });
    const id = res.json<{ id?: string }>().id;
    if (!id) throw new Error(`check not accepted: ${res.statusCode} ${res.body.slice(0, 300)}`);
    for (let i = 0; ; i++) {
      if (i > 3000) throw new Error(`check ${id} not done after 300 s`);
      await new Promise((r) => setTimeout(r, 100));
      const body = (await app.inject({ method: 'GET', url: `/v1/checks/${id}`, headers: AUTH })).json<{
        status: string;
        report?: { media?: { text?: { status: string } }[] };
      }>();
      if (body.status === 'done' || body.status === 'failed')
        return { status: body.status, text: body.report?.media?.[0]?.text?.status === 'read' };
    }
  };
  const close = async () => {
    await app.close();
    const redis = new Redis(REDIS_URL);
    await removePrefix(redis, prefix);
    redis.disconnect();
  };
  return { check, close };
}

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
          const c0 = cpuSeconds();
          const { status } = await (which === 'on' ? on : off).check(p);
          if (status !== 'done') console.log(`  ${p.name} (OCR ${which}): ${status}`);
          const ms = (cpuSeconds() - c0) * 1000;
          cpu[which].set(p.name, [...(cpu[which].get(p.name) ?? []), ms]);
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
