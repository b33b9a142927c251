// Pictures of words, made at run time with real fonts (Debian's Noto and DejaVu, installed by
// scripts/setup-ocr.sh): post screenshots in English, Lithuanian, Russian, Kazakh and Arabic, memes with
// captions, signs on photos. Each comes with the truth (its text, handle, time), so OCR is measured
// against what was drawn. Never downloaded: the text is below, the photos are test/fixtures'.
import sharp from 'sharp';
import { fixture } from './images.js';

export type Lang = 'eng' | 'lit' | 'rus' | 'kaz' | 'arb';

/** Post texts (each 40+ characters), written for these tests. */
export const POST_TEXTS: Record<Lang, string[]> = {
  eng: [
    'Breaking: the bridge in the city centre collapsed this morning, and rescue teams are on the scene now.',
    'This photo shows the protest in the capital yesterday evening. Thousands of people marched to the square.',
    'The minister said the new law will be signed next week, according to a statement published today.',
    'Flooding has closed the main road to the airport; drivers are asked to use the northern route instead.',
  ],
  lit: [
    'Šiandien Kazachstane įvyko kažkas svarbaus: tūkstančiai žmonių išėjo į gatves ir reikalavo permainų.',
    'Ministras pareiškė, kad naujasis įstatymas bus pasirašytas kitą savaitę, praneša vyriausybės spaudos tarnyba.',
    'Potvynis uždarė pagrindinį kelią į oro uostą; vairuotojų prašoma važiuoti šiauriniu maršrutu.',
    'Šioje nuotraukoje matyti vakarykštis protestas sostinėje. Žmonės žygiavo į centrinę aikštę.',
  ],
  rus: [
    'Сегодня в Казахстане произошло нечто важное: тысячи людей вышли на улицы и потребовали перемен.',
    'Министр заявил, что новый закон будет подписан на следующей неделе, сообщает пресс-служба правительства.',
    'Наводнение закрыло главную дорогу в аэропорт; водителей просят ехать по северному маршруту.',
    'На этой фотографии видна вчерашняя акция протеста в столице. Люди шли к центральной площади.',
  ],
  kaz: [
    'Бүгін Қазақстанда маңызды оқиға болды: мыңдаған адамдар көшеге шығып, өзгеріс талап етті.',
    'Министр жаңа заң келесі аптада қол қойылатынын мәлімдеді, деп хабарлайды үкіметтің баспасөз қызметі.',
    'Су тасқыны әуежайға баратын негізгі жолды жауып тастады; жүргізушілерден солтүстік бағытты пайдалану сұралады.',
    'Бұл суретте астанадағы кешегі наразылық акциясы көрсетілген. Адамдар орталық алаңға қарай жүрді.',
  ],
  arb: [
    'اليوم حدث شيء مهم في كازاخستان، خرج آلاف الناس إلى الشوارع وطالبوا بالتغيير.',
    'قال الوزير إن القانون الجديد سيتم توقيعه الأسبوع المقبل، وفقا لبيان نشر اليوم.',
    'أغلقت الفيضانات الطريق الرئيسي إلى المطار، ويطلب من السائقين استخدام الطريق الشمالي.',
    'تظهر هذه الصورة الاحتجاج في العاصمة مساء أمس، وقد سار آلاف الناس إلى الساحة.',
  ],
};

const NAMES: Record<Lang, [string, string][]> = {
  eng: [
    ['Daily Wire Watch', 'dailywirewatch'],
    ['Sarah Collins', 'sarahcollins_news'],
  ],
  lit: [
    ['Jonas Petraitis', 'jonaspetr'],
    ['Rūta Žemaitė', 'ruta_zem'],
  ],
  rus: [
    ['Новости Алматы', 'almaty_news'],
    ['Иван Петров', 'ivanpetrov'],
  ],
  kaz: [
    ['Қазақ Хабар', 'kazakh_habar'],
    ['Айгүл Серікова', 'aigul_s'],
  ],
  arb: [
    ['أخبار اليوم', 'akhbar_today'],
    ['محمد علي', 'm_ali'],
  ],
};

export interface PostShot {
  lang: Lang;
  png: Buffer;
  width: number;
  height: number;
  truth: { name: string; handle: string; time: string; date: string; text: string };
  /** Where the post's text is drawn (y from the top of its first line to the bottom of its last). */
  body: { top: number; bottom: number };
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Greedy word wrap at an estimated character width (Noto Sans averages ~0.53 em). */
function wrap(text: string, maxChars: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > maxChars) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}

/**
 * A screenshot of a post as a phone shows it: avatar, display name, @handle · time, the text, a photo
 * (optional), the date line and the action bar. Arabic is drawn right to left.
 */
export async function postScreenshot(
  lang: Lang,
  textIndex: number,
  opts: {
    photo?: string;
    dark?: boolean;
    text?: string;
    /** Who posted it and when, instead of the made-up ones (a screenshot of a given post). */
    name?: string;
    handle?: string;
    time?: string;
    date?: string;
    /** false: no date line and action bar under the text (a post in a timeline: "@handle · 3h" only). */
    footer?: boolean;
  } = {},
): Promise<PostShot> {
  const text = opts.text ?? POST_TEXTS[lang][textIndex % POST_TEXTS[lang].length] ?? '';
  const [madeName, madeHandle] = NAMES[lang][textIndex % 2] ?? ['', ''];
  const name = opts.name ?? madeName;
  const handle = opts.handle ?? madeHandle;
  const hh = 8 + ((textIndex * 5) % 14);
  const mm = (textIndex * 17 + 3) % 60;
  const time = opts.time ?? `${hh}:${String(mm).padStart(2, '0')}`;
  const date = opts.date ?? `${3 + textIndex} Mar 2024`;
  const width = 720;
  const size = 26;
  const rtl = lang === 'arb';
  const font = rtl ? 'Noto Sans Arabic' : 'Noto Sans';
  const lines = wrap(text, Math.floor((width - 140) / (size * 0.55)));
  const fg = opts.dark ? '#e7e9ea' : '#0f1419';
  const muted = opts.dark ? '#71767b' : '#536471';
  const bg = opts.dark ? '#000000' : '#ffffff';
  const textTop = 110;
  const lineH = Math.round(size * 1.45);
  const photoTop = textTop + lines.length * lineH + 10;
  const photoH = opts.photo ? 360 : 0;
  const footTop = photoTop + photoH + (opts.photo ? 40 : 20);
  const footer = opts.footer ?? true;
  const height = footer ? footTop + 90 : footTop;
  const x = rtl ? width - 30 : 110;
  const anchor = rtl ? 'end' : 'start';
  const body = lines
    .map(
      (l, i) =>
        `<text x="${x}" y="${textTop + i * lineH}" font-family="${font}" font-size="${size}" fill="${fg}" text-anchor="${anchor}">${esc(l)}</text>`,
    )
    .join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
<rect width="100%" height="100%" fill="${bg}"/>
<circle cx="${rtl ? width - 60 : 60}" cy="55" r="32" fill="#1d9bf0"/>
<text x="${rtl ? width - 110 : 110}" y="50" font-family="${font}" font-size="24" font-weight="bold" fill="${fg}" text-anchor="${anchor}">${esc(name)}</text>
<text x="${rtl ? width - 110 : 110}" y="82" font-family="Noto Sans" font-size="22" fill="${muted}" text-anchor="${anchor}">@${handle} · ${time}</text>
${body}
${
  footer
    ? `<text x="30" y="${footTop}" font-family="Noto Sans" font-size="22" fill="${muted}">${time} · ${date}</text>
<rect x="0" y="${footTop + 25}" width="${width}" height="1" fill="${muted}"/>
<text x="60" y="${footTop + 65}" font-family="DejaVu Sans" font-size="22" fill="${muted}">♡ 1.2K    ⇄ 312    ✉ 48</text>`
    : ''
}
</svg>`;
  let img = sharp(Buffer.from(svg));
  if (opts.photo) {
    const photo = await sharp(fixture(opts.photo))
      .rotate()
      .resize(width - 60, photoH, { fit: 'cover' })
      .toBuffer();
    img = sharp(await img.png().toBuffer()).composite([{ input: photo, left: 30, top: photoTop }]);
  }
  return {
    lang,
    png: await img.png().toBuffer(),
    width,
    height,
    truth: { name, handle: `@${handle}`, time, date, text },
    body: { top: textTop - size, bottom: textTop + (lines.length - 1) * lineH + Math.round(size * 0.4) },
  };
}

/** A meme: a photo with a bold white caption outlined in black at the top and bottom. */
export async function meme(photo: string, top: string, bottom: string): Promise<Buffer> {
  const base = await sharp(fixture(photo)).rotate().resize(800, 600, { fit: 'cover' }).toBuffer();
  const cap = (s: string, y: number) =>
    `<text x="400" y="${y}" font-family="DejaVu Sans" font-weight="bold" font-size="48" fill="white" stroke="black" stroke-width="2" text-anchor="middle">${esc(s)}</text>`;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="800" height="600">${cap(top, 70)}${cap(bottom, 570)}</svg>`;
  return sharp(base)
    .composite([{ input: Buffer.from(svg) }])
    .jpeg({ quality: 85 })
    .toBuffer();
}

/** A sign in a photo: a dark panel with light text, slightly smaller than a caption, off centre. */
export async function sign(photo: string, lines: string[]): Promise<Buffer> {
  const base = await sharp(fixture(photo)).rotate().resize(1024, 768, { fit: 'cover' }).toBuffer();
  const h = 40 + lines.length * 44;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="520" height="${h}"><rect width="520" height="${h}" rx="8" fill="#123d7a"/>${lines
    .map(
      (l, i) =>
        `<text x="260" y="${58 + i * 44}" font-family="DejaVu Sans" font-weight="bold" font-size="32" fill="#f5f5f5" text-anchor="middle">${esc(l)}</text>`,
    )
    .join('')}</svg>`;
  return sharp(base)
    .composite([{ input: Buffer.from(svg), left: 300, top: 200 }])
    .jpeg({ quality: 85 })
    .toBuffer();
}

/** The screenshot after a round of sharing: scaled to `scale` and re-compressed as JPEG at `quality`. */
export async function degrade(png: Buffer, width: number, scale = 0.5, quality = 40): Promise<Buffer> {
  return sharp(png)
    .resize(Math.round(width * scale))
    .jpeg({ quality })
    .toBuffer();
}

/**
 * Photos of test/fixtures without text in them (checked by eye), for the text detector's skip rate. Left out:
 * Panasonic_DMC-FZ30.jpg (carved lettering) and orientation/landscape_*.jpg (labelled "left", "right").
 */
export const TEXT_FREE_PHOTOS = [
  'exif-samples/jpg/gps/DSCN0010.jpg',
  'exif-samples/jpg/gps/DSCN0021.jpg',
  'exif-samples/jpg/Canon_40D.jpg',
  'exif-samples/jpg/Nikon_D70.jpg',
  'exif-samples/jpg/Fujifilm_FinePix_E500.jpg',
  'exif-samples/jpg/Canon_DIGITAL_IXUS_400.jpg',
  'exif-samples/jpg/hdr/iphone_hdr_YES.jpg',
  'exif-samples/jpg/hdr/canon_hdr_YES.jpg',
  'exif-samples/jpg/mobile/HMD_Nokia_8.3_5G.jpg',
  'exifr/door-knocker.jpg',
  'exifr/canon-dslr.jpg',
  'exifr/IMG_20180725_163423.jpg',
  'pdq/dih/bridge-1-original.jpg',
  'pdq/labelme-subset/q0122.jpg',
  'pdq/labelme-subset/q2821.jpg',
  'pdq/labelme-subset/q0291.jpg',
  'pdq/labelme-subset/q0003.jpg',
  'pdq/labelme-subset/q0746.jpg',
  'c2pa/earth_apollo17.jpg',
];

/** Edit distance (insertions, deletions, substitutions) between two strings, by code point. */
export function editDistance(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  let prev = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const cur = [i];
    for (let j = 1; j <= y.length; j++) {
      cur[j] = Math.min(
        (prev[j] as number) + 1,
        (cur[j - 1] as number) + 1,
        (prev[j - 1] as number) + (x[i - 1] === y[j - 1] ? 0 : 1),
      );
    }
    prev = cur;
  }
  return prev[y.length] as number;
}

const norm = (s: string) => s.normalize('NFC').replace(/\s+/g, ' ').trim();

/** Character error rate of `read` against `truth`: edits over the truth's length (whitespace collapsed). */
export function cer(truth: string, read: string): number {
  const t = norm(truth);
  return editDistance(t, norm(read)) / Math.max(1, [...t].length);
}

/** The OCR lines drawn in the post's text area (`body`, in the picture's pixels times `scale`). */
export function bodyText(
  lines: { text: string; box: { y: number; height: number } }[],
  body: { top: number; bottom: number },
  scale = 1,
): string {
  return lines
    .filter((l) => {
      const mid = (l.box.y + l.box.height / 2) / scale;
      return mid >= body.top && mid <= body.bottom;
    })
    .map((l) => l.text)
    .join(' ');
}
