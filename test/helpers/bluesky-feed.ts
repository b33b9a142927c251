// The Bluesky AppView's app.bsky.feed.getAuthorFeed, played by a route of the resolver tests' local world
// (test/pipeline/resolve/world.ts). Written for these tests to the lexicon's shapes (feedViewPost: `post`
// a postView, `reason` a reasonRepost for a repost; a `cursor` while there is more; 400 InvalidRequest
// "Profile not found" for an unknown actor); the accounts and texts are invented.
import type { Route } from '../pipeline/resolve/world.js';
import { json } from '../pipeline/resolve/world.js';

export interface FeedAuthor {
  did: string;
  handle: string;
  displayName?: string;
}

/** A feedViewPost of `author`'s post `rkey`; `repostedBy` makes it a repost in that account's feed. */
export function feedPost(
  author: FeedAuthor,
  rkey: string,
  text: string,
  createdAt: string,
  repostedBy?: FeedAuthor,
): object {
  return {
    post: {
      uri: `at://${author.did}/app.bsky.feed.post/${rkey}`,
      cid: `bafyrei${rkey}`,
      author: { ...author, labels: [] },
      record: { $type: 'app.bsky.feed.post', createdAt, langs: ['en'], text },
      replyCount: 0,
      repostCount: 0,
      likeCount: 0,
      indexedAt: createdAt,
      labels: [],
    },
    ...(repostedBy && {
      reason: { $type: 'app.bsky.feed.defs#reasonRepost', by: repostedBy, indexedAt: createdAt },
    }),
  };
}

/**
 * getAuthorFeed over `feeds` (actor, as a handle or a DID, -> its feed, newest first): pages of `limit`
 * from `cursor` (an offset here; the AppView's is opaque), with a cursor while there is more. An actor
 * not in `feeds` is "Profile not found". `asked` gets each request's query.
 */
export function authorFeedRoute(feeds: Record<string, object[]>, asked: URLSearchParams[] = []): Route {
  return (req, url, res) => {
    asked.push(url.searchParams);
    const actor = url.searchParams.get('actor') ?? '';
    const feed = feeds[actor];
    if (!feed) return json({ error: 'InvalidRequest', message: 'Profile not found' }, 400)(req, url, res);
    const limit = Math.min(100, Number(url.searchParams.get('limit') ?? 50));
    const from = Number(url.searchParams.get('cursor') ?? 0);
    const page = feed.slice(from, from + limit);
    const next = from + limit < feed.length ? String(from + limit) : undefined;
    json({ feed: page, ...(next && { cursor: next }) })(req, url, res);
  };
}
