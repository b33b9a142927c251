// Any other web page (a news article, a blog): the images it declares for sharing (og:image,
// twitter:image, og:video), the images in its article body, and the social posts it embeds (tweets,
// Bluesky, Mastodon, Reddit, Telegram), which are resolved in turn, one level deep.
import { MediaError } from '../../errors.js';
import {
  MAX_EMBEDDED_POSTS,
  MAX_MEDIA_PER_POST,
  type PostMedia,
  type WebPage,
} from '../../../schemas/post.js';
import { atUriToWeb } from './bluesky.js';
import { MAX_BLOCKS, readReviews } from './claim-review.js';
import {
  byTag,
  findAll,
  findFirst,
  hasClass,
  isJsonLdScript,
  readHtml,
  textOf,
  type HtmlElement,
} from './html.js';
import { ACCEPT_HTML, expectOk, fetchStep, HTML_MAX_BYTES } from './http.js';
import { isDirectMediaUrl, mediaTypeOf } from './media-url.js';
import { METADATA_NOTES, capMedia } from './post-record.js';
import type { PlatformResolver, ResolveContext, Resolution } from './types.js';
import { clip, defined, httpUrl, isoDate, MAX_ALT_LENGTH, positiveInt } from './untrusted.js';

/** Images smaller than this on either side (by their attributes) are icons, avatars or pixels. */
const MIN_IMAGE_SIDE = 100;
/** Embedded posts resolved at once. */
const EMBED_CONCURRENCY = 3;
const TRACKING =
  /(^|\.)(doubleclick\.net|google-analytics\.com|googletagmanager\.com|facebook\.com|scorecardresearch\.com|quantserve\.com|pixel\.wp\.com|bat\.bing\.com)$/i;

type Meta = Map<string, string[]>;

function metaTags(root: HtmlElement): Meta {
  const meta: Meta = new Map();
  for (const el of findAll(root, byTag('meta'), 2000)) {
    const key = (el.attrs.property ?? el.attrs.name ?? el.attrs.itemprop ?? '').trim().toLowerCase();
    const content = el.attrs.content;
    if (!key || content === undefined) continue;
    const list = meta.get(key) ?? [];
    if (list.length < 20) list.push(content.trim());
    meta.set(key, list);
  }
  return meta;
}

const first = (meta: Meta, ...keys: string[]) => {
  for (const k of keys) {
    const v = meta.get(k)?.[0];
    if (v) return v;
  }
  return undefined;
};

/** The largest candidate of a srcset (by width, else density), or undefined. */
export function largestSrcset(srcset: string | undefined): string | undefined {
  if (!srcset) return undefined;
  let best: { url: string; size: number } | undefined;
  // Candidates are separated by commas followed by whitespace; URLs may themselves contain commas.
  for (const part of srcset.split(/,\s+/).slice(0, 50)) {
    const [url, descriptor] = part.trim().split(/\s+/) as [string, string | undefined];
    if (!url) continue;
    const m = descriptor?.match(/^(\d+(?:\.\d+)?)([wx])$/);
    const size = m ? Number(m[1]) * (m[2] === 'x' ? 1000 : 1) : 0;
    if (!best || size > best.size) best = { url, size };
  }
  return best?.url;
}

function sharedMedia(meta: Meta, base: string): PostMedia[] {
  const out: PostMedia[] = [];
  const images = [
    ...(meta.get('og:image:secure_url') ?? []),
    ...(meta.get('og:image') ?? []),
    ...(meta.get('og:image:url') ?? []),
  ];
  const width = positiveInt(meta.get('og:image:width')?.[0]);
  const height = positiveInt(meta.get('og:image:height')?.[0]);
  const alt = clip(first(meta, 'og:image:alt', 'twitter:image:alt'), MAX_ALT_LENGTH);
  images.forEach((raw, k) => {
    const url = httpUrl(raw, base);
    // og:image:width/height/alt describe the first image.
    if (url)
      out.push(
        defined({
          type: 'photo' as const,
          url,
          origin: 'og:image',
          ...(k === 0 && { width, height, alt_text: alt }),
        }),
      );
  });
  for (const raw of [...(meta.get('twitter:image') ?? []), ...(meta.get('twitter:image:src') ?? [])]) {
    const url = httpUrl(raw, base);
    if (url) out.push({ type: 'photo', url, origin: 'twitter:image' });
  }
  for (const raw of [
    ...(meta.get('og:video:secure_url') ?? []),
    ...(meta.get('og:video') ?? []),
    ...(meta.get('og:video:url') ?? []),
  ]) {
    const url = httpUrl(raw, base);
    // Player pages (an iframe URL) are not files; only keep what looks like a video file.
    if (url && isDirectMediaUrl(new URL(url))) out.push({ type: 'video', url, origin: 'og:video' });
  }
  return out;
}

function bodyImages(root: HtmlElement, base: string): PostMedia[] {
  const scope =
    findFirst(root, byTag('article')) ??
    findFirst(root, byTag('main')) ??
    findFirst(root, byTag('body')) ??
    root;
  const out: PostMedia[] = [];
  for (const img of findAll(scope, byTag('img'), 500)) {
    const a = img.attrs;
    const width = positiveInt(a.width);
    const height = positiveInt(a.height);
    if ((width !== undefined && width < MIN_IMAGE_SIDE) || (height !== undefined && height < MIN_IMAGE_SIDE))
      continue;
    const fromSet = largestSrcset(a.srcset ?? a['data-srcset']);
    // Lazy loaders keep the real image in data-* and a placeholder in src.
    const raw = fromSet ?? a['data-src'] ?? a['data-lazy-src'] ?? a['data-original'] ?? a.src;
    if (!raw || /^\s*data:/i.test(raw)) continue;
    const url = httpUrl(raw, base);
    if (!url) continue;
    const u = new URL(url);
    if (
      /\.svg$/i.test(u.pathname) ||
      TRACKING.test(u.hostname) ||
      /(^|[/_.-])(pixel|spacer|1x1|blank)\.(gif|png)$/i.test(u.pathname)
    )
      continue;
    // width/height describe how `src` is displayed, not the size of a larger srcset candidate.
    const dims = raw === a.src && !fromSet ? { width, height } : {};
    out.push(
      defined({ type: 'photo' as const, url, ...dims, alt_text: clip(a.alt, MAX_ALT_LENGTH), origin: 'img' }),
    );
    if (out.length >= MAX_MEDIA_PER_POST) break;
  }
  return out;
}

const X_STATUS =
  /^https?:\/\/(?:www\.|mobile\.)?(?:twitter|x)\.com\/(?:[A-Za-z0-9_]{1,15}|i(?:\/web)?)\/status(?:es)?\/\d{1,20}/i;
const BSKY_POST = /^https?:\/\/(?:www\.)?bsky\.app\/profile\/[^/]+\/post\/[A-Za-z0-9._~:-]+/i;
const REDDIT_POST = /^https?:\/\/(?:[a-z]+\.)?reddit\.com\/r\/[^/]+\/comments\/[a-z0-9]+/i;

/** Links of the posts a page embeds, in document order, without duplicates. */
export function embeddedPostLinks(root: HtmlElement, base: string): string[] {
  const links: string[] = [];
  const add = (raw: string | undefined, strip?: RegExp) => {
    let url = httpUrl(raw, base);
    if (!url) return;
    const u = new URL(url);
    u.hash = '';
    // ref_src and friends are embed tracking, not part of the post's address.
    for (const k of [...u.searchParams.keys()])
      if (/^(ref_src|ref_url|s|t|utm_\w+)$/i.test(k)) u.searchParams.delete(k);
    url = u.toString();
    if (strip) url = url.replace(strip, '');
    if (!links.includes(url)) links.push(url);
  };
  const anchors = (el: HtmlElement) => findAll(el, byTag('a'), 200).map((a) => a.attrs.href ?? '');

  for (const el of findAll(root, () => true, 20_000)) {
    if (links.length >= MAX_EMBEDDED_POSTS) break;
    if (el.tag === 'blockquote' && (hasClass(el, 'twitter-tweet') || hasClass(el, 'twitter-video'))) {
      // The status link is the last one (the date); earlier ones are t.co links in the text.
      add(
        anchors(el)
          .filter((h) => X_STATUS.test(h))
          .pop(),
      );
    } else if (el.tag === 'blockquote' && hasClass(el, 'bluesky-embed')) {
      const uri = el.attrs['data-bluesky-uri'];
      add(
        (uri && atUriToWeb(uri)) ??
          anchors(el)
            .filter((h) => BSKY_POST.test(h))
            .pop(),
      );
    } else if (hasClass(el, 'mastodon-embed')) {
      add(el.attrs['data-embed-url'] ?? el.attrs.src ?? anchors(el).pop(), /\/embed\/?$/);
    } else if (el.tag === 'iframe' && el.attrs.src) {
      const src = el.attrs.src;
      const tweet = src.match(/^https:\/\/platform\.twitter\.com\/embed\/Tweet\.html\?(?:.*&)?id=(\d{1,20})/);
      if (tweet) add(`https://twitter.com/i/status/${tweet[1]}`);
      else if (/\/@[A-Za-z0-9_.-]+\/\d+\/embed\/?$/.test(src)) add(src, /\/embed\/?$/);
    } else if (el.tag === 'blockquote' && (hasClass(el, 'reddit-embed-bq') || hasClass(el, 'reddit-card'))) {
      add(anchors(el).filter((h) => REDDIT_POST.test(h))[0]);
    } else if (
      el.attrs['data-telegram-post'] &&
      /^[A-Za-z0-9_]{4,32}\/\d{1,12}$/.test(el.attrs['data-telegram-post'])
    ) {
      add(`https://t.me/${el.attrs['data-telegram-post']}`);
    }
  }
  return links.slice(0, MAX_EMBEDDED_POSTS);
}

/** The texts of the page's JSON-LD blocks (each cut past the reader's cap, which then skips it). */
function jsonLdBlocks(root: HtmlElement): string[] {
  return findAll(root, isJsonLdScript, MAX_BLOCKS).map((el) =>
    el.children.filter((c): c is string => typeof c === 'string').join(''),
  );
}

async function resolveEmbeds(links: string[], ctx: ResolveContext, page: WebPage): Promise<void> {
  const results: Resolution[] = new Array<Resolution>(links.length);
  let next = 0;
  const worker = async () => {
    while (next < links.length) {
      const k = next++;
      results[k] = await ctx.resolveEmbedded(links[k] as string);
    }
  };
  await Promise.all(Array.from({ length: Math.min(EMBED_CONCURRENCY, links.length) }, worker));
  const seen = new Set<string>();
  results.forEach((r, k) => {
    const url = links[k] as string;
    if (r.kind === 'post') {
      const key = `${r.post.platform}:${r.post.id}`;
      if (!seen.has(key)) page.embedded_posts.push(r.post);
      seen.add(key);
    } else if (r.kind === 'media') {
      page.media.push({ type: mediaTypeOf(new URL(r.url)), url: r.url, origin: 'embed' });
    } else if (r.kind === 'error') {
      page.embedded_failures.push({ url, code: r.code, message: r.message });
    }
  });
}

export const webResolver: PlatformResolver = {
  platform: 'web',
  matches() {
    return true;
  },
  async resolve(url, ctx) {
    const input = url.toString();
    let res;
    try {
      res = await fetchStep(ctx, 'web_page', input, { accept: ACCEPT_HTML, maxBytes: HTML_MAX_BYTES });
    } catch (err) {
      // Larger than any page we parse: most likely a media file without an extension. The download step
      // fetches it with the media cap and sniffs what it is.
      if (err instanceof MediaError && err.code === 'too_large')
        return { kind: 'media', url: input, trail: ctx.trail };
      throw err;
    }
    expectOk(res, url.host);
    const type = (res.contentType ?? '').toLowerCase();
    // Anything that is not HTML goes to the media step, which sniffs the bytes (an image served as
    // application/octet-stream is still an image). They are all here already: handed over, not fetched again.
    if (!/html|xml/.test(type) && type !== '')
      return { kind: 'media', url: input, trail: ctx.trail, prefetched: res };

    // Relative URLs resolve against where the HTML came from; without redirects that is the input
    // (which the rewrite hook may have sent elsewhere, in tests).
    const finalUrl = res.redirects.length ? res.finalUrl : input;
    const root = await readHtml(res.body.toString('utf8'));
    const baseHref = httpUrl(findFirst(root, byTag('base'))?.attrs.href, finalUrl);
    const base = baseHref ?? finalUrl;
    const meta = metaTags(root);
    const titleEl = findFirst(root, byTag('title'));
    const canonical = findFirst(
      root,
      (el) => el.tag === 'link' && /(^|\s)canonical(\s|$)/i.test(el.attrs.rel ?? ''),
    );

    const page: WebPage = defined({
      url: input,
      final_url: finalUrl,
      canonical_url: httpUrl(canonical?.attrs.href, base) ?? httpUrl(first(meta, 'og:url'), base),
      title: clip(first(meta, 'og:title', 'twitter:title') ?? (titleEl ? textOf(titleEl) : undefined), 500),
      site_name: clip(first(meta, 'og:site_name')),
      published_at: isoDate(first(meta, 'article:published_time', 'datepublished', 'date')),
      media: [...sharedMedia(meta, base), ...bodyImages(root, base)],
      embedded_posts: [],
      embedded_failures: [],
      trail: ctx.trail,
      metadata_note: METADATA_NOTES.web,
    });
    // A fact-check article: its reviews, the pictures they name (first: they are what was reviewed), and
    // the posts where the reviewed item appeared, resolved like embedded posts.
    const reviews = readReviews(jsonLdBlocks(root), finalUrl);
    let appearances: string[] = [];
    if (reviews.length) {
      page.reviews = reviews;
      const named = reviews.flatMap((r) => r.media_urls);
      page.media = [
        ...named.map((url) => ({ type: mediaTypeOf(new URL(url)), url, origin: 'claim_review' })),
        ...page.media,
      ];
      appearances = reviews.flatMap((r) => r.item_urls);
    }
    // One level only: a page found inside a page is not searched for further embeds.
    if (ctx.depth === 0) {
      const links = [...new Set([...appearances, ...embeddedPostLinks(root, base)])];
      await resolveEmbeds(links.slice(0, MAX_EMBEDDED_POSTS), ctx, page);
    }
    page.media = capMedia(page.media);
    return { kind: 'page', page };
  },
};
