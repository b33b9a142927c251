// Assembling the Post record the same way for every platform: caps, the trail, the metadata note.
import {
  MAX_MEDIA_PER_POST,
  MAX_VARIANTS_PER_MEDIA,
  type Platform,
  type Post,
  type PostMedia,
  type QuotedPost,
} from '../../../schemas/post.js';
import type { ResolveContext } from './types.js';
import { defined } from './untrusted.js';

/** What each platform does to uploaded files, so nobody reads a missing EXIF block as a clue. */
export const METADATA_NOTES: Record<Platform, string> = {
  x:
    'X strips EXIF and other metadata from uploaded photos and re-encodes them: camera, capture time and ' +
    'GPS are not in these files. The earliest copy elsewhere may still have them.',
  bluesky:
    'Bluesky strips EXIF from uploaded images, and its CDN serves re-encoded copies: camera, capture time ' +
    'and GPS are not in these files.',
  mastodon:
    'Mastodon strips EXIF and other metadata from uploads (and may resize them): camera, capture time and ' +
    'GPS are not in these files.',
  telegram:
    'Telegram recompresses photos sent as photos and drops their metadata: camera, capture time and GPS ' +
    'are not in these files (files sent as documents keep it, but are not shown in web previews).',
  reddit:
    'Reddit strips EXIF from images uploaded to i.redd.it and re-encodes previews: camera, capture time ' +
    'and GPS are not in these files.',
  web:
    'Web pages often serve resized or re-encoded copies through image CDNs; whatever metadata a file still ' +
    'holds is reported with it, and a missing EXIF block says nothing about the original.',
};

/** A Post without the fields the dispatcher adds. */
export type PostCore = QuotedPost & {
  quoted?: QuotedPost;
  reposted?: QuotedPost;
  selected_media_index?: number;
};

export function capMedia(media: PostMedia[]): PostMedia[] {
  const seen = new Set<string>();
  const out: PostMedia[] = [];
  for (const m of media) {
    if (seen.has(m.url)) continue;
    seen.add(m.url);
    out.push(m.variants ? { ...m, variants: m.variants.slice(0, MAX_VARIANTS_PER_MEDIA) } : m);
    if (out.length >= MAX_MEDIA_PER_POST) break;
  }
  return out;
}

function capQuoted(q: QuotedPost): QuotedPost {
  return { ...q, media: capMedia(q.media) };
}

export function finishPost(core: PostCore, ctx: ResolveContext): Post {
  const selected = core.selected_media_index;
  const media = capMedia(core.media);
  return defined({
    ...core,
    media,
    selected_media_index: selected !== undefined && selected < media.length ? selected : undefined,
    quoted: core.quoted ? capQuoted(core.quoted) : undefined,
    reposted: core.reposted ? capQuoted(core.reposted) : undefined,
    trail: ctx.trail,
    metadata_note: METADATA_NOTES[core.platform],
  });
}

/** Every media item of a post, its repost and its quote, without duplicates: what a caller downloads. */
export function allMedia(post: Post): PostMedia[] {
  const out: PostMedia[] = [];
  const seen = new Set<string>();
  for (const m of [...post.media, ...(post.reposted?.media ?? []), ...(post.quoted?.media ?? [])]) {
    if (!seen.has(m.url)) {
      seen.add(m.url);
      out.push(m);
    }
  }
  return out;
}
