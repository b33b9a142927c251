// From a submission to the list of URLs a check will fetch. Pure functions.
import type { Target } from '../../schemas/check.js';

// http(s) links, plus the scheme-less `pic.twitter.com/XXXX` that embedded tweets print in news
// articles (the text of an embedded tweet carries it without https://).
const LINK = /\bhttps?:\/\/[^\s<>"'`]+|(?<![\w./-])pic\.twitter\.com\/[A-Za-z0-9]+/gi;
// Punctuation that ends a sentence rather than a URL (one UTF-16 unit each), apart from `)`.
const TRAILING = new Set('.,;:!?]}\'"»”’…');
const TRACKING_PARAM = /^(utm_[a-z]+|fbclid|gclid|igshid|mc_cid|mc_eid)$/i;

/** Normalizes a URL so that the same link written two ways gives one target, or returns null. */
export function normalizeUrl(input: string): string | null {
  let url: URL;
  try {
    // Scheme-less links ("pic.twitter.com/…") are https; any other scheme is kept, and refused below.
    const hasScheme = /^[a-z][a-z0-9+.-]*:/i.test(input) && !/^[^:/]+:\d/.test(input);
    url = new URL(hasScheme ? input : `https://${input}`);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  if (!url.hostname) return null;
  url.hash = '';
  for (const name of [...url.searchParams.keys()]) {
    if (TRACKING_PARAM.test(name)) url.searchParams.delete(name);
  }
  return url.toString();
}

/**
 * CheckRequest's limit on `text` (schemas/check.ts), applied here too so that no caller can hand this
 * more work: the API validates the body against the schema and the form checks the length first.
 */
export const MAX_TEXT_CHARS = 20_000;

/** `link` without the sentence punctuation that follows it. */
function trimTrailing(link: string): string {
  // One pass from the end, with the parentheses counted once: re-testing a `…+$` regex and recounting
  // after each character made 20 KB of ")" after a link take 22 s (issue 16).
  let opens = 0;
  let closes = 0;
  for (let i = 0; i < link.length; i++) {
    const c = link.charCodeAt(i);
    if (c === 0x28) opens++;
    else if (c === 0x29) closes++;
  }
  let end = link.length;
  while (end > 0) {
    const c = link[end - 1] as string;
    if (TRAILING.has(c)) end--;
    // A closing parenthesis belongs to the URL only when the URL opened one (Wikipedia-style links).
    else if (c === ')' && opens < closes) {
      end--;
      closes--;
    } else break;
  }
  return link.slice(0, end);
}

/** Every link in pasted text, in order of appearance (the text is read up to MAX_TEXT_CHARS). */
export function extractLinks(text: string): string[] {
  const found: string[] = [];
  const bounded = text.length > MAX_TEXT_CHARS ? text.slice(0, MAX_TEXT_CHARS) : text;
  for (const match of bounded.matchAll(LINK)) found.push(trimTrailing(match[0]));
  return found;
}

export type TargetsResult =
  { ok: true; targets: Target[] } | { ok: false; reason: 'none' | 'invalid'; input?: string };

/** Targets of a submission: the one URL, or every link in the text. */
export function targetsOf(submission: {
  url?: string | undefined;
  text?: string | undefined;
}): TargetsResult {
  if (submission.url !== undefined) {
    const url = normalizeUrl(submission.url.trim());
    if (!url) return { ok: false, reason: 'invalid', input: submission.url };
    return { ok: true, targets: [{ input: submission.url, url }] };
  }
  const seen = new Set<string>();
  const targets: Target[] = [];
  for (const link of extractLinks(submission.text ?? '')) {
    const url = normalizeUrl(link);
    if (!url || seen.has(url)) continue;
    seen.add(url);
    targets.push({ input: link, url });
  }
  return targets.length ? { ok: true, targets } : { ok: false, reason: 'none' };
}

/** What makes two submissions "the same work": their normalized URLs, in order. */
export function targetsFingerprint(targets: Target[]): string {
  return targets.map((t) => t.url).join('\n');
}
