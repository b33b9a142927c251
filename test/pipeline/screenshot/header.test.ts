// The @handle line of a post screenshot, read again closely (src/pipeline/screenshot/header.ts): what a
// fact-checker relies on when a screenshot has been shared (scaled to half, JPEG quality 40): its handle
// and time are read, a handle the readings do not agree on is not reported, and pictures without a
// handle (a meme, a sign, a photo) get none invented. The rates over the whole generated set are
// bench:ocr's (`handle_and_time_pct`, `false_handles`).
import t from 'tap';
import { readText } from '../../../src/pipeline/ocr/index.js';
import { agreedHandle, rereadHeader } from '../../../src/pipeline/screenshot/header.js';
import type { TextInImage } from '../../../schemas/text.js';
import { readPost } from '../../../src/pipeline/screenshot/read-post.js';
import { fixture } from '../../helpers/images.js';
import { ocrOptions, skipWithoutTesseract } from '../../helpers/ocr.js';
import { degrade, meme, postScreenshot, sign } from '../../helpers/text-images.js';

const opts = ocrOptions();
const skip = await skipWithoutTesseract(opts.path);

t.test('the readings agree on a handle, or there is none', async (t) => {
  // A faint underscore read as a space by some copies and seen by others: the whole handle.
  t.equal(
    agreedHandle(['@ruta zem - 9:54', '@ruta zem - 9:54', '@ruta_zem - 9:54', '@ruta_zem : 9:54']),
    'ruta_zem',
  );
  t.equal(
    agreedHandle([
      '@sigul_s 9:54',
      '®aigul s - 9:54',
      '@aigul s - 9:54',
      '@zigul_s - 9:54',
      '@aigul_s - 9:54',
    ]),
    'aigul_s',
  );
  // Nobody saw the underscore: `ruta` is someone else's handle.
  t.equal(agreedHandle(['@ruta zem - 9:54', '@ruta zem ~ 9:54', '@ruta zem - 9:54']), null);
  // Most readings lost the faint end: a longer reading with the same start makes the short one unsure.
  t.equal(
    agreedHandle(['@x_x_ «+ 10:10', '@x x «+ 10:10', '@x_x_ «', '@x_x_x + 10:10', '@x_x_x: 10:10']),
    null,
  );
  // Two spellings as often: neither.
  t.equal(agreedHandle(['@m_all + 13:20', '@m_ali - 13:20']), null);
  t.equal(agreedHandle(['@m_ali + 13:20']), null, 'one reading is no agreement');
  t.equal(agreedHandle(['', 'no handle here', '']), null);
  t.equal(
    agreedHandle(['@kyiv-independent.bsky.social - 12:40', '@kyiv-independent.bsky.social · 12:40', '']),
    'kyiv-independent.bsky.social',
    'a domain handle with its hyphen and dots',
  );
});

t.test(
  'a handle line the page read surely stands; one with a word before its time is read again',
  async (t) => {
    const reading = (handleLine: string, confidence: number): TextInImage => {
      const lines = ['Jane Doe', handleLine, 'Breaking: the bridge in the city centre'].map((text, i) => ({
        text,
        box: { x: 80, y: 20 + i * 34, width: 400, height: 26 },
        confidence: i === 1 ? confidence : 92,
      }));
      const text = lines.map((l) => l.text).join('\n');
      return {
        status: 'read',
        detector: { lines: 3, glyphs: 60 },
        engine: 'tesseract 5',
        models: ['eng'],
        script: 'Latin',
        languages: ['eng'],
        lines,
        text,
        found: { links: [], handles: [], dates: [], times: [] },
      };
    };
    const size = { width: 720, height: 200 };
    const hdr = { ...opts, languages: ['eng'] };
    // The close reading starts by cutting the line out of the picture: here that says it was asked for.
    const asked = new Error('the close reading was asked for');
    const image = () => {
      throw asked;
    };
    const sure = reading('@jane_doe_99 · 8:20', 90);
    t.equal(await rereadHeader(sure, image, size, hdr), sure, 'sure, handle and time alone: as read');
    // The shapes a shared screenshot's lost underscore and the page's unsure readings leave.
    for (const [line, conf] of [
      ['@sarah_collins news - 8:20', 90],
      ['@jane_doe 99 · 8:20', 90],
      ['@m_all + 15:33', 78],
      ['@jane_doe_99', 95],
    ] as const)
      await t.rejects(rereadHeader(reading(line, conf), image, size, hdr), asked, `${line} (${conf})`);
  },
);

t.test(
  'a shared screenshot whose handle lost its underscore: the whole handle, and its time',
  { skip },
  async (t) => {
    // The page reading alone read these as "@sarahcollins mews" and "@ruta zem": other people's handles.
    for (const [lang, i] of [
      ['eng', 1],
      ['lit', 3],
    ] as const) {
      const shot = await postScreenshot(lang, i, { dark: true });
      const r = await readText(await degrade(shot.png, shot.width), opts);
      t.same(r.found.handles, [shot.truth.handle], `${lang}: ${shot.truth.handle}`);
      t.ok(r.found.times.includes(shot.truth.time), `${lang}: ${shot.truth.time}`);
      const post = readPost(r, null);
      t.equal(post?.handle, shot.truth.handle.slice(1));
      t.equal(post?.time, shot.truth.time);
    }
  },
);

t.test('a shared Arabic post whose faint handle line the page reading dropped', { skip }, async (t) => {
  const shot = await postScreenshot('arb', 0, { photo: 'pdq/dih/bridge-1-original.jpg' });
  const r = await readText(await degrade(shot.png, shot.width), opts);
  t.same(r.found.handles, ['@akhbar_today']);
  const post = readPost(r, null);
  t.equal(post?.handle, 'akhbar_today');
  t.equal(post?.time, shot.truth.time);
});

t.test('no handle invented on pictures without one', { skip }, async (t) => {
  const pictures: [string, Buffer][] = [
    ['meme', await meme('exifr/door-knocker.jpg', 'WHEN THE NEWS IS FAKE', 'BUT THE PHOTO IS REAL')],
    ['sign', await sign('pdq/dih/bridge-1-original.jpg', ['MAIN STREET', 'CLOSED 12 MAY'])],
    ['photo', fixture('exif-samples/jpg/gps/DSCN0010.jpg')],
  ];
  for (const [kind, bytes] of pictures) {
    const r = await readText(bytes, opts);
    t.same(r.found.handles, [], kind);
    t.equal(readPost(r, null), null, `${kind}: no post`);
  }
});
