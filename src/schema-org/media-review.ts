// A check's report as schema.org MediaReview drafts (ClaimReview's sibling for images and videos):
// one per media item analyzed, with what firstseen measured, and the verdict left to the
// fact-checker. A plain function of the report: the route only serves what it returns.
import type { MediaReview, MediaReviewDraft } from '../../schemas/media-review.js';
import type { TimelineEvent } from '../../schemas/provenance.js';
import type { MediaItem, Report } from '../../schemas/report.js';

/** Evidence that the picture was online at a date (device clocks and this check itself are not). */
const ONLINE: ReadonlySet<TimelineEvent['kind']> = new Set([
  'post_published',
  'wayback_capture',
  'match_posted',
  'match_first_seen',
  'bank_first_published',
  'web_crawled',
]);

const isHttp = (url: string | null | undefined): url is string => !!url && /^https?:\/\//i.test(url);

/** The earliest dated evidence of the picture online that can be linked to. */
export function firstSeenOnline(item: MediaItem): TimelineEvent | null {
  // The timeline is oldest first.
  return item.provenance?.timeline.find((e) => ONLINE.has(e.kind) && isHttp(e.url)) ?? null;
}

function review(item: MediaItem & { sha256: string }): MediaReview {
  const first = firstSeenOnline(item);
  const video = item.mime?.startsWith('video/') ?? false;
  return {
    '@type': 'MediaReview',
    itemReviewed: {
      '@type': 'MediaReviewItem',
      mediaItemAppearance: [
        {
          '@type': video ? 'VideoObject' : 'ImageObject',
          // An upload's `upload:<sha256>` is no URL anyone can open: the hash identifies it instead.
          ...(isHttp(item.source_url) && { contentUrl: item.source_url }),
          sha256: item.sha256,
          ...(item.mime && { encodingFormat: item.mime }),
          ...(first && { uploadDate: first.at }),
        },
      ],
    },
    ...(first?.url && { originalMediaLink: first.url }),
  };
}

export function mediaReviewDraft(report: Report): MediaReviewDraft {
  return {
    '@context': 'https://schema.org',
    '@graph': report.media
      .filter((m): m is MediaItem & { sha256: string } => m.status === 'ok' && !!m.sha256)
      .map(review),
  };
}
