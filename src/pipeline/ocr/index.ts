// Reads the words in one picture: a cheap detector first (detect.ts: most photos stop there), then
// tesseract on a grey copy scaled so the letters have the size its models were trained on, once with one
// model per script (Latin, Cyrillic, Arabic among the configured languages), and again with the language
// the text turned out to be in when that is another (Lithuanian diacritics need the Lithuanian model,
// Kazakh letters the Kazakh one). A plain function of the bytes and the options: no store, no network.
import sharp, { type Metadata, type Sharp } from 'sharp';
import type { TextInImage, TextLine } from '../../../schemas/text.js';
import { OcrError } from '../../errors.js';
import { timed } from '../timings.js';
import { boxSum, DETECT_SIDE, detectText, integralImage, type TextDetection } from './detect.js';
import { findInText, type FoundInText } from './found.js';
import { identifyLanguage, scriptOf, scripts } from './language.js';
import {
  recognize,
  tesseractInfo,
  type GreyImage,
  type OcrLine,
  type TesseractOptions,
} from './tesseract.js';

export interface OcrOptions extends TesseractOptions {
  /** Tesseract languages to read, in order of preference (OCR_LANGUAGES). */
  languages: string[];
  /** Most pixels of the picture tesseract is given (after scaling). */
  maxPixels: number;
  /** Largest input the decoder accepts (MAX_INPUT_PIXELS). */
  maxInputPixels: number;
}

/** Glyph height (px) the picture is scaled to: tesseract's LSTM models read 20-30 px letters best. */
const TARGET_GLYPH = 24;
const MAX_UPSCALE = 3;
/** Lines whose words tesseract is less sure of than this are noise (photo texture read as letters). */
const MIN_LINE_CONFIDENCE = 30;
const MAX_TEXT = 20_000;
const MAX_LINES = 500;

export async function readText(
  bytes: Buffer,
  opts: OcrOptions,
  timings: Record<string, number> = {},
): Promise<TextInImage> {
  const t0 = performance.now();
  const base = sharp(bytes, { limitInputPixels: opts.maxInputPixels, failOn: 'none' }).rotate().greyscale();
  const meta = await base.clone().metadata();
  const thumb = await grey(
    base.clone().resize(DETECT_SIDE, DETECT_SIDE, { fit: 'inside', withoutEnlargement: true }),
  );
  const detection = detectText(thumb);
  timings.text_detect = ms(t0);
  const empty = emptyReading(detection);
  if (!detection.has_text) return { ...empty, status: 'no_text' };

  const info = await tesseractInfo(opts.path);
  const languages = info ? opts.languages.filter((l) => info.languages.includes(l)) : [];
  if (!info || languages.length === 0) {
    const err = new OcrError(
      'ocr_tools_missing',
      info ? `none of OCR_LANGUAGES (${opts.languages.join(', ')}) is installed` : undefined,
    );
    return { ...empty, status: 'unavailable', error: { code: err.code, message: err.message } };
  }
  const engine = `tesseract ${info.version}`;
  try {
    const { img, scale, psm } = await timed(timings, 'ocr_prepare', () =>
      forOcr(base, meta, detection, opts.maxPixels),
    );
    // Pass 1: one model per script, the first configured language of each.
    const perScript: string[] = [];
    const seen = new Set<string>();
    for (const l of languages) {
      if (!seen.has(scriptOf(l))) perScript.push(l);
      seen.add(scriptOf(l));
    }
    let models = perScript;
    let lines = clean(await timed(timings, 'ocr', () => recognize(img, models, opts, psm)));
    let text = lines.map((l) => l.text).join('\n');
    let language = identifyLanguage(text, languages);
    // Pass 2: the text's language alone (with English when it is written in Latin letters too): in pass
    // 1 the other scripts' models claim words of this one (Arabic words read as Latin or Cyrillic, "Mar"
    // as "Маг"), and a language's own model knows its letters (Lithuanian diacritics, Kazakh letters).
    // What pass 1 found (a Latin @handle in a Kazakh post, read by its English model) is kept.
    const target = !language
      ? []
      : scriptOf(language) === 'Latin'
        ? [language, 'eng'].filter((l, i, a) => languages.includes(l) && a.indexOf(l) === i)
        : [language];
    let foundBefore: FoundInText | null = null;
    if (target.length && target.join('+') !== models.join('+')) {
      foundBefore = findInText(text.slice(0, MAX_TEXT));
      models = target;
      lines = clean(await timed(timings, 'ocr_second', () => recognize(img, target, opts, psm)));
      text = lines.map((l) => l.text).join('\n');
      language = identifyLanguage(text, languages) ?? language;
    }
    if (lines.length === 0) return { ...empty, status: 'empty', engine, models };
    const byScript = scripts(text);
    const others = lines
      .filter((l) => l.text.length >= 40)
      .map((l) => identifyLanguage(l.text, languages))
      .filter((l): l is string => !!l && l !== language);
    return {
      status: 'read',
      detector: empty.detector,
      engine,
      models,
      script: byScript[0]?.script ?? null,
      languages: [...new Set([...(language ? [language] : []), ...others])],
      lines: lines.slice(0, MAX_LINES).map((l) => toReport(l, scale)),
      text: text.slice(0, MAX_TEXT),
      found: merge(findInText(text.slice(0, MAX_TEXT)), foundBefore),
    };
  } catch (err) {
    if (!(err instanceof OcrError)) throw err;
    return {
      ...empty,
      engine,
      status: err.code === 'ocr_tools_missing' ? 'unavailable' : 'error',
      error: { code: err.code, message: err.message },
    };
  }
}

/** What the final reading found, then what only the first found (each list without repeats, capped). */
function merge(found: FoundInText, before: FoundInText | null): FoundInText {
  if (!before) return found;
  const both = (a: string[], b: string[]) => [...new Set([...a, ...b])].slice(0, 50);
  return {
    links: both(found.links, before.links),
    handles: both(found.handles, before.handles),
    dates: both(found.dates, before.dates),
    times: both(found.times, before.times),
  };
}

function emptyReading(d: TextDetection): Omit<TextInImage, 'status'> {
  return {
    detector: { lines: d.lines, glyphs: d.glyphs },
    engine: null,
    models: [],
    script: null,
    languages: [],
    lines: [],
    text: '',
    found: { links: [], handles: [], dates: [], times: [] },
  };
}

const ms = (t: number) => Math.round((performance.now() - t) * 10) / 10;

async function grey(img: Sharp): Promise<GreyImage> {
  const { data, info } = await img.raw().toBuffer({ resolveWithObject: true });
  // greyscale() gives one channel, but an alpha channel would make two: keep the first.
  if (info.channels === 1) return { data, width: info.width, height: info.height };
  const out = Buffer.alloc(info.width * info.height);
  for (let i = 0; i < out.length; i++) out[i] = data[i * info.channels] as number;
  return { data: out, width: info.width, height: info.height };
}

/**
 * The grey picture tesseract reads: scaled so the detector's median glyph height becomes TARGET_GLYPH
 * (small screenshot text is enlarged up to 3x, huge lettering reduced), within `maxPixels`.
 */
async function forOcr(
  base: Sharp,
  meta: Metadata,
  d: TextDetection,
  maxPixels: number,
): Promise<{ img: GreyImage; scale: number; psm: 3 | 6 }> {
  const upright = (meta.orientation ?? 1) >= 5;
  const w = (upright ? meta.height : meta.width) ?? 1;
  const h = (upright ? meta.width : meta.height) ?? 1;
  const glyph = d.glyph_height * (w / Math.max(1, d.width));
  let scale = glyph > 0 ? Math.min(MAX_UPSCALE, TARGET_GLYPH / glyph) : 1;
  scale = Math.min(scale, Math.sqrt(maxPixels / (w * h)));
  const width = Math.max(1, Math.round(w * scale));
  const img = await grey(base.clone().resize(width, null, { kernel: scale > 1 ? 'cubic' : 'lanczos3' }));
  // Light letters on a photo (captions, signs): tesseract's global threshold cannot separate white
  // letters from a bright, busy photo, so the picture is thresholded here against each pixel's
  // neighbourhood (the detector's test, at OCR scale), as dark letters on white.
  // Only the detected lines are kept: the rest of a photo is texture that makes tesseract's layout
  // analysis take the page for a picture.
  const k = img.width / d.width;
  const bands = d.boxes.map((b) => ({
    x: Math.floor((b.x - b.height) * k),
    y: Math.floor((b.y - b.height * 0.5) * k),
    x1: Math.ceil((b.x + b.width + b.height) * k),
    y1: Math.ceil((b.y + b.height * 1.5) * k),
  }));
  if (!caption(d)) return { img: flatten(img, d, k), scale: img.width / w, psm: 3 };
  return { img: binarizeLight(img, bands), scale: img.width / w, psm: 6 };
}

/**
 * A picture on a flat background (a screenshot): each pixel becomes its distance from the background
 * colour, dark on white. Tesseract thresholds a page with one global level, which in dark mode falls
 * between the grey of a handle and the white of the text and drops the handle's line; measured from the
 * background, every text colour is dark. The detector's blobs (avatars, icons) are painted over too:
 * beside two lines of text they make tesseract merge the lines.
 */
function flatten(img: GreyImage, d: TextDetection, k: number): GreyImage {
  if (d.background < FLAT_BACKGROUND) return img;
  const { data, width: w, height: h } = img;
  const bg = d.background_level;
  for (let i = 0; i < data.length; i++) {
    data[i] = 255 - Math.min(255, Math.abs((data[i] as number) - bg) * 3);
  }
  for (const b of d.blobs) {
    const x0 = Math.max(0, Math.floor((b.x - 1) * k));
    const x1 = Math.min(w, Math.ceil((b.x + b.width + 1) * k));
    const y1 = Math.min(h, Math.ceil((b.y + b.height + 1) * k));
    for (let y = Math.max(0, Math.floor((b.y - 1) * k)); y < y1; y++) data.fill(255, y * w + x0, y * w + x1);
  }
  return img;
}

/** Share of the picture in one grey band above which it is taken for a screenshot (detect.ts `background`). */
const FLAT_BACKGROUND = 0.3;

/** Light letters on a photo rather than on a flat background (a dark-mode screenshot reads as it is). */
const caption = (d: TextDetection) => d.polarity === 'light' && d.background < FLAT_BACKGROUND;

/** Half-size of the neighbourhood a pixel is compared with: about a glyph's height at OCR scale. */
const BINARIZE_WINDOW = TARGET_GLYPH;
/** How much lighter than its neighbourhood a pixel of a light letter is (grey levels). */
const BINARIZE_CONTRAST = 40;

/** Light letters inside `bands` become black on white; everything else white. Linear (an integral image). */
export function binarizeLight(
  img: GreyImage,
  bands: { x: number; y: number; x1: number; y1: number }[],
): GreyImage {
  const { data, width: w, height: h } = img;
  const integ = integralImage(img);
  const out = Buffer.alloc(w * h, 255);
  const keep = new Uint8Array(w * h);
  for (const b of bands) {
    for (let y = Math.max(0, b.y); y < Math.min(h, b.y1); y++)
      keep.fill(1, y * w + Math.max(0, b.x), y * w + Math.min(w, b.x1));
  }
  const r = BINARIZE_WINDOW;
  for (let y = 0; y < h; y++) {
    const ya = Math.max(0, y - r);
    const yb = Math.min(h, y + r + 1);
    for (let x = 0; x < w; x++) {
      if (!keep[y * w + x]) continue;
      const xa = Math.max(0, x - r);
      const xb = Math.min(w, x + r + 1);
      const mean = boxSum(integ, w, xa, ya, xb, yb) / ((yb - ya) * (xb - xa));
      if ((data[y * w + x] as number) > mean + BINARIZE_CONTRAST) out[y * w + x] = 0;
    }
  }
  return { data: out, width: w, height: h };
}

interface CleanLine {
  text: string;
  conf: number;
  box: OcrLine['box'];
}

/** Lines as text, without the ones tesseract read from texture (low confidence, no letter or digit). */
function clean(lines: OcrLine[]): CleanLine[] {
  const out: CleanLine[] = [];
  for (const l of lines) {
    const text = rtlPunctuation(
      l.words
        .map((w) => w.text)
        .join(' ')
        // A handle's underscore at a word break: "@ruta_ zem" is "@ruta_zem" (handles hold no spaces).
        .replace(/(@[A-Za-z0-9_.]*_) (?=[A-Za-z0-9])/g, '$1'),
    );
    const chars = l.words.reduce((n, w) => n + w.text.length, 0);
    const conf = l.words.reduce((n, w) => n + w.conf * w.text.length, 0) / Math.max(1, chars);
    if (conf < MIN_LINE_CONFIDENCE || !/[\p{L}\p{N}]/u.test(text)) continue;
    out.push({ text, conf, box: l.box });
  }
  return out;
}

/**
 * Tesseract gives an Arabic line's words in reading order but its closing punctuation first (where it
 * sits on the page, at the left): "الناس." comes out as ".الناس". Moved back to the end.
 */
function rtlPunctuation(text: string): string {
  const m = /^([.,،؛:!?؟»«]+)\s*(?=\p{Script=Arabic})/u.exec(text);
  return m ? `${text.slice(m[0].length)}${m[1] as string}` : text;
}

function toReport(l: CleanLine, scale: number): TextLine {
  const r = (v: number) => Math.round(v / scale);
  return {
    text: l.text,
    box: { x: r(l.box.x), y: r(l.box.y), width: r(l.box.width), height: r(l.box.height) },
    confidence: Math.round(l.conf * 10) / 10,
  };
}
