// The small parts of reading text: tesseract's TSV, the things found in a text, script and language.
import t from 'tap';
import sharp from 'sharp';
import { dateValue } from '../../../src/pipeline/ocr/dates.js';
import { findInText } from '../../../src/pipeline/ocr/found.js';
import { fewAscenders } from '../../../src/pipeline/ocr/index.js';
import { identifyLanguage, scripts } from '../../../src/pipeline/ocr/language.js';
import { parseTsv } from '../../../src/pipeline/ocr/tesseract.js';

const LANGS = ['eng', 'rus', 'ukr', 'kaz', 'lit', 'ara', 'fra', 'spa', 'deu'];

t.test('TSV rows become lines of words with boxes; empty and low-level rows are dropped', async (t) => {
  const tsv = [
    'level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext',
    '1\t1\t0\t0\t0\t0\t0\t0\t600\t120\t-1\t',
    '4\t1\t1\t1\t1\t0\t179\t25\t400\t23\t-1\t',
    '5\t1\t1\t1\t1\t1\t465\t26\t58\t16\t92.5\t@user',
    '5\t1\t1\t1\t1\t2\t531\t25\t48\t15\t96.2\t14:32\u200f',
    '5\t1\t1\t1\t1\t3\t10\t25\t48\t15\t95\t ',
    '4\t1\t2\t1\t1\t0\t400\t75\t179\t19\t-1\t',
    '5\t1\t2\t1\t1\t1\t400\t75\t43\t19\t74.8\tVilnius',
  ].join('\n');
  const lines = parseTsv(tsv);
  t.equal(lines.length, 2);
  t.same(
    lines[0]?.words.map((w) => w.text),
    ['@user', '14:32'],
    'bidi marks tesseract adds around RTL runs are removed',
  );
  t.same(lines[0]?.box, { x: 179, y: 25, width: 400, height: 23 });
  t.equal(lines[1]?.words[0]?.conf, 74.8);
});

t.test('links, handles, dates and times in a post screenshot’s words', async (t) => {
  const f = findInText(
    'Jonas Petraitis\n@jonaspetr · 8:03\nSee https://t.me/news/12 and bbc.com/news\n8:03 · 3 Mar 2024 — also 12.05.2024, 2024-03-04 at 2:32 PM. Mail a@b.c',
  );
  t.same(f.links, ['https://t.me/news/12', 'bbc.com/news']);
  t.same(f.handles, ['@jonaspetr'], 'an e-mail address is not a handle');
  t.same(f.dates, ['12.05.2024', '2024-03-04', '3 Mar 2024']);
  t.same(f.times, ['8:03', '2:32 PM'], 'a numeric date is not read as a time');
});

t.test('links written without a scheme: one-letter and country hosts, several labels', async (t) => {
  t.same(findInText('x.com/user/status/123 and bbc.co.uk/news, youtu.be/abc; akorda.kz/ru').links, [
    'x.com/user/status/123',
    'bbc.co.uk/news',
    'youtu.be/abc',
    'akorda.kz/ru',
  ]);
  t.same(
    findInText('jonas@lrt.lt, @user.bsky.social, e.g. this, x.community').links,
    [],
    'no address, handle or word',
  );
});

t.test('dates in words in every default OCR language, as X, Telegram and the press write them', async (t) => {
  const cases: [string, string, number][] = [
    ['8:03 PM · Mar 3, 2024 · 1.2M Views', 'Mar 3, 2024', Date.UTC(2024, 2, 3)],
    ['20:03 · 3 мар. 2024 г. · 1,2 млн просмотров', '3 мар. 2024 г.', Date.UTC(2024, 2, 3)],
    ['20:03 · 3 бер. 2024 р.', '3 бер. 2024 р.', Date.UTC(2024, 2, 3)],
    ['20:03 · 3 нау. 2024 ж.', '3 нау. 2024 ж.', Date.UTC(2024, 2, 3)],
    ['Paskelbta 2024 m. kovo 3 d. 20:03', '2024 m. kovo 3 d.', Date.UTC(2024, 2, 3)],
    ['٨:٠٣ م · ٣ مارس ٢٠٢٤', '٣ مارس ٢٠٢٤', Date.UTC(2024, 2, 3)],
    ['20:03 · 3 févr. 2024', '3 févr. 2024', Date.UTC(2024, 1, 3)],
    ['publicado el 3 de marzo de 2024', '3 de marzo de 2024', Date.UTC(2024, 2, 3)],
    ['20:03 · 3. März 2024', '3. März 2024', Date.UTC(2024, 2, 3)],
    // A Russian page's English footer read by the Russian model: "Mar" in Cyrillic look-alikes.
    ['8:03 . 3 Маг 2024', '3 Маг 2024', Date.UTC(2024, 2, 3)],
  ];
  for (const [text, date, day] of cases) {
    const f = findInText(text);
    t.same(f.dates, [date], text);
    t.equal(dateValue(date), day, `${date} is that day`);
  }
  t.same(findInText('٨:٠٣ م · ٣ مارس ٢٠٢٤').times, ['٨:٠٣ م'], 'an Arabic time, as written');
  t.same(findInText('у нас 5 лисиць і 3 лиси').dates, [], 'a word that starts like a month is none');
  t.same(findInText('I may 3 times').dates, [], 'a month first is capitalized');
  t.same(findInText('on 12 Jan and 3 Feb 2021').dates, ['12 Jan', '3 Feb 2021']);
  t.equal(dateValue('12 Jan'), null, 'no year');
});

t.test('script by letters, language among the configured ones', async (t) => {
  t.equal(scripts('Сегодня в Казахстане @user 14:32')[0]?.script, 'Cyrillic');
  t.equal(scripts('اليوم حدث شيء مهم في كازاخستان')[0]?.script, 'Arabic');
  t.equal(identifyLanguage('Šiandien Kazachstane įvyko kažkas svarbaus, žiūrėkite.', LANGS), 'lit');
  t.equal(identifyLanguage('Бүгін Қазақстанда маңызды оқиға болды, адамдар көшеге шықты.', LANGS), 'kaz');
  t.equal(identifyLanguage('Сьогодні в Казахстані сталося щось дуже важливе.', LANGS), 'ukr');
  t.equal(identifyLanguage('اليوم حدث شيء مهم في كازاخستان، خرج الناس', LANGS), 'ara');
  t.equal(identifyLanguage('Сегодня в Казахстане произошло нечто важное.', ['eng', 'rus']), 'rus');
  t.equal(identifyLanguage('Too short', LANGS), null, 'under 20 letters: no guess');
  t.equal(identifyLanguage('Сегодня в Казахстане произошло нечто важное.', ['eng', 'lit']), null);
});

t.test('a line of Cyrillic lower case has few ascenders, a Latin one many', async (t) => {
  // One line at about the size ocr/index.ts scales text to (x-height ~17 px), dark on white.
  const line = async (text: string) => {
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="900" height="60"><rect width="100%" height="100%" fill="white"/><text x="10" y="40" font-family="Noto Sans" font-size="32">${text}</text></svg>`;
    const { data, info } = await sharp(Buffer.from(svg))
      .greyscale()
      .raw()
      .toBuffer({ resolveWithObject: true });
    const img = { data, width: info.width, height: info.height };
    return fewAscenders(img, { x0: 0, x1: img.width, y0: 0, y1: img.height, at: 0, ink: 1 });
  };
  t.equal(await line('сегодня в казахстане произошло нечто важное'), true, 'Russian');
  t.equal(await line('бүгін қазақстанда маңызды оқиға болды'), true, 'Kazakh');
  t.equal(await line('This photo shows the protest in the capital'), false, 'English');
  t.equal(await line('Ministras pareiškė, kad naujasis įstatymas'), false, 'Lithuanian');
  t.equal(await line('Flooding has closed the main road'), false, 'English with few ascenders');
});
