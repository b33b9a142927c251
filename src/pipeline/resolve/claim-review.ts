// Reading the fact-checks a page publishes: schema.org `ClaimReview` and `MediaReview` in its JSON-LD
// (`<script type="application/ld+json">`), as Google's fact-check markup guide and schema.org define them:
// a review may be the top object, one of an array, inside `@graph`, or nested (a NewsArticle's `review`).
// JSON-LD here is outside text: every block is capped before it is parsed, the walk visits a bounded
// number of nodes to a bounded depth, and every value kept goes through the untrusted readers (clipped
// strings, http(s) URLs only, sane dates), so a hostile page yields fewer reviews, never a stall.
//
// Not a JSON-LD processor: fact-check pages write plain schema.org terms (compact IRIs like `schema:` and
// full `https://schema.org/` types are accepted too); contexts are never fetched.
import { MAX_REVIEW_URLS, MAX_REVIEWS_PER_PAGE, type PublishedReview } from '../../../schemas/fact-checks.js';
import { isDirectMediaUrl } from './media-url.js';
import { arr, clip, httpUrl, isoDate, obj, type Json } from './untrusted.js';

/** JSON-LD blocks read per page, and characters per block (a real ClaimReview block is a few KB). */
export const MAX_BLOCKS = 20;
export const MAX_BLOCK_CHARS = 512 * 1024;
/** Objects visited per block while looking for reviews, and how deep. */
const MAX_NODES = 5_000;
const MAX_DEPTH = 12;

const REVIEW_TYPES = new Set(['ClaimReview', 'MediaReview']);

/** `ClaimReview`, `schema:ClaimReview` or `https://schema.org/ClaimReview` → `ClaimReview`. */
function term(value: string): string {
  return value.replace(/^(?:https?:\/\/schema\.org\/|schema:)/, '');
}

function typesOf(node: Json): string[] {
  const t = node['@type'];
  return (Array.isArray(t) ? t.slice(0, 10) : [t]).flatMap((v) => (typeof v === 'string' ? [term(v)] : []));
}

/**
 * A property's values as objects (a single object or an array of them). A string stands for the object
 * by its `url` (an appearance, an image) or by its `name` (an author written as text).
 */
function objects(value: unknown, limit = MAX_REVIEW_URLS, stringIs: 'url' | 'name' = 'url'): Json[] {
  const list = Array.isArray(value) ? arr(value).slice(0, limit) : [value];
  return list.flatMap((v) => {
    const o = obj(v);
    if (o) return [o];
    return typeof v === 'string' ? [{ [stringIs]: v }] : [];
  });
}

/** A name: a string, or an object's `name` (else `alternateName`). */
function nameOf(value: unknown, max = 200): string | null {
  const first: unknown = Array.isArray(value) ? (value as unknown[])[0] : value;
  if (typeof first === 'string') return clip(first, max) ?? null;
  const o = obj(first);
  return o ? (clip(o.name, max) ?? clip(o.alternateName, max) ?? null) : null;
}

function readReview(node: Json, type: 'ClaimReview' | 'MediaReview', pageUrl: string): PublishedReview {
  const item_urls: string[] = [];
  const media_urls: string[] = [];
  const addUrl = (raw: unknown) => {
    const url = httpUrl(raw, pageUrl);
    if (!url) return;
    let direct = false;
    try {
      direct = isDirectMediaUrl(new URL(url));
    } catch {
      return;
    }
    const list = direct ? media_urls : item_urls;
    if (!list.includes(url) && list.length < MAX_REVIEW_URLS) list.push(url);
  };
  const addMedia = (raw: unknown) => {
    const url = httpUrl(raw, pageUrl);
    if (url && !media_urls.includes(url) && media_urls.length < MAX_REVIEW_URLS) media_urls.push(url);
  };
  /** An appearance: a post or page (`url`), or a media object (`contentUrl`, `image`). */
  const appearance = (a: Json) => {
    addMedia(a.contentUrl);
    for (const img of objects(a.image)) addMedia(img.contentUrl ?? img.url);
    addUrl(a.url);
  };
  for (const item of objects(node.itemReviewed, 3)) {
    for (const key of ['appearance', 'firstAppearance', 'mediaItemAppearance'])
      for (const a of objects(item[key])) appearance(a);
    addMedia(item.contentUrl);
    for (const img of objects(item.image)) addMedia(img.contentUrl ?? img.url);
  }
  for (const img of objects(node.image)) addMedia(img.contentUrl ?? img.url);
  for (const link of objects(node.originalMediaLink)) addUrl(link.url);

  const rating = objects(node.reviewRating, 1, 'name')[0];
  const category = nameOf(node.mediaAuthenticityCategory);
  const author = objects(node.author, 1, 'name')[0] ?? objects(node.publisher, 1, 'name')[0];
  return {
    type,
    url: httpUrl(node.url, pageUrl) ?? pageUrl,
    title: clip(node.headline ?? node.name, 500) ?? null,
    claim: clip(node.claimReviewed, 2000) ?? null,
    rating:
      (rating && (clip(rating.alternateName, 200) ?? clip(rating.name, 200))) ??
      (category ? term(category) : null),
    publisher: {
      name: author ? (clip(author.name, 200) ?? null) : null,
      site: author ? (httpUrl(author.url ?? author.sameAs, pageUrl) ?? null) : null,
    },
    reviewed_at: isoDate(node.datePublished) ?? null,
    language: nameOf(node.inLanguage, 35),
    item_urls,
    media_urls,
  };
}

/** One item of a ClaimReview data feed: the review it is, or why it is not one. */
export function feedReview(node: unknown): PublishedReview | { error: string } {
  const o = obj(node);
  if (!o) return { error: 'not an object' };
  const type = typesOf(o).find((t) => REVIEW_TYPES.has(t)) as 'ClaimReview' | 'MediaReview' | undefined;
  if (!type) return { error: 'not a ClaimReview or MediaReview' };
  const base = httpUrl(o.url);
  const review = readReview(o, type, base ?? '');
  // Without a page to fall back on, a review must say where it is or what it reviewed.
  if (!base) review.url = null;
  if (!review.url && !review.claim) return { error: 'no url and no claimReviewed' };
  return review;
}

/** The ClaimReviews and MediaReviews in one JSON-LD value, in document order. */
export function reviewsIn(root: unknown, pageUrl: string, out: PublishedReview[] = []): PublishedReview[] {
  const todo: Array<{ node: unknown; depth: number }> = [{ node: root, depth: 0 }];
  let visited = 0;
  while (todo.length && visited < MAX_NODES && out.length < MAX_REVIEWS_PER_PAGE) {
    const { node, depth } = todo.pop() as { node: unknown; depth: number };
    if (depth > MAX_DEPTH || node === null || typeof node !== 'object') continue;
    visited++;
    const children: unknown[] = Array.isArray(node) ? arr(node) : [];
    if (!Array.isArray(node)) {
      const o = node as Json;
      const type = typesOf(o).find((t) => REVIEW_TYPES.has(t)) as 'ClaimReview' | 'MediaReview' | undefined;
      if (type) {
        out.push(readReview(o, type, pageUrl));
        continue;
      }
      let keys = 0;
      for (const key in o) {
        if (++keys > 200) break;
        const v = o[key];
        if (v !== null && typeof v === 'object') children.push(v);
      }
    }
    // Reversed onto the stack, so reviews come out in document order.
    for (let k = children.length - 1; k >= 0; k--) todo.push({ node: children[k], depth: depth + 1 });
  }
  return out;
}

/** Reviews in a page's JSON-LD blocks (the texts of its ld+json scripts). */
export function readReviews(blocks: readonly string[], pageUrl: string): PublishedReview[] {
  const out: PublishedReview[] = [];
  for (const block of blocks.slice(0, MAX_BLOCKS)) {
    if (block.length > MAX_BLOCK_CHARS) continue;
    let value: unknown;
    try {
      value = JSON.parse(block);
    } catch {
      continue;
    }
    reviewsIn(value, pageUrl, out);
    if (out.length >= MAX_REVIEWS_PER_PAGE) break;
  }
  // The same review written twice (an article's markup and its AMP twin): once.
  const seen = new Set<string>();
  return out.filter((r) => {
    const key = `${r.url ?? ''}|${r.claim ?? ''}|${r.rating ?? ''}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
