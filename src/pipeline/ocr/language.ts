// Which script and language a text is in. The script is counted from the letters' Unicode blocks (exact,
// free); the language is franc's trigram model (wooorm/franc: maintained, no model download, 187
// languages incl. Kazakh and Lithuanian that lighter detectors such as eld lack), restricted to the
// languages OCR is configured for.
import { francAll } from 'franc';

export type Script = 'Latin' | 'Cyrillic' | 'Arabic' | 'Greek' | 'Hebrew' | 'Han' | 'Other';

/** Tesseract language code -> ISO 639-3 code franc uses (where they differ). */
const TO_FRANC: Record<string, string> = { ara: 'arb', ell: 'ell', heb: 'heb', chi_sim: 'cmn' };
const FROM_FRANC = Object.fromEntries(Object.entries(TO_FRANC).map(([k, v]) => [v, k]));

/** The script each tesseract language is written in (those firstseen knows; others count as Latin). */
export const LANGUAGE_SCRIPT: Record<string, Script> = {
  eng: 'Latin',
  lit: 'Latin',
  fra: 'Latin',
  spa: 'Latin',
  deu: 'Latin',
  ita: 'Latin',
  pol: 'Latin',
  por: 'Latin',
  nld: 'Latin',
  lav: 'Latin',
  est: 'Latin',
  tur: 'Latin',
  ron: 'Latin',
  ces: 'Latin',
  rus: 'Cyrillic',
  ukr: 'Cyrillic',
  kaz: 'Cyrillic',
  bel: 'Cyrillic',
  bul: 'Cyrillic',
  srp: 'Cyrillic',
  ara: 'Arabic',
  fas: 'Arabic',
  urd: 'Arabic',
  ell: 'Greek',
  heb: 'Hebrew',
  chi_sim: 'Han',
};

export const scriptOf = (lang: string): Script => LANGUAGE_SCRIPT[lang] ?? 'Latin';

const NAMES = new Intl.DisplayNames(['en'], { type: 'language' });

/**
 * A tesseract language's BCP 47 tag ("rus" -> "ru", "chi_sim" -> "zh-Hans"), by ICU's own aliases (the
 * report page's lang attribute); null for a code ICU does not take.
 */
export function languageTag(lang: string): string | null {
  const tag = lang
    .replace(/_sim$/, '-Hans')
    .replace(/_tra$/, '-Hant')
    .replace(/_vert$/, '');
  try {
    return Intl.getCanonicalLocales(tag)[0] ?? null;
  } catch {
    return null;
  }
}

/** A tesseract language's English name ("rus" -> "Russian"), or its code when ICU has none. */
export function languageName(lang: string): string {
  const tag = languageTag(lang);
  return (tag && NAMES.of(tag)) ?? lang;
}

function charScript(cp: number): Script | null {
  if ((cp >= 0x41 && cp <= 0x5a) || (cp >= 0x61 && cp <= 0x7a) || (cp >= 0xc0 && cp <= 0x24f)) return 'Latin';
  if (cp >= 0x400 && cp <= 0x52f) return 'Cyrillic';
  if ((cp >= 0x600 && cp <= 0x6ff) || (cp >= 0x750 && cp <= 0x77f) || (cp >= 0xfb50 && cp <= 0xfeff))
    return 'Arabic';
  if (cp >= 0x370 && cp <= 0x3ff) return 'Greek';
  if (cp >= 0x590 && cp <= 0x5ff) return 'Hebrew';
  if (cp >= 0x4e00 && cp <= 0x9fff) return 'Han';
  if (cp > 0x24f && /\p{L}/u.test(String.fromCodePoint(cp))) return 'Other';
  return null;
}

/** Letters per script, most first. */
export function scripts(text: string): { script: Script; letters: number }[] {
  const counts = new Map<Script, number>();
  for (const ch of text) {
    const s = charScript(ch.codePointAt(0) as number);
    if (s) counts.set(s, (counts.get(s) ?? 0) + 1);
  }
  return [...counts].map(([script, letters]) => ({ script, letters })).sort((a, b) => b.letters - a.letters);
}

/** Shortest text franc is asked about: below it trigrams say little. */
export const MIN_LANGUAGE_CHARS = 20;

/**
 * The most likely of `languages` (tesseract codes) for `text`, or null when the text is too short or
 * none of them is written in its script, or the runner-up scores within `lead` of it (franc's scores are
 * relative to the best's 1: "Сегодня в Казахстане произошло нечто" is rus 1, ukr 0.94).
 */
export function identifyLanguage(text: string, languages: string[], lead = 0): string | null {
  const letters = text
    .replace(/[^\p{L}\s]/gu, '')
    .replace(/\s+/g, ' ')
    .trim();
  if (letters.length < MIN_LANGUAGE_CHARS) return null;
  const main = scripts(letters)[0]?.script;
  const only = languages.filter((l) => scriptOf(l) === main).map((l) => TO_FRANC[l] ?? l);
  if (only.length === 0) return null;
  if (only.length === 1) return FROM_FRANC[only[0] as string] ?? (only[0] as string);
  const [best, next] = francAll(letters, { only, minLength: MIN_LANGUAGE_CHARS });
  if (!best || best[0] === 'und' || (next && next[1] > 1 - lead)) return null;
  return FROM_FRANC[best[0]] ?? best[0];
}
