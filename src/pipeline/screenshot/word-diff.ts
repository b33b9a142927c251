// The words of a screenshot against the words of the post it shows: which words the screenshot changed,
// and which differences are only OCR misreading the pixels. Written by hand because the diff libraries
// align equal tokens only (jsdiff's diffArrays): a word OCR read as "Breakinq" would be an edit to them,
// while here the alignment itself weighs how alike two words are.
//
// How an OCR error is told from an edited word. Both texts are normalized (NFKC, lower case, links and
// punctuation dropped) and aligned word by word (a weighted edit distance over words: a substitution
// costs the two words' character distance, so "breakinq" pairs with "breaking" and a changed word with
// the word it replaced). Each run of words that differ is then judged as a whole, its words joined:
//  - equal once letters OCR confuses are mapped to one (0/o, 1/l/i/|, 5/s, rn/m, vv/w, cl/d) and
//    diacritics dropped (tesseract often loses or invents them): OCR noise;
//  - digits that differ, on a line tesseract is sure of (>= 60): an edit (a date, a number, a count);
//  - otherwise the character edit distance against what the line's confidence allows: on a line
//    tesseract reads at >= 85 (clean screenshots read at 90-97 here), a word of 4+ letters may differ
//    in 15% of its letters (one in "breaking"), a shorter word in none ("now" for "not" is an edit);
//    on a less sure line, 30% (one letter in a short word). More than that is a different word: an edit
//    ("raiding" for "guarding" is three letters of eight).
//  - words only in the screenshot are noise when they are scraps (two characters or fewer, or read at
//    under 60: an avatar or icon read as letters); words only in the post are an edit, except at the
//    end of the post, which a screenshot may cut off ("Show more").
// A run that mixes an OCR error with an edit beside it is reported whole, as one difference.

export interface ShotWord {
  word: string;
  /** Confidence of the OCR line the word is on (0-100). */
  confidence: number;
}

export interface WordDifference {
  /** The screenshot's words (empty: words of the post it leaves out). */
  screenshot: string;
  /** The post's words (empty: words the screenshot adds). */
  post: string;
}

export interface TextComparison {
  /** Words of the post (normalized). */
  post_words: number;
  /** Post words the screenshot shows: equal, or different only by OCR noise. */
  matched: number;
  /** Post words at the end the screenshot does not show (cut off), not counted as differences. */
  cut_off: number;
  differences: WordDifference[];
}

const URL_LIKE = /\b(?:https?:\/\/|www\.)\S+|\b(?:t\.co|pic\.twitter\.com|bit\.ly)\/\S+/giu;

/** Words as compared: NFKC, lower case, no links, only letters and digits. */
export function words(text: string): string[] {
  return text
    .normalize('NFKC')
    .replace(URL_LIKE, ' ')
    .toLowerCase()
    .split(/\s+/u)
    .map((w) => w.replace(/[^\p{L}\p{N}]+/gu, ''))
    .filter(Boolean);
}

/** What OCR confuses, mapped to one form, without diacritics. */
export function ocrForm(w: string): string {
  return w
    .normalize('NFD')
    .replace(/\p{M}+/gu, '')
    .replace(/rn/g, 'm')
    .replace(/vv/g, 'w')
    .replace(/cl/g, 'd')
    .replace(/[0]/g, 'o')
    .replace(/[1|!íìї]/g, 'l')
    .replace(/i/g, 'l')
    .replace(/5/g, 's')
    .replace(/8/g, 'b');
}

/** Levenshtein distance by UTF-16 unit (words are letters and digits, nearly all in one unit each). */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  if (!a.length || !b.length) return a.length + b.length;
  let prev = new Uint16Array(b.length + 1);
  let cur = new Uint16Array(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    const ca = a.charCodeAt(i - 1);
    for (let j = 1; j <= b.length; j++) {
      const del = (prev[j] as number) + 1;
      const ins = (cur[j - 1] as number) + 1;
      const sub = (prev[j - 1] as number) + (ca === b.charCodeAt(j - 1) ? 0 : 1);
      cur[j] = del < ins ? (del < sub ? del : sub) : ins < sub ? ins : sub;
    }
    [prev, cur] = [cur, prev];
  }
  return prev[b.length] as number;
}

const SURE_LINE = 85;
const digits = (s: string) => s.replace(/\D+/g, '');

/** Whether `shot` (read at `confidence`) is the post's `post` misread by OCR rather than changed. */
export function isOcrNoise(shot: string, post: string, confidence: number): boolean {
  if (shot === post) return true;
  if (!post) return [...shot].length <= 2 || confidence < 60;
  if (!shot) return false;
  const a = ocrForm(shot);
  const b = ocrForm(post);
  if (a === b) return true;
  if (digits(shot) !== digits(post) && confidence >= 60 && (digits(shot) || digits(post))) return false;
  const len = Math.max(a.length, b.length);
  const share = confidence >= SURE_LINE ? 0.15 : 0.3;
  const allowed = len <= 3 ? (confidence >= SURE_LINE ? 0 : 1) : Math.max(1, Math.floor(len * share));
  return editDistance(a, b) <= allowed;
}

type Op = { kind: 'same' | 'sub' | 'ins' | 'del'; shot?: ShotWord; post?: string };

/** Most words of each side aligned (a post of 280 characters has ~60): bounds the O(n·m) alignment. */
export const MAX_WORDS = 400;

/** Aligns the screenshot's words with the post's: substitutions cost the words' character distance (0-2). */
function align(shot: ShotWord[], post: string[]): Op[] {
  const n = shot.length;
  const m = post.length;
  const cost = new Float64Array((n + 1) * (m + 1));
  const subs = new Float64Array((n + 1) * (m + 1));
  const at = (i: number, j: number) => i * (m + 1) + j;
  const xs = shot.map((w) => ocrForm(w.word));
  const ys = post.map(ocrForm);
  const sub = (i: number, j: number) => subs[at(i + 1, j + 1)] as number;
  for (let i = 0; i <= n; i++) cost[at(i, 0)] = i;
  for (let j = 0; j <= m; j++) cost[at(0, j)] = j;
  for (let i = 1; i <= n; i++)
    for (let j = 1; j <= m; j++) {
      const a = (shot[i - 1] as ShotWord).word;
      const x = xs[i - 1] as string;
      const y = ys[j - 1] as string;
      const c =
        a === post[j - 1] ? 0 : x === y ? 0.1 : (2 * editDistance(x, y)) / Math.max(x.length, y.length);
      subs[at(i, j)] = c;
      cost[at(i, j)] = Math.min(
        (cost[at(i - 1, j)] as number) + 1,
        (cost[at(i, j - 1)] as number) + 1,
        (cost[at(i - 1, j - 1)] as number) + c,
      );
    }
  const ops: Op[] = [];
  let i = n;
  let j = m;
  while (i > 0 || j > 0) {
    const here = cost[at(i, j)] as number;
    if (i > 0 && j > 0 && Math.abs(here - ((cost[at(i - 1, j - 1)] as number) + sub(i - 1, j - 1))) < 1e-9) {
      const s = shot[i - 1] as ShotWord;
      const p = post[j - 1] as string;
      ops.push({ kind: s.word === p ? 'same' : 'sub', shot: s, post: p });
      i--;
      j--;
    } else if (i > 0 && Math.abs(here - ((cost[at(i - 1, j)] as number) + 1)) < 1e-9) {
      ops.push({ kind: 'ins', shot: shot[i - 1] });
      i--;
    } else {
      ops.push({ kind: 'del', post: post[j - 1] });
      j--;
    }
  }
  return ops.reverse();
}

/**
 * Distinct words of four letters or more in the screenshot that the post has too, spelled alike (as OCR
 * forms), and how many such words the screenshot has: a cheap bound on what the alignment can match, to
 * skip an author's other posts without aligning them.
 */
export function sharedWords(shot: ShotWord[], postText: string): { shared: number; of: number } {
  const long = (w: string) => w.length >= 4;
  const forms = new Set(words(postText).slice(0, MAX_WORDS).filter(long).map(ocrForm));
  const mine = new Set(shot.slice(0, MAX_WORDS).flatMap((w) => (long(w.word) ? [ocrForm(w.word)] : [])));
  return { shared: [...mine].filter((w) => forms.has(w)).length, of: mine.size };
}

/** The screenshot's words against the post's text. */
export function compareWords(shotWords: ShotWord[], postText: string): TextComparison {
  const shot = shotWords.slice(0, MAX_WORDS);
  const post = words(postText).slice(0, MAX_WORDS);
  const ops = align(shot, post);
  // The post's words after the screenshot's last word are cut off, not removed.
  let end = ops.length;
  while (end > 0 && ops[end - 1]?.kind === 'del') end--;
  const cut_off = ops.length - end;
  const differences: WordDifference[] = [];
  let matched = 0;
  let run: Op[] = [];
  const flush = () => {
    if (!run.length) return;
    const a = run.flatMap((o) => (o.shot ? [o.shot.word] : []));
    const b = run.flatMap((o) => (o.post !== undefined ? [o.post] : []));
    const conf = Math.min(100, ...run.flatMap((o) => (o.shot ? [o.shot.confidence] : [])));
    // Words OCR split or joined ("new rpg" read "newrpg") are compared joined.
    if (isOcrNoise(a.join(''), b.join(''), conf)) matched += b.length;
    else differences.push({ screenshot: a.join(' '), post: b.join(' ') });
    run = [];
  };
  for (const o of ops.slice(0, end)) {
    if (o.kind === 'same') {
      flush();
      matched++;
    } else run.push(o);
  }
  flush();
  return { post_words: post.length, matched, cut_off, differences };
}
