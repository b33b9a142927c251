// A post read from a screenshot's OCR lines (src/pipeline/screenshot/read-post.ts): a post in a timeline
// shows only its age after the handle ("@name · 3h"), no date line; it is a post all the same, and its age
// is its time stamp. "3h" in the post's text is not.
import t from 'tap';
import { readText } from '../../../src/pipeline/ocr/index.js';
import { readPost } from '../../../src/pipeline/screenshot/read-post.js';
import { ocrOptions, reading, skipWithoutTesseract } from '../../helpers/ocr.js';
import { degrade, postScreenshot } from '../../helpers/text-images.js';

const opts = ocrOptions();
const skip = await skipWithoutTesseract(opts.path);

t.test("a post's age after its handle is its time stamp; elsewhere it is not", async (t) => {
  const body = 'The minister said the new law will be signed next week';
  t.equal(readPost(reading(['Sarah Collins', '@sarahcollins_news · 3h', body]), null)?.time, '3h');
  t.equal(readPost(reading(['Jonas Petraitis', '@jonaspetr - 2 d.', body]), null)?.time, '2d');
  t.equal(readPost(reading(['Sarah Collins', '@sarahcollins_news', `${body} in 3h`]), null), null);
  t.equal(
    readPost(reading(['Sarah Collins 3h', '@sarahcollins_news', body]), null),
    null,
    'before the handle',
  );
  t.equal(readPost(reading(['Sarah Collins', '@sarahcollins_news · 2024h', body]), null), null, 'no age');
});

t.test("the footer's time, unless it lost the handle line's leading digit", async (t) => {
  const body = 'The minister said the new law will be signed next week';
  const post = (head: string, foot: string) =>
    readPost(reading(['Sarah Collins', head, body, foot]), null)?.time;
  t.equal(post('@m_ali · 13:20', '3:20 · 4 Mar 2024'), '13:20');
  t.equal(post('@m_ali · 3:20', '13:20 · 4 Mar 2024'), '13:20');
  t.equal(post('@m_ali · 8:03', '9:03 · 4 Mar 2024'), '9:03', 'otherwise the footer, as before');
});

t.test('a screenshot of a post in a timeline, clean and shared', { skip }, async (t) => {
  const shot = await postScreenshot('eng', 0, { time: '3h', footer: false });
  for (const [variant, bytes] of [
    ['clean', shot.png],
    ['degraded', await degrade(shot.png, shot.width)],
  ] as const) {
    const post = readPost(await readText(bytes, opts), null);
    t.equal(post?.handle, 'dailywirewatch', variant);
    t.equal(post?.time, '3h', variant);
    t.equal(post?.date, null, variant);
  }
});
