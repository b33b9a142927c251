// Telegram public channels: https://t.me/<channel>/<id> is read from Telegram's own web preview,
// `GET <base>/s/<channel>/<id>` (the channel page around that message), and if the message is not
// there, the single-message widget `GET <base>/<channel>/<id>?embed=1`. Both are HTML made of
// `tgme_widget_message` blocks whose `data-post` attribute is `channel/id`.
import type { PostMedia } from '../../../schemas/post.js';
import { ResolveError } from './failures.js';
import {
  byClass,
  findAll,
  findFirst,
  hasClass,
  readHtml,
  styleUrl,
  textOf,
  type HtmlElement,
} from './html.js';
import { ACCEPT_HTML, expectOk, fetchStep, HTML_MAX_BYTES } from './http.js';
import { finishPost, type PostCore } from './post-record.js';
import type { PlatformResolver, ResolveContext } from './types.js';
import { clip, defined, httpUrl, isoDate, MAX_TEXT_LENGTH } from './untrusted.js';

const HOSTS = new Set(['t.me', 'www.t.me', 'telegram.me', 'www.telegram.me']);
const CHANNEL = /^[A-Za-z][A-Za-z0-9_]{3,31}$/;
const POST_PATH = /^\/(?:s\/)?([A-Za-z][A-Za-z0-9_]{3,31})\/(\d{1,12})\/?$/;

interface TelegramRef {
  channel: string;
  id: string;
}

export function parseTelegramUrl(url: URL): TelegramRef | null {
  const m = url.pathname.match(POST_PATH);
  return m ? { channel: m[1] as string, id: m[2] as string } : null;
}

/** The message block for `ref`: by data-post, else the album whose items link to it. */
function findMessage(
  root: HtmlElement,
  ref: TelegramRef,
): { el: HtmlElement; albumItem?: number } | undefined {
  const want = `${ref.channel}/${ref.id}`.toLowerCase();
  const messages = findAll(
    root,
    (el) => el.attrs['data-post'] !== undefined && hasClass(el, 'tgme_widget_message'),
  );
  const exact = messages.find((el) => el.attrs['data-post']?.toLowerCase() === want);
  if (exact) return { el: exact };
  // An album shows as one message; its items link to /<channel>/<id>?single.
  const itemLink = new RegExp(`/${ref.channel}/${ref.id}(?:\\?|$)`, 'i');
  for (const el of messages) {
    const items = findAll(
      el,
      (a) => hasClass(a, 'tgme_widget_message_photo_wrap') || hasClass(a, 'tgme_widget_message_video_player'),
    );
    const k = items.findIndex((a) => itemLink.test(a.attrs.href ?? ''));
    if (k >= 0) return { el, albumItem: k };
  }
  return undefined;
}

function mediaOf(message: HtmlElement, base: string): PostMedia[] {
  const out: PostMedia[] = [];
  const items = findAll(
    message,
    (el) =>
      hasClass(el, 'tgme_widget_message_photo_wrap') || hasClass(el, 'tgme_widget_message_video_player'),
  );
  for (const item of items) {
    if (hasClass(item, 'tgme_widget_message_photo_wrap')) {
      const url = httpUrl(styleUrl(item.attrs.style), base);
      if (url) out.push({ type: 'photo', url });
      continue;
    }
    const video = findFirst(item, (el) => el.tag === 'video');
    const src = httpUrl(video?.attrs.src, base);
    const thumb = findFirst(item, byClass('tgme_widget_message_video_thumb'));
    const poster = httpUrl(styleUrl(thumb?.attrs.style), base);
    // "Media is too big": Telegram shows a thumbnail but serves no file to the web preview.
    if (!src) {
      if (poster) out.push({ type: 'photo', url: poster });
      continue;
    }
    const gif =
      findFirst(item, byClass('message_video_duration')) === undefined && video?.attrs.loop !== undefined;
    out.push(
      defined({
        type: gif ? ('gif' as const) : ('video' as const),
        url: src,
        poster_url: poster,
        variants: [{ url: src, content_type: 'video/mp4' }],
      }),
    );
  }
  return out;
}

function postOf(message: HtmlElement, ref: TelegramRef, base: string): PostCore {
  const owner = findFirst(message, byClass('tgme_widget_message_owner_name'));
  const textEl = findFirst(
    message,
    (el) => hasClass(el, 'tgme_widget_message_text') && !hasClass(el, 'tgme_widget_message_reply_text'),
  );
  const time = findFirst(message, (el) => el.tag === 'time' && el.attrs.datetime !== undefined);
  const [channel, id] = (message.attrs['data-post'] ?? `${ref.channel}/${ref.id}`).split('/') as [
    string,
    string,
  ];
  return defined({
    platform: 'telegram' as const,
    id: `${channel}/${id}`,
    url: `https://t.me/${channel}/${id}`,
    author: defined({
      handle: channel,
      display_name: owner ? clip(textOf(owner)) : undefined,
      url: `https://t.me/${channel}`,
    }),
    posted_at: isoDate(time?.attrs.datetime),
    text: textEl ? clip(textOf(textEl), MAX_TEXT_LENGTH) : undefined,
    media: mediaOf(message, base),
  });
}

async function fetchPage(ctx: ResolveContext, url: string) {
  const res = expectOk(
    await fetchStep(ctx, 'telegram_web', url, { accept: ACCEPT_HTML, maxBytes: HTML_MAX_BYTES }),
    'Telegram',
  );
  return { res, root: await readHtml(res.body.toString('utf8')) };
}

export const telegramResolver: PlatformResolver = {
  platform: 'telegram',
  matches(url) {
    return HOSTS.has(url.hostname);
  },
  async resolve(url, ctx) {
    if (/^\/c\/\d+\/\d+/.test(url.pathname))
      throw new ResolveError('post_protected', 'A link into a private Telegram group or channel');
    const ref = parseTelegramUrl(url);
    if (!ref || !CHANNEL.test(ref.channel))
      throw new ResolveError('unsupported_url', `Not a Telegram post: ${url.pathname.slice(0, 100)}`);
    const base = ctx.deps.endpoints.telegram.replace(/\/+$/, '');

    let { res, root } = await fetchPage(ctx, `${base}/s/${ref.channel}/${ref.id}`);
    let found = findMessage(root, ref);
    if (!found) {
      ({ res, root } = await fetchPage(ctx, `${base}/${ref.channel}/${ref.id}?embed=1&mode=tme`));
      found = findMessage(root, ref);
    }
    if (!found) {
      const error = findFirst(root, byClass('tgme_widget_message_error'));
      throw new ResolveError(
        'post_not_found',
        clip(error ? textOf(error) : undefined, 200) ??
          `Telegram shows no public message ${ref.channel}/${ref.id}`,
      );
    }
    const pageBase = res.redirects.length ? res.finalUrl : `https://t.me/`;
    const post = postOf(found.el, ref, pageBase);
    return { kind: 'post', post: finishPost({ ...post, selected_media_index: found.albumItem }, ctx) };
  },
};
