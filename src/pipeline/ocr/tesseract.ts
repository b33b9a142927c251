// Tesseract (Debian's tesseract-ocr 5) as a bounded child process, like the video decoder: killed at a
// time limit, an address-space limit, a cap on its TSV output, one thread (OMP_THREAD_LIMIT=1: a check's
// cost stays predictable on a shared machine). The picture goes in on stdin as a PGM (no file on disk,
// no encoding cost); words come back as TSV with their boxes and confidences.
// Chosen over tesseract.js: the same engine natively (no WASM), the language data from Debian's packages
// (never fetched at run time), and a separate process that a hostile image cannot take the worker down with.
import { OcrError } from '../../errors.js';
import { runBounded, ToolMissingError } from '../video/run.js';
import { readWithServer, tessServePath } from './engine.js';

export interface TesseractOptions {
  /** Program to run (a name on PATH or a full path). */
  path: string;
  timeoutMs: number;
  memoryMb: number;
  /** Largest TSV accepted, in bytes (a page of tiny glyphs makes megabytes of it). */
  maxOutputBytes: number;
  /**
   * Read with a tess-serve process kept running between pictures (engine.ts: the models are loaded once)
   * when it is built; false, or not built: one `path` command per reading.
   */
  server?: boolean;
}

export interface OcrWord {
  text: string;
  /** Tesseract's confidence, 0-100. */
  conf: number;
  box: Box;
}

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface OcrLine {
  words: OcrWord[];
  box: Box;
}

/** A grey picture: one byte per pixel, row by row. */
export interface GreyImage {
  data: Buffer;
  width: number;
  height: number;
}

const pgm = (img: GreyImage) =>
  Buffer.concat([Buffer.from(`P5\n${img.width} ${img.height}\n255\n`), img.data]);

/**
 * Reads the lines of `img` with the given tesseract languages (e.g. ['eng', 'rus']). Throws OcrError:
 * `ocr_tools_missing`, `ocr_timeout`, `ocr_output_too_large`, `ocr_failed`.
 */
export async function recognize(
  img: GreyImage,
  languages: string[],
  opts: TesseractOptions,
  /** Page segmentation: 3 = find the layout (screenshots, pages), 6 = one block of lines (masked captions). */
  psm: 3 | 6 = 3,
  /**
   * Whether tesseract reads its unsure lines a second time on the inverted picture (tessedit_do_invert,
   * its default). False for dark letters on white (a screenshot as ocr/index.ts prepares it), where that
   * never reads better: ~5% of tesseract's CPU on bench:ocr's screenshots, the same text. Light captions
   * keep it (bench:ocr's memes read worse without it: CER 0.849 -> 0.898).
   */
  invert = true,
): Promise<OcrLine[]> {
  const serve = opts.server ? tessServePath() : null;
  if (serve) return parseTsv(await readWithServer(serve, img, languages.join('+'), psm, opts, invert));
  const chunks: Buffer[] = [];
  let r;
  try {
    r = await runBounded(
      opts.path,
      [
        'stdin',
        'stdout',
        '-l',
        languages.join('+'),
        '--psm',
        String(psm),
        ...(invert ? [] : ['-c', 'tessedit_do_invert=0']),
        'tsv',
      ],
      {
        timeoutMs: opts.timeoutMs,
        memoryMb: opts.memoryMb,
        maxStdoutBytes: opts.maxOutputBytes,
        maxStderrBytes: 16 * 1024,
        threads: 1,
        env: { OMP_THREAD_LIMIT: '1' },
        stdin: pgm(img),
      },
      (chunk) => {
        chunks.push(chunk);
      },
    );
  } catch (err) {
    if (err instanceof ToolMissingError) throw new OcrError('ocr_tools_missing', err.message);
    throw new OcrError('ocr_failed', (err as Error).message, { cause: err });
  }
  if (r.killed === 'timeout') throw new OcrError('ocr_timeout');
  if (r.killed === 'output_cap') throw new OcrError('ocr_output_too_large');
  if (r.code !== 0) {
    const why = r.stderr.trim().split('\n').slice(-2).join(' ').slice(0, 300);
    throw new OcrError('ocr_failed', `tesseract ended with ${r.signal ?? `status ${r.code}`}: ${why}`);
  }
  return parseTsv(Buffer.concat(chunks).toString('utf8'));
}

/**
 * Tesseract's TSV: one row per page, block, paragraph, line (level 4) and word (level 5), with
 * `left top width height conf text`. Words are grouped under their line, in tesseract's reading order.
 */
export function parseTsv(tsv: string): OcrLine[] {
  const lines = new Map<string, OcrLine>();
  for (const row of tsv.split('\n')) {
    const f = row.split('\t');
    if (f.length < 12 || f[0] === 'level') continue;
    const level = Number(f[0]);
    const box = { x: Number(f[6]), y: Number(f[7]), width: Number(f[8]), height: Number(f[9]) };
    const key = `${f[1]}.${f[2]}.${f[3]}.${f[4]}`;
    if (level === 4) lines.set(key, { words: [], box });
    if (level !== 5) continue;
    const text = (f.slice(11).join('\t') || '').replace(/[\u200e\u200f]/g, '').trim();
    const conf = Number(f[10]);
    if (!text || !(conf >= 0)) continue;
    let line = lines.get(key);
    if (!line) lines.set(key, (line = { words: [], box }));
    line.words.push({ text, conf, box });
  }
  return [...lines.values()].filter((l) => l.words.length > 0);
}

const infoCache = new Map<string, Promise<{ version: string; languages: string[] } | null>>();

/**
 * Installed version and languages, or null when tesseract cannot be run. Asked once per process and
 * program path (installing tesseract or a language needs a restart to be noticed, as with ffmpeg).
 */
export function tesseractInfo(path: string): Promise<{ version: string; languages: string[] } | null> {
  let found = infoCache.get(path);
  if (!found) {
    found = askTesseract(path);
    infoCache.set(path, found);
  }
  return found;
}

async function askTesseract(path: string): Promise<{ version: string; languages: string[] } | null> {
  const run = async (args: string[]) => {
    let out = '';
    const r = await runBounded(
      path,
      args,
      { timeoutMs: 10_000, memoryMb: 0, maxStdoutBytes: 64 * 1024 },
      (c) => {
        out += c.toString('utf8');
      },
    );
    return r.code === 0 ? out + r.stderr : null;
  };
  try {
    const v = await run(['--version']);
    const l = await run(['--list-langs']);
    if (v === null || l === null) return null;
    const languages = l
      .split('\n')
      .slice(1)
      .map((s) => s.trim())
      .filter((s) => /^[a-z_]+$/i.test(s));
    return { version: /tesseract\s+(\S+)/.exec(v)?.[1] ?? 'unknown', languages };
  } catch (err) {
    if (err instanceof ToolMissingError) return null;
    throw err;
  }
}
