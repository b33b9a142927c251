// The words in a video: its keyframes (the distinct scenes video analysis keeps, analyze.ts) read as
// pictures are (src/pipeline/ocr/): the text detector looks at each, and OCR reads those it flags, at
// most `maxRead` of them, in order, so a long video of captions costs a bounded number of tesseract
// runs. The readings become one `text`: each line once, with the time of the keyframe it was first read
// in (a caption held over several scenes is one line), and the links, handles and dates of the whole.
// Each keyframe's own reading is kept beside it: a keyframe may show a screenshot of a post, which is
// traced as a picture's is (src/pipeline/screenshot/).
import sharp from 'sharp';
import type { TextInImage, TextLine } from '../../../schemas/text.js';
import { readText, type OcrOptions } from '../ocr/index.js';
import { findInText } from '../ocr/found.js';
import type { KeyframePixels } from './analyze.js';

const MAX_TEXT = 20_000;
const MAX_LINES = 500;

/** A line's identity across keyframes: its letters and digits, lower case. */
const lineKey = (s: string) => s.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, '');

export interface KeyframesText {
  /** The video's words: every keyframe's lines, each once. */
  text: TextInImage;
  /** Each keyframe read, in order, with its own reading (boxes in its pixels). */
  frames: Array<{ timestamp: number; text: TextInImage }>;
}

export async function readKeyframesText(
  frames: readonly KeyframePixels[],
  ocr: OcrOptions,
  maxRead: number,
  timings: Record<string, number> = {},
): Promise<KeyframesText> {
  const readings: Array<{ frame: KeyframePixels; text: TextInImage }> = [];
  let read = 0;
  for (const frame of frames) {
    if (read >= maxRead) break;
    // PNG without compression effort: the bytes only cross to readText, which decodes them again.
    const png = await sharp(frame.rgb, { raw: { width: frame.width, height: frame.height, channels: 3 } })
      .png({ compressionLevel: 0 })
      .toBuffer();
    const text = await readText(png, ocr, timings);
    if (text.status !== 'no_text') read++;
    readings.push({ frame, text });
  }
  return {
    text: merge(readings, { total: frames.length, looked_at: readings.length, read }),
    frames: readings
      .filter((r) => r.text.status === 'read')
      .map((r) => ({ timestamp: r.frame.timestamp, text: r.text })),
  };
}

function merge(
  readings: Array<{ frame: KeyframePixels; text: TextInImage }>,
  keyframes: NonNullable<TextInImage['keyframes']>,
): TextInImage {
  const sum = (k: 'lines' | 'glyphs') => readings.reduce((n, r) => n + r.text.detector[k], 0);
  const detector = { lines: sum('lines'), glyphs: sum('glyphs') };
  const texts = readings.map((r) => r.text);
  const ok = readings.filter((r) => r.text.status === 'read');
  const base = {
    detector,
    engine: texts.find((x) => x.engine)?.engine ?? null,
    models: [...new Set(ok.flatMap((r) => r.text.models))].slice(0, 50),
    keyframes,
  };
  if (!ok.length) {
    // Nothing read: the most telling status of the keyframes (a failure over "empty" over "no text").
    const worst =
      texts.find((x) => x.status === 'error') ??
      texts.find((x) => x.status === 'unavailable') ??
      texts.find((x) => x.status === 'empty');
    return {
      ...base,
      status: worst?.status ?? 'no_text',
      ...(worst?.error && { error: worst.error }),
      script: null,
      languages: [],
      lines: [],
      text: '',
      found: { links: [], handles: [], dates: [], times: [] },
    };
  }
  const seen = new Set<string>();
  const lines: TextLine[] = [];
  for (const { frame, text } of ok) {
    for (const l of text.lines) {
      const key = lineKey(l.text);
      if (!key || seen.has(key) || lines.length >= MAX_LINES) continue;
      seen.add(key);
      lines.push({ ...l, timestamp: frame.timestamp });
    }
  }
  const all = lines
    .map((l) => l.text)
    .join('\n')
    .slice(0, MAX_TEXT);
  const scripts = ok.map((r) => r.text.script).filter((s): s is string => !!s);
  return {
    ...base,
    status: 'read',
    script: mostCommon(scripts),
    languages: [...new Set(ok.flatMap((r) => r.text.languages))].slice(0, 50),
    lines,
    text: all,
    found: findInText(all),
  };
}

function mostCommon(xs: string[]): string | null {
  const counts = new Map<string, number>();
  for (const x of xs) counts.set(x, (counts.get(x) ?? 0) + 1);
  let best: string | null = null;
  for (const [x, n] of counts) if (best === null || n > (counts.get(best) ?? 0)) best = x;
  return best;
}
