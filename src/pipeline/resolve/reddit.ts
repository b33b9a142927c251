// Reddit: post URLs on every reddit.com host and redd.it/<id> are read from the post's public JSON,
// `GET <base>/comments/<id>.json`. Share links (/r/<sub>/s/<code>) and v.redd.it/<id> redirect to the
// post, so they are fetched first. Media, in order of preference: a gallery (media_metadata in
// gallery_data order), a Reddit-hosted video, a direct image link (i.redd.it), the preview image.
import { MediaError } from '../../errors.js';
import type { PostMedia, QuotedPost } from '../../../schemas/post.js';
import { ResolveError } from './failures.js';
import { decodeEntities } from './html.js';
import { ACCEPT_HTML, ACCEPT_JSON, fetchStep, HTML_MAX_BYTES, JSON_MAX_BYTES } from './http.js';
import { isDirectMediaUrl } from './media-url.js';
import { finishPost, type PostCore } from './post-record.js';
import type { PlatformResolver, ResolveContext } from './types.js';
import {
  arr,
  clip,
  defined,
  httpUrl,
  isoDate,
  MAX_ALT_LENGTH,
  MAX_TEXT_LENGTH,
  MAX_URL_LENGTH,
  num,
  obj,
  parseJson,
  positiveInt,
  str,
  type Json,
} from './untrusted.js';

const REDDIT_HOSTS = new Set([
  'reddit.com',
  'www.reddit.com',
  'old.reddit.com',
  'new.reddit.com',
  'np.reddit.com',
  'm.reddit.com',
  'sh.reddit.com',
]);
const SHORT_HOSTS = new Set(['redd.it', 'v.redd.it']);
const ID = '([a-z0-9]{1,12})';
const POST_PATHS = [
  new RegExp(`^/(?:r|u|user)/[A-Za-z0-9_-]{1,50}/comments/${ID}(?:/|$)`, 'i'),
  new RegExp(`^/comments/${ID}(?:/|$)`, 'i'),
  new RegExp(`^/gallery/${ID}/?$`, 'i'),
];
const SHARE_PATH = /^\/r\/[A-Za-z0-9_]{1,50}\/s\/[A-Za-z0-9]{1,20}\/?$/;

/** The base-36 post id in a reddit.com path, or null. */
export function redditPostId(pathname: string): string | null {
  for (const re of POST_PATHS) {
    const m = pathname.match(re);
    if (m) return (m[1] as string).toLowerCase();
  }
  return null;
}

/** Reddit's JSON escapes `&` in URLs as `&amp;` (unless raw_json=1). */
const unescapeUrl = (value: unknown): string | undefined =>
  typeof value === 'string' ? httpUrl(decodeEntities(value, MAX_URL_LENGTH)) : undefined;

function galleryMedia(d: Json): PostMedia[] {
  const metadata = obj(d.media_metadata);
  if (!metadata) return [];
  const order = arr(obj(d.gallery_data)?.items).map(obj);
  // Without gallery_data (old answers), media_metadata's own key order is all we have.
  const items = order.length
    ? order.map((i) => ({ id: str(i?.media_id), caption: i?.caption }))
    : Object.keys(metadata).map((id) => ({ id, caption: undefined }));
  const out: PostMedia[] = [];
  for (const item of items) {
    const m = item.id ? obj(metadata[item.id]) : undefined;
    if (!m || (m.status !== undefined && m.status !== 'valid')) continue;
    const s = obj(m.s);
    const dims = { width: positiveInt(s?.x), height: positiveInt(s?.y) };
    const alt_text = clip(item.caption, MAX_ALT_LENGTH);
    if (m.e === 'AnimatedImage') {
      const mp4 = unescapeUrl(s?.mp4);
      const gif = unescapeUrl(s?.gif);
      const url = mp4 ?? gif;
      if (url)
        out.push(
          defined({
            type: 'gif' as const,
            url,
            ...dims,
            alt_text,
            variants: [
              ...(mp4 ? [{ url: mp4, content_type: 'video/mp4' }] : []),
              ...(gif ? [{ url: gif, content_type: 'image/gif' }] : []),
            ],
          }),
        );
    } else {
      const url = unescapeUrl(s?.u);
      if (url) out.push(defined({ type: 'photo' as const, url, ...dims, alt_text }));
    }
  }
  return out;
}

function previewSource(d: Json) {
  const source = obj(obj(arr(obj(d.preview)?.images)[0])?.source);
  return {
    url: unescapeUrl(source?.url),
    width: positiveInt(source?.width),
    height: positiveInt(source?.height),
  };
}

function videoMedia(d: Json): PostMedia[] {
  const v = obj(obj(d.secure_media)?.reddit_video) ?? obj(obj(d.media)?.reddit_video);
  const fallback = unescapeUrl(v?.fallback_url);
  if (!v || !fallback) return [];
  const hls = unescapeUrl(v.hls_url);
  const dash = unescapeUrl(v.dash_url);
  const bitrate = num(v.bitrate_kbps);
  return [
    defined({
      type: v.is_gif === true ? ('gif' as const) : ('video' as const),
      // The fallback MP4 is the one file a plain GET returns; it has no audio track (Reddit serves audio
      // separately in the DASH and HLS manifests, listed as variants).
      url: fallback,
      width: positiveInt(v.width),
      height: positiveInt(v.height),
      poster_url: previewSource(d).url,
      variants: [
        defined({
          url: fallback,
          content_type: 'video/mp4',
          bitrate: bitrate !== undefined ? positiveInt(Math.round(bitrate * 1000), 1e9) : undefined,
        }),
        ...(hls ? [{ url: hls, content_type: 'application/x-mpegURL' }] : []),
        ...(dash ? [{ url: dash, content_type: 'application/dash+xml' }] : []),
      ],
    }),
  ];
}

function mediaOf(d: Json): PostMedia[] {
  const gallery = galleryMedia(d);
  if (gallery.length) return gallery;
  const video = videoMedia(d);
  if (video.length) return video;
  const preview = previewSource(d);
  const linked = unescapeUrl(d.url_overridden_by_dest) ?? unescapeUrl(d.url);
  if (linked && isDirectMediaUrl(new URL(linked))) {
    const gif = /\.gif$/i.test(new URL(linked).pathname);
    return [
      defined({
        type: gif ? ('gif' as const) : ('photo' as const),
        url: linked,
        width: preview.width,
        height: preview.height,
      }),
    ];
  }
  // A link or text post with a preview image (Reddit's copy of the linked page's picture).
  return preview.url ? [defined({ type: 'photo' as const, ...preview, url: preview.url })] : [];
}

function postOf(d: Json): QuotedPost | undefined {
  const id = str(d.id)?.match(/^[a-z0-9]{1,12}$/)?.[0];
  if (!id) return undefined;
  const author = str(d.author)?.match(/^(\[deleted\]|[A-Za-z0-9_-]{1,30})$/)?.[0];
  const title = clip(decodeEntities(str(d.title) ?? '', 500), 500);
  const body = clip(decodeEntities(str(d.selftext) ?? '', MAX_TEXT_LENGTH), MAX_TEXT_LENGTH);
  const permalink = str(d.permalink);
  return defined({
    platform: 'reddit' as const,
    id,
    url:
      permalink && permalink.startsWith('/') && permalink.length < 500
        ? `https://www.reddit.com${permalink}`
        : `https://www.reddit.com/comments/${id}/`,
    author: defined({
      handle: author,
      id: clip(d.author_fullname, 30),
      url: author && author !== '[deleted]' ? `https://www.reddit.com/user/${author}/` : undefined,
    }),
    posted_at: isoDate(num(d.created_utc)),
    text: clip([title, body].filter(Boolean).join('\n\n'), MAX_TEXT_LENGTH),
    sensitive: d.over_18 === true ? true : undefined,
    media: mediaOf(d),
  });
}

async function followToPost(url: URL, ctx: ResolveContext): Promise<string> {
  const res = await fetchStep(ctx, 'shortener', url.toString(), {
    accept: ACCEPT_HTML,
    maxBytes: HTML_MAX_BYTES,
  });
  for (const hop of [...res.redirects, res.finalUrl]) {
    try {
      const id = redditPostId(new URL(hop).pathname);
      if (id) return id;
    } catch {
      // not a URL: skip
    }
  }
  if (res.status === 404)
    throw new ResolveError('post_not_found', 'The Reddit link leads nowhere', { httpStatus: 404 });
  throw new ResolveError('resolver_failed', 'The Reddit link did not lead to a post');
}

async function postId(url: URL, ctx: ResolveContext): Promise<string> {
  if (url.hostname === 'redd.it') {
    const m = url.pathname.match(/^\/([a-z0-9]{1,12})\/?$/i);
    if (m) return (m[1] as string).toLowerCase();
    throw new ResolveError('unsupported_url', 'Not a redd.it post link');
  }
  if (url.hostname === 'v.redd.it') return followToPost(url, ctx);
  const id = redditPostId(url.pathname);
  if (id) return id;
  if (SHARE_PATH.test(url.pathname)) return followToPost(url, ctx);
  throw new ResolveError('unsupported_url', `Not a Reddit post: ${url.pathname.slice(0, 100)}`);
}

export const redditResolver: PlatformResolver = {
  platform: 'reddit',
  matches(url) {
    return REDDIT_HOSTS.has(url.hostname) || SHORT_HOSTS.has(url.hostname);
  },
  async resolve(url, ctx) {
    const id = await postId(url, ctx);
    const base = ctx.deps.endpoints.reddit.replace(/\/+$/, '');
    const res = await fetchStep(ctx, 'reddit_json', `${base}/comments/${id}.json`, {
      accept: ACCEPT_JSON,
      maxBytes: JSON_MAX_BYTES,
    });
    // NSFW communities send logged-out visitors to an interstitial instead of the post.
    if (res.redirects.some((r) => /\/over18(\/|\?|$)/.test(new URL(r).pathname + new URL(r).search)))
      throw new ResolveError('post_age_restricted', 'Reddit shows this post only to signed-in adults');
    const body = parseJson(res.body);
    const err = obj(body);
    const reason = str(err?.reason);
    // Only Reddit's JSON says why; a 403 page without it is Reddit refusing us (bot blocking), not the post.
    if (
      (res.status === 403 && err) ||
      reason === 'private' ||
      reason === 'quarantined' ||
      reason === 'gold_only'
    )
      throw new ResolveError('post_protected', `Reddit says ${reason ?? 'forbidden'}`, {
        httpStatus: res.status,
      });
    if (res.status === 404)
      throw new ResolveError('post_not_found', `Reddit has no post ${id}`, { httpStatus: 404 });
    if (res.status >= 400)
      throw new MediaError('http_error', `HTTP ${res.status} from Reddit`, { httpStatus: res.status });

    // [post listing, comments listing]
    const data = obj(obj(arr(obj(obj(arr(body)[0])?.data)?.children)[0])?.data);
    if (!data) throw new ResolveError('resolver_failed', 'The Reddit answer holds no post');
    const removed = clip(data.removed_by_category, 50);
    if (removed) throw new ResolveError('post_deleted', `Reddit removed this post (${removed})`);
    const post = postOf(data);
    if (!post) throw new ResolveError('resolver_failed', 'The Reddit post has no id');
    const parent = obj(arr(data.crosspost_parent_list)[0]);
    const core: PostCore = defined({ ...post, reposted: parent ? postOf(parent) : undefined });
    return { kind: 'post', post: finishPost(core, ctx) };
  },
};
