// Matching one check's words against everything remembered by text: a post's text and the words read
// in an image (OCR) against the posts and image words seen before (`kind: text` matches), and against
// the claims of the fact-checks the organization may see (in the same language). Also remembering the
// check's texts afterwards. The text index (src/memory/text-index.ts) is injected; the rules are here.
//
// Visibility follows the pictures': a post is public (it was resolved from a public URL), so its text
// is matched for everyone; the words of an image are matched only where the image itself may be seen
// (MediaStore.getFor: another organization's upload never); a claim only where its bank may be.
import { createHash } from 'node:crypto';
import type { FactCheck } from '../../schemas/fact-checks.js';
import type { Post } from '../../schemas/post.js';
import type { Match } from '../../schemas/provenance.js';
import type { MediaItem } from '../../schemas/report.js';
import { bankVisibleTo } from './banks.js';
import type { FactCheckStore } from './fact-checks.js';
import { indexId, parseIndexId } from './index-ids.js';
import { seenMatch, type Asker } from './matches.js';
import { isPrivateSighting, type MediaStore } from './media-store.js';
import type { TextHit, TextIndex } from './text-index.js';
import { possibleLanguages, sameLanguage } from './text-language.js';
import { tokenize } from './text-shingles.js';

/**
 * Two texts are "the same words" when at least this share of the shorter one's word pairs is in the
 * other. A copy pasted by another account, with a link, a hashtag or a few words added, dropped or
 * changed, keeps 0.8-1.0 (one word changed in 12 breaks 2 of 11 pairs); the words of a screenshot of it
 * read by OCR lose a few more pairs to misread words. Different texts on the same story share under
 * 0.6 on the test set (test/memory/claim-pairs.ts: the closest, the same sentence with another
 * city and date, 0.55), so 0.7 keeps a margin on both sides.
 */
export const TEXT_MATCH_SHARE = 0.7;
/**
 * A claim matches a post's text at the same share, and only in the same language (a translation shares
 * names and numbers: 0.27 for a Spanish claim and its French translation). Claims quote the post they
 * review near-verbatim: the true pairs of the test set share 0.92-1.0, the closest near miss 0.55.
 */
export const CLAIM_MATCH_SHARE = 0.7;
/** Text matches and claim matches kept per text. */
const MAX_TEXT_MATCHES = 10;

/** The text index id of a post's text. */
export const postTextId = (url: string) => `t:${createHash('sha256').update(url).digest('hex')}`;

/** Whose words: a post's text, or the words read in an image. */
export type TextOwner =
  | { kind: 'post'; post: Post }
  | { kind: 'image'; item: Pick<MediaItem, 'sha256' | 'source_url'>; post: Post | null };

export interface TextMatcher {
  /** Posts and images seen before whose words `text` shares, as `kind: text` matches, the closest first. */
  find(text: string, owner: TextOwner): Promise<Match[]>;
  /** Remembers the text (a post's, once per post URL; an image's, once per file). */
  remember(text: string, owner: TextOwner): Promise<void>;
  /** Fact-checks the asker may see whose claim is worded like `text`, in its language. */
  claims(text: string): Promise<FactCheck[]>;
}

const authorOf = (post: Post | null): string =>
  post?.author.handle ? `@${post.author.handle}` : (post?.author.display_name ?? '');

const ownerId = (owner: TextOwner): string | null =>
  owner.kind === 'post'
    ? postTextId(owner.post.url)
    : owner.item.sha256
      ? indexId.media(owner.item.sha256)
      : null;

export function createTextMatcher(deps: {
  index: TextIndex;
  media: MediaStore;
  factChecks: FactCheckStore;
  asker: Asker & { checkId?: string | undefined };
}): TextMatcher {
  const { index, media, factChecks, asker } = deps;
  const now = () => asker.now?.() ?? new Date().toISOString();
  // A post's text is looked up once for both texts and claims (one read of its buckets): the matcher
  // lives as long as one check, and keeps the last text's candidates.
  let last: { text: string; hits: Promise<TextHit[]> } | null = null;
  const candidates = (text: string): Promise<TextHit[]> => {
    if (last?.text !== text) {
      const hits = index.find(tokenize(text), {
        minShare: Math.min(TEXT_MATCH_SHARE, CLAIM_MATCH_SHARE),
      });
      last = { text, hits };
    }
    return last.hits;
  };

  const textFacts = (hit: TextHit, of: TextOwner['kind'], matched: 'post' | 'image') => {
    const share = round(hit.overlap.share);
    return {
      kind: 'text' as const,
      hash: 'words' as const,
      distance: Math.round(100 - share * 100),
      transform: 'none',
      text: {
        of,
        matched,
        share,
        jaccard: round(hit.overlap.jaccard),
        common: hit.overlap.common,
        author: hit.doc.author || null,
        platform: hit.doc.platform || null,
      },
    };
  };

  async function resolve(hit: TextHit, owner: TextOwner): Promise<Match | null> {
    if (hit.id.startsWith('t:')) {
      const d = hit.doc;
      return {
        ...textFacts(hit, owner.kind, 'post'),
        source: 'seen',
        sha256: null,
        first_seen_at: d.first_seen_at || null,
        first_seen_url: d.url || null,
        posted_at: d.posted_at || null,
        post_url: d.url || null,
        captured_at: null,
        sightings: Number(d.sightings ?? 1),
        bank: null,
      };
    }
    const ref = parseIndexId(hit.id);
    if (ref?.kind !== 'media') return null;
    const record = await media.getFor(ref.sha256, asker.org);
    return record ? seenMatch(record, textFacts(hit, owner.kind, 'image')) : null;
  }

  return {
    async find(text, owner) {
      const self = ownerId(owner);
      const hits = (await candidates(text)).filter(
        (h) => h.id !== self && !h.id.startsWith('b:') && h.overlap.share >= TEXT_MATCH_SHARE,
      );
      const out: Match[] = [];
      for (const hit of hits) {
        const m = await resolve(hit, owner);
        // The image's own file seen before is a picture match already, not news about its words.
        if (m && !(owner.kind === 'image' && m.sha256 === owner.item.sha256)) out.push(m);
        if (out.length >= MAX_TEXT_MATCHES) break;
      }
      return out;
    },

    async remember(text, owner) {
      last = null; // what is remembered now may be found next
      const id = ownerId(owner);
      if (!id || !asker.checkId) return;
      const known = await index.get(id);
      if (known) {
        // Seen again by another check: counted once per check, its words already indexed.
        if (owner.kind === 'post' && known.last_check_id !== asker.checkId)
          await index.update(id, { last_check_id: asker.checkId }, 'sightings');
        return;
      }
      const tokens = tokenize(text);
      const post = owner.post;
      // An uploaded image's words are its uploader's: remembered for its own matches (getFor decides).
      const uploaded = owner.kind === 'image' && isPrivateSighting({ source_url: owner.item.source_url });
      await index.add(id, tokens, {
        kind: owner.kind,
        first_seen_at: now(),
        first_check_id: asker.checkId,
        first_org: asker.org,
        last_check_id: asker.checkId,
        sightings: '1',
        ...(!uploaded &&
          post && {
            url: post.url,
            platform: post.platform,
            author: authorOf(post),
            author_id: post.author.id ?? '',
            posted_at: post.posted_at ?? '',
          }),
      });
    },

    async claims(text) {
      const langs = possibleLanguages(text);
      if (!langs.length) return [];
      const hits = (await candidates(text)).filter(
        (h) => h.id.startsWith('b:') && h.overlap.share >= CLAIM_MATCH_SHARE,
      );
      const out: FactCheck[] = [];
      for (const hit of hits) {
        const ref = parseIndexId(hit.id);
        if (ref?.kind !== 'bank') continue;
        const f = await factChecks.get(ref.bankId, ref.entryId);
        if (!f || !bankVisibleTo(f.bank, asker.org)) continue;
        if (!sameLanguage(langs, possibleLanguages(f.review.claim ?? ''))) continue;
        const share = round(hit.overlap.share);
        const { item_urls: _items, media_urls: _media, ...review } = f.review;
        out.push({
          ...review,
          match: {
            kind: 'text',
            hash: 'words',
            distance: Math.round(100 - share * 100),
            share,
            sha256: null,
          },
          source: 'memory',
          bank: { id: f.bank.id, name: f.bank.name, publisher: f.bank.org, entry_id: f.entryId },
        });
        if (out.length >= MAX_TEXT_MATCHES) break;
      }
      return out;
    },
  };
}

const round = (x: number) => Math.round(x * 1000) / 1000;
