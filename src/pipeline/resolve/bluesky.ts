// Bluesky: https://bsky.app/profile/<handle-or-did>/post/<rkey> through the public AppView
// (app.bsky.feed.getPostThread, no account). The AppView resolves a handle inside the at:// URI itself;
// when it cannot, we resolve the handle to a DID (com.atproto.identity.resolveHandle) and ask again.
// A video is fetched as its original blob from the author's PDS (com.atproto.sync.getBlob), found
// through the DID document (the PLC directory for did:plc, /.well-known/did.json for did:web): the
// AppView only offers an HLS playlist, which is not a media file.
import { MediaError } from '../../errors.js';
import type { PostMedia, QuotedPost } from '../../../schemas/post.js';
import { ResolveError } from './failures.js';
import { ACCEPT_JSON, fetchStep, JSON_MAX_BYTES } from './http.js';
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
  obj,
  parseJson,
  str,
  type Json,
} from './untrusted.js';

const HOSTS = new Set(['bsky.app', 'www.bsky.app', 'main.bsky.dev']);
const POST_PATH = /^\/profile\/([^/]{1,253})\/post\/([A-Za-z0-9._~:-]{1,512})\/?$/;
const DID = /^did:(plc:[a-z2-7]{24}|web:[A-Za-z0-9.:%-]{1,253})$/;
const HANDLE =
  /^(?=.{1,253}$)([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
/** Labels that mean the post is marked adult or graphic. */
const SENSITIVE_LABELS = new Set(['porn', 'sexual', 'nudity', 'graphic-media', 'gore']);

/** `at://did:plc:…/app.bsky.feed.post/rkey` → the bsky.app URL. */
export function atUriToWeb(uri: string): string | undefined {
  const m = uri.match(/^at:\/\/([^/]{1,253})\/app\.bsky\.feed\.post\/([A-Za-z0-9._~:-]{1,512})$/);
  return m ? `https://bsky.app/profile/${m[1]}/post/${m[2]}` : undefined;
}

function images(view: Json): PostMedia[] {
  const out: PostMedia[] = [];
  for (const img of arr(view.images).map(obj)) {
    const url = httpUrl(img?.fullsize) ?? httpUrl(img?.thumb);
    // aspectRatio is a ratio, not pixels (the lexicon says so), so it is not reported as width/height.
    if (url) out.push(defined({ type: 'photo' as const, url, alt_text: clip(img?.alt, MAX_ALT_LENGTH) }));
  }
  return out;
}

function video(view: Json): PostMedia[] {
  const playlist = httpUrl(view.playlist);
  if (!playlist) return [];
  return [
    defined({
      type: 'video' as const,
      url: playlist,
      poster_url: httpUrl(view.thumbnail),
      alt_text: clip(view.alt, MAX_ALT_LENGTH),
      variants: [{ url: playlist, content_type: 'application/x-mpegURL' }],
    }),
  ];
}

const CID = /^[a-z2-7]{8,128}$/;

/** Media of an embed view, the record it quotes (if any), and the CID of its video blob. */
function readEmbed(embed: Json | undefined): { media: PostMedia[]; quoted?: Json; videoCid?: string } {
  const type = str(embed?.$type) ?? '';
  if (!embed) return { media: [] };
  if (type.startsWith('app.bsky.embed.images#view')) return { media: images(embed) };
  if (type.startsWith('app.bsky.embed.video#view')) {
    const cid = str(embed.cid);
    return { media: video(embed), ...(cid && CID.test(cid) && { videoCid: cid }) };
  }
  if (type.startsWith('app.bsky.embed.record#view')) return { media: [], quoted: obj(embed.record) };
  if (type.startsWith('app.bsky.embed.recordWithMedia#view')) {
    const inner = readEmbed(obj(embed.media));
    return { ...inner, quoted: obj(obj(embed.record)?.record) };
  }
  return { media: [] };
}

function sensitive(labels: unknown): true | undefined {
  return arr(labels).some((l) => SENSITIVE_LABELS.has(str(obj(l)?.val) ?? '')) ? true : undefined;
}

/** A post view (or a quoted viewRecord, whose record is in `value` and embeds in `embeds`). */
function postOf(view: Json, record: Json | undefined, embed: Json | undefined): QuotedPost | undefined {
  const uri = str(view.uri);
  const m = uri?.match(/^at:\/\/([^/]{1,253})\/app\.bsky\.feed\.post\/([A-Za-z0-9._~:-]{1,512})$/);
  if (!uri || !m) return undefined;
  const author = obj(view.author);
  const did = str(author?.did);
  const handle = str(author?.handle);
  const usableHandle = handle && HANDLE.test(handle) && handle !== 'handle.invalid' ? handle : undefined;
  const profile = usableHandle ?? did ?? m[1];
  return defined({
    platform: 'bluesky' as const,
    id: uri,
    url: `https://bsky.app/profile/${profile}/post/${m[2]}`,
    author: defined({
      handle: usableHandle,
      display_name: clip(author?.displayName),
      id: did && DID.test(did) ? did : undefined,
      url: profile ? `https://bsky.app/profile/${profile}` : undefined,
    }),
    posted_at: isoDate(record?.createdAt) ?? isoDate(view.indexedAt),
    text: clip(record?.text, MAX_TEXT_LENGTH),
    language: clip(str(arr(record?.langs)[0]), 20),
    sensitive: sensitive(view.labels),
    media: readEmbed(embed).media,
  });
}

async function getThread(actor: string, rkey: string, ctx: ResolveContext) {
  const base = ctx.deps.endpoints.blueskyAppView.replace(/\/+$/, '');
  const uri = `at://${actor}/app.bsky.feed.post/${rkey}`;
  const url = `${base}/xrpc/app.bsky.feed.getPostThread?uri=${encodeURIComponent(uri)}&depth=0&parentHeight=0`;
  const res = await fetchStep(ctx, 'bluesky_appview', url, { accept: ACCEPT_JSON, maxBytes: JSON_MAX_BYTES });
  return { res, body: obj(parseJson(res.body)) };
}

async function resolveHandle(handle: string, ctx: ResolveContext): Promise<string> {
  const base = ctx.deps.endpoints.blueskyAppView.replace(/\/+$/, '');
  const url = `${base}/xrpc/com.atproto.identity.resolveHandle?handle=${encodeURIComponent(handle)}`;
  const res = await fetchStep(ctx, 'bluesky_resolve_handle', url, {
    accept: ACCEPT_JSON,
    maxBytes: JSON_MAX_BYTES,
  });
  const did = str(obj(parseJson(res.body))?.did);
  if (res.status === 400 || (res.status < 300 && !did))
    throw new ResolveError('post_not_found', `No Bluesky account is called ${handle}`, {
      httpStatus: res.status,
    });
  if (res.status >= 400)
    throw new MediaError('http_error', `HTTP ${res.status} resolving a Bluesky handle`, {
      httpStatus: res.status,
    });
  if (!did || !DID.test(did))
    throw new ResolveError('resolver_failed', 'Bluesky resolved the handle to no DID');
  return did;
}

/** The account's PDS from its DID document, or null when it names none we can use. */
async function pdsOf(did: string, ctx: ResolveContext): Promise<string | null> {
  let url: string;
  if (did.startsWith('did:plc:')) {
    url = `${ctx.deps.endpoints.blueskyPlcDirectory.replace(/\/+$/, '')}/${did}`;
  } else {
    const host = decodeURIComponent(did.slice('did:web:'.length));
    if (!HANDLE.test(host)) return null; // atproto's did:web is a host name, without a path
    url = `https://${host}/.well-known/did.json`;
  }
  const res = await fetchStep(ctx, 'bluesky_did_document', url, {
    accept: 'application/did+ld+json, application/json',
    maxBytes: JSON_MAX_BYTES,
  });
  if (res.status >= 400) return null;
  const doc = obj(parseJson(res.body));
  const service = arr(doc?.service)
    .map(obj)
    .find((s) => str(s?.id)?.endsWith('#atproto_pds') && str(s?.type) === 'AtprotoPersonalDataServer');
  return httpUrl(service?.serviceEndpoint) ?? null;
}

/** The post's video as its original blob on the author's PDS; the playlist stays as a variant. When
 *  the PDS cannot be found the playlist is all there is, as before. */
async function withVideoBlob(
  media: PostMedia[],
  did: string | undefined,
  cid: string | undefined,
  ctx: ResolveContext,
) {
  const video = media.find((m) => m.type === 'video');
  if (!video || !did || !cid) return media;
  const pds = await pdsOf(did, ctx).catch(() => null);
  if (!pds) return media;
  const blob = `${pds.replace(/\/+$/, '')}/xrpc/com.atproto.sync.getBlob?did=${encodeURIComponent(did)}&cid=${encodeURIComponent(cid)}`;
  return media.map((m) =>
    m === video
      ? { ...m, url: blob, variants: [{ url: blob, content_type: 'video/mp4' }, ...(m.variants ?? [])] }
      : m,
  );
}

function threadError(status: number, body: Json | undefined): Error {
  const error = str(body?.error);
  const message = clip(body?.message, 300);
  if (error === 'NotFound' || status === 404)
    return new ResolveError('post_not_found', message ?? 'Bluesky has no such post', { httpStatus: status });
  if (error === 'BlockedActor' || error === 'BlockedByActor')
    return new ResolveError('post_protected', message ?? 'The author blocks logged-out viewers', {
      httpStatus: status,
    });
  return new MediaError(
    'http_error',
    `HTTP ${status} from the Bluesky AppView${message ? `: ${message}` : ''}`,
    {
      httpStatus: status,
    },
  );
}

/** Posts the AppView gives per getAuthorFeed page at most (the lexicon's `limit` maximum). */
export const FEED_PAGE_MAX = 100;

/**
 * An author's recent posts and replies, newest first, through the AppView's app.bsky.feed.getAuthorFeed
 * (which takes a handle or a DID as `actor`): at most `pages` pages of `pageSize`, following the cursor.
 * Reposts of other accounts' posts are left out (a screenshot shows the original author's handle).
 * Null when the AppView has no such account, or it blocks logged-out viewers; other failures throw.
 */
export async function authorFeed(
  actor: string,
  ctx: ResolveContext,
  bounds: { pageSize: number; pages: number },
): Promise<QuotedPost[] | null> {
  const base = ctx.deps.endpoints.blueskyAppView.replace(/\/+$/, '');
  const limit = Math.max(1, Math.min(FEED_PAGE_MAX, bounds.pageSize));
  const out: QuotedPost[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < bounds.pages; page++) {
    const query = new URLSearchParams({ actor, limit: String(limit), filter: 'posts_with_replies' });
    if (cursor) query.set('cursor', cursor);
    const url = `${base}/xrpc/app.bsky.feed.getAuthorFeed?${query.toString()}`;
    const res = await fetchStep(ctx, 'bluesky_appview', url, {
      accept: ACCEPT_JSON,
      maxBytes: JSON_MAX_BYTES,
    });
    const body = obj(parseJson(res.body));
    const error = str(body?.error);
    // "Profile not found" is a 400 InvalidRequest; a blocked or taken-down account has its own errors.
    if (
      res.status === 400 ||
      res.status === 404 ||
      error === 'BlockedActor' ||
      error === 'BlockedByActor' ||
      error === 'AccountTakedown'
    )
      return page === 0 ? null : out;
    if (res.status >= 400 || !body) throw threadError(res.status, body);
    const feed = arr(body.feed).map(obj);
    for (const item of feed) {
      if (str(obj(item?.reason)?.$type)?.includes('reasonRepost')) continue;
      const view = obj(item?.post);
      const post = view && postOf(view, obj(view.record), obj(view.embed));
      if (post?.text) out.push(post);
    }
    cursor = str(body.cursor);
    if (!cursor || !feed.length) break;
  }
  return out;
}

export const blueskyResolver: PlatformResolver = {
  platform: 'bluesky',
  matches(url) {
    return HOSTS.has(url.hostname);
  },
  async resolve(url, ctx) {
    let path = url.pathname;
    try {
      path = decodeURIComponent(path); // some share DIDs as did%3Aplc%3A…
    } catch {
      // Malformed escapes: match the path as it is.
    }
    const m = path.match(POST_PATH);
    if (!m) throw new ResolveError('unsupported_url', `Not a post on Bluesky: ${url.pathname.slice(0, 100)}`);
    const [, actor, rkey] = m as unknown as [string, string, string];
    if (!DID.test(actor) && !HANDLE.test(actor))
      throw new ResolveError('unsupported_url', 'The profile part is neither a handle nor a DID');

    let { res, body } = await getThread(actor, rkey, ctx);
    // A handle the AppView could not resolve itself (400 InvalidRequest): resolve it, ask again by DID.
    if (res.status === 400 && str(body?.error) !== 'NotFound' && !DID.test(actor)) {
      const did = await resolveHandle(actor, ctx);
      ({ res, body } = await getThread(did, rkey, ctx));
    }
    if (res.status >= 400 || !body) throw threadError(res.status, body);

    const thread = obj(body.thread);
    const type = str(thread?.$type) ?? '';
    if (type.endsWith('#notFoundPost'))
      throw new ResolveError('post_not_found', 'Bluesky has no such post (deleted or never posted)');
    if (type.endsWith('#blockedPost'))
      throw new ResolveError('post_protected', 'The post is blocked for viewers');
    const view = obj(thread?.post);
    if (!view) throw new ResolveError('resolver_failed', 'The Bluesky answer holds no post');
    const embed = obj(view.embed);
    const found = postOf(view, obj(view.record), embed);
    if (!found) throw new ResolveError('resolver_failed', 'The Bluesky post has no at:// URI');
    const post = {
      ...found,
      media: await withVideoBlob(found.media, found.author.id, readEmbed(embed).videoCid, ctx),
    };

    let quoted: QuotedPost | undefined;
    const q = readEmbed(embed).quoted;
    if (q && str(q.$type)?.endsWith('#viewRecord')) {
      // A quoted record carries its record in `value` and its embeds (already views) in `embeds`.
      quoted = postOf(q, obj(q.value), obj(arr(q.embeds)[0]));
    }
    const core: PostCore = defined({ ...post, quoted });
    return { kind: 'post', post: finishPost(core, ctx) };
  },
};
