// What changed in a post since it was last seen: pure functions of the post then and its resolution now.
import type { Post } from '../../schemas/post.js';
import type { PostChangeKind } from '../../schemas/watch.js';
import type { Resolution } from './resolve/types.js';
import type { SeenPost } from '../services/watches.js';

/** The parts of a post a watch compares: its text and its media URLs, in order. */
export function postState(post: Pick<Post, 'text' | 'media'>, at: string): SeenPost {
  return { text: (post.text ?? '').trim(), media: post.media.map((m) => m.url), at };
}

/**
 * The change a resolution shows, or null when the post is as it was or nothing can be said (a rate
 * limit, a network error, a platform that answers with something else: watched again next time).
 */
export function detectChange(before: SeenPost, now: Resolution): PostChangeKind | null {
  if (now.kind === 'error') {
    if (now.code === 'post_deleted' || now.code === 'post_not_found') return 'deleted';
    if (now.code === 'post_protected') return 'private';
    return null;
  }
  if (now.kind !== 'post') return null;
  const after = postState(now.post, before.at);
  if (after.text !== before.text) return 'text_changed';
  if (after.media.length !== before.media.length || after.media.some((u, i) => u !== before.media[i]))
    return 'media_changed';
  return null;
}

const VERBS: Record<PostChangeKind, string> = {
  deleted: 'was deleted',
  private: 'was made private',
  text_changed: 'had its text changed',
  media_changed: 'had its media changed',
};

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const hhmm = (d: Date) =>
  `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
const day = (d: Date) => `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}`;

/** "The post was deleted between 14:00 and 15:00 UTC on 6 Jan 2022" (both times in UTC). */
export function changeSentence(change: PostChangeKind, lastSeenAt: string, detectedAt: string): string {
  const a = new Date(lastSeenAt);
  const b = new Date(detectedAt);
  const when =
    day(a) === day(b)
      ? `between ${hhmm(a)} and ${hhmm(b)} UTC on ${day(b)}`
      : `between ${hhmm(a)} UTC on ${day(a)} and ${hhmm(b)} UTC on ${day(b)}`;
  return `The post ${VERBS[change]} ${when}`;
}
