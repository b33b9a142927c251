// What a fact-checker looks for first in the words of a picture: links, @handles, dates and times. Plain
// patterns over the OCR text (bounded: the text is capped before this runs, and no pattern backtracks
// badly: each is a run of one character class).
import { asciiDigits, wordDates } from './dates.js';

export interface FoundInText {
  links: string[];
  handles: string[];
  dates: string[];
  times: string[];
}

// A link written without its scheme is a host name of up to five labels ending in a top-level domain a
// post would name (x.com, t.me, youtu.be, bbc.co.uk, gov.kz, …), not after an @ or a dot (an e-mail
// address, a Bluesky handle), and its path.
const TLDS =
  'com|org|net|gov|edu|int|info|news|io|co|me|tv|ly|be|gl|to|cc|app|dev|site|online|live|media|press|ru|su|by|ua|kz|kg|uz|tj|am|az|ge|md|lt|lv|ee|pl|de|fr|es|it|pt|uk|eu|ch|at|nl|se|no|fi|dk|cz|tr|il|iq|sy|lb|jo|eg|sa|ae|qa|us|ca|au|in';
const LINK = new RegExp(
  `\\b(?:https?:\\/\\/|www\\.)[^\\s<>"']{2,200}|(?<![\\p{L}\\p{N}@._-])(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\\.){1,4}(?:${TLDS})(?![\\p{L}\\p{N}-])(?:\\/[^\\s<>"']{0,200})?`,
  'giu',
);
// An @handle as written on X, Telegram, Mastodon (`name`, `name@instance`) or Bluesky, whose handles are
// domain names (`name.bsky.social`, `nytimes.com`, with hyphens, up to 253 characters). The run is taken
// wide and then cut (handleOf): a hyphen belongs to a domain-shaped handle only, so "@name-9:12" (a
// "·" read as "-") is still `name`.
const HANDLE_RUN = /(?<![\p{L}\p{N}_.])@([A-Za-z0-9_][A-Za-z0-9_.-]{1,252})(?:@([A-Za-z0-9.-]{3,80}))?/gu;
/** A handle shaped like a domain name (Bluesky's), as atproto's handle syntax has it. */
export const DOMAIN_HANDLE =
  /^(?=.{1,253}$)(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/** The handle in the run after an `@` (without it), or null when too little is left. */
function handleOf(run: string, instance: string | undefined): string | null {
  let name = run.replace(/[._-]+$/, '');
  if (!DOMAIN_HANDLE.test(name) || instance) {
    name = (name.split('-')[0] ?? '').slice(0, 30).replace(/[._]+$/, '');
  }
  if (name.length < 2) return null;
  const at = instance?.replace(/[.-]+$/, '');
  return at && at.length >= 3 ? `${name}@${at}` : name;
}

/** The @handles in a text, each with where its `@` is, as written (without the `@`). */
export function handlesIn(text: string): Array<{ handle: string; index: number }> {
  const out: Array<{ handle: string; index: number }> = [];
  for (const m of text.matchAll(HANDLE_RUN)) {
    const handle = handleOf(m[1] ?? '', m[2]);
    if (handle) out.push({ handle, index: m.index });
    if (out.length >= 50) break;
  }
  return out;
}
// Times as X and Telegram show them: "8:03", "20:03", "8:03 PM", "٨:٠٣ م" (Arabic-Indic digits, its
// morning and evening letters; matched on the ASCII digits, listed as written).
const TIME = /(?<!\d)(?:[01]?\d|2[0-3])[:.][0-5]\d(?:\s?[AaPp]\.?[Mm]\.?|\s?[صم](?!\p{L}))?(?!\d)/gu;
const DATE_NUMERIC = /(?<!\d)(?:\d{4}-\d{2}-\d{2}|\d{1,2}[./]\d{1,2}[./](?:\d{4}|\d{2}))(?!\d)/g;

const uniq = (xs: string[]) => [...new Set(xs.map((x) => x.replace(/[.,;:]+$/, '')))].slice(0, 50);

/** The matches of `re` in `plain` (`text` with ASCII digits: the same indices), as written in `text`. */
const written = (text: string, plain: string, re: RegExp) =>
  [...plain.matchAll(re)].map((m) => text.slice(m.index, m.index + m[0].length));

export function findInText(text: string): FoundInText {
  const links = uniq(text.match(LINK) ?? []);
  const handles = uniq(handlesIn(text).map((h) => `@${h.handle}`));
  const plain = asciiDigits(text);
  // Dates in words in any of the default OCR languages (dates.ts).
  // (Their final dots are theirs: "3 мар. 2024 г.", "2024 m. kovo 3 d.")
  const words = wordDates(text).map((d) => d.text);
  const dates = [...new Set([...uniq(written(text, plain, DATE_NUMERIC)), ...words])].slice(0, 50);
  // A numeric date such as 12.05 is not a time: times are read from what no date took.
  const rest = dates.reduce((t, d) => t.split(d).join(' '), text);
  const times = uniq(written(rest, asciiDigits(rest), TIME));
  return { links, handles, dates, times };
}
