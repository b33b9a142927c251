// What the OCR tests share: the options they read with (OCR on; a time limit a loaded 2-core machine does
// not reach, unless a test gives its own: the bound itself is tested in test/pipeline/ocr/hostile.test.ts),
// the skip reason when tesseract is not installed, and an OCR reading built from given lines (for the
// tests of what is made of a reading, which need no tesseract).
import type { TextInImage } from '../../schemas/text.js';
import { loadConfig } from '../../src/config.js';
import { findInText } from '../../src/pipeline/ocr/found.js';
import type { OcrOptions } from '../../src/pipeline/ocr/index.js';
import { tesseractInfo } from '../../src/pipeline/ocr/tesseract.js';

/** OCR options as the service builds them with OCR on; `env` overrides the time limit and the rest. */
export function ocrOptions(env: Record<string, string> = {}): OcrOptions {
  const config = loadConfig({ OCR_ENABLED: 'true', OCR_TIMEOUT_MS: '120000', ...env });
  return { ...(config.ocr as NonNullable<typeof config.ocr>), maxInputPixels: config.maxInputPixels };
}

/** tap's `skip` for tests that run tesseract: false when it is installed, else why not. */
export async function skipWithoutTesseract(path = ocrOptions().path): Promise<false | string> {
  return (await tesseractInfo(path)) ? false : 'tesseract is not installed (sh scripts/setup-ocr.sh)';
}

/** An OCR reading of `lines`, one under another (40 px apart), each read at `confidence`. */
export function reading(lines: string[], confidence = 90): TextInImage {
  const text = lines.join('\n');
  return {
    status: 'read',
    detector: { lines: lines.length, glyphs: text.length },
    engine: 'tesseract 5',
    models: ['eng'],
    script: 'Latin',
    languages: ['eng'],
    lines: lines.map((l, i) => ({
      text: l,
      box: { x: 10, y: 10 + 40 * i, width: 500, height: 30 },
      confidence,
    })),
    text,
    found: findInText(text),
  };
}
