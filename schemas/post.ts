// A social post (or web page) that a fact-checker pasted, resolved to who posted what, when, and with
// which media files. The same record for every platform, so a report never branches on where a post
// came from. Every string comes from a platform's answer: cleaned of control characters and cut to
// size; lists are capped (20 media per post, 20 variants per video, 40 trail steps).
//
// Only `Post` has an `$id`: the API registers named schemas once, and a nested `$id` would collide.
// A schema that contains a Post points at it with `ref(Post)`.
import { Type, type Static } from 'typebox';
import { FactCheck, MAX_REVIEWS_PER_PAGE, PublishedReview } from './fact-checks.js';
import { Match } from './provenance.js';
import { ref } from './ref.js';

export const MAX_MEDIA_PER_POST = 20;
export const MAX_VARIANTS_PER_MEDIA = 20;
export const MAX_TRAIL_STEPS = 40;
export const MAX_EMBEDDED_POSTS = 10;

export const Platform = Type.Union(
  [
    Type.Literal('x'),
    Type.Literal('bluesky'),
    Type.Literal('mastodon'),
    Type.Literal('telegram'),
    Type.Literal('reddit'),
    Type.Literal('web'),
  ],
  { description: 'Where the post lives.' },
);
export type Platform = Static<typeof Platform>;

export const PostAuthor = Type.Object(
  {
    handle: Type.Optional(
      Type.String({ description: 'Account name without `@` (X screen name, Bluesky handle, channel name).' }),
    ),
    display_name: Type.Optional(Type.String({ description: 'Name shown on the profile.' })),
    id: Type.Optional(
      Type.String({
        description: 'Stable account id when the platform gives one (X user id, Bluesky DID, Reddit t2_…).',
      }),
    ),
    url: Type.Optional(Type.String({ description: 'Profile URL.' })),
  },
  { additionalProperties: false, description: 'Who posted it, as the platform shows it.' },
);
export type PostAuthor = Static<typeof PostAuthor>;

export const PostVideoVariant = Type.Object(
  {
    url: Type.String(),
    content_type: Type.Optional(
      Type.String({ description: '`video/mp4`, `application/x-mpegURL` (HLS playlist), …' }),
    ),
    bitrate: Type.Optional(Type.Integer({ minimum: 0, description: 'Bits per second, when given.' })),
    width: Type.Optional(Type.Integer({ minimum: 1 })),
    height: Type.Optional(Type.Integer({ minimum: 1 })),
  },
  { additionalProperties: false, description: 'One encoding of a video, as the platform lists it.' },
);
export type PostVideoVariant = Static<typeof PostVideoVariant>;

export const PostMedia = Type.Object(
  {
    type: Type.Union([Type.Literal('photo'), Type.Literal('video'), Type.Literal('gif')], {
      description: '`gif` is an animation; most platforms serve it as a silent MP4.',
    }),
    url: Type.String({
      description:
        'Best-quality file we know of: X photos at `name=orig`, the highest-bitrate MP4 of a video. ' +
        'For a Bluesky video, an HLS playlist.',
    }),
    width: Type.Optional(Type.Integer({ minimum: 1, description: 'Pixels, when the platform says.' })),
    height: Type.Optional(Type.Integer({ minimum: 1, description: 'Pixels, when the platform says.' })),
    alt_text: Type.Optional(
      Type.String({ description: 'Description the author wrote for this media item.' }),
    ),
    poster_url: Type.Optional(Type.String({ description: 'Still image shown before a video plays.' })),
    variants: Type.Optional(
      Type.Array(PostVideoVariant, {
        maxItems: MAX_VARIANTS_PER_MEDIA,
        description: 'Every encoding of a video or gif (none for photos).',
      }),
    ),
    origin: Type.Optional(
      Type.String({
        description:
          'On web pages: where the URL was found (`og:image`, `og:video`, `twitter:image`, `img`, `embed`, `claim_review`: named by the page’s fact-check markup).',
      }),
    ),
  },
  { additionalProperties: false, description: 'One photo, video or gif attached to a post.' },
);
export type PostMedia = Static<typeof PostMedia>;

export const TrailEndpoint = Type.Union(
  [
    Type.Literal('input'),
    Type.Literal('shortener'),
    Type.Literal('x_syndication'),
    Type.Literal('x_timeline'),
    Type.Literal('fxtwitter'),
    Type.Literal('bluesky_appview'),
    Type.Literal('bluesky_resolve_handle'),
    Type.Literal('bluesky_did_document'),
    Type.Literal('mastodon_api'),
    Type.Literal('telegram_web'),
    Type.Literal('reddit_json'),
    Type.Literal('web_page'),
    Type.Literal('wayback_cdx'),
    Type.Literal('wayback_availability'),
  ],
  { description: 'What the request was for.' },
);
export type TrailEndpoint = Static<typeof TrailEndpoint>;

export const TrailStep = Type.Object(
  {
    endpoint: TrailEndpoint,
    url: Type.String({ description: 'URL asked for (`input`: the URL as submitted).' }),
    http_status: Type.Optional(Type.Integer({ description: 'Status of the last answer.' })),
    redirects: Type.Array(Type.String(), { description: 'Every URL followed after `url`, in order.' }),
  },
  { additionalProperties: false, description: 'One request made while resolving, in order.' },
);
export type TrailStep = Static<typeof TrailStep>;

const postFields = {
  platform: Platform,
  id: Type.String({
    description:
      'Post id on its platform: X status id, Bluesky at:// URI, Mastodon status id, `channel/123` on ' +
      'Telegram, Reddit base-36 id, the canonical URL of a web page.',
  }),
  url: Type.String({ description: 'Canonical URL of the post.' }),
  author: PostAuthor,
  posted_at: Type.Optional(
    Type.String({ format: 'date-time', description: 'When it was posted, ISO 8601 in UTC.' }),
  ),
  text: Type.Optional(Type.String({ description: 'Text of the post (Reddit: title, then body).' })),
  language: Type.Optional(
    Type.String({ description: 'Language code the platform gives (`en`, `uk`), not guessed.' }),
  ),
  sensitive: Type.Optional(Type.Boolean({ description: 'The platform marks it sensitive, adult or NSFW.' })),
  media: Type.Array(PostMedia, { maxItems: MAX_MEDIA_PER_POST }),
};

export const QuotedPost = Type.Object(postFields, {
  additionalProperties: false,
  description: 'A post quoted or reposted by another, one level deep (its own quotes are not followed).',
});
export type QuotedPost = Static<typeof QuotedPost>;

export const Post = Type.Object(
  {
    ...postFields,
    selected_media_index: Type.Optional(
      Type.Integer({
        minimum: 0,
        description:
          'The media item the link pointed at (0-based), e.g. 1 for `/photo/2` on X; every item is still in `media`.',
      }),
    ),
    quoted: Type.Optional(QuotedPost),
    reposted: Type.Optional(QuotedPost),
    trail: Type.Array(TrailStep, {
      maxItems: MAX_TRAIL_STEPS,
      description: 'Every request made to resolve the post (shorteners, APIs, fallbacks), in order.',
    }),
    metadata_note: Type.String({
      description:
        'What this platform does to uploaded files’ metadata, for whoever reads the hashes and EXIF.',
    }),
    fact_checks: Type.Optional(
      Type.Array(ref(FactCheck), {
        maxItems: 10,
        description:
          'Fact-checks of claims worded like this post’s text: first those firstseen was given whose claim (`claimReviewed`) shares most of its words with the text, in the same language (`match.kind` `text`); then those Google Fact Check Tools found (`text_search`, with FACT_CHECK_TOOLS_API_KEY): leads to read, not matches.',
      }),
    ),
    text_matches: Type.Optional(
      Type.Array(ref(Match), {
        maxItems: 10,
        description:
          'Posts and images seen before whose words this post’s text shares (`kind: text`, see `text.share`), the closest first; the media of the post show them too. Absent: none.',
      }),
    ),
  },
  {
    $id: 'Post',
    additionalProperties: false,
    description: 'A post resolved to its author, time, text and media.',
  },
);
export type Post = Static<typeof Post>;

export const EmbeddedFailure = Type.Object(
  {
    url: Type.String(),
    code: Type.String({ description: 'Stable code, e.g. `post_not_found`, `rate_limited`, `http_error`.' }),
    message: Type.String(),
  },
  { additionalProperties: false, description: 'An embedded post that could not be resolved.' },
);

export const WebPage = Type.Object(
  {
    url: Type.String({ description: 'The page URL as given.' }),
    final_url: Type.String({ description: 'Where the HTML came from, after redirects.' }),
    canonical_url: Type.Optional(Type.String({ description: '`<link rel="canonical">` or `og:url`.' })),
    title: Type.Optional(Type.String()),
    site_name: Type.Optional(Type.String({ description: '`og:site_name`.' })),
    published_at: Type.Optional(
      Type.String({ format: 'date-time', description: '`article:published_time`, when the page states it.' }),
    ),
    media: Type.Array(PostMedia, {
      maxItems: MAX_MEDIA_PER_POST,
      description: 'og:image/og:video/twitter:image first, then images in the article body.',
    }),
    embedded_posts: Type.Array(ref(Post), {
      maxItems: MAX_EMBEDDED_POSTS,
      description: 'Posts embedded in the page (tweets, Bluesky, Mastodon, Reddit, Telegram), resolved.',
    }),
    embedded_failures: Type.Array(EmbeddedFailure, { maxItems: MAX_EMBEDDED_POSTS }),
    reviews: Type.Optional(
      Type.Array(ref(PublishedReview), {
        maxItems: MAX_REVIEWS_PER_PAGE,
        description:
          'Fact-checks the page publishes (ClaimReview / MediaReview JSON-LD). Their pictures come first in `media`, and the posts they name are resolved like embedded ones.',
      }),
    ),
    trail: Type.Array(TrailStep, { maxItems: MAX_TRAIL_STEPS }),
    metadata_note: Type.String(),
  },
  { additionalProperties: false, description: 'A web page (a news article, say) with its media and embeds.' },
);
export type WebPage = Static<typeof WebPage>;

export const FirstCapture = Type.Object(
  {
    url: Type.String({ description: 'The URL as the Wayback Machine recorded it.' }),
    captured_at: Type.String({ format: 'date-time', description: 'Time of the earliest capture, UTC.' }),
    snapshot_url: Type.String({ description: '`https://web.archive.org/web/<timestamp>/<url>`.' }),
  },
  { additionalProperties: false, description: 'The earliest Wayback Machine capture of a URL.' },
);
export type FirstCapture = Static<typeof FirstCapture>;
