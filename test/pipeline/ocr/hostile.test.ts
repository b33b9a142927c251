// Hostile pictures for OCR: a huge canvas of tiny glyphs, text of zero size, noise, a memory bound too
// small for tesseract. Each ends within its bounds with a clear status and code, never an exception, and
// reading works normally afterwards (the process, as a worker would be, is unharmed).
import sharp from 'sharp';
import t from 'tap';
import { loadConfig } from '../../../src/config.js';
import { OCR_ERROR_CODES } from '../../../src/errors.js';
import { readText, type OcrOptions } from '../../../src/pipeline/ocr/index.js';
import { tesseractInfo } from '../../../src/pipeline/ocr/tesseract.js';
import { prng } from '../../helpers/prng.js';
import { postScreenshot } from '../../helpers/text-images.js';

// OCR is off by default (its cost); these tests read with it on.
const config = loadConfig({ OCR_ENABLED: 'true' });
const opts: OcrOptions = {
  ...(config.ocr as NonNullable<typeof config.ocr>),
  maxInputPixels: config.maxInputPixels,
};
const skip = (await tesseractInfo(opts.path))
  ? false
  : 'tesseract is not installed (sh scripts/setup-ocr.sh)';

/** A canvas of `side` pixels tiled with lines of `size`-pixel text. */
async function glyphCanvas(side: number, size: number): Promise<Buffer> {
  const line = 'THE QUICK BROWN FOX JUMPS OVER THE LAZY DOG 0123456789 ';
  const tile = Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${size * 30}" height="${Math.round(size * 1.5)}"><rect width="100%" height="100%" fill="white"/><text x="0" y="${size}" font-family="DejaVu Sans" font-size="${size}">${line}</text></svg>`,
  );
  const png = await sharp(tile).png().toBuffer();
  return sharp({ create: { width: side, height: side, channels: 3, background: 'white' } })
    .composite([{ input: png, tile: true, left: 0, top: 0 }])
    .png({ compressionLevel: 1 })
    .toBuffer();
}

const within = async <T>(
  t: { ok: (v: unknown, m: string) => unknown },
  boundMs: number,
  what: string,
  fn: () => Promise<T>,
): Promise<T> => {
  const t0 = performance.now();
  const r = await fn();
  const took = performance.now() - t0;
  t.ok(took < boundMs, `${what}: ${Math.round(took)} ms < ${boundMs} ms`);
  return r;
};

t.test('a huge canvas full of small text is stopped by the time and output bounds', { skip }, async (t) => {
  // 60 px letters on 4000 px: ~8 px at the detector's scale (seen), ~24 px at OCR scale: pages of text.
  const canvas = await glyphCanvas(4000, 60);
  const tight = { ...opts, timeoutMs: 2000, maxOutputBytes: 64 * 1024 };
  const timings: Record<string, number> = {};
  // Decoding and scaling 16 megapixels three times takes seconds, tens of them on the shared 2-core machine
  // under load: the wall bound is loose, tesseract's own run is the bound that matters.
  const r = await within(t, 120_000, 'canvas', () => readText(canvas, tight, timings));
  // Tesseract's runs: the sample's and the script's (finding the language), then the page's; the one
  // that hits the bound ends the reading (on a loaded machine, that can be the sample's already).
  const runs = ['ocr_sample', 'ocr_script', 'ocr', 'ocr_second'].filter((s) => s in timings);
  t.ok(runs.length > 0, 'tesseract ran');
  for (const s of runs)
    t.ok(
      (timings[s] as number) < tight.timeoutMs + 5000, // the bound plus a kill, with room for a loaded machine
      `tesseract (${s}) stopped at its bound: ${timings[s]} ms`,
    );
  t.equal(r.status, 'error');
  t.ok(r.error && ['ocr_timeout', 'ocr_output_too_large'].includes(r.error.code), r.error?.code ?? 'no code');
  t.ok((r.error?.code ?? '') in OCR_ERROR_CODES);
});

t.test('glyphs too small to see at thumbnail scale cost only the detector', { skip }, async (t) => {
  const timings: Record<string, number> = {};
  const r = await readText(await glyphCanvas(3000, 4), opts, timings);
  t.equal(r.status, 'no_text');
  t.notOk('ocr' in timings, 'tesseract never ran');
});

t.test('zero-size text and pure noise end with a status, not an exception', { skip }, async (t) => {
  const zero = await sharp(
    Buffer.from(
      '<svg xmlns="http://www.w3.org/2000/svg" width="800" height="400"><rect width="100%" height="100%" fill="white"/><text x="10" y="50" font-size="0">invisible</text><text x="10" y="90" font-size="0.01">tiny</text></svg>',
    ),
  )
    .png()
    .toBuffer();
  t.equal((await readText(zero, opts)).status, 'no_text');
  const rand = prng(7);
  const noise = Buffer.alloc(1500 * 1500);
  for (let i = 0; i < noise.length; i++) noise[i] = Math.floor(rand() * 256);
  const png = await sharp(noise, { raw: { width: 1500, height: 1500, channels: 1 } })
    .png()
    .toBuffer();
  const r = await within(t, opts.timeoutMs * 2 + 8000, 'noise', () => readText(png, opts));
  t.ok(['no_text', 'empty', 'read'].includes(r.status) || r.error?.code === 'ocr_timeout', r.status);
});

t.test('a memory bound tesseract cannot live within fails in the child: ocr_failed', { skip }, async (t) => {
  const shot = await postScreenshot('eng', 0);
  const r = await readText(shot.png, { ...opts, memoryMb: 20 });
  t.equal(r.status, 'error');
  t.equal(r.error?.code, 'ocr_failed');
  const after = await readText(shot.png, opts);
  t.equal(after.status, 'read', 'and the next image is read normally');
  t.ok(after.found.handles.includes(shot.truth.handle));
});
