// A screenshot of a post traced back to the post: the post in the screenshot is read (read-post.ts), the
// posts firstseen has resolved by that @handle are looked up (those this organization may see), and the
// one whose words the screenshot's words are is reported, with the words that differ (word-diff.ts).
// When none of them is the one, and the handle is one the platform can be asked about (a Bluesky
// handle: author-feed.ts), the author's recent posts on the platform are compared the same way.
// A handle OCR may have misread (a look-alike letter: `l` for `i`) is tried in its look-alike forms
// after that: first the posts firstseen has seen by handles that look like it, then, when the platform
// knows no posts by the handle read, at most MAX_LOOKALIKE_LOOKUPS handles one letter away. Only the text decides: a look-alike handle's post
// is the one shown when its words are, as for the handle read.
// The lookups are injected; the rest is a plain function.
import type { MediaItem } from '../../../schemas/report.js';
import type { ScreenshotOf } from '../../../schemas/screenshot.js';
import type { TextInImage } from '../../../schemas/text.js';
import type { RememberedPost } from '../../memory/post-index.js';
import { dateValue } from '../ocr/dates.js';
import { readPost, type PictureBox, type PostInScreenshot } from './read-post.js';
import { compareWords, sharedWords, type TextComparison } from './word-diff.js';

/** Share of the shorter side's words that must agree (OCR noise forgiven) for a post to be the one shown. */
export const MIN_SHARED = 0.6;
/** Words that must agree at least: four common words are not a post. */
export const MIN_MATCHED = 4;
const MAX_DIFFERENCES = 20;
/** Share of the screenshot's words spelled exactly as the post's below which a post is not aligned. */
const PREFILTER_SHARE = 0.25;

/** What a screenshot is compared with: a post remembered, or one just read from the platform. */
export type TracedPost = Pick<
  RememberedPost,
  'platform' | 'id' | 'url' | 'handle' | 'display_name' | 'posted_at' | 'text'
>;

export type PostsByAuthor = (handle: string) => Promise<TracedPost[]>;

export interface PostSources {
  /** The posts by this handle firstseen has seen (that the organization may see). */
  seen: PostsByAuthor;
  /**
   * The author's recent posts on their platform, asked only when none seen is the one shown; absent:
   * not asked. Answers [] for a handle no platform can be asked about.
   */
  platform?: PostsByAuthor | undefined;
  /**
   * The posts firstseen has seen by handles that look like this one in a screenshot (not by this one);
   * absent: not looked for.
   */
  lookalike?: PostsByAuthor | undefined;
}

/** Handles one look-alike letter away asked of the platform at most (each is one request to it). */
export const MAX_LOOKALIKE_LOOKUPS = 4;

/**
 * Handles one look-alike letter away from `handle` (i, l, 1; o, 0; m, rn), the last letters first and
 * letters before digits: at most `max`. A domain handle (`name.bsky.social`) varies in its name only.
 */
export function lookalikeHandles(handle: string, max = MAX_LOOKALIKE_LOOKUPS): string[] {
  const h = handle.replace(/^@/, '').toLowerCase();
  const dot = h.indexOf('.');
  const name = dot < 0 ? h : h.slice(0, dot);
  const domain = dot < 0 ? '' : h.slice(dot);
  const out: string[] = [];
  for (let i = name.length - 1; i >= 0 && out.length < max; i--) {
    const c = name[i] as string;
    const swaps =
      c === 'l' ? ['i', '1'] : c === 'i' ? ['l', '1'] : c === '1' ? ['l', 'i'] : c === 'o' ? ['0'] : [];
    if (c === '0') swaps.push('o');
    if (c === 'm') swaps.push('rn');
    if (c === 'n' && name[i - 1] === 'r') out.push(name.slice(0, i - 1) + 'm' + name.slice(i + 1) + domain);
    for (const s of swaps) out.push(name.slice(0, i) + s + name.slice(i + 1) + domain);
  }
  return [...new Set(out)].filter((v) => v !== h).slice(0, max);
}

export interface Traced {
  screenshot: ScreenshotOf;
  /** The post it shows (a platform's: to be remembered). */
  post: TracedPost;
}

export async function traceScreenshot(
  text: TextInImage,
  picture: PictureBox | null,
  sources: PostSources,
): Promise<Traced | null> {
  const shot = readPost(text, picture);
  if (!shot) return null;
  let source: 'seen' | 'platform' = 'seen';
  let best = bestPost(shot, await sources.seen(shot.handle));
  if (!best && sources.lookalike) best = bestPost(shot, await sources.lookalike(shot.handle));
  if (!best && sources.platform) {
    source = 'platform';
    const own = await sources.platform(shot.handle);
    best = bestPost(shot, own);
    // Handles one letter away only when the platform knows no posts by the handle read: an account with
    // posts, none of them this one, was most likely read right (and each look-alike is one more request).
    for (const other of best || own.length ? [] : lookalikeHandles(shot.handle)) {
      best = bestPost(shot, await sources.platform(other));
      if (best) break;
    }
  }
  if (!best) return null;
  const { post, cmp } = best;
  return {
    post,
    screenshot: {
      platform: post.platform,
      url: post.url,
      post_id: post.id,
      author: { handle: post.handle, display_name: post.display_name },
      posted_at: post.posted_at,
      source,
      text_matches: cmp.differences.length === 0,
      differences: cmp.differences.slice(0, MAX_DIFFERENCES),
      words: { post: cmp.post_words, matched: cmp.matched, cut_off: cmp.cut_off },
      read: {
        handle: shot.handle,
        display_name: shot.display_name,
        time: shot.time,
        date: shot.date,
        text: shot.text.slice(0, 4000),
      },
      date_agrees: dateAgrees(shot, post),
    },
  };
}

/** The candidate whose words the screenshot's words are, the closest; null when none is. */
function bestPost(
  shot: PostInScreenshot,
  candidates: TracedPost[],
): { post: TracedPost; cmp: TextComparison } | null {
  let best: { post: TracedPost; cmp: TextComparison; score: number } | null = null;
  for (const post of candidates) {
    // An author's other posts are skipped without aligning them: a screenshot of this one, however
    // noisy, spells far more than a quarter of its longer words as the post does.
    const { shared, of } = sharedWords(shot.words, post.text);
    if (shared < PREFILTER_SHARE * of) continue;
    const cmp = compareWords(shot.words, post.text);
    const shown = cmp.post_words - cmp.cut_off;
    const score = cmp.matched / Math.max(1, Math.min(shot.words.length, shown));
    if (cmp.matched < MIN_MATCHED || score < MIN_SHARED) continue;
    if (!best || score > best.score || (score === best.score && dateAgrees(shot, post) === true)) {
      best = { post, cmp, score };
    }
  }
  return best;
}

const DAY = 86_400_000;

/** The date shown against the post's (a day either way: the screenshot shows the viewer's local day). */
function dateAgrees(shot: PostInScreenshot, post: TracedPost): boolean | null {
  if (!shot.date || !post.posted_at) return null;
  // "3 Mar 2024", "3 мар. 2024 г.", "2024 m. kovo 3 d.", …: ocr/dates.ts.
  const shown = dateValue(shot.date);
  const posted = Date.parse(post.posted_at);
  if (shown === null || !Number.isFinite(posted)) return null;
  return Math.abs(shown - Date.UTC(...ymd(posted))) <= DAY;
}

const ymd = (t: number): [number, number, number] => {
  const d = new Date(t);
  return [d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()];
};

/**
 * The picture the content-region detector found among the text of a screenshot (`embedded`), in the
 * pixels of the displayed image (the OCR boxes'); null when it found none.
 */
export function embeddedPicture(
  item: Pick<MediaItem, 'hashes' | 'decode' | 'width' | 'height'>,
): PictureBox | null {
  const r = item.hashes?.region;
  const d = item.decode;
  if (!r || r.kind !== 'embedded' || !d || !item.width || !item.height) return null;
  const turned = d.rotated_for_hashing && (d.orientation ?? 1) >= 5;
  const k = (turned ? item.height : item.width) / d.hashed_width;
  return { x: r.x * k, y: r.y * k, width: r.width * k, height: r.height * k };
}
