// tess-serve, tesseract kept running between pictures (src/pipeline/ocr/engine.ts): it reads what the
// tesseract command reads, byte for byte, and keeps the command's bounds. The bounds are tested with
// stand-in programs (shell scripts that hang, answer too much, answer nonsense or die), each followed by
// a real reading that works: a process that failed is never used again.
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { loadConfig } from '../../../src/config.js';
import { OcrError } from '../../../src/errors.js';
import { readWithServer, serverPids, tessServePath } from '../../../src/pipeline/ocr/engine.js';
import { parseTsv, recognize, tesseractInfo, type GreyImage } from '../../../src/pipeline/ocr/tesseract.js';

const config = loadConfig({ OCR_ENABLED: 'true', OCR_TIMEOUT_MS: '120000' });
const opts = config.ocr as NonNullable<typeof config.ocr>;
const serve = tessServePath();
const skip = !(await tesseractInfo(opts.path))
  ? 'tesseract is not installed (sh scripts/setup-ocr.sh)'
  : !serve
    ? 'native/tess-serve is not built (sh scripts/setup-ocr.sh)'
    : false;

/** A line of text, dark on white, drawn with the glyphs of a 5x7 pixel font scaled 4x: no font needed. */
function textImage(): GreyImage {
  const FONT: Record<string, string[]> = {
    H: ['10001', '10001', '10001', '11111', '10001', '10001', '10001'],
    E: ['11111', '10000', '10000', '11110', '10000', '10000', '11111'],
    L: ['10000', '10000', '10000', '10000', '10000', '10000', '11111'],
    O: ['01110', '10001', '10001', '10001', '10001', '10001', '01110'],
  };
  const word = 'HELLO HELL HOLE';
  const k = 4;
  const width = (word.length * 6 + 8) * k;
  const height = 15 * k;
  const data = Buffer.alloc(width * height, 255);
  [...word].forEach((ch, i) => {
    const rows = FONT[ch];
    if (!rows) return;
    rows.forEach((row, y) =>
      [...row].forEach((bit, x) => {
        if (bit !== '1') return;
        for (let dy = 0; dy < k; dy++)
          data.fill(
            0,
            ((4 + y) * k + dy) * width + (4 + i * 6 + x) * k,
            ((4 + y) * k + dy) * width + (5 + i * 6 + x) * k,
          );
      }),
    );
  });
  return { data, width, height };
}

const limits = { timeoutMs: 60_000, memoryMb: opts.memoryMb, maxOutputBytes: opts.maxOutputBytes };

t.test('tess-serve reads what the tesseract command reads', { skip }, async (t) => {
  const img = textImage();
  const cli = await recognize(img, ['eng', 'rus'], { ...opts, server: false }, 6);
  const first = await readWithServer(serve as string, img, 'eng+rus', 6, limits);
  const again = await readWithServer(serve as string, img, 'eng+rus', 6, limits);
  t.same(parseTsv(first), cli, 'the same lines, words, boxes and confidences');
  t.equal(again, first, 'and the same again from the running process');
  t.match(cli.map((l) => l.words.map((w) => w.text).join(' ')).join(' '), /HELLO/);
  t.ok(serverPids().length >= 1, 'a process kept running');
  // Without tesseract's second reading of unsure lines inverted (dark-on-white screenshots), alike too.
  const cliNoInvert = await recognize(img, ['eng', 'rus'], { ...opts, server: false }, 6, false);
  const served = await readWithServer(serve as string, img, 'eng+rus', 6, limits, false);
  t.same(parseTsv(served), cliNoInvert, 'without inversion: the same as the command');
});

t.test('a running tess-serve does not load the models again', { skip }, async (t) => {
  const img = textImage();
  await readWithServer(serve as string, img, 'eng+rus+ara', 6, limits);
  const pid = serverPids()[0] as number;
  // CPU time in /proc (user and system, in ticks of 10 ms): the process's own, and that of the waited-for
  // children (the commands) of this one.
  const stat = (who: string) => {
    const s = readFileSync(`/proc/${who}/stat`, 'utf8');
    return s
      .slice(s.lastIndexOf(')') + 2)
      .split(' ')
      .map(Number);
  };
  const ticks = () => {
    const f = stat(String(pid));
    return (f[11] as number) + (f[12] as number);
  };
  const children = () => {
    const f = stat('self');
    return ((f[13] as number) + (f[14] as number)) * 10;
  };
  // The command's CPU time for the same reading (its model loading included), against the running process's.
  const before = ticks();
  for (let i = 0; i < 3; i++) await readWithServer(serve as string, img, 'eng+rus+ara', 6, limits);
  const served = (ticks() - before) * 10;
  const c0 = children();
  for (let i = 0; i < 3; i++) await recognize(img, ['eng', 'rus', 'ara'], { ...opts, server: false }, 6);
  const commands = children() - c0;
  t.ok(served < commands, `3 readings: ${served} ms of CPU in tess-serve, ${commands} ms as commands`);
});

t.test('bounds: hanging, too much output, nonsense and a crash each end one process', { skip }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'firstseen-tess-serve-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const program = (name: string, body: string) => {
    const p = join(dir, name);
    writeFileSync(p, `#!/bin/sh\nread header\n${body}\n`);
    chmodSync(p, 0o755);
    return p;
  };
  const img = textImage();
  const code = (p: Promise<unknown>) =>
    p.then(
      () => 'answered',
      (e: unknown) => (e instanceof OcrError ? e.code : String(e)),
    );
  const hang = program('hang', 'exec sleep 60');
  t.equal(await code(readWithServer(hang, img, 'eng', 6, { ...limits, timeoutMs: 500 })), 'ocr_timeout');
  const big = program('big', 'echo "OK 99999999"; exec sleep 60');
  t.equal(
    await code(readWithServer(big, img, 'eng', 6, { ...limits, maxOutputBytes: 1024 })),
    'ocr_output_too_large',
  );
  const nonsense = program('nonsense', 'echo "hello"; exec sleep 60');
  t.equal(await code(readWithServer(nonsense, img, 'eng', 6, limits)), 'ocr_failed');
  const crash = program('crash', 'exit 3');
  t.equal(await code(readWithServer(crash, img, 'eng', 6, limits)), 'ocr_failed');
  const refused = await code(readWithServer(serve as string, img, 'xx_no_such', 6, limits));
  t.equal(refused, 'ocr_failed', 'a language tesseract cannot load');
  t.equal(
    await code(readWithServer(serve as string, img, 'eng', 6, { ...limits, memoryMb: 20 })),
    'ocr_failed',
  );
  const tsv = await readWithServer(serve as string, img, 'eng', 6, limits);
  t.match(tsv, /HELLO/, 'and then a reading works');
});

t.test('readings at once get processes of their own', { skip }, async (t) => {
  const img = textImage();
  const [a, b] = await Promise.all([
    readWithServer(serve as string, img, 'eng', 6, limits),
    readWithServer(serve as string, img, 'eng', 6, limits),
  ]);
  t.equal(a, b);
  t.ok(serverPids().length >= 2, `${serverPids().length} processes`);
});
