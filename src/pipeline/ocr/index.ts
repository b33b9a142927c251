// Reads the words in one picture: a cheap detector first (detect.ts: most photos stop there), then
// tesseract on a grey copy scaled so the letters have the size its models were trained on: a sample line
// read with each script's model in turn to find the script and language (Latin, Cyrillic, Arabic among
// the configured languages), then the whole text with that language's model alone (Lithuanian diacritics
// need the Lithuanian model, Kazakh letters the Kazakh one), and again with another language's model when
// the whole text turns out to be in that one. A plain function of the bytes and the options: no store, no
// network.
import sharp, { type Metadata, type Sharp } from 'sharp';
import type { TextInImage, TextLine } from '../../../schemas/text.js';
import { OcrError } from '../../errors.js';
import { timed } from '../timings.js';
import {
  boxSum,
  DETECT_SIDE,
  stretchGain,
  detectText,
  greyThumbnail,
  integralImage,
  type TextBox,
  type TextDetection,
} from './detect.js';
import { rereadHeader } from '../screenshot/header.js';
import { greyRegion } from './grey.js';
import { findInText } from './found.js';
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

/**
 * Glyph height (px) the picture is scaled to when its letters are smaller than AS_IS_GLYPH (up to
 * MAX_UPSCALE) or larger than this: tesseract's LSTM models read 20-30 px letters best.
 */
const TARGET_GLYPH = 24;
const MAX_UPSCALE = 3;
/**
 * Letters at least this high (the detector's median glyph, px) are read at their size, only larger ones
 * reduced to TARGET_GLYPH: tesseract's models scale each line to their own input height (36 px: a line
 * of 14-16 px glyphs is ~30-40 px), so enlarging them only cost the scaling here and tesseract's layout
 * analysis on more pixels. bench:ocr's clean screenshots (glyphs 14.7-16.9, enlarged 1.4-1.6x before):
 * CER 0.39% -> 0.32%, language and handle + time as before, CPU per screenshot 138 -> 117 ms (node 35 ->
 * 24, tesseract 104 -> 94). Smaller letters (a shared copy's, 8 px, JPEG-blurred) are still enlarged to
 * TARGET_GLYPH: at 18 instead, handle and time were read on 90% of them instead of 95%, with a false handle
 * more.
 */
const AS_IS_GLYPH = 14;
/** Lines whose words tesseract is less sure of than this are noise (photo texture read as letters). */
const MIN_LINE_CONFIDENCE = 30;
const MAX_TEXT = 20_000;
const MAX_LINES = 500;

export async function readText(
  bytes: Buffer,
  opts: OcrOptions,
  timings: Record<string, number> = {},
  /**
   * The picture the analysis decoded (RGB, upright, long side at most 1024: Analysis.pixels): the
   * detector's thumbnail is made from it instead of decoding the bytes again. Absent: decoded here.
   */
  pixels?: RGB & {
    /** The picture's upright size as its file declares it (Analysis.pixels): the file is not asked again. */
    size?: { width: number; height: number };
  },
): Promise<TextInImage> {
  const t0 = performance.now();
  // Alpha composited on black (what resampling premultiplied left of transparent pixels): the same grey
  // picture, but a PNG screenshot with an (opaque) alpha channel is then scaled without premultiplying,
  // in about a third less CPU (bench:ocr).
  // A new sharp instance for each use rather than clones of one: sharp's clone() copies its input
  // (structuredClone of its options), 4 ms of CPU for a 720x724 screenshot's pixels, 2 for its PNG.
  const base = () =>
    sharp(bytes, { limitInputPixels: opts.maxInputPixels, failOn: 'none' }).rotate().flatten().greyscale();
  const thumb = pixels
    ? greyThumbnail(pixels)
    : await grey(base().resize(DETECT_SIDE, DETECT_SIDE, { fit: 'inside', withoutEnlargement: true }));
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
    // The picture's size as displayed, which the detector's and tesseract's boxes are in.
    const size = pixels?.size ?? uprightSize(await base().metadata());
    // The analysis' pixels when they are the whole picture (a screenshot is rarely over 1024 px): the
    // bytes are not decoded again, here nor for the handle line (a 720x724 PNG: 17-23 ms of CPU each).
    const whole = pixels && pixels.width === size.width && pixels.height === size.height;
    const source = whole
      ? () =>
          sharp(pixels.data, { raw: { width: pixels.width, height: pixels.height, channels: 3 } }).greyscale()
      : base;
    const page = await timed(timings, 'ocr_prepare', async () =>
      forOcr(source, size, thumb, detection, opts.maxPixels, whole ? pixels : undefined),
    );
    // The models: one per script (the first configured language of each), first script first.
    // Tesseract reading with several models tries them all on most words: a Kazakh screenshot's 7 lines
    // cost 330 ms of its CPU with eng+rus+ara, 105 ms with the Kazakh model alone; even a Lithuanian
    // line costs 53 ms with the three, 16 with eng. So the script and language are found first on a
    // sample line (sampleLanguage), and the whole text is then read with its language's model alone. A
    // picture of one or two bands (a caption, a meme) is read with the first model alone when it reads
    // it surely, else with all of them at once (readFirst, readAll): the sample would be most of it.
    // A screenshot's bands are cut into lines (splitLines), so that the sample is one line and each
    // model's reading of it is kept.
    const perScript: string[] = [];
    const seen = new Set<string>();
    for (const l of languages) {
      if (!seen.has(scriptOf(l))) perScript.push(l);
      seen.add(scriptOf(l));
    }
    const all = strip(page.img, page.flat ? splitLines(page.img, page.bands) : page.bands);
    // A screenshot's strips are its greys' distances from the background, dark on white whatever its
    // colours (flatten): tesseract's second reading of unsure lines inverted is wasted on them.
    const invert = !page.flat;
    const read = async (s: Strip, models: string[], stage: string, inverted = invert) =>
      clean(await timed(timings, stage, () => recognize(s.img, models, opts, 6, inverted)), s);
    const { guess, told, body, known } =
      all.bands.length > 2
        ? await sampleLanguage(page.img, all, perScript, languages, read)
        : { guess: null, told: false, body: 0, known: new Map() as Known };
    const { lines, language, models } =
      (guess &&
        (await readAs(all, guess, told, body, perScript[0] as string, known, languages, read, page.img))) ||
      (all.bands.length <= 2 &&
        !page.light &&
        (await readFirst(all, perScript, languages, read, page.img))) ||
      (await readAll(all, perScript, languages, read, page.img));
    const text = lines.map((l) => l.text).join('\n');
    if (lines.length === 0) return { ...empty, status: 'empty', engine, models };
    const byScript = scripts(text);
    const others = lines
      .filter((l) => l.text.length >= 40)
      .map((l) => identifyLanguage(l.text, languages))
      .filter((l): l is string => !!l && l !== language);
    const reading: TextInImage = {
      status: 'read',
      detector: empty.detector,
      engine,
      models,
      script: byScript[0]?.script ?? null,
      languages: [...new Set([...(language ? [language] : []), ...others])],
      lines: lines.slice(0, MAX_LINES).map((l) => toReport(l, page.scale)),
      text: text.slice(0, MAX_TEXT),
      found: findInText(text.slice(0, MAX_TEXT)),
    };
    // A post screenshot's @handle line, read again closely (src/pipeline/screenshot/header.ts).
    return await timed(timings, 'ocr_header', () =>
      rereadHeader(reading, source, size, { ...opts, languages }, whole ? greyCrop(pixels) : undefined),
    );
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

/** A strip read by `models`; `inverted` false: unsure lines are not read again inverted (recognize()). */
type Read = (s: Strip, models: string[], stage: string, inverted?: boolean) => Promise<CleanLine[]>;
interface Reading {
  lines: CleanLine[];
  language: string | null;
  models: string[];
}

const mainScript = (lines: CleanLine[]) => scripts(lines.map((l) => l.text).join(' '))[0]?.script;

/** The language of the lines in the lines' main script (identifyLanguage), or null. */
function languageIn(lines: CleanLine[], languages: string[], lead = 0): string | null {
  const main = mainScript(lines);
  const text = lines
    .filter((l) => scripts(l.text)[0]?.script === main)
    .map((l) => l.text)
    .join('\n');
  return identifyLanguage(text, languages, lead);
}

/**
 * The language a sample reads as: identified (identifyLanguage) with a lead of SAMPLE_LEAD, or else the
 * first configured language of its script (too few letters to tell, or two languages close: the whole
 * text then tells, readAs); null when the sample read no letters.
 */
function languageOf(sample: CleanLine[], languages: string[]): string | null {
  const main = mainScript(sample);
  if (!main) return null;
  return languageIn(sample, languages, SAMPLE_LEAD) ?? languages.find((l) => scriptOf(l) === main) ?? null;
}

/**
 * How far ahead of the runner-up a sample line's language must be (franc's scores): one line read by
 * another model of its script is often close to two languages (a Russian line: rus 1, ukr 0.94; a
 * Lithuanian one read by eng: deu 1, spa 0.93, lit 0.71), and a wrong guess costs a second reading of
 * the whole text. Clear guesses lead by 0.3+ (lit 1, spa 0.66-0.70; kaz 1, ukr 0.33-0.61).
 */
const SAMPLE_LEAD = 0.1;

/** The band of the sample (an index in `all.bands`): the one with the most ink (a line of a post's text). */
function sampleBand(all: Strip): number {
  let best = 0;
  all.bands.forEach((b, i) => {
    if (b.ink > (all.bands[best] as Band).ink) best = i;
  });
  return best;
}

/** Mean confidence of the lines' characters (0 for none). */
function confidence(lines: CleanLine[]): number {
  const chars = lines.reduce((n, l) => n + l.text.length, 0);
  return lines.reduce((n, l) => n + l.conf * l.text.length, 0) / Math.max(1, chars);
}

/**
 * How sure the reading of the sample must be to stop trying other scripts' models: at once (SURE_ALONE),
 * or SURE_LEAD and SURE_AHEAD of every other model's reading so far (an Arabic text read by eng 52, by
 * rus 36 needs ara's 64 too). Measured on bench:ocr's 40 screenshots (the
 * sample's mean character confidence): Latin text read by eng 74-95 (80+ but on 3 degraded ones), by rus
 * 35; Cyrillic text read by rus 59-86, by eng 40-66 (kaz #1 degraded: rus 58.9, eng 57.0, ara 34.9);
 * Arabic read by ara 62-81, by eng 25-52, by rus 15-36. The right model read best in all 40.
 */
const SURE_ALONE = 85;
/**
 * How far a right-to-left model's reading of the sample (at least WHOLE_SURE) must be ahead of the others
 * so far on a right-to-left page (rightToLeft) to stop there: bench:ocr's Arabic texts (as screenshots
 * with a photo) read by ara at 62-93, by eng at 12-52 on the same line; 4 of bench:ocr's 8 Arabic
 * screenshots were read by rus too before (62.3 against 40.3 is short of SURE_LEAD), 1 now (the same text
 * and languages).
 */
const RTL_AHEAD = 5;
const SURE_LEAD = 70;
const SURE_AHEAD = 15;

/**
 * The text's language, found on a sample: the band with the most ink (sampleBand: one line of a
 * screenshot, splitLines) read with each script's model in turn (`perScript`'s order, right-to-left
 * scripts first on a right-aligned page) until one reads it surely (SURE_ALONE, SURE_AHEAD; RTL_AHEAD on
 * a right-aligned page), else the
 * best of them; its language identified among that script's (identifyLanguage), or the script's first
 * when the line is too short to tell. `known`: each model's reading of the line, which the whole
 * reading with that model keeps (readWith). `guess` null: nothing was read surely.
 * Before, the first model read the sample band and the two above it (a post's name and handle, one
 * band with the first line of text in most screenshots) and the others that band again: bench:ocr's
 * 40 screenshots read the same text but for 3 characters fewer wrong (degraded CER 1.07% -> 1.01%),
 * tesseract's CPU per screenshot 193 -> 140 ms (each screenshot's readings replayed, old and new
 * interleaved).
 */
async function sampleLanguage(
  img: GreyImage,
  all: Strip,
  perScript: string[],
  languages: string[],
  read: Read,
): Promise<{ guess: string | null; told: boolean; body: number; known: Known }> {
  const body = sampleBand(all);
  const line = strip(img, [all.bands[body] as Band]);
  const readLine = async (model: string, stage: string) => {
    const lines = await read(line, [model], stage);
    for (const l of lines) l.band = body;
    return { model, lines };
  };
  // Right-aligned lines (a right-to-left page): its scripts' models first, so an Arabic text is not read
  // by the Cyrillic model first (the order only saves a reading: the confidences choose).
  const rtl = rightToLeft(img, all.bands);
  // A line of lower-case letters with hardly any ascenders: Cyrillic (fewAscenders), read by its script's
  // model first; the Latin model's reading of it (confidence 19-63) then only cost CPU.
  const share = ascenderShare(img, all.bands[body] as Band);
  const cyrillic =
    share !== null && share <= FEW_ASCENDERS ? perScript.find((m) => scriptOf(m) === 'Cyrillic') : undefined;
  // A line with many ascenders (MANY_ASCENDERS) on a left-to-right page: Latin letters, read by the
  // Latin model first, as always.
  const latinShaped = !rtl && share !== null && share >= MANY_ASCENDERS;
  // On a right-to-left page, its script's model first: the Latin model's reading of an Arabic line
  // (confidence 14-52) only cost CPU too.
  const lead = (rtl ? perScript.find(isRtl) : cyrillic) ?? perScript[0] ?? '';
  const readings = [await readLine(lead, 'ocr_sample')];
  const sureEnough = () => {
    const c = readings
      .map((r) => ({ model: r.model, conf: confidence(r.lines) }))
      .sort((a, b) => b.conf - a.conf);
    const [top = { model: '', conf: 0 }, next] = c;
    if (top.conf >= SURE_ALONE) return true;
    // The Cyrillic model first, reading the line as Cyrillic (bench:ocr's Cyrillic lines: 65-97; Latin
    // lines read by it: 19-50, Arabic 3-36), or a right-to-left model on a right-to-left page reading it
    // as text (WHOLE_SURE: bench:ocr's right-aligned Arabic lines read by ara at 62-93; Latin and Cyrillic
    // lines read by it at 3-49).
    if (next === undefined && top.model === lead && lead !== perScript[0])
      return top.conf >= (isRtl(lead) ? WHOLE_SURE : SURE_LEAD);
    // The Latin model first on a line of Latin shape (latinShaped) reading it as text (SURE_LEAD): a
    // Lithuanian line, whose diacritics it does not know, reads at 77-82 (bench:ocr), under SURE_ALONE,
    // and the Cyrillic model's reading of it (confidence 2-52, 11-23 ms of tesseract's CPU) only told
    // that it is not Cyrillic. Cyrillic lines read by the Latin model: 36-66.
    if (next === undefined && top.model === lead && latinShaped && scriptOf(lead) === 'Latin')
      return top.conf >= SURE_LEAD;
    if (next === undefined) return false;
    // On a right-to-left page, a right-to-left model that reads the line as text and better than the
    // others so far: the Cyrillic model (which reads Arabic at 15-36) is not asked too.
    if (rtl && isRtl(top.model) && top.conf >= WHOLE_SURE && top.conf - next.conf >= RTL_AHEAD) return true;
    return top.conf >= SURE_LEAD && top.conf - next.conf >= SURE_AHEAD;
  };
  const others = perScript.filter((m) => m !== lead);
  const order = rtl ? [...others.filter(isRtl), ...others.filter((m) => !isRtl(m))] : others;
  for (const model of order) {
    if (sureEnough()) break;
    readings.push(await readLine(model, 'ocr_script'));
  }
  const best = readings.reduce((a, b) => (confidence(b.lines) > confidence(a.lines) ? b : a));
  // Each model's reading of the line is kept (readWith reads the other lines).
  const known: Known = new Map(readings.map((r) => [r.model, { bands: new Set([body]), lines: r.lines }]));
  // No model reads the sample surely (a meme's caption read at 85% CER): the whole text would read no
  // better with one; read it with all of them (readAll).
  if (confidence(best.lines) < WHOLE_SURE) return { guess: null, told: false, body, known };
  const told = languageIn(sure(best.lines), languages, SAMPLE_LEAD);
  return { guess: told ?? languageOf(sure(best.lines), languages), told: told !== null, body, known };
}

/** A line of a band: its rows, the edges between ink and paper its rows cross, its first and last inked columns. */
interface LineRun {
  y0: number;
  y1: number;
  edges: number;
  x0: number;
  x1: number;
}

/**
 * The lines of `band` of the page (dark on white: a screenshot's distances from its background, a
 * caption binarized): the runs of rows with ink, runs less than PROBE_GAP rows apart joined (a
 * descender's tail, Arabic's dots).
 */
function lineRuns(img: GreyImage, band: Band): LineRun[] {
  const runs: LineRun[] = [];
  // A row across the whole page (a screenshot's bands: splitLines, then rightToLeft and probeLine on
  // the lines) is scanned once per page.
  const whole = band.x0 === 0 && band.x1 === img.width;
  let known = whole ? pageRows.get(img.data) : undefined;
  if (whole && !known) pageRows.set(img.data, (known = new Int32Array(img.height * 3).fill(-1)));
  for (let y = band.y0; y < band.y1; y++) {
    let edges = 0;
    let x0 = -1;
    let x1 = -1;
    if (known && (known[y * 3] as number) >= 0) {
      edges = known[y * 3] as number;
      x0 = known[y * 3 + 1] as number;
      x1 = known[y * 3 + 2] as number;
    } else {
      let was = false;
      for (let x = band.x0, p = y * img.width + band.x0; x < band.x1; x++, p++) {
        const ink = (img.data[p] as number) < PROBE_INK;
        if (ink !== was) edges++;
        if (ink) {
          if (x0 < 0) x0 = x;
          x1 = x;
        }
        was = ink;
      }
      if (known) known.set([edges, x0, x1], y * 3);
    }
    if (edges === 0) continue;
    const last = runs[runs.length - 1];
    if (last && y - last.y1 < PROBE_GAP) {
      last.y1 = y + 1;
      last.edges += edges;
      last.x0 = Math.min(last.x0, x0);
      last.x1 = Math.max(last.x1, x1);
    } else runs.push({ y0: y, y1: y + 1, edges, x0, x1 });
  }
  return runs;
}

/** Each page's rows as lineRuns scanned them across the page: edges, first and last inked column (-1: not yet). */
const pageRows = new WeakMap<Buffer, Int32Array>();

/**
 * The rows of the longest line of `band` (lineRuns), with a quarter of its height above and below
 * (within the band): what the other scripts' models read to compare with the first. The longest is the
 * line whose rows cross most edges between ink and paper (letters have many; an avatar's disc beside a
 * name two per row).
 */
function probeLine(img: GreyImage, band: Band): Band {
  const line = lineRuns(img, band).reduce<LineRun | null>((a, r) => (a && a.edges >= r.edges ? a : r), null);
  if (!line) return band;
  const pad = Math.round((line.y1 - line.y0) / 4);
  return { ...band, y0: Math.max(band.y0, line.y0 - pad), y1: Math.min(band.y1, line.y1 + pad) };
}

/**
 * Whether the longest line of `band` (lineRuns: the one crossing most edges) is lower-case letters with
 * hardly any ascenders: at most FEW_ASCENDERS of its inked columns reach a third of its x-height above it
 * (the columns' median top and bottom). Latin text has many (b d f h k l t, i's dot, capitals): bench:ocr's
 * English and Lithuanian lines 0.097-0.136 of their columns, its Russian and Kazakh ones 0.006-0.084
 * (capitals, б, Kazakh's ұ and і). False for a line whose x-height is not one line's (two lines joined, a
 * name beside an avatar: 54-73 px, where a line's is 18-22 at TARGET_GLYPH).
 */
export function fewAscenders(img: GreyImage, band: Band): boolean {
  const share = ascenderShare(img, band);
  return share !== null && share <= FEW_ASCENDERS;
}

/** fewAscenders' share of the line's columns with an ascender, null when it cannot tell. */
export function ascenderShare(img: GreyImage, band: Band): number | null {
  const line = lineRuns(img, band).reduce<LineRun | null>((a, r) => (a && a.edges >= r.edges ? a : r), null);
  if (!line) return null;
  const h = line.y1 - line.y0;
  const tops = new Int32Array(h);
  const bottoms = new Int32Array(h);
  let columns = 0;
  const top = new Int32Array(line.x1 + 1 - line.x0).fill(-1);
  const bottom = new Int32Array(top.length);
  for (let y = line.y0; y < line.y1; y++) {
    for (let x = line.x0, p = y * img.width + line.x0; x <= line.x1; x++, p++) {
      if ((img.data[p] as number) >= PROBE_INK) continue;
      const i = x - line.x0;
      if ((top[i] as number) < 0) top[i] = y - line.y0;
      bottom[i] = y - line.y0;
    }
  }
  for (let i = 0; i < top.length; i++) {
    const t = top[i] as number;
    if (t < 0) continue;
    columns++;
    tops[t] = (tops[t] as number) + 1;
    const b = bottom[i] as number;
    bottoms[b] = (bottoms[b] as number) + 1;
  }
  if (columns < MIN_ASCENDER_COLUMNS) return null;
  const median = (hist: Int32Array) => {
    for (let y = 0, n = 0; y < hist.length; y++) if ((n += hist[y] as number) * 2 >= columns) return y;
    return hist.length - 1;
  };
  const xTop = median(tops);
  const xHeight = median(bottoms) - xTop;
  if (xHeight < TARGET_GLYPH / 4 || xHeight > TARGET_GLYPH) return null;
  let above = 0;
  const limit = xTop - xHeight / 3;
  for (let y = 0; y < limit; y++) above += tops[y] as number;
  return above / columns;
}

/**
 * fewAscenders' share of a line's columns: bench:ocr's 40 screenshots' sample lines of one line have
 * Cyrillic 0.006-0.084 (12 of 18 at most this), Latin 0.097-0.136 (and 0.35+ with a handle line), Arabic
 * 0.22-0.37. A Latin line taken for Cyrillic costs a reading by the Cyrillic model (~20 ms of CPU, its
 * confidence then sends the sample to the Latin one), a Cyrillic line not taken for it the Latin model's.
 */
const FEW_ASCENDERS = 0.06;
/**
 * fewAscenders' share of a line's columns at or above which the line is taken for Latin letters
 * (sampleLanguage): bench:ocr's 40 screenshots' sample lines, Cyrillic 0.008-0.084, Latin 0.073-0.136
 * (those under this are shared copies' English lines: they are read as before), 0.31-0.35 with a handle
 * line. Arabic lines have more (0.21-0.37), but on a right-to-left page their script's model reads first,
 * and the Latin model reads them at 12-52, under SURE_LEAD, as it reads Cyrillic (36-66).
 */
const MANY_ASCENDERS = 0.09;
/** Inked columns a line needs for fewAscenders to judge it (a few words at TARGET_GLYPH). */
const MIN_ASCENDER_COLUMNS = 200;

/**
 * Each band of several lines (lineRuns) cut into one band per line, between the lines' rows (a line's
 * ink share of the band's): tesseract reads a strip line by line anyway, and a line can then be read
 * alone and its reading kept (the sample's line, sampleLanguage). Runs less than half a glyph high
 * (TARGET_GLYPH: Arabic's dots, an underscore) stay with their nearest neighbour.
 */
function splitLines(img: GreyImage, bands: Band[]): Band[] {
  const out: Band[] = [];
  // Overlapping bands as one first, as strip() joins them.
  for (const band of strip(img, bands).bands) {
    const runs = lineRuns(img, band);
    for (let i = 0; i < runs.length && runs.length > 1;) {
      const r = runs[i] as LineRun;
      if (r.y1 - r.y0 >= TARGET_GLYPH / 2) {
        i++;
        continue;
      }
      const up = runs[i - 1];
      const down = runs[i + 1];
      const into = !down || (up && r.y0 - up.y1 <= down.y0 - r.y1) ? (up as LineRun) : down;
      into.y0 = Math.min(into.y0, r.y0);
      into.y1 = Math.max(into.y1, r.y1);
      into.edges += r.edges;
      runs.splice(i, 1);
    }
    if (runs.length <= 1) {
      out.push(band);
      continue;
    }
    const edges = runs.reduce((n, r) => n + r.edges, 0);
    runs.forEach((r, i) => {
      const prev = runs[i - 1];
      const next = runs[i + 1];
      out.push({
        ...band,
        // The row between two lines' halves of their gap is in neither (strip() joins touching bands).
        y0: prev ? Math.floor((prev.y1 + r.y0) / 2) + 1 : band.y0,
        y1: next ? Math.floor((r.y1 + next.y0) / 2) : band.y1,
        ink: (band.ink * r.edges) / Math.max(1, edges),
      });
    });
  }
  return out;
}

/** Whether a language is written right to left (its script). */
const isRtl = (lang: string) => ['Arabic', 'Hebrew'].includes(scriptOf(lang));

/**
 * Whether more of the bands' lines (lineRuns) end at one column (within ALIGN_SLACK of the page's width)
 * than start at one: right-aligned text, a right-to-left page (a screenshot's Arabic post, whose Latin
 * date line starts elsewhere). Lines narrower than a third of the page (an icon, a name) do not count.
 * Ties (justified text, a single line): false.
 */
function rightToLeft(img: GreyImage, bands: Band[]): boolean {
  const lines = bands.flatMap((b) => lineRuns(img, b)).filter((r) => r.x1 - r.x0 >= img.width / 3);
  const slack = img.width * ALIGN_SLACK;
  // The most edges within `slack` of one another.
  const aligned = (xs: number[]) =>
    Math.max(0, ...xs.map((x) => xs.filter((y) => Math.abs(y - x) <= slack).length));
  return aligned(lines.map((l) => l.x1)) > aligned(lines.map((l) => l.x0));
}

/** How far apart (share of the page's width) two line ends may be and still be aligned. */
const ALIGN_SLACK = 0.01;

/** A page pixel darker than this is ink (lineRuns). */
const PROBE_INK = 160;
/** Rows of paper that separate two lines (lineRuns); fewer join them (a descender's tail, Arabic dots). */
const PROBE_GAP = 3;

/**
 * Bands of `all` already read by one model while sampling (`bands`, indices in `all`), and its lines
 * there (unfiltered, with their `all` band index): the whole text read with that model reads only the
 * other bands (readWith). Each band is a separate run of rows in the strips, which tesseract reads line
 * by line.
 */
type Known = Map<string, { bands: Set<number>; lines: CleanLine[] }>;

/**
 * The bands of `all` at `indices` (ascending) read by `models` as one strip, each line's `band` given back
 * as its index in `all`.
 */
async function readBands(
  all: Strip,
  img: GreyImage,
  indices: number[],
  models: string[],
  stage: string,
  read: Read,
  /** The rows of each band read (within it), when not all of them. */
  rows: (i: number) => Band = (i) => all.bands[i] as Band,
): Promise<CleanLine[]> {
  const lines = await read(strip(img, indices.map(rows)), models, stage);
  for (const l of lines) l.band = indices[l.band] as number;
  return lines;
}

/**
 * `all` read with `model`, the bands `known` already has for that model not read again (the sample's
 * line), in reading order.
 */
async function readWith(
  all: Strip,
  img: GreyImage,
  model: string,
  known: Known,
  read: Read,
  stage: string,
): Promise<CleanLine[]> {
  const have = known.get(model);
  if (!have) return read(all, [model], stage);
  const rest = all.bands.map((_, i) => i).filter((i) => !have.bands.has(i));
  const lines = [...have.lines];
  if (rest.length > 0) lines.push(...(await readBands(all, img, rest, [model], stage, read)));
  return lines.sort((a, b) => a.band - b.band || a.box.y - b.box.y);
}

/**
 * The whole text read by its script's model is at least this sure (bench:ocr's screenshots: 70+); text
 * in another script (a Russian post with an English quote in its sample) reads garbled, at 66 at most.
 */
const WHOLE_SURE = 60;

/**
 * The whole text read with the guessed language's model alone, with the first (`latin`) model's lines
 * that hold an @handle in place of that reading's (a Lithuanian or Kazakh model reads "@jonaspetr" as
 * "Ejonaspetr");
 * read again with another language's model (the lines in the text's script) when the whole text turns
 * out to be in that one; null when that reading is unsure (WHOLE_SURE).
 */
async function readAs(
  all: Strip,
  guess: string,
  /** Whether the sample told the language (languageOf), or `guess` is its script's first. */
  told: boolean,
  body: number,
  latin: string,
  known: Known,
  languages: string[],
  read: Read,
  img: GreyImage,
): Promise<Reading | null> {
  // The sample did not tell the language among its script's (one short line: "Šiandien Kazachstane
  // įvyko kažkas" read by the Latin model is deu 1, spa 0.93, lit 0.71): the next lines (up to
  // TELL_BANDS) are read with the guess's model one at a time before the rest, until the language is
  // told; when it is another of the script, the whole text is read with its model instead (what the
  // guess's model read stands for the handles: withHandles). Before, the whole text was read with the
  // guess's model, then again with the language's; and then the two lines at once, where one often tells
  // (bench:ocr-checks' Lithuanian post: lit 1, spa 0.70 with its second line), and the other was read
  // again by the language's model.
  const have = known.get(guess);
  if (!told && have) {
    const after = all.bands.map((_, i) => i).filter((i) => !have.bands.has(i));
    const near = [...after.filter((i) => i > body), ...after.filter((i) => i < body).reverse()];
    for (const band of near.slice(0, TELL_BANDS)) {
      have.lines.push(...(await readBands(all, img, [band], [guess], 'ocr', read)));
      have.bands.add(band);
      const language = languageIn(sure(have.lines), languages, SAMPLE_LEAD);
      if (language && language !== guess && scriptOf(language) === scriptOf(guess))
        return readAs(all, language, true, body, latin, known, languages, read, img);
      if (language) break;
    }
  }
  const first = await readWith(all, img, guess, known, read, 'ocr');
  // Text in another script than the sample's (a quote in English in a Russian post) comes out garbled
  // and unsure: read as if there were no sample.
  if (confidence(first) < WHOLE_SURE) return null;
  // A post's name and @handle lines (the two above the sample's, and any of the first HEAD_BANDS whose
  // reading has an `@`) read by the first model too, when the guess is another: only it reads a handle
  // as a handle (withHandles), also in the sample's band when that is a post's header and first line
  // (lines too close to be cut apart).
  let sample: CleanLine[] = [];
  if (guess !== latin) {
    const line = sure(known.get(latin)?.lines ?? []);
    const at = new Set(first.filter((l) => l.band < HEAD_BANDS && l.text.includes('@')).map((l) => l.band));
    for (let i = Math.max(0, body - 2); i < body; i++) at.add(i);
    // Not those the first model read already (the sample's, and the lines after it: TELL_BANDS).
    for (const b of known.get(latin)?.bands ?? []) if (b !== body) at.delete(b);
    // The sample's band, unless the first model read it while sampling, or it is one line without an
    // `@` (a line of the post's text, read by the Cyrillic model first: fewAscenders).
    const inBody = first.filter((l) => l.band === body);
    if (known.get(latin)?.bands.has(body)) at.delete(body);
    else if (inBody.length > 1 || inBody.some((l) => l.text.includes('@'))) at.add(body);
    else at.delete(body);
    const picked = [...at].sort((x, y) => x - y);
    if (picked.length > 0)
      sample = sure(
        await readBands(all, img, picked, [latin], 'ocr_sample', read, (i) => {
          const band = all.bands[i] as Band;
          const own = first.filter((l) => l.band === i);
          return handleRows(band, own) ?? (i === body ? aboveText(band, inBody, guess) : band);
        }),
      );
    sample.push(...line);
  }
  const lines = withHandles(sure(first), sample);
  const language = languageIn(lines, languages) ?? guess;
  if (language === guess) return { lines, language, models: [guess] };
  const main = mainScript(lines);
  const redo = lines.filter((l) => scripts(l.text).some((x) => x.script === main));
  const again = await readAgain(all, lines, redo, language, read, img);
  return { lines: again, language: languageIn(again, languages) ?? language, models: [guess, language] };
}

/**
 * The rows of the sample's band above its last lines that the guess's model read surely in its own script
 * (at least WHOLE_SURE): what the first model reads of it for a post's name and @handle (readAs), without
 * the post's first lines, which it would only read garbled (bench:ocr's Arabic screenshots whose header
 * and first line make one band, avatar beside them: eng read the Arabic line too, ~10 ms of tesseract's
 * CPU). Cut halfway between that line and the one above; the whole band when no such line is at its
 * bottom, or none above it.
 */
function aboveText(band: Band, lines: CleanLine[], guess: string): Band {
  const sorted = [...lines].sort((a, b) => a.box.y - b.box.y);
  let k = sorted.length;
  while (k > 0) {
    const l = sorted[k - 1] as CleanLine;
    if (l.conf < WHOLE_SURE || scripts(l.text)[0]?.script !== scriptOf(guess)) break;
    k--;
  }
  const above = sorted[k - 1];
  const first = sorted[k];
  if (!above || !first) return band;
  const bottom = above.box.y + above.box.height;
  if (bottom >= first.box.y) return band;
  return { ...band, y1: Math.min(band.y1, Math.floor((bottom + first.box.y) / 2)) };
}

/**
 * The rows of `band` holding its lines with an `@` (as the guess's model read them), with a third of their
 * height above and below (descenders, an underscore): what the first model reads of a band for the post's
 * @handle (readAs), without the name above it, which the guess's model reads in its own script and the
 * first model only garbled (bench:ocr-checks' Russian, Kazakh and Arabic posts: "Hosoctuv Anmatbi" for
 * "Новости Алматы"). By the line's own box: the name's reaches down over it when the avatar beside both
 * was read with the name. The lines with a time when none has an `@`; null when none has either (a handle
 * line the guess's model dropped or garbled beyond that: the band is read whole).
 */
function handleRows(band: Band, lines: CleanLine[]): Band | null {
  let ats = lines.filter((l) => l.text.includes('@'));
  // A handle line the guess's model read without its `@` ("(Әкагакһ һаБаг: 8:03"), by its time.
  if (ats.length === 0) ats = lines.filter((l) => findInText(l.text).times.length > 0);
  if (ats.length === 0) return null;
  const top = Math.min(...ats.map((l) => l.box.y));
  const bottom = Math.max(...ats.map((l) => l.box.y + l.box.height));
  const pad = Math.round(Math.max(...ats.map((l) => l.box.height)) / 3);
  const y0 = Math.max(band.y0, top - pad);
  const y1 = Math.min(band.y1, bottom + pad);
  // And their columns, as far out: the avatar beside them (its lower edge read as "wy" before the handle)
  // is not.
  const x0 = Math.max(band.x0, Math.min(...ats.map((l) => l.box.x)) - pad);
  const x1 = Math.min(band.x1, Math.max(...ats.map((l) => l.box.x + l.box.width)) + pad);
  return y0 < y1 && x0 < x1 ? { ...band, x0, x1, y0, y1 } : null;
}

/** Lines read after an untold sample before the rest (readAs). */
const TELL_BANDS = 2;

/** Bands from the top where a post's @handle line is looked for (readAs). */
const HEAD_BANDS = 4;

/**
 * `lines` with each line of `sample` that holds an `@` (a handle, or one the header's close reading will
 * read: "@ит_ай" for "@m_ali") in place of the lines over its rows, unless one of those has an `@` and its
 * handles too. In reading order.
 */
function withHandles(lines: CleanLine[], sample: CleanLine[]): CleanLine[] {
  let out = lines;
  for (const s of sample) {
    if (!s.text.includes('@')) continue;
    const handles = findInText(s.text).handles;
    const over = out.filter((l) => {
      const mid = l.box.y + l.box.height / 2;
      return l.band === s.band && mid >= s.box.y && mid < s.box.y + s.box.height;
    });
    const has = (l: CleanLine) =>
      l.text.includes('@') && handles.every((h) => findInText(l.text).handles.includes(h));
    if (over.some(has)) continue;
    out = [...out.filter((l) => !over.includes(l)), s];
  }
  return out.sort((a, b) => a.band - b.band || a.box.y - b.box.y);
}

/**
 * The lines of `redo` read again with `language`'s model alone, in place of the first reading's (see
 * replaceLines).
 */
async function readAgain(
  all: Strip,
  lines: CleanLine[],
  redo: CleanLine[],
  language: string,
  read: Read,
  img: GreyImage,
): Promise<CleanLine[]> {
  const again = [...new Set(redo.map((l) => l.band))].sort((x, y) => x - y);
  const reread = sure(await readBands(all, img, again, [language], 'ocr_second', read));
  return replaceLines(lines, redo, reread);
}

/**
 * One reading with every script's model (a picture of one band, or one whose sample read nothing), then
 * the lines in the text's script again with its language's model alone, when that is another language
 * of the script (Kazakh, Lithuanian, Ukrainian, French...: its model knows their letters, Kazakh Қ and
 * ә, Lithuanian ė and į), or when other models claimed some of their words (a Russian "новый" read by
 * the Latin model as "HOBbI", Arabic words as Latin). The other lines (a Latin @handle, a date) stay as
 * read, and so does a line whose @handle only the first reading found. A line in a third script in the
 * middle of the text (a faint @handle in a Lithuanian post read as Cyrillic) is read again too; Latin
 * lines in a Cyrillic or Arabic text (handles, dates) are not.
 */
async function readAll(
  all: Strip,
  perScript: string[],
  languages: string[],
  read: Read,
  img: GreyImage,
  /** The lines `perScript` read already (readFirst). */
  done?: CleanLine[],
): Promise<Reading> {
  const models = [...perScript];
  let lines = done ?? sure(await read(all, perScript, 'ocr'));
  const main = mainScript(lines);
  let language = languageIn(lines, languages);
  const mixed = (l: CleanLine) => scripts(l.text).length > 1;
  const hasMain = (l: CleanLine) => scripts(l.text).some((x) => x.script === main);
  const stray = (l: CleanLine) => !hasMain(l) && scripts(l.text)[0]?.script !== 'Latin';
  const redo = lines.filter(
    (l) => stray(l) || (hasMain(l) && (!perScript.includes(language ?? '') || mixed(l))),
  );
  if (language && redo.length > 0) {
    lines = await readAgain(all, lines, redo, language, read, img);
    if (!models.includes(language)) models.push(language);
    language = languageIn(lines, languages) ?? language;
  }
  return { lines, language, models };
}

/**
 * A picture of one or two bands of dark letters (a caption; not light letters on a photo, a meme's or a
 * sign's, which no model reads surely: the test would cost bench:ocr's memes 10-15% more) read with the
 * first model alone (readAll with it), when the
 * longest line of its heaviest band reads surely with it (SURE_ALONE), and so does the whole text (each
 * line at least WHOLE_SURE: a line in another script reads below it, bench:ocr's Cyrillic and Arabic
 * sample lines read by eng at 66 at most); null otherwise, and readAll reads it with every model. The
 * other models cost most words a try each: bench:ocr-checks' caption photo (five English lines) costs
 * tesseract 111 ms of CPU with eng alone, 174 with eng+rus+ara, the same text; a caption in another
 * script costs the one line more.
 */
async function readFirst(
  all: Strip,
  perScript: string[],
  languages: string[],
  read: Read,
  img: GreyImage,
): Promise<Reading | null> {
  const first = perScript[0];
  if (!first || perScript.length < 2) return null;
  const band = all.bands.reduce((a, b) => (b.ink > a.ink ? b : a));
  const probed = probeLine(img, band);
  // Not read again inverted: a test of the model, not the text (a meme's unsure line would cost twice).
  const probe = await read(strip(img, [probed]), [first], 'ocr_script', false);
  if (confidence(probe) < SURE_ALONE) return null;
  // The probe's reading is kept (it read its line surely): the rest of the picture is read without it,
  // its band cut between the probe's line and its neighbours (halfway across the gaps between them).
  // bench:ocr-checks' caption photo (five English lines): tesseract 133-139 -> 110-111 ms of CPU, the same
  // lines but for its last, unsure one (a photo credit at 62: "David’ Ried" -> "david Ried").
  const runs = lineRuns(img, band);
  const i = runs.findIndex((r) => r.y0 < probed.y1 && r.y1 > probed.y0);
  const run = runs[i];
  let lines: CleanLine[];
  if (!run) lines = await read(all, [first], 'ocr');
  else {
    const prev = runs[i - 1];
    const next = runs[i + 1];
    const rest = all.bands.flatMap((b): Band[] => {
      if (b !== band) return [b];
      const cut: Band[] = [];
      if (prev) cut.push({ ...b, y1: Math.floor((prev.y1 + run.y0) / 2) });
      if (next) cut.push({ ...b, y0: Math.floor((run.y1 + next.y0) / 2) + 1 });
      return cut;
    });
    lines = [...probe, ...(rest.length > 0 ? await read(strip(img, rest), [first], 'ocr') : [])];
    // Each line's band in `all`: the one its middle row is in (its box is in the page's rows).
    for (const l of lines) {
      const mid = l.box.y + l.box.height / 2;
      const k = all.bands.findIndex((b) => mid < b.y1);
      l.band = k < 0 ? all.bands.length - 1 : k;
    }
    lines.sort((a, b) => a.band - b.band || a.box.y - b.box.y);
  }
  const kept = sure(lines);
  if (kept.length === 0 || confidence(kept) < SURE_ALONE || kept.some((l) => l.conf < WHOLE_SURE))
    return null;
  return readAll(all, [first], languages, read, img, kept);
}

/** The picture's size as displayed (after EXIF rotation), which the lines' boxes are in. */
function uprightSize(meta: Metadata): { width: number; height: number } {
  const turned = (meta.orientation ?? 1) >= 5;
  return {
    width: (turned ? meta.height : meta.width) ?? 1,
    height: (turned ? meta.width : meta.height) ?? 1,
  };
}

/**
 * The first reading with the lines of `redo` replaced by the second reading's line over the same rows
 * (and the second's lines over rows the first read nothing on), unless the first line has an @handle the
 * second lost (and those the second reading has nothing over). In reading order.
 */
function replaceLines(first: CleanLine[], redo: CleanLine[], second: CleanLine[]): CleanLine[] {
  const overlap = (a: CleanLine, b: CleanLine) =>
    Math.min(a.box.y + a.box.height, b.box.y + b.box.height) - Math.max(a.box.y, b.box.y);
  // The rows two lines share, over the rows either covers: a tall first-reading line (an avatar read
  // as "@" beside a name makes the name's box span the @handle line under it too) overlaps the handle
  // line as much as the handle line's own first reading does, but covers far more rows beside it.
  const span = (a: CleanLine, b: CleanLine) =>
    overlap(a, b) / (Math.max(a.box.y + a.box.height, b.box.y + b.box.height) - Math.min(a.box.y, b.box.y));
  const out = first.filter((l) => !redo.includes(l));
  const kept = new Set<CleanLine>();
  for (const l of second) {
    const old = first
      .filter((f) => f.band === l.band && overlap(f, l) > 0)
      .sort((a, b) => span(l, b) - span(l, a))[0];
    if (old && !redo.includes(old)) continue;
    const handles = (t: string) => findInText(t).handles;
    if (old && handles(old.text).some((h) => !handles(l.text).includes(h))) kept.add(old);
    else out.push(l);
  }
  for (const l of redo)
    if (kept.has(l) || !second.some((s) => s.band === l.band && overlap(s, l) > 0)) out.push(l);
  return out.sort((a, b) => a.band - b.band || a.box.y - b.box.y);
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

/** RGB pixels, 3 bytes each, rows without padding (the analysis' decoded picture). */
type RGB = { data: Uint8Array; width: number; height: number };

/** The header's crops (rereadHeader) of the picture `pixels` are, made grey here (greyRegion). */
const greyCrop = (pixels: RGB) => (box: { left: number; top: number; width: number; height: number }) =>
  greyRegion(pixels, box.left, box.top, box.left + box.width, box.top + box.height);

async function grey(img: Sharp): Promise<GreyImage> {
  const { data, info } = await img.raw().toBuffer({ resolveWithObject: true });
  // greyscale() gives one channel, but an alpha channel would make two: keep the first.
  if (info.channels === 1) return { data, width: info.width, height: info.height };
  const out = Buffer.alloc(info.width * info.height);
  for (let i = 0; i < out.length; i++) out[i] = data[i * info.channels] as number;
  return { data: out, width: info.width, height: info.height };
}

/** Rows of the OCR-scaled picture (a band of text lines) and where they sit in a strip. */
interface Band {
  x0: number;
  x1: number;
  y0: number;
  y1: number;
  /** First row of the band in the strip. */
  at: number;
  /** How much text it holds (ink pixels in the thumbnail, or characters): the sample is the heaviest. */
  ink: number;
}

/** Bands of text stacked into one picture for tesseract, and how to find a strip row in the picture. */
export interface Strip {
  img: GreyImage;
  bands: Band[];
  /** Column of the picture the strip's column 0 is. */
  x0: number;
}

/** White rows between two bands in a strip, in OCR-scale pixels (tesseract must see separate lines). */
const STRIP_GAP = 16;

/**
 * The grey picture tesseract reads: scaled so the detector's median glyph height becomes TARGET_GLYPH
 * (small screenshot text is enlarged up to MAX_UPSCALE, huge lettering reduced), within `maxPixels`,
 * cleaned up (screenshots as distances from their background, light captions thresholded), and cut down
 * to the bands of rows where the detector found lines, stacked into a strip: the photo of a post, the
 * texture around a sign never reach tesseract (its layout analysis takes such pages for pictures, and
 * reading them costs time for nothing).
 */
async function forOcr(
  base: () => Sharp,
  size: { width: number; height: number },
  thumb: GreyImage,
  d: TextDetection,
  maxPixels: number,
  /**
   * The decoded pixels `base` makes its picture from (each crop of scaledRows decodes no file, and is
   * made grey here: greyRegion).
   */
  decoded?: RGB,
): Promise<{ img: GreyImage; bands: Band[]; scale: number; flat: boolean; light: boolean }> {
  const { width: w, height: h } = size;
  const glyph = d.glyph_height * (w / Math.max(1, d.width));
  let scale = glyph > 0 ? Math.min(MAX_UPSCALE, TARGET_GLYPH / glyph) : 1;
  // Letters of AS_IS_GLYPH or more are not enlarged (see there).
  if (glyph >= AS_IS_GLYPH) scale = Math.min(scale, 1);
  scale = Math.min(scale, Math.sqrt(maxPixels / (w * h)));
  const width = Math.max(1, Math.round(w * scale));
  const kernel = scale > 1 ? 'cubic' : 'lanczos3';
  const k = width / d.width;
  const flat = d.background >= FLAT_BACKGROUND;
  // A screenshot's runs of inked rows (inkRows), the only rows of it tesseract is given.
  const runs = flat ? inkRows(thumb, d.background_level) : [];
  const height = Math.round(h / (w / width));
  const toBand = (b: TextBox, within = { width, height }) => ({
    // A screenshot's lines span its width (the detector may miss a short word at either end; the
    // background costs tesseract nothing); elsewhere a line is widened by a glyph height each side.
    x0: flat ? 0 : Math.max(0, Math.floor((b.x - b.height) * k)),
    x1: flat ? within.width : Math.min(within.width, Math.ceil((b.x + b.width + b.height) * k)),
    y0: Math.max(0, Math.floor((b.y - b.height * 0.5) * k)),
    y1: Math.min(within.height, Math.ceil((b.y + b.height * 1.5) * k)),
    at: 0,
    ink: b.width / Math.max(1, b.glyph),
  });
  // Elsewhere (a photo with a caption, a sign) the detector's lines are the only rows tesseract is
  // given, with the neighbourhood binarizeLight compares their pixels with: the rest of the photo is
  // not scaled either, when the picture is the analysis' decoded pixels (bench:ocr-checks' caption
  // photo: readText's Node CPU 53-56 -> 38-39 ms, the same lines and boxes); from the file's bytes each
  // group of rows would decode it again (bench:ocr's memes, read from their bytes, a caption at the top
  // and at the bottom: 73-77 -> 87-93 ms).
  const margin = caption(d) ? BINARIZE_WINDOW + 1 : 0;
  const lines = !flat && decoded ? d.boxes.map((b) => toBand(b)) : [];
  const rows = flat
    ? runs.map((r) => ({ y0: Math.floor(r.y0 * k), y1: Math.ceil(r.y1 * k) }))
    : lines.map((b) => ({ y0: b.y0 - margin, y1: b.y1 + margin }));
  // ...and of those rows only the columns of the lines (with that neighbourhood): tesseract is given
  // the lines' columns alone (strip), and the rest stays white, as the rows outside them.
  const cols =
    lines.length > 0
      ? lines.reduce((c, b) => ({ x0: Math.min(c.x0, b.x0 - margin), x1: Math.max(c.x1, b.x1 + margin) }), {
          x0: width,
          x1: 0,
        })
      : undefined;
  const scaled =
    rows.length > 0 ? await scaledRows(base, { width, height }, kernel, rows, cols, decoded) : null;
  let img = scaled?.img ?? (await grey(base().resize(width, null, { kernel })));
  // Light letters on a photo (captions, signs): tesseract's global threshold cannot separate white
  // letters from a bright, busy photo, so the picture is thresholded here against each pixel's
  // neighbourhood (the detector's test, at OCR scale), as dark letters on white.
  if (caption(d)) {
    // Each line's glyph height at this scale, for despeckle.
    const bands = d.boxes.map((b) => ({ ...toBand(b, img), glyph: b.glyph * k }));
    img = despeckle(binarizeLight(img, bands), bands);
  } else img = flatten(img, d, k, scaled?.rows);
  if (flat) {
    // A screenshot: every run of rows with ink on the background, whatever the detector made of it
    // (Arabic's joined letters are not glyph-shaped components; a muted @handle line may be too faint);
    // the rows of a photo in it are left out.
    const rows = runs.map((r) => ({
      x0: 0,
      x1: img.width,
      y0: Math.max(0, Math.floor(r.y0 * k)),
      y1: Math.min(img.height, Math.ceil(r.y1 * k)),
      at: 0,
      ink: r.ink,
    }));
    if (rows.length > 0) return { img, bands: rows, scale: img.width / w, flat, light: false };
  }
  return { img, bands: d.boxes.map((b) => toBand(b, img)), scale: img.width / w, flat, light: caption(d) };
}

/** Rows between two runs of a screenshot below which scaledRows scales them together. */
const ROWS_APART = 32;

/**
 * `base` scaled to `size.width` (as `resize(width)` scales it: `size.height` is its height) with only
 * `rows` (at that scale) computed, and those rows (merged, `rows`), the rest of the picture white (what
 * flatten makes of the background, so it maps only these rows): libvips computes what a crop
 * of the scaled picture needs, so each group of rows is a scaled picture cropped (the same bytes as the
 * whole picture's rows). A screenshot's photo and margins are not scaled for nothing (bench:ocr-stages:
 * the page's preparation was ~30 ms of CPU, most of it scaling); null when a crop fails (the caller
 * scales the whole picture).
 */
async function scaledRows(
  base: () => Sharp,
  size: { width: number; height: number },
  kernel: 'cubic' | 'lanczos3',
  rows: { y0: number; y1: number }[],
  /** The only columns computed (the rest white too); all when absent. */
  cols?: { x0: number; x1: number },
  /**
   * The 8-bit RGB pixels `base` makes grey, whole: at their size, each group of rows is made grey here
   * from them (greyRegion) without a sharp pipeline; scaled, sharp gives one band ('b-w': its default
   * sRGB output made three bands of the grey to keep the first, the same bytes for all 256 greys).
   */
  rgb?: RGB,
): Promise<{ img: GreyImage; rows: { y0: number; y1: number }[] } | null> {
  const { width, height } = size;
  const left = Math.max(0, Math.min(width - 1, cols?.x0 ?? 0));
  const right = Math.max(left + 1, Math.min(width, cols?.x1 ?? width));
  const groups: { y0: number; y1: number }[] = [];
  for (const r of [...rows].sort((a, b) => a.y0 - b.y0)) {
    const y0 = Math.max(0, r.y0);
    const y1 = Math.min(height, r.y1);
    if (y1 <= y0) continue;
    const last = groups[groups.length - 1];
    if (last && y0 - last.y1 < ROWS_APART) last.y1 = Math.max(last.y1, y1);
    else groups.push({ y0, y1 });
  }
  const data = Buffer.alloc(width * height, 255);
  const asIs = rgb && rgb.width === width && rgb.height === height;
  const scaled = () =>
    rgb
      ? base().resize(width, null, { kernel }).toColourspace('b-w')
      : base().resize(width, null, { kernel });
  try {
    for (const g of groups) {
      const part =
        rgb && asIs
          ? greyRegion(rgb, left, g.y0, right, g.y1)
          : await grey(scaled().extract({ left, top: g.y0, width: right - left, height: g.y1 - g.y0 }));
      if (part.width !== right - left || part.height !== g.y1 - g.y0) return null;
      if (part.width === width) part.data.copy(data, g.y0 * width);
      else
        for (let y = 0; y < part.height; y++)
          part.data.copy(data, (g.y0 + y) * width + left, y * part.width, (y + 1) * part.width);
    }
  } catch {
    return null;
  }
  return { img: { data, width, height }, rows: groups };
}

/** How far from the background level a thumbnail pixel is ink, and within which it is background. */
const INK = 40;
const BACKGROUND_NEAR = 24;

/**
 * Runs of a screenshot's thumbnail rows that hold ink on the background (lines of text, icons), each
 * widened by 2 rows and with its count of ink pixels; rows mostly not background (a photo) are no run.
 */
function inkRows(thumb: GreyImage, bg: number): { y0: number; y1: number; ink: number }[] {
  const { data, width: w, height: h } = thumb;
  const runs: { y0: number; y1: number; ink: number }[] = [];
  let run: { y0: number; y1: number; ink: number } | null = null;
  for (let y = 0; y < h; y++) {
    let ink = 0;
    let near = 0;
    for (let x = 0, p = y * w; x < w; x++, p++) {
      const d = Math.abs((data[p] as number) - bg);
      if (d > INK) ink++;
      else if (d <= BACKGROUND_NEAR) near++;
    }
    if (ink > 0 && near >= w / 2) {
      if (run && y - run.y1 <= 2) {
        run.y1 = y + 1;
        run.ink += ink;
      } else {
        if (run) runs.push(run);
        run = { y0: y, y1: y + 1, ink };
      }
    }
  }
  if (run) runs.push(run);
  return runs.map((r) => ({ y0: Math.max(0, r.y0 - 2), y1: Math.min(h, r.y1 + 2), ink: r.ink }));
}

/** Overlapping bands merged, in reading order (top to bottom), copied one under the other. */
function strip(img: GreyImage, found: Band[]): Strip {
  const sorted = [...found].sort((a, b) => a.y0 - b.y0);
  const bands: Band[] = [];
  for (const b of sorted) {
    const last = bands[bands.length - 1];
    if (last && b.y0 <= last.y1) {
      last.y1 = Math.max(last.y1, b.y1);
      last.x0 = Math.min(last.x0, b.x0);
      last.x1 = Math.max(last.x1, b.x1);
      last.ink += b.ink;
    } else bands.push({ ...b });
  }
  const x0 = Math.min(...bands.map((b) => b.x0));
  const x1 = Math.max(...bands.map((b) => b.x1));
  const w = Math.max(1, x1 - x0);
  let rows = STRIP_GAP;
  for (const b of bands) {
    b.at = rows;
    rows += b.y1 - b.y0 + STRIP_GAP;
  }
  const out = Buffer.alloc(w * rows, 255);
  for (const b of bands) {
    for (let y = b.y0; y < b.y1; y++) {
      const from = y * img.width;
      img.data.copy(out, (b.at + y - b.y0) * w + (b.x0 - x0), from + b.x0, from + b.x1);
    }
  }
  return { img: { data: out, width: w, height: rows }, bands, x0 };
}

/**
 * A picture on a flat background (a screenshot): each pixel becomes its distance from the background
 * colour, dark on white. Tesseract thresholds a page with one global level, which in dark mode falls
 * between the grey of a handle and the white of the text and drops the handle's line; measured from the
 * background, every text colour is dark. The detector's blobs (avatars, icons) are painted over too:
 * beside two lines of text they make tesseract merge the lines.
 */
function flatten(
  img: GreyImage,
  d: TextDetection,
  k: number,
  /** The only rows not white yet (scaledRows'): the others are left as they are. */
  rows?: { y0: number; y1: number }[],
): GreyImage {
  if (d.background < FLAT_BACKGROUND) return img;
  const { data, width: w, height: h } = img;
  const bg = d.background_level;
  const gain = stretchGain(bg);
  // Through a table of the 256 greys: the same values, a third of the page's preparation less.
  const table = new Uint8Array(256);
  for (let v = 0; v < 256; v++) table[v] = 255 - Math.min(255, Math.round(Math.abs(v - bg) * gain));
  for (const r of rows ?? [{ y0: 0, y1: h }])
    for (let i = r.y0 * w, end = r.y1 * w; i < end; i++) data[i] = table[data[i] as number] as number;
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

/**
 * Light letters inside `bands` become black on white; everything else white. Linear (an integral image).
 * Only the rows of the bands and their neighbourhoods are summed (an integral image of each run of such
 * rows: the same whole-number sums, so the same pixels), not the whole picture: a caption's bands are
 * a few rows of it, and elsewhere (scaledRows) the picture is white.
 */
export function binarizeLight(
  img: GreyImage,
  bands: { x0: number; y0: number; x1: number; y1: number }[],
): GreyImage {
  const { data, width: w, height: h } = img;
  const out = Buffer.alloc(w * h, 255);
  const keep = new Uint8Array(w * h);
  const r = BINARIZE_WINDOW;
  // The runs of rows the bands' pixels read: each band's rows and `r` rows above and below.
  const spans: { y0: number; y1: number }[] = [];
  for (const b of [...bands].sort((a, c) => a.y0 - c.y0)) {
    const y0 = Math.max(0, b.y0);
    const y1 = Math.min(h, b.y1);
    if (y1 <= y0 || Math.min(w, b.x1) <= Math.max(0, b.x0)) continue;
    for (let y = y0; y < y1; y++) keep.fill(1, y * w + Math.max(0, b.x0), y * w + Math.min(w, b.x1));
    const last = spans[spans.length - 1];
    const s0 = Math.max(0, y0 - r);
    const s1 = Math.min(h, y1 + r + 1);
    if (last && s0 <= last.y1) last.y1 = Math.max(last.y1, s1);
    else spans.push({ y0: s0, y1: s1 });
  }
  for (const span of spans) {
    const rows = span.y1 - span.y0;
    const integ = integralImage({ data: data.subarray(span.y0 * w, span.y1 * w), width: w, height: rows });
    // A kept pixel's neighbourhood is within its band's span.
    for (let y = span.y0; y < span.y1; y++) {
      const ya = Math.max(0, y - r);
      const yb = Math.min(h, y + r + 1);
      for (let x = 0; x < w; x++) {
        if (!keep[y * w + x]) continue;
        const xa = Math.max(0, x - r);
        const xb = Math.min(w, x + r + 1);
        const mean = boxSum(integ, w, xa, ya - span.y0, xb, yb - span.y0) / ((yb - ya) * (xb - xa));
        if ((data[y * w + x] as number) > mean + BINARIZE_CONTRAST) out[y * w + x] = 0;
      }
    }
  }
  return { data: out, width: w, height: h };
}

/**
 * The ink of a binarized caption (binarizeLight) that is not its letters made white, band by band: the
 * photo's bright texture passes the neighbourhood test too, as specks and blobs around and between the
 * letters, and tesseract then reads them as letters or loses the line (bench:ocr's memes, white letters
 * on a door and on trees: "BUT THE PHOTO IS REAL" not read at all). In each band, the 8-connected pieces
 * of ink about a glyph high (DESPECKLE_GLYPH times the detector's glyph height, at this scale) are the
 * letters; the line's rows are their median top and bottom. Kept: those letters that reach into the
 * line's rows, and smaller pieces (dots, accents, punctuation) of at least (glyph / 8)² pixels within the
 * line's rows widened by 0.6 glyph above and 0.4 below and at most a quarter glyph from a letter. A band
 * with no letter-sized piece is left as it is.
 */
export function despeckle(
  img: GreyImage,
  bands: { x0: number; y0: number; x1: number; y1: number; glyph: number }[],
): GreyImage {
  const { data, width: w, height: h } = img;
  const seen = new Uint8Array(w * h);
  const stack: number[] = [];
  for (const b of bands) {
    const x0 = Math.max(0, b.x0);
    const x1 = Math.min(w, b.x1);
    const y0 = Math.max(0, b.y0);
    const y1 = Math.min(h, b.y1);
    const g = b.glyph;
    if (x1 <= x0 || y1 <= y0 || !(g > 0)) continue;
    // The band's pieces of ink: each one's box and pixels.
    const pieces: { x0: number; x1: number; y0: number; y1: number; px: number[] }[] = [];
    for (let y = y0; y < y1; y++)
      for (let x = x0; x < x1; x++) {
        const p = y * w + x;
        if (seen[p] || (data[p] as number) !== 0) continue;
        const piece = { x0: x, x1: x, y0: y, y1: y, px: [] as number[] };
        seen[p] = 1;
        stack.push(p);
        while (stack.length > 0) {
          const q = stack.pop() as number;
          piece.px.push(q);
          const qx = q % w;
          const qy = (q - qx) / w;
          if (qx < piece.x0) piece.x0 = qx;
          if (qx > piece.x1) piece.x1 = qx;
          if (qy < piece.y0) piece.y0 = qy;
          if (qy > piece.y1) piece.y1 = qy;
          for (let dy = -1; dy <= 1; dy++)
            for (let dx = -1; dx <= 1; dx++) {
              const nx = qx + dx;
              const ny = qy + dy;
              if (nx < x0 || nx >= x1 || ny < y0 || ny >= y1) continue;
              const n = ny * w + nx;
              if (!seen[n] && (data[n] as number) === 0) {
                seen[n] = 1;
                stack.push(n);
              }
            }
        }
        pieces.push(piece);
      }
    const high = (c: { y0: number; y1: number }) => c.y1 - c.y0 + 1;
    const letters = pieces.filter(
      (c) => high(c) >= g * DESPECKLE_GLYPH[0] && high(c) <= g * DESPECKLE_GLYPH[1] && c.x1 - c.x0 < g * 4,
    );
    if (letters.length === 0) continue;
    const median = (v: number[]) => v.sort((a, c) => a - c)[v.length >> 1] as number;
    const top = median(letters.map((c) => c.y0));
    const bottom = median(letters.map((c) => c.y1));
    const keep = new Set(letters.filter((c) => c.y1 >= top && c.y0 <= bottom));
    const near = [...keep];
    for (const c of pieces) {
      if (keep.has(c) || high(c) >= g * DESPECKLE_GLYPH[0] || c.px.length < (g * g) / 64) continue;
      if (c.y0 < top - g * 0.6 || c.y1 > bottom + g * 0.4) continue;
      if (near.some((l) => c.x0 <= l.x1 + g / 4 && c.x1 >= l.x0 - g / 4)) keep.add(c);
    }
    for (const c of pieces) if (!keep.has(c)) for (const p of c.px) data[p] = 255;
  }
  return img;
}

/** Heights (shares of the detector's glyph height) of a caption's pieces of ink taken for letters (despeckle). */
const DESPECKLE_GLYPH = [0.5, 2] as const;

/** Without the lines tesseract read from texture (low confidence). */
const sure = (lines: CleanLine[]) => lines.filter((l) => l.conf >= MIN_LINE_CONFIDENCE);

interface CleanLine {
  text: string;
  conf: number;
  box: OcrLine['box'];
  /** Index of the strip band the line was read in. */
  band: number;
}

/**
 * Lines as text, without the ones with no letter or digit, with their boxes moved from the strip back to
 * the OCR-scale picture. Lines tesseract is unsure of are kept (their confidence tells whether the model
 * fits the script: `confidence`); `sure` drops them.
 */
function clean(lines: OcrLine[], from: Strip): CleanLine[] {
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
    if (!/[\p{L}\p{N}]/u.test(text)) continue;
    const mid = l.box.y + l.box.height / 2;
    let i = from.bands.findIndex((b) => mid < b.at + b.y1 - b.y0 + STRIP_GAP / 2);
    if (i < 0) i = from.bands.length - 1;
    const band = from.bands[i];
    if (!band) continue;
    const dy = band.y0 - band.at;
    out.push({ text, conf, box: { ...l.box, x: l.box.x + from.x0, y: l.box.y + dy }, band: i });
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
