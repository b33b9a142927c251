// Posts firstseen has resolved, by author: what a screenshot of a post is traced back to. Each post is
// one record (its URL, author, time and text as the platform gave them, when and by whom it was first
// seen), and each author a sorted set of their posts, newest first, capped.
//
// Visibility follows the media store's rule (media-store.ts, isPrivateSighting): a post reached through
// a public URL is public, and every organization may be shown it; one reached only through a private
// sighting (an organization's upload) is that organization's. Checks resolve posts from public links
// only, so every post they remember today is public; the rule is kept so that a private source can
// never leak through this index.
import { createHash } from 'node:crypto';
import type { Platform, Post } from '../../schemas/post.js';
import type { Keys } from '../keys.js';
import { batch, type RedisClient } from '../redis.js';
import { isPrivateSighting } from './media-store.js';

/** Posts kept per author (the newest by post time): a screenshot is compared with each. */
export const POSTS_PER_AUTHOR = 200;
/** Longest post text kept (a Reddit self-post can be 40,000 characters; a screenshot shows far less). */
const MAX_TEXT = 4000;

export interface RememberedPost {
  platform: Platform;
  id: string;
  url: string;
  handle: string;
  display_name: string | null;
  posted_at: string | null;
  text: string;
  first_seen_at: string;
  first_org: string;
  /** Only ever seen through a private sighting: shown to `first_org` alone. */
  private: boolean;
}

/** What is remembered of a post (a quoted or reposted post has it too). */
export type PostFacts = Pick<Post, 'platform' | 'id' | 'url' | 'author' | 'posted_at' | 'text'>;

export interface PostSighting {
  at: string;
  org: string;
  /** The URL the check was given that led to the post. */
  source_url: string;
}

/** Platforms whose handles look alike in a screenshot (`@name`): a handle is looked up on each. */
export const HANDLE_PLATFORMS: readonly Platform[] = ['x', 'bluesky', 'mastodon', 'telegram', 'reddit'];

export const normalizeHandle = (h: string) => h.replace(/^@/, '').toLowerCase();

/**
 * A handle with the letters OCR confuses in a screenshot's small UI type made one: i, l, 1 and | as `l`,
 * o and 0 as `o`, rn as `m`. Handles with the same skeleton look alike in a screenshot (measured on
 * bench:ocr's degraded post screenshots: `@m_all` read for `@m_ali`, where "li" and "ll" are the same
 * pixels at 11 px). A screenshot whose handle finds no post is compared with the posts of the handles
 * that look like it (byLookalike); its text, not the handle, decides whether one is the post shown.
 */
export const handleSkeleton = (h: string) =>
  normalizeHandle(h)
    .replace(/rn/g, 'm')
    .replace(/[il1|]/g, 'l')
    .replace(/0/g, 'o');
const postDigest = (platform: string, id: string) =>
  createHash('sha256').update(`${platform}\n${id}`).digest('hex');

export function createPostIndex(redis: RedisClient, keys: Keys) {
  return {
    /** Remembers a resolved post under its author (posts without a handle or a text are of no use here). */
    async remember(post: PostFacts, s: PostSighting) {
      const handle = post.author.handle ? normalizeHandle(post.author.handle) : '';
      if (!handle || !post.text?.trim()) return;
      const digest = postDigest(post.platform, post.id);
      const key = keys.post(digest);
      const isNew = (await redis.hsetnx(key, 'id', post.id)) === 1;
      const priv = isPrivateSighting(s);
      const fields: Record<string, string> = {
        platform: post.platform,
        url: post.url,
        handle,
        display_name: post.author.display_name ?? '',
        posted_at: post.posted_at ?? '',
        // The text as last seen: a post edited since is compared as it now reads.
        text: post.text.slice(0, MAX_TEXT),
      };
      if (isNew) Object.assign(fields, { first_seen_at: s.at, first_org: s.org, private: priv ? '1' : '' });
      // A post seen publicly once is public for good.
      else if (!priv) fields.private = '';
      await redis.hset(key, fields);
      const byAuthor = keys.postsByAuthor(post.platform, handle);
      const score = Date.parse(post.posted_at ?? '') || Date.parse(s.at) || 0;
      await redis.zadd(byAuthor, score, digest);
      await redis.zremrangebyrank(byAuthor, 0, -(POSTS_PER_AUTHOR + 1));
      // The same post under its handle's skeleton (every platform's in one set): found for a screenshot
      // whose handle was read with a look-alike letter.
      const lookalike = keys.postsByLookalike(handleSkeleton(handle));
      await redis.zadd(lookalike, score, digest);
      await redis.zremrangebyrank(lookalike, 0, -(POSTS_PER_AUTHOR + 1));
    },

    /** The posts of an author (any of HANDLE_PLATFORMS) that `org` may see, newest first. */
    async byAuthor(handle: string, org: string): Promise<RememberedPost[]> {
      const h = normalizeHandle(handle);
      const lists = await batch(redis, HANDLE_PLATFORMS, (p, platform) =>
        p.zrevrange(keys.postsByAuthor(platform, h), 0, POSTS_PER_AUTHOR - 1),
      );
      return visible(
        lists.flatMap(([err, r]) => (err ? [] : (r as string[]))),
        org,
      );
    },

    /**
     * The posts that `org` may see by handles that look like this one in a screenshot (handleSkeleton),
     * this handle's own left out, newest first. Posts remembered before look-alikes were indexed are
     * not among them (they are found by their own handle).
     */
    async byLookalike(handle: string, org: string): Promise<RememberedPost[]> {
      const h = normalizeHandle(handle);
      const digests = await redis.zrevrange(
        keys.postsByLookalike(handleSkeleton(h)),
        0,
        POSTS_PER_AUTHOR - 1,
      );
      return (await visible(digests, org)).filter((p) => p.handle !== h);
    },
  };

  async function visible(digests: string[], org: string): Promise<RememberedPost[]> {
    const records = await batch(redis, digests, (p, d) => p.hgetall(keys.post(d)));
    return records
      .map(([err, r]) => (err ? null : read(r as Record<string, string>)))
      .filter((r): r is RememberedPost => !!r && (!r.private || r.first_org === org));
  }
}

function read(h: Record<string, string>): RememberedPost | null {
  if (!h.id || !h.platform || !h.url) return null;
  return {
    platform: h.platform as Platform,
    id: h.id,
    url: h.url,
    handle: h.handle ?? '',
    display_name: h.display_name || null,
    posted_at: h.posted_at || null,
    text: h.text ?? '',
    first_seen_at: h.first_seen_at ?? '',
    first_org: h.first_org ?? '',
    private: h.private === '1',
  };
}

export type PostIndex = ReturnType<typeof createPostIndex>;
