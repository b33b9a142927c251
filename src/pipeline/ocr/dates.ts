// Dates written in words, as post screenshots and captions show them in the languages OCR reads by
// default (OCR_LANGUAGES): "Mar 3, 2024" and "3 Mar 2024" (English), "3 мар. 2024 г." (Russian), "3 бер.
// 2024 р." (Ukrainian), "3 нау. 2024 ж." (Kazakh), "2024 m. kovo 3 d." (Lithuanian), "٣ مارس ٢٠٢٤"
// (Arabic, with Arabic-Indic digits), "3 mars 2024", "3 de marzo de 2024", "3. März 2024". A word is a
// month only when it is one of the forms below (a name, its genitive, the abbreviations X and Telegram
// write): "5 лисиць" (five foxes) is no date although "лис" abbreviates листопада. A Latin month read by a
// Cyrillic model ("3 Маг 2024": the page was Russian, the footer English) is taken by its look-alike
// letters when no form matches as it is. Plain patterns, each a run of one character class (bounded, as
// found.ts's).

/** Each month's forms (lower case, without a final dot), January first, per language. */
const FORMS: Record<string, string[]> = {
  eng: [
    'january|jan',
    'february|feb',
    'march|mar',
    'april|apr',
    'may',
    'june|jun',
    'july|jul',
    'august|aug',
    'september|sep|sept',
    'october|oct',
    'november|nov',
    'december|dec',
  ],
  rus: [
    'январь|января|янв',
    'февраль|февраля|фев|февр',
    'март|марта|мар',
    'апрель|апреля|апр',
    'май|мая',
    'июнь|июня|июн',
    'июль|июля|июл',
    'август|августа|авг',
    'сентябрь|сентября|сен|сент',
    'октябрь|октября|окт',
    'ноябрь|ноября|ноя|нояб',
    'декабрь|декабря|дек',
  ],
  ukr: [
    'січень|січня|січ',
    'лютий|лютого|лют',
    'березень|березня|бер',
    'квітень|квітня|квіт|кві',
    'травень|травня|трав|тра',
    'червень|червня|черв|чер',
    'липень|липня|лип',
    'серпень|серпня|серп|сер',
    'вересень|вересня|вер',
    'жовтень|жовтня|жовт|жов',
    'листопад|листопада|лист|лис',
    'грудень|грудня|груд|гру',
  ],
  kaz: [
    'қаңтар|қаңтардың|қаң',
    'ақпан|ақпанның|ақп',
    'наурыз|наурыздың|нау',
    'сәуір|сәуірдің|сәу',
    'мамыр|мамырдың|мам',
    'маусым|маусымның|мау',
    'шілде|шілденің|шіл',
    'тамыз|тамыздың|там',
    'қыркүйек|қыркүйектің|қыр',
    'қазан|қазанның|қаз',
    'қараша|қарашаның|қар',
    'желтоқсан|желтоқсанның|жел',
  ],
  lit: [
    'sausis|sausio|saus|sau',
    'vasaris|vasario|vas',
    'kovas|kovo|kov',
    'balandis|balandžio|balandzio|bal',
    'gegužė|gegužės|geguze|geguzes|geg',
    'birželis|birželio|birzelis|birzelio|bir',
    'liepa|liepos|lie',
    'rugpjūtis|rugpjūčio|rugpjutis|rugpjucio|rgp',
    'rugsėjis|rugsėjo|rugsejis|rugsejo|rgs',
    'spalis|spalio|spa',
    'lapkritis|lapkričio|lapkricio|lap',
    'gruodis|gruodžio|gruodzio|gru',
  ],
  // Egyptian and Gulf names (X's), and the Levantine ones that are one word.
  ara: [
    'يناير',
    'فبراير|شباط',
    'مارس|آذار',
    'أبريل|ابريل|إبريل|نيسان',
    'مايو|أيار',
    'يونيو|يونيه|حزيران',
    'يوليو|يوليه|تموز',
    'أغسطس|اغسطس|آب',
    'سبتمبر|أيلول',
    'أكتوبر|اكتوبر',
    'نوفمبر',
    'ديسمبر',
  ],
  fra: [
    'janvier|janv',
    'février|fevrier|févr|fevr|fév',
    'mars',
    'avril|avr',
    'mai',
    'juin',
    'juillet|juil',
    'août|aout',
    'septembre|sept',
    'octobre|oct',
    'novembre|nov',
    'décembre|decembre|déc',
  ],
  spa: [
    'enero|ene',
    'febrero|feb',
    'marzo|mar',
    'abril|abr',
    'mayo|may',
    'junio|jun',
    'julio|jul',
    'agosto|ago',
    'septiembre|setiembre|sept|sep|set',
    'octubre|oct',
    'noviembre|nov',
    'diciembre|dic',
  ],
  deu: [
    'januar|jänner|jan',
    'februar|feb',
    'märz|maerz|marz|mär',
    'april|apr',
    'mai',
    'juni|jun',
    'juli|jul',
    'august|aug',
    'september|sep|sept',
    'oktober|okt',
    'november|nov',
    'dezember|dez',
  ],
};

/** Each form of these languages' months -> its month (0-11); where two languages share a form, the first's. */
function monthIndex(languages: string[][]): Map<string, number> {
  const index = new Map<string, number>();
  for (const months of languages)
    months.forEach((forms, month) => {
      for (const f of forms.split('|')) if (!index.has(f)) index.set(f, month);
    });
  return index;
}

const MONTH = monthIndex(Object.values(FORMS));
const ENGLISH = monthIndex([FORMS.eng ?? []]);

/** Cyrillic letters a Latin one is read as (upper and lower case), for a Latin month a Cyrillic model read. */
const LOOK_ALIKE: Record<string, string> = {
  а: 'a',
  в: 'b',
  е: 'e',
  г: 'r',
  к: 'k',
  м: 'm',
  н: 'h',
  о: 'o',
  п: 'n',
  р: 'p',
  с: 'c',
  т: 't',
  у: 'y',
  х: 'x',
  ь: 'b',
  і: 'i',
  ј: 'j',
  ѕ: 's',
  ԁ: 'd',
};

/** The month (0-11) a word names, in any language above, or null. */
export function monthOf(word: string): number | null {
  const w = word.normalize('NFC').toLowerCase().replace(/\.$/, '');
  const exact = MONTH.get(w);
  if (exact !== undefined) return exact;
  // A Latin month read by a Cyrillic model: every letter Latin or a Cyrillic look-alike, one at least.
  let latin = '';
  for (const c of w) {
    if (c >= 'a' && c <= 'z') latin += c;
    else if (LOOK_ALIKE[c]) latin += LOOK_ALIKE[c];
    else return null;
  }
  return latin === w ? null : (ENGLISH.get(latin) ?? null);
}

/** Arabic-Indic and Eastern Arabic-Indic digits as ASCII digits (one UTF-16 unit each: indices hold). */
export function asciiDigits(s: string): string {
  return s.replace(/[\u0660-\u0669\u06f0-\u06f9]/g, (d) => String((d.charCodeAt(0) & 0xf) % 10));
}

export interface WordDate {
  /** As written in the text. */
  text: string;
  index: number;
  day: number;
  month: number;
  year: number | null;
}

// Day first: "3 Mar 2024", "3 мар. 2024 г.", "3. März 2024", "3 de marzo de 2024", "٣ مارس ٢٠٢٤".
const DAY_FIRST =
  /(?<![\p{L}\p{N}])(\d{1,2})\.?\s{1,3}(?:de\s{1,3})?(\p{L}{2,13})\.?(?:,?\s{1,3}(?:de\s{1,3})?(\d{4})(?:\s{0,2}[грж]\.)?)?(?![\p{L}\p{N}])/gu;
// Month first, capitalized (English): "Mar 3, 2024", "March 3".
const MONTH_FIRST =
  /(?<![\p{L}\p{N}])(\p{Lu}\p{L}{2,12})\.?\s{1,3}(\d{1,2})(?:,?\s{1,3}(\d{4}))?(?![\p{L}\p{N}])/gu;
// Lithuanian: "2024 m. kovo 3 d.".
const YEAR_FIRST =
  /(?<![\p{L}\p{N}])(\d{4})\s{0,2}m\.\s{1,3}(\p{L}{3,13})\.?\s{1,3}(\d{1,2})\s{0,2}d\.?(?![\p{L}\p{N}])/gu;

/** The dates in words in `text`, in the order they are written (overlapping readings: the longer). */
export function wordDates(text: string): WordDate[] {
  const plain = asciiDigits(text);
  const found: WordDate[] = [];
  const add = (m: RegExpMatchArray, day: string, word: string, year: string | undefined) => {
    const month = monthOf(word);
    const d = Number(day);
    if (month === null || d < 1 || d > 31) return;
    const index = m.index ?? 0;
    found.push({
      text: text.slice(index, index + m[0].length),
      index,
      day: d,
      month,
      year: year ? Number(year) : null,
    });
  };
  for (const m of plain.matchAll(DAY_FIRST)) add(m, m[1] as string, m[2] as string, m[3]);
  for (const m of plain.matchAll(MONTH_FIRST)) add(m, m[2] as string, m[1] as string, m[3]);
  for (const m of plain.matchAll(YEAR_FIRST)) add(m, m[3] as string, m[2] as string, m[1]);
  found.sort((a, b) => a.index - b.index || b.text.length - a.text.length);
  const out: WordDate[] = [];
  for (const d of found) {
    const last = out[out.length - 1];
    if (last && d.index < last.index + last.text.length) continue;
    out.push(d);
    if (out.length >= 50) break;
  }
  return out;
}

/**
 * A date as shown ("3 Mar 2024", "Mar 3, 2024", "3 мар. 2024 г.", "2024-03-03", …) as a UTC day (ms); null
 * for a date without a year, or none.
 */
export function dateValue(s: string): number | null {
  const iso = /^(\d{4})-(\d{2})-(\d{2})$/.exec(asciiDigits(s).trim());
  if (iso) return Date.UTC(Number(iso[1]), Number(iso[2]) - 1, Number(iso[3]));
  const d = wordDates(s)[0];
  return d && d.year !== null ? Date.UTC(d.year, d.month, d.day) : null;
}
