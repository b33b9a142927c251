// Reading the words in pictures generated here with real fonts (test/helpers/text-images.ts): what a
// fact-checker relies on (the language, the handle and time of a screenshotted post, its text), that a
// photo without text is not OCR'd, and that a worker without tesseract still reports, saying so.
// Accuracy and speed over the whole generated set are measured by `npm run bench:ocr`, not here.
import t, { type Test } from 'tap';
import { loadConfig } from '../../../src/config.js';
import { readText, type OcrOptions } from '../../../src/pipeline/ocr/index.js';
import { tesseractInfo } from '../../../src/pipeline/ocr/tesseract.js';
import { fixture } from '../../helpers/images.js';
import { bodyText, cer, degrade, meme, postScreenshot } from '../../helpers/text-images.js';

// OCR is off by default (its cost); these tests read with it on. They check what is read: the time bound is
// hostile.test.ts's, and a tesseract run on a loaded 2-core machine took over the 20 s default.
const config = loadConfig({ OCR_ENABLED: 'true', OCR_TIMEOUT_MS: '120000' });
const opts: OcrOptions = {
  ...(config.ocr as NonNullable<typeof config.ocr>),
  maxInputPixels: config.maxInputPixels,
};
const installed = await tesseractInfo(opts.path);
const skip = installed ? false : 'tesseract is not installed (sh scripts/setup-ocr.sh)';

/**
 * readText with tesseract.ts's recognize wrapped: each reading's models and the text of its lines, in the
 * order readText asks for them.
 */
async function recordingReadText(tt: Test) {
  const real = await import('../../../src/pipeline/ocr/tesseract.js');
  const calls: { models: string[]; lines: string[] }[] = [];
  const { readText: read } = await tt.mockImport<typeof import('../../../src/pipeline/ocr/index.js')>(
    '../../../src/pipeline/ocr/index.js',
    {
      // The module as tsx resolves index.ts's './tesseract.js': its .ts file.
      '../../../src/pipeline/ocr/tesseract.ts': {
        ...real,
        recognize: async (...args: Parameters<typeof real.recognize>) => {
          const lines = await real.recognize(...args);
          calls.push({ models: args[1], lines: lines.map((l) => l.words.map((w) => w.text).join(' ')) });
          return lines;
        },
      },
    },
  );
  return { read, calls };
}

t.test(
  'a Lithuanian post screenshot: its language, handle, time and text with diacritics',
  { skip },
  async (t) => {
    const shot = await postScreenshot('lit', 0);
    const r = await readText(shot.png, opts);
    t.equal(r.status, 'read');
    t.equal(r.script, 'Latin');
    t.equal(r.languages[0], 'lit');
    t.ok(r.models.includes('lit'), 'read again with the Lithuanian model');
    t.ok(r.found.handles.includes(shot.truth.handle), shot.truth.handle);
    t.ok(r.found.times.includes(shot.truth.time), shot.truth.time);
    t.match(r.text.replace(/\s+/g, ' '), 'Šiandien Kazachstane įvyko kažkas svarbaus');
    t.ok(cer(shot.truth.text, bodyText(r.lines, shot.body)) <= 0.03, 'the post text within 3% CER');
    const first = r.lines[0];
    t.ok(
      first && first.confidence > 50 && first.box.width > 0 && first.box.y < 120,
      'lines carry boxes and confidence',
    );
  },
);

t.test(
  'Russian, Kazakh and Arabic screenshots are told apart by script and language',
  { skip },
  async (t) => {
    for (const [lang, code, script] of [
      ['rus', 'rus', 'Cyrillic'],
      ['kaz', 'kaz', 'Cyrillic'],
      ['arb', 'ara', 'Arabic'],
    ] as const) {
      const shot = await postScreenshot(lang, 3);
      const r = await readText(shot.png, opts);
      t.equal(r.script, script, `${lang} script`);
      t.equal(r.languages[0], code, `${lang} language`);
      t.ok(r.found.handles.includes(shot.truth.handle), `${lang} handle ${shot.truth.handle}`);
    }
  },
);

t.test(
  'a Lithuanian post whose sample line does not tell its language is read once with the Lithuanian model',
  { skip },
  async (t) => {
    // Its sample, "Šiandien Kazachstane įvyko kažkas" read by eng, is deu/spa/lit to franc; the line after
    // it tells Lithuanian.
    const shot = await postScreenshot('lit', 0, { photo: 'exifr/door-knocker.jpg' });
    const r = await readText(shot.png, opts);
    t.equal(r.languages[0], 'lit');
    t.same(r.models, ['lit'], 'the whole text read by the Lithuanian model, not the English one first');
    t.ok(r.found.handles.includes(shot.truth.handle), shot.truth.handle);
    t.ok(r.found.times.includes(shot.truth.time), shot.truth.time);
    t.ok(cer(shot.truth.text, bodyText(r.lines, shot.body)) <= 0.03, 'the post text within 3% CER');
  },
);

t.test(
  'an untold Lithuanian sample: the lines after it are read one at a time until one tells the language',
  { skip },
  async (t) => {
    const { read, calls } = await recordingReadText(t);
    // Its sample line read by eng is deu/spa/lit to franc; with the next line, lit 1, spa 0.70.
    const shot = await postScreenshot('lit', 0, { photo: 'exifr/door-knocker.jpg' });
    const r = await read(shot.png, opts);
    t.same(r.models, ['lit']);
    const lit = calls.findIndex((c) => c.models.join('+') === 'lit');
    t.ok(lit > 1, 'the sample and the line after it were read before the Lithuanian model read');
    const between = calls.slice(1, lit);
    t.same(
      between.map((c) => [c.models.join('+'), c.lines.length]),
      [['eng', 1]],
      'one line after the sample, by the Latin model',
    );
  },
);

t.test(
  'a Lithuanian line of Latin shape, read by the Latin model as text, is not read by the Cyrillic one',
  { skip },
  async (t) => {
    for (const i of [1, 2]) {
      // Its diacritics unknown to eng, which reads it at ~80 (under SURE_ALONE); many ascenders.
      const shot = await postScreenshot('lit', i);
      const timings: Record<string, number> = {};
      const r = await readText(shot.png, opts, timings);
      t.equal(r.languages[0], 'lit', `#${i} language`);
      t.notOk('ocr_script' in timings, `#${i}: the sample read by one model`);
      t.ok(r.found.handles.includes(shot.truth.handle), `#${i} handle ${shot.truth.handle}`);
      t.ok(cer(shot.truth.text, bodyText(r.lines, shot.body)) <= 0.03, `#${i} the post text within 3% CER`);
    }
  },
);

t.test(
  'a Cyrillic line with few ascenders is sampled by the Cyrillic model alone, not the Latin one first',
  { skip },
  async (t) => {
    const shot = await postScreenshot('rus', 0);
    const timings: Record<string, number> = {};
    const r = await readText(shot.png, opts, timings);
    t.equal(r.languages[0], 'rus');
    t.ok('ocr_sample' in timings, 'the sample line was read');
    t.notOk('ocr_script' in timings, 'by one model: no other script was tried');
    t.ok(r.found.handles.includes(shot.truth.handle), 'the handle (read by the Latin model)');
    t.ok(cer(shot.truth.text, bodyText(r.lines, shot.body)) <= 0.03, 'the post text within 3% CER');
  },
);

t.test(
  'a right-to-left page’s sample line is read by the Arabic model alone; the handle is still found',
  { skip },
  async (t) => {
    for (const i of [0, 1]) {
      // #0: the sample's band holds the @handle line too (read by the Latin model for it), #1: not.
      const shot = await postScreenshot('arb', i);
      const timings: Record<string, number> = {};
      const r = await readText(shot.png, opts, timings);
      t.equal(r.languages[0], 'ara', `#${i} language`);
      t.notOk('ocr_script' in timings, `#${i}: the sample read by one model`);
      t.ok(r.found.handles.includes(shot.truth.handle), `#${i} handle ${shot.truth.handle}`);
    }
  },
);

t.test(
  'an Arabic post whose header and first line make one band: the Latin model reads the header’s rows only',
  { skip },
  async (t) => {
    const { read, calls } = await recordingReadText(t);
    // Its avatar spans the name, the handle and the first line of the text: one band (splitLines).
    const shot = await postScreenshot('arb', 0, { photo: 'exifr/door-knocker.jpg' });
    const r = await read(shot.png, opts);
    t.equal(r.languages[0], 'ara');
    t.ok(r.found.handles.includes(shot.truth.handle), shot.truth.handle);
    const [sample, ...rest] = calls;
    t.same(sample?.models, ['ara'], 'the sample read by the Arabic model');
    const latin = rest.find((c) => c.models.join('+') === 'eng');
    t.ok(latin, 'the header read by the Latin model');
    t.ok(
      latin && latin.lines.length < (sample?.lines.length ?? 0),
      `fewer lines than the sample's (${latin?.lines.length} of ${sample?.lines.length})`,
    );
  },
);

t.test(
  'a caption’s probe line, read surely, is not read a second time with the rest',
  { skip },
  async (t) => {
    const { read, calls } = await recordingReadText(t);
    // Five lines of dark text over a photo (a caption in the picture, not a screenshot).
    const r = await read(fixture('exifr/iptc-staff-photographer-example.jpg'), opts);
    t.equal(r.languages[0], 'eng');
    t.same(r.models, ['eng'], 'read by the first model alone');
    t.match(r.text, 'power of embedded metadata');
    const [probe, ...rest] = calls;
    t.ok(probe && probe.lines.length > 0, 'a probe line was read');
    for (const line of probe?.lines ?? [])
      t.notOk(
        rest.some((c) => c.lines.includes(line)),
        `"${line}" read once`,
      );
    t.ok(
      r.lines.some((l) => probe?.lines.includes(l.text)),
      'the probe’s reading is among the lines',
    );
  },
);

t.test('a screenshot shared again (50%, JPEG q40) is still read', { skip }, async (t) => {
  const shot = await postScreenshot('rus', 0);
  const r = await readText(await degrade(shot.png, shot.width), opts);
  t.equal(r.languages[0], 'rus');
  t.ok(r.found.times.includes(shot.truth.time));
  t.ok(cer(shot.truth.text, bodyText(r.lines, shot.body, 0.5)) <= 0.08, 'within 8% CER');
});

t.test('a meme caption is read; a photo without text is not OCR’d at all', { skip }, async (t) => {
  const m = await readText(
    await meme('exifr/door-knocker.jpg', 'WHEN THE NEWS IS FAKE', 'BUT THE PHOTO IS REAL'),
    opts,
  );
  t.match(m.text, /NEWS IS FAKE/);
  const timings: Record<string, number> = {};
  const photo = await readText(fixture('exif-samples/jpg/gps/DSCN0010.jpg'), opts, timings);
  t.equal(photo.status, 'no_text');
  t.notOk('ocr' in timings, 'tesseract did not run');
  t.same(photo.lines, []);
});

t.test('without tesseract the image is still reported: text unavailable, with the code', async (t) => {
  const shot = await postScreenshot('eng', 0);
  const r = await readText(shot.png, { ...opts, path: '/nonexistent/tesseract' });
  t.equal(r.status, 'unavailable');
  t.equal(r.error?.code, 'ocr_tools_missing');
  t.ok(r.detector.lines > 0, 'the detector still says there is text');
});
