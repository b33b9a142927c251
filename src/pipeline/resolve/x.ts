// X (Twitter): status URLs on every X host, the t.co and pic.twitter.com shorteners, and two sources
// that need no API key: the syndication API that embedded tweets use (primary) and a configurable
// FxTwitter-style JSON API (fallback when syndication fails or has nothing).
import { MediaError } from '../../errors.js';
import type { PostMedia, PostVideoVariant, QuotedPost } from '../../../schemas/post.js';
import { ResolveError, isDefinite } from './failures.js';
import { parseHtml, findFirst } from './html.js';
import { ACCEPT_HTML, ACCEPT_JSON, fetchStep, HTML_MAX_BYTES, isJson, JSON_MAX_BYTES } from './http.js';
import { upgradeXPhoto } from './media-url.js';
import { finishPost, type PostCore } from './post-record.js';
import type { PlatformResolver, ResolveContext, Resolution } from './types.js';
import {
  arr,
  clip,
  defined,
  httpUrl,
  isoDate,
  MAX_ALT_LENGTH,
  MAX_TEXT_LENGTH,
  num,
  obj,
  parseJson,
  positiveInt,
  str,
  type Json,
} from './untrusted.js';

const STATUS_HOSTS = new Set([
  'twitter.com',
  'www.twitter.com',
  'mobile.twitter.com',
  'm.twitter.com',
  'x.com',
  'www.x.com',
  'mobile.x.com',
  // Embed-fixing mirrors people paste; same paths, same ids.
  'fxtwitter.com',
  'vxtwitter.com',
  'fixupx.com',
  'fixvx.com',
]);
const SCREEN_NAME = /^[A-Za-z0-9_]{1,15}$/;
const SHORTENER_HOSTS = new Set(['t.co', 'pic.twitter.com', 'pic.x.com']);

const STATUS_PATH =
  /^\/(?:i\/web\/|i\/|[A-Za-z0-9_]{1,15}\/)status(?:es)?\/(\d{1,20})(?:\/(photo|video)\/(\d{1,2}))?\/?$/;

export interface StatusRef {
  id: string;
  /** 0-based index of the media item the URL pointed at (`/photo/2` → 1). */
  selected?: number;
}

/** The status a path points at, whatever the host. */
export function parseStatusPath(pathname: string): StatusRef | null {
  const m = pathname.match(STATUS_PATH);
  if (!m) return null;
  const n = m[3] ? Number(m[3]) : undefined;
  return { id: m[1] as string, ...(n !== undefined && n >= 1 && { selected: n - 1 }) };
}

/** Token the syndication API expects, derived from the id as embedded-tweet clients do. */
export function syndicationToken(id: string): string {
  return ((Number(id) / 1e15) * Math.PI).toString(6 ** 2).replace(/(0+|\.)/g, '');
}

/** Hosts that count as X: X's own, and what the rewrite hook maps them to (local servers in tests). */
function xHosts(ctx: ResolveContext): Set<string> {
  const hosts = new Set(STATUS_HOSTS);
  const rewrite = ctx.deps.endpoints.rewrite;
  if (rewrite) for (const h of STATUS_HOSTS) hosts.add(rewrite(new URL(`https://${h}/`)).host);
  return hosts;
}

function statusIn(url: string, hosts: Set<string>): StatusRef | null {
  try {
    const u = new URL(url);
    return hosts.has(u.host) || hosts.has(u.hostname) ? parseStatusPath(u.pathname) : null;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------------
// Syndication: GET /tweet-result?id=…&token=…

function variantsOf(list: unknown[]): PostVideoVariant[] {
  const out: PostVideoVariant[] = [];
  for (const v of list.map(obj)) {
    const url = httpUrl(v?.url ?? v?.src);
    if (!url) continue;
    out.push(
      defined({
        url,
        content_type: clip(v?.content_type ?? v?.type, 100),
        bitrate: positiveInt(v?.bitrate, 1e9),
      }),
    );
  }
  return out;
}

/** The highest-bitrate MP4, else the first variant: what a downloader can read in one GET. */
function bestVariant(variants: PostVideoVariant[]): PostVideoVariant | undefined {
  const mp4 = variants.filter((v) => /mp4/i.test(v.content_type ?? '') || /\.mp4(\?|$)/i.test(v.url));
  return [...mp4].sort((a, b) => (b.bitrate ?? 0) - (a.bitrate ?? 0))[0] ?? variants[0];
}

function videoMedia(
  type: 'video' | 'gif',
  variants: PostVideoVariant[],
  poster: string | undefined,
  extra: Partial<PostMedia>,
): PostMedia | undefined {
  const best = bestVariant(variants);
  if (!best) return undefined;
  return defined({
    type,
    url: best.url,
    width: extra.width ?? best.width,
    height: extra.height ?? best.height,
    alt_text: extra.alt_text,
    poster_url: poster ? upgradeXPhoto(poster) : undefined,
    variants,
  });
}

function syndicationMedia(t: Json): PostMedia[] {
  const out: PostMedia[] = [];
  for (const d of arr(t.mediaDetails).map(obj)) {
    if (!d) continue;
    const info = obj(d.original_info);
    const dims = { width: positiveInt(info?.width), height: positiveInt(info?.height) };
    const alt_text = clip(d.ext_alt_text, MAX_ALT_LENGTH);
    const still = httpUrl(d.media_url_https);
    if (d.type === 'photo') {
      if (still) out.push(defined({ type: 'photo' as const, url: upgradeXPhoto(still), ...dims, alt_text }));
    } else if (d.type === 'video' || d.type === 'animated_gif') {
      const variants = variantsOf(arr(obj(d.video_info)?.variants));
      const m = videoMedia(d.type === 'video' ? 'video' : 'gif', variants, still, { ...dims, alt_text });
      if (m) out.push(m);
    }
  }
  if (out.length) return out;
  // Older answers carry `photos` and `video` instead of `mediaDetails`.
  for (const p of arr(t.photos).map(obj)) {
    const url = httpUrl(p?.url);
    if (url)
      out.push(
        defined({
          type: 'photo' as const,
          url: upgradeXPhoto(url),
          width: positiveInt(p?.width),
          height: positiveInt(p?.height),
          alt_text: clip(p?.accessibilityLabel, MAX_ALT_LENGTH),
        }),
      );
  }
  const video = obj(t.video);
  if (video) {
    const m = videoMedia('video', variantsOf(arr(video.variants)), httpUrl(video.poster), {});
    if (m) out.push(m);
  }
  return out;
}

/**
 * A tweet in the post schema, from either source's JSON: they name the same facts differently
 * (syndication: id_str, user.id_str, created_at; FxTwitter: id, author.id, created_timestamp).
 */
function xPost(
  t: Json,
  fallbackId: string,
  fields: { id: unknown; user: Json | undefined; userId: unknown; postedAt: unknown },
  media: PostMedia[],
): QuotedPost {
  const id = str(fields.id)?.match(/^\d{1,20}$/)?.[0] ?? fallbackId;
  const handle = str(fields.user?.screen_name)?.match(SCREEN_NAME)?.[0];
  return defined({
    platform: 'x' as const,
    id,
    url: `https://x.com/${handle ?? 'i'}/status/${id}`,
    author: defined({
      handle,
      display_name: clip(fields.user?.name),
      id: clip(fields.userId, 30),
      url: handle ? `https://x.com/${handle}` : undefined,
    }),
    posted_at: isoDate(fields.postedAt),
    text: clip(t.text, MAX_TEXT_LENGTH),
    language: clip(t.lang, 20),
    sensitive: t.possibly_sensitive === true ? true : undefined,
    media,
  });
}

function syndicationTweet(t: Json, fallbackId: string): QuotedPost {
  const user = obj(t.user);
  return xPost(
    t,
    fallbackId,
    { id: t.id_str, user, userId: user?.id_str, postedAt: t.created_at },
    syndicationMedia(t),
  );
}

/** What a tombstone's text says happened. */
function tombstoneError(t: Json): ResolveError {
  const text = clip(obj(obj(t.tombstone)?.text)?.text, 500) ?? clip(str(obj(t.tombstone)?.text), 500) ?? '';
  if (/age[- ]restricted|adult content|under 18|18 years/i.test(text))
    return new ResolveError('post_age_restricted', text || 'X shows this post only to signed-in adults');
  if (/limits who can view|protected|only (?:approved|confirmed) followers/i.test(text))
    return new ResolveError('post_protected', text || 'The account is protected');
  return new ResolveError('post_deleted', text || 'X shows a tombstone in place of this post');
}

/** The tweet from syndication; null when it answers with nothing usable (the fallback is worth asking). */
async function fromSyndication(id: string, ctx: ResolveContext): Promise<PostCore | null> {
  const base = ctx.deps.endpoints.xSyndication.replace(/\/+$/, '');
  const url = `${base}/tweet-result?id=${id}&token=${syndicationToken(id)}&lang=en`;
  const res = await fetchStep(ctx, 'x_syndication', url, { accept: ACCEPT_JSON, maxBytes: JSON_MAX_BYTES });
  if (res.status === 404)
    throw new ResolveError('post_not_found', `X shows no post ${id}: deleted, never posted, or protected`, {
      httpStatus: 404,
    });
  if (res.status >= 400)
    throw new MediaError('http_error', `HTTP ${res.status} from X syndication`, { httpStatus: res.status });
  const t = obj(parseJson(res.body));
  if (!t) return null;
  if (t.__typename === 'TweetTombstone' || (t.tombstone && !t.id_str)) throw tombstoneError(t);
  if (t.__typename !== 'Tweet' && !t.id_str) return null;
  const tweet = syndicationTweet(t, id);
  const quoted = obj(t.quoted_tweet);
  const quotedId = str(quoted?.id_str)?.match(/^\d{1,20}$/)?.[0];
  return defined({ ...tweet, quoted: quoted && quotedId ? syndicationTweet(quoted, quotedId) : undefined });
}

// ---------------------------------------------------------------------------------------------------
// An author's recent posts: the embedded-timeline page (`/srv/timeline-profile/screen-name/<name>`), the
// one public per-author listing X has without an account. It is an HTML page whose Next.js data
// (`<script id="__NEXT_DATA__">`) holds `props.pageProps.timeline.entries`, each `content.tweet` a tweet
// in the syndication shape (id_str, created_at, full_text, user.screen_name). It lists the newest posts
// only (about 20; there is no paging), so an older post is not found this way.

/** An X screen name as a screenshot shows it ("@name"), or null when it cannot be one. */
export function xScreenName(read: string): string | null {
  const h = read.replace(/^@/, '');
  return SCREEN_NAME.test(h) ? h : null;
}

const NEXT_DATA = /<script[^>]*\bid=["']__NEXT_DATA__["'][^>]*>([\s\S]*?)<\/script>/;

/** The posts on `screenName`'s embedded timeline (retweets left out); null for an account X does not show. */
export async function xAuthorTimeline(screenName: string, ctx: ResolveContext): Promise<QuotedPost[] | null> {
  const base = ctx.deps.endpoints.xTimeline.replace(/\/+$/, '');
  if (!base || !SCREEN_NAME.test(screenName)) return null;
  const url = `${base}/srv/timeline-profile/screen-name/${screenName}?showReplies=true`;
  const res = await fetchStep(ctx, 'x_timeline', url, { accept: ACCEPT_HTML, maxBytes: HTML_MAX_BYTES });
  if (res.status === 404) return null;
  if (res.status >= 400)
    throw new MediaError('http_error', `HTTP ${res.status} from X's embedded timeline`, {
      httpStatus: res.status,
    });
  const m = NEXT_DATA.exec(res.body.toString('utf8'));
  const data = m ? obj(parseJson(Buffer.from(m[1] as string))) : undefined;
  const timeline = obj(obj(obj(data?.props)?.pageProps)?.timeline);
  if (!timeline) throw new ResolveError('resolver_failed', "X's embedded timeline page holds no timeline");
  const out: QuotedPost[] = [];
  for (const entry of arr(timeline.entries)) {
    const t = obj(obj(obj(entry)?.content)?.tweet);
    const id = str(t?.id_str)?.match(/^\d{1,20}$/)?.[0];
    if (!t || !id || t.retweeted_status) continue;
    const post = syndicationTweet({ ...t, text: t.full_text ?? t.text }, id);
    if (post.text && post.author.handle?.toLowerCase() === screenName.toLowerCase()) out.push(post);
  }
  // An unknown or suspended account gets a page with an empty timeline.
  return out.length > 0 || arr(timeline.entries).length > 0 ? out : null;
}

// ---------------------------------------------------------------------------------------------------
// FxTwitter-style fallback: GET /status/<id> → {code, message, tweet}

function fxMedia(t: Json): PostMedia[] {
  const media = obj(t.media);
  const all = arr(media?.all);
  const items = all.length ? all : [...arr(media?.photos), ...arr(media?.videos)];
  const out: PostMedia[] = [];
  for (const m of items.map(obj)) {
    if (!m) continue;
    const dims = { width: positiveInt(m.width), height: positiveInt(m.height) };
    const alt_text = clip(m.altText, MAX_ALT_LENGTH);
    if (m.type === 'photo') {
      const url = httpUrl(m.url);
      if (url) out.push(defined({ type: 'photo' as const, url: upgradeXPhoto(url), ...dims, alt_text }));
    } else if (m.type === 'video' || m.type === 'gif') {
      let variants = variantsOf(arr(m.variants));
      const direct = httpUrl(m.url);
      if (!variants.length && direct)
        variants = [defined({ url: direct, content_type: clip(m.format, 100) ?? 'video/mp4' })];
      const v = videoMedia(m.type, variants, httpUrl(m.thumbnail_url), { ...dims, alt_text });
      if (v) out.push(v);
    }
  }
  return out;
}

function fxTweet(t: Json, fallbackId: string): QuotedPost {
  const author = obj(t.author);
  const postedAt = num(t.created_timestamp) ?? t.created_at;
  return xPost(t, fallbackId, { id: t.id, user: author, userId: author?.id, postedAt }, fxMedia(t));
}

async function fromFxTwitter(id: string, ctx: ResolveContext): Promise<PostCore> {
  const base = ctx.deps.endpoints.fxTwitter.replace(/\/+$/, '');
  const res = await fetchStep(ctx, 'fxtwitter', `${base}/status/${id}`, {
    accept: ACCEPT_JSON,
    maxBytes: JSON_MAX_BYTES,
  });
  const body = obj(parseJson(res.body));
  const code = num(body?.code) ?? res.status;
  if (code === 404)
    throw new ResolveError('post_not_found', `X has no post ${id} (fallback)`, { httpStatus: 404 });
  if (code === 401) throw new ResolveError('post_protected', 'The account is protected', { httpStatus: 401 });
  const tweet = obj(body?.tweet);
  if (!tweet) {
    if (res.status >= 400)
      throw new MediaError('http_error', `HTTP ${res.status} from the X fallback`, {
        httpStatus: res.status,
      });
    throw new ResolveError(
      'resolver_failed',
      `The X fallback had no tweet (${clip(body?.message, 100) ?? code})`,
    );
  }
  const quote = obj(tweet.quote);
  const quoteId = str(quote?.id)?.match(/^\d{1,20}$/)?.[0];
  return defined({ ...fxTweet(tweet, id), quoted: quote && quoteId ? fxTweet(quote, quoteId) : undefined });
}

// ---------------------------------------------------------------------------------------------------

async function resolveStatus(ref: StatusRef, ctx: ResolveContext): Promise<Resolution> {
  let primary: unknown;
  try {
    const post = await fromSyndication(ref.id, ctx);
    if (post) return { kind: 'post', post: finishPost({ ...post, selected_media_index: ref.selected }, ctx) };
    primary = new ResolveError('resolver_failed', 'X syndication answered without a post');
  } catch (err) {
    // Deleted, protected and missing are facts about the post: another source would say the same.
    if (isDefinite(err)) throw err;
    primary = err;
    ctx.deps.log.debug({ id: ref.id, err: (err as Error).message }, 'X syndication failed; trying fallback');
  }
  if (ctx.deps.endpoints.fxTwitter) {
    try {
      const post = await fromFxTwitter(ref.id, ctx);
      return { kind: 'post', post: finishPost({ ...post, selected_media_index: ref.selected }, ctx) };
    } catch (err) {
      if (isDefinite(err)) throw err;
      ctx.deps.log.debug({ id: ref.id, err: (err as Error).message }, 'X fallback failed');
    }
  }
  throw primary;
}

/** A meta refresh target (t.co answers browsers with one instead of a redirect). */
function metaRefresh(body: Buffer): string | undefined {
  const root = parseHtml(body.toString('utf8', 0, Math.min(body.length, 64 * 1024)));
  const meta = findFirst(root, (el) => el.tag === 'meta' && /^refresh$/i.test(el.attrs['http-equiv'] ?? ''));
  return meta?.attrs.content?.match(/url\s*=\s*['"]?([^'"\s]+)/i)?.[1];
}

async function resolveShortLink(url: URL, ctx: ResolveContext): Promise<Resolution> {
  if (/^\/*$/.test(url.pathname))
    throw new ResolveError('unsupported_url', `${url.host} link without a code`);
  const res = await fetchStep(ctx, 'shortener', url.toString(), {
    accept: ACCEPT_HTML,
    maxBytes: HTML_MAX_BYTES,
  });
  const hosts = xHosts(ctx);
  for (const hop of res.redirects) {
    const ref = statusIn(hop, hosts);
    if (ref) return resolveStatus(ref, ctx);
  }
  const refresh = /html/i.test(res.contentType ?? '') ? metaRefresh(res.body) : undefined;
  const refreshUrl = refresh ? httpUrl(refresh, res.finalUrl) : undefined;
  if (refreshUrl) {
    const ref = statusIn(refreshUrl, hosts);
    if (ref) return resolveStatus(ref, ctx);
  }
  if (res.status >= 400)
    throw new MediaError('http_error', `HTTP ${res.status} from ${url.host}`, { httpStatus: res.status });
  if (!res.redirects.length && !refreshUrl)
    throw new ResolveError('resolver_failed', `${url.host} did not redirect anywhere`);
  // A t.co link to somewhere else (an article, an image): resolve that as if it had been pasted.
  if (/^(image|video)\//i.test(res.contentType ?? ''))
    return { kind: 'media', url: res.finalUrl, trail: ctx.trail };
  if (isJson(res)) throw new ResolveError('resolver_failed', `${url.host} led to a JSON document`);
  return ctx.dispatch(refreshUrl ?? res.finalUrl);
}

export const xResolver: PlatformResolver = {
  platform: 'x',
  matches(url) {
    return STATUS_HOSTS.has(url.hostname) || SHORTENER_HOSTS.has(url.hostname);
  },
  async resolve(url, ctx) {
    if (SHORTENER_HOSTS.has(url.hostname)) return resolveShortLink(url, ctx);
    const ref = parseStatusPath(url.pathname);
    if (!ref) throw new ResolveError('unsupported_url', `Not a post on X: ${url.pathname.slice(0, 100)}`);
    return resolveStatus(ref, ctx);
  },
};
