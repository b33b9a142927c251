// A screenshot through the pipeline as the CLI's analyze and the worker run it: the report's media item
// carries `text` and the `text_in_image` signal, and a photo without text gets neither a reading nor the
// signal. The report page shows the words, escaped.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import type { SafeFetcher } from '../../../src/net/safe-fetch.js';
import { languageName, languageTag } from '../../../src/pipeline/ocr/language.js';
import { tesseractInfo } from '../../../src/pipeline/ocr/tesseract.js';
import { textSection } from '../../../src/views/text.js';
import { fixture } from '../../helpers/images.js';
import { testPipeline } from '../../helpers/pipeline.js';
import { postScreenshot } from '../../helpers/text-images.js';

const skip = (await tesseractInfo('tesseract')) ? false : 'tesseract is not installed';
const noFetch = {
  get: () => Promise.reject(new Error('no network in this test')),
} as unknown as SafeFetcher;

t.test('a post screenshot: media[].text and the text_in_image signal', { skip }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fs-ocr-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const shot = await postScreenshot('rus', 1);
  writeFileSync(join(dir, 'shot.png'), shot.png);
  writeFileSync(join(dir, 'photo.jpg'), fixture('exif-samples/jpg/gps/DSCN0010.jpg'));
  const pipeline = testPipeline({ fetcher: noFetch }, { OCR_ENABLED: 'true' });

  const item = (await pipeline.file(join(dir, 'shot.png'))).media[0];
  t.equal(item?.status, 'ok');
  t.equal(item?.text?.status, 'read');
  t.equal(item?.text?.languages[0], 'rus');
  t.ok(item?.text?.found.handles.includes(shot.truth.handle));
  t.ok((item?.timings_ms.text ?? 0) > 0, 'timed');
  const signal = item?.provenance?.signals.find((s) => s.code === 'text_in_image');
  t.equal(signal?.severity, 'info');
  t.match(signal?.message, /in Russian, naming @ivanpetrov/);

  const photo = (await pipeline.file(join(dir, 'photo.jpg'))).media[0];
  t.equal(photo?.text?.status, 'no_text');
  t.notOk(photo?.provenance?.signals.some((s) => s.code === 'text_in_image'));

  const off = testPipeline({ fetcher: noFetch }, { OCR_ENABLED: 'false' });
  t.notOk((await off.file(join(dir, 'shot.png'))).media[0]?.text, 'OCR_ENABLED=false: no reading');
});

t.test('the report page escapes what was read', async (t) => {
  const html = textSection({
    status: 'read',
    detector: { lines: 1, glyphs: 20 },
    engine: 'tesseract 5.3.0',
    models: ['eng'],
    script: 'Latin',
    languages: ['eng'],
    lines: [
      { text: '<script>alert(1)</script> @x', box: { x: 0, y: 0, width: 10, height: 10 }, confidence: 90 },
    ],
    text: '<script>alert(1)</script> @x',
    found: { links: ['javascript:alert(1)'], handles: ['@x'], dates: [], times: [] },
  }).toString();
  t.notMatch(html, '<script>');
  t.match(html, '&lt;script&gt;');
  t.notMatch(html, 'href="javascript', 'links are shown, never linked');
  t.match(html, 'lang="en"');
  t.match(html, '<td>English</td>', 'languages by name');
});

t.test('languages by name and tag, whatever tesseract calls them', async (t) => {
  t.same(['eng', 'rus', 'ukr', 'kaz', 'lit', 'ara', 'fra', 'spa', 'deu', 'chi_sim'].map(languageName), [
    'English',
    'Russian',
    'Ukrainian',
    'Kazakh',
    'Lithuanian',
    'Arabic',
    'French',
    'Spanish',
    'German',
    'Simplified Chinese',
  ]);
  t.same(['kaz', 'chi_sim', 'ara'].map(languageTag), ['kk', 'zh-Hans', 'ar']);
  t.equal(languageName('xx_unknown'), 'xx_unknown', 'a code ICU does not know stays a code');
});
