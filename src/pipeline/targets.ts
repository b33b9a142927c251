// From a submission to the list of URLs a check will fetch. Pure functions.
import type { Target } from '../../schemas/check.js';

// http(s) links, plus the scheme-less `pic.twitter.com/XXXX` that embedded tweets print in news
// articles (the text of an embedded tweet carries it without https://).
const LINK = /\bhttps?:\/\/[^\s<>"'`]+|(?<![\w./-])pic\.twitter\.com\/[A-Za-z0-9]+/gi;
// Punctuation that ends a sentence rather than a URL.
const TRAILING = /[.,;:!?)\]}'"»”’…]+$/;
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

/** Every link in pasted text, in order of appearance, deduplicated by normalized URL. */
export function extractLinks(text: string): string[] {
  const found: string[] = [];
  for (const match of text.matchAll(LINK)) {
    let link = match[0];
    // A closing parenthesis belongs to the URL only when the URL opened one (Wikipedia-style links).
    while (TRAILING.test(link)) {
      const trimmed = link.replace(/[.,;:!?\]}'"»”’…]+$/, '');
      if (trimmed !== link) {
        link = trimmed;
        continue;
      }
      if (link.endsWith(')') && (link.match(/\(/g)?.length ?? 0) < (link.match(/\)/g)?.length ?? 0)) {
        link = link.slice(0, -1);
        continue;
      }
      break;
    }
    found.push(link);
  }
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
