// The language of a text, for matching fact-check claims only within one language: franc's trigram
// model (wooorm/franc, as the OCR stage uses; src/pipeline/ocr/language.ts is bound to OCR's languages
// and sits above the memory), restricted to widely written languages so that a short text is not
// taken for a rare neighbour (Scots for English).
import { francAll } from 'franc';

/** ISO 639-3 codes franc chooses among. */
const LANGUAGES = [
  'eng',
  'rus',
  'ukr',
  'kaz',
  'lit',
  'arb',
  'fra',
  'spa',
  'deu',
  'ita',
  'por',
  'pol',
  'nld',
  'tur',
  'ron',
  'ces',
  'slk',
  'slv',
  'hrv',
  'srp',
  'bel',
  'bul',
  'lav',
  'est',
  'fin',
  'swe',
  'dan',
  'nob',
  'hun',
  'ell',
  'heb',
  'pes',
  'urd',
  'hin',
  'ben',
  'ind',
  'vie',
  'tha',
  'cmn',
  'jpn',
  'kor',
  'cat',
  'azj',
  'uzn',
];

/** Shortest text franc is asked about (letters and spaces): below it trigrams say little. */
const MIN_CHARS = 20;
/**
 * Languages within this score of the best are all taken as possible: franc ranks Russian below
 * Bulgarian on some short Russian sentences (0.90 of the best), while a Ukrainian translation of the
 * same sentence scores Russian at 0.53 and Russian Ukrainian at 0.73.
 */
const CLOSE = 0.85;

/** The languages a text may be in, most likely first; empty when too short to tell. */
export function possibleLanguages(text: string): string[] {
  const letters = text
    .slice(0, 2000)
    .replace(/https?:\/\/\S+/gu, ' ')
    .replace(/[^\p{L}\s]/gu, '')
    .replace(/\s+/gu, ' ')
    .trim();
  if (letters.length < MIN_CHARS) return [];
  const ranked = francAll(letters, { only: LANGUAGES, minLength: MIN_CHARS });
  if (!ranked.length || ranked[0]?.[0] === 'und') return [];
  return ranked.filter(([, score]) => score >= CLOSE).map(([lang]) => lang);
}

/**
 * Whether two texts are in the same language: one of their possible languages is shared. A text too
 * short to tell is in no known language, and matches none.
 */
export function sameLanguage(a: readonly string[], b: readonly string[]): boolean {
  return a.some((l) => b.includes(l));
}
