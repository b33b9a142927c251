// Mastodon (and servers speaking its API: Pleroma, Akkoma, GoToSocial): any host whose URL has the
// shape of a status page is asked `GET https://<host>/api/v1/statuses/<id>`. There is no list of
// instances; a host that does not answer that API with JSON is treated as an ordinary web page.
import { MediaError } from '../../errors.js';
import type { PostMedia, QuotedPost } from '../../../schemas/post.js';
import { ResolveError } from './failures.js';
import { parseHtml, textOf } from './html.js';
import { ACCEPT_JSON, fetchStep, isJson, JSON_MAX_BYTES } from './http.js';
import { finishPost, type PostCore } from './post-record.js';
import { webResolver } from './web.js';
import type { PlatformResolver, ResolveContext, Resolution } from './types.js';
import {
  arr,
  clip,
  defined,
  httpUrl,
  isoDate,
  MAX_ALT_LENGTH,
  MAX_TEXT_LENGTH,
  obj,
  parseJson,
  positiveInt,
  str,
  type Json,
} from './untrusted.js';

// /@user/123, /@user@other.host/123 (a remote post seen from this server), /users/user/statuses/123,
// /web/@user/123, /web/statuses/123, and /notice/<flake id> (Pleroma, Akkoma). `/embed` is an iframe.
const STATUS_PATHS = [
  /^\/(?:web\/)?@[A-Za-z0-9_.-]{1,64}(?:@[A-Za-z0-9.-]{1,253})?\/(\d{1,24})(?:\/embed)?\/?$/,
  /^\/users\/[A-Za-z0-9_.-]{1,64}\/statuses\/(\d{1,24})\/?$/,
  /^\/web\/statuses\/(\d{1,24})\/?$/,
  /^\/notice\/([A-Za-z0-9]{1,40})\/?$/,
];

export function mastodonStatusId(url: URL): string | null {
  for (const re of STATUS_PATHS) {
    const m = url.pathname.match(re);
    if (m) return m[1] as string;
  }
  return null;
}

const TYPES: Record<string, PostMedia['type']> = { image: 'photo', video: 'video', gifv: 'gif' };

function attachments(status: Json): PostMedia[] {
  const out: PostMedia[] = [];
  for (const a of arr(status.media_attachments).map(obj)) {
    const type = TYPES[str(a?.type) ?? ''];
    // The copy on the answering server, else the origin server's (remote posts not yet cached).
    const url = httpUrl(a?.url) ?? httpUrl(a?.remote_url);
    if (!a || !type || !url) continue;
    const original = obj(obj(a.meta)?.original);
    out.push(
      defined({
        type,
        url,
        width: positiveInt(original?.width),
        height: positiveInt(original?.height),
        alt_text: clip(a.description, MAX_ALT_LENGTH),
        poster_url: type === 'photo' ? undefined : httpUrl(a.preview_url),
        variants: type === 'photo' ? undefined : [defined({ url, content_type: 'video/mp4' })],
      }),
    );
  }
  return out;
}

function htmlText(html: unknown): string | undefined {
  if (typeof html !== 'string') return undefined;
  return clip(textOf(parseHtml(html.slice(0, 200_000))), MAX_TEXT_LENGTH);
}

function statusOf(s: Json, host: string): QuotedPost | undefined {
  const id = clip(s.id, 40);
  if (!id) return undefined;
  const account = obj(s.account);
  const acct = clip(account?.acct, 300);
  // `acct` is `user` for local accounts and `user@their.host` for remote ones.
  const handle = acct ? (acct.includes('@') ? acct : `${acct}@${host}`) : undefined;
  const cw = clip(s.spoiler_text, 500);
  const body = htmlText(s.content);
  return defined({
    platform: 'mastodon' as const,
    id,
    url: httpUrl(s.url) ?? httpUrl(s.uri) ?? `https://${host}/web/statuses/${id}`,
    author: defined({
      handle,
      display_name: clip(account?.display_name),
      id: clip(account?.id, 40),
      url: httpUrl(account?.url),
    }),
    posted_at: isoDate(s.created_at),
    text: cw ? clip(`[CW: ${cw}] ${body ?? ''}`, MAX_TEXT_LENGTH) : body,
    language: clip(s.language, 20),
    sensitive: s.sensitive === true ? true : undefined,
    media: attachments(s),
  });
}

async function resolveStatus(url: URL, id: string, ctx: ResolveContext): Promise<Resolution> {
  const api = `${url.protocol}//${url.host}/api/v1/statuses/${encodeURIComponent(id)}`;
  let res;
  try {
    res = await fetchStep(ctx, 'mastodon_api', api, { accept: ACCEPT_JSON, maxBytes: JSON_MAX_BYTES });
  } catch (err) {
    if (err instanceof MediaError && err.code === 'too_large') return webResolver.resolve(url, ctx); // not an API
    throw err;
  }
  const body = obj(parseJson(res.body));
  if (!isJson(res) || !body) {
    // Not a Mastodon API: some other site with a path of the same shape.
    ctx.deps.log.debug({ host: url.host }, 'no Mastodon API; reading as a web page');
    return webResolver.resolve(url, ctx);
  }
  const message = clip(body.error, 300);
  if (res.status === 404)
    throw new ResolveError('post_not_found', message ?? 'No such status', { httpStatus: 404 });
  if (res.status === 410)
    throw new ResolveError('post_deleted', message ?? 'The status was deleted', { httpStatus: 410 });
  if (res.status === 401 || res.status === 403)
    throw new ResolveError(
      'post_protected',
      message ?? `${url.host} shows this status only to signed-in users`,
      {
        httpStatus: res.status,
      },
    );
  if (res.status >= 400)
    throw new MediaError(
      'http_error',
      `HTTP ${res.status} from ${url.host}${message ? `: ${message}` : ''}`,
      {
        httpStatus: res.status,
      },
    );

  const status = statusOf(body, url.host);
  if (!status) throw new ResolveError('resolver_failed', `${url.host} answered without a status id`);
  const reblog = obj(body.reblog);
  // Mastodon 4.4+ quotes: {state, quoted_status}.
  const quote = obj(obj(body.quote)?.quoted_status);
  const core: PostCore = defined({
    ...status,
    reposted: reblog ? statusOf(reblog, url.host) : undefined,
    quoted: quote ? statusOf(quote, url.host) : undefined,
  });
  return { kind: 'post', post: finishPost(core, ctx) };
}

export const mastodonResolver: PlatformResolver = {
  platform: 'mastodon',
  matches(url) {
    return mastodonStatusId(url) !== null;
  },
  async resolve(url, ctx) {
    const id = mastodonStatusId(url);
    if (!id) throw new ResolveError('unsupported_url', 'Not a Mastodon status URL');
    return resolveStatus(url, id, ctx);
  },
};
