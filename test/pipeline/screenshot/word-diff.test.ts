// How a screenshot's words are told apart from the post's: OCR misreadings are forgiven, edited words
// are not (README, Screenshots of posts). Readings below are as tesseract gives them on the generated
// screenshots (test/helpers/text-images.ts) or plausible variants of them.
import t from 'tap';
import {
  compareWords,
  isOcrNoise,
  words,
  type ShotWord,
} from '../../../src/pipeline/screenshot/word-diff.js';
import { dateValue } from '../../../src/pipeline/ocr/dates.js';

const read = (text: string, confidence = 96): ShotWord[] => words(text).map((word) => ({ word, confidence }));
const POST =
  'Protesters seen guarding the weapons depot near the airport this morning, witnesses say. https://t.co/Qusib5yzbm';

t.test('words: links and punctuation dropped, lower case', async (t) => {
  t.same(words('Breaking: the “bridge” — https://t.co/x pic.twitter.com/abc OK!'), [
    'breaking',
    'the',
    'bridge',
    'ok',
  ]);
});

t.test('OCR noise against edits, by edit distance and the line’s confidence', async (t) => {
  t.ok(isOcrNoise('breakinq', 'breaking', 96), 'one letter of eight on a sure line');
  t.ok(isOcrNoise('rnorning', 'morning', 96), 'rn for m');
  t.ok(isOcrNoise('iandien', 'šiandien', 96), 'a lost diacritic letter');
  t.ok(isOcrNoise('c0llapsed', 'collapsed', 96), '0 for o');
  t.notOk(isOcrNoise('raiding', 'guarding', 96), 'another word');
  t.notOk(isOcrNoise('raiding', 'guarding', 50), 'another word, however unsure the line');
  t.notOk(isOcrNoise('now', 'not', 96), 'a short word changed on a sure line');
  t.ok(isOcrNoise('n0t', 'not', 96), 'a confusable letter in a short word');
  t.ok(isOcrNoise('nat', 'not', 70), 'a short word on an unsure line');
  t.notOk(isOcrNoise('2023', '2022', 96), 'a number changed');
  t.ok(isOcrNoise('©}', '', 84), 'an avatar read as a scrap');
  t.notOk(isOcrNoise('', 'not', 96), 'a word left out');
});

t.test('the same words, misread here and there: no difference', async (t) => {
  const c = compareWords(
    read('Protesters seen guardinq the weapons dep0t near the airport this rnorning, witnesses say.'),
    POST,
  );
  t.same(c, { post_words: 13, matched: 13, cut_off: 0, differences: [] });
});

t.test('words OCR split or joined are one', async (t) => {
  const c = compareWords(
    read('Protesters seen guarding the weaponsdepot near the air port this morning, witnesses say.'),
    POST,
  );
  t.same(c.differences, []);
});

t.test('an edited word, an added word, a removed word', async (t) => {
  const c = compareWords(
    read('Protesters seen raiding the weapons depot near the airport this morning, witnesses say.'),
    POST,
  );
  t.same(c.differences, [{ screenshot: 'raiding', post: 'guarding' }]);
  t.equal(c.matched, 12);
  const added = compareWords(
    read('Protesters seen guarding the stolen weapons depot near the airport this morning, witnesses say.'),
    POST,
  );
  t.same(added.differences, [{ screenshot: 'stolen', post: '' }]);
  const removed = compareWords(
    read('Protesters seen guarding the depot near the airport this morning, witnesses say.'),
    POST,
  );
  t.same(removed.differences, [{ screenshot: '', post: 'weapons' }]);
});

t.test('the end of a long post cut off is not an edit', async (t) => {
  const c = compareWords(read('Protesters seen guarding the weapons depot near the'), POST);
  t.same(c, { post_words: 13, matched: 8, cut_off: 5, differences: [] });
});

t.test('dates as screenshots write them', async (t) => {
  t.equal(dateValue('Jan 6, 2022'), Date.UTC(2022, 0, 6));
  t.equal(dateValue('6 Jan 2022'), Date.UTC(2022, 0, 6));
  t.equal(dateValue('2022-01-06'), Date.UTC(2022, 0, 6));
  t.equal(dateValue('6 Jan'), null, 'no year');
});
