// A schema.org MediaReview draft of a check (GET /v1/checks/:id/mediareview): JSON-LD a fact-checker
// completes and publishes. firstseen fills in what it measured (the media, its hash, where and when
// it was first seen online); the verdict fields are the fact-checker's. Only types and properties
// schema.org defines (test/schema-org/media-review.test.ts checks them against its vocabulary).
import { Type, type Static } from 'typebox';
import { ref } from './ref.js';

export const MEDIA_REVIEW_MIME = 'application/ld+json';

const MediaAppearance = Type.Object(
  {
    '@type': Type.Union([Type.Literal('ImageObject'), Type.Literal('VideoObject')]),
    contentUrl: Type.Optional(
      Type.String({
        description: 'The file’s public URL, as checked (absent for an upload: it stays private).',
      }),
    ),
    sha256: Type.String({ pattern: '^[0-9a-f]{64}$', description: 'The checked file’s SHA-256.' }),
    encodingFormat: Type.Optional(Type.String({ description: 'Its MIME type, sniffed from the bytes.' })),
    uploadDate: Type.Optional(
      Type.String({
        description:
          'First seen online: the date of the earliest dated evidence firstseen found of the picture online (a post, an archive capture, an earlier match, a bank’s date, a search engine’s crawl), the one `originalMediaLink` points at. A date by which it was online, not proof it was first uploaded then.',
      }),
    ),
  },
  { additionalProperties: false, description: 'The checked file, as a schema.org MediaObject.' },
);

export const MediaReview = Type.Object(
  {
    '@type': Type.Literal('MediaReview'),
    itemReviewed: Type.Object(
      {
        '@type': Type.Literal('MediaReviewItem'),
        mediaItemAppearance: Type.Array(MediaAppearance, { minItems: 1, maxItems: 1 }),
      },
      { additionalProperties: false },
    ),
    originalMediaLink: Type.Optional(
      Type.String({
        description:
          'Where the earliest dated evidence of the picture online is (the post, archive capture, earlier sighting or crawled page). The fact-checker confirms it is the original.',
      }),
    ),
  },
  {
    $id: 'MediaReview',
    additionalProperties: false,
    description:
      'One media item of the check. Left for the fact-checker: `mediaAuthenticityCategory`, `reviewRating`, `originalMediaContextDescription`, `author`, `datePublished`, `url`.',
  },
);
export type MediaReview = Static<typeof MediaReview>;

export const MediaReviewDraft = Type.Object(
  {
    '@context': Type.Literal('https://schema.org'),
    '@graph': Type.Array(ref(MediaReview), {
      description: 'One MediaReview per media item analyzed (status `ok`), in report order.',
    }),
  },
  {
    $id: 'MediaReviewDraft',
    additionalProperties: false,
    description: 'A schema.org MediaReview draft per media item of a finished check, as JSON-LD.',
  },
);
export type MediaReviewDraft = Static<typeof MediaReviewDraft>;
