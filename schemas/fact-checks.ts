// Fact-checks: the reviews fact-checkers publish as schema.org `ClaimReview` / `MediaReview` JSON-LD, read
// from their articles, and where they meet a report (a picture a fact-check reviewed, matched by hash).
import { Type, type Static } from 'typebox';

const nullable = (description: string) => Type.Union([Type.String(), Type.Null()], { description });

/** Most reviews read from one page, and URLs kept per review. */
export const MAX_REVIEWS_PER_PAGE = 10;
export const MAX_REVIEW_URLS = 10;

const reviewFields = {
  type: Type.Union([Type.Literal('ClaimReview'), Type.Literal('MediaReview')]),
  url: nullable('The fact-check article (the review’s `url`, else the page).'),
  title: nullable('Its headline.'),
  claim: nullable('The claim reviewed (`claimReviewed`).'),
  rating: nullable(
    'The verdict in the publisher’s words: `reviewRating.alternateName` (else its `name`), or a MediaReview’s `mediaAuthenticityCategory`.',
  ),
  publisher: Type.Object(
    {
      name: nullable('e.g. "AFP Fact Check" (`author`, else `publisher`).'),
      site: nullable('The publisher’s own URL, where given.'),
    },
    { additionalProperties: false },
  ),
  reviewed_at: nullable('When the review was published (`datePublished`), ISO 8601.'),
  language: nullable('`inLanguage`, e.g. `en`, `fr`.'),
};

export const PublishedReview = Type.Object(
  {
    ...reviewFields,
    item_urls: Type.Array(Type.String(), {
      maxItems: MAX_REVIEW_URLS,
      description:
        'Where the reviewed item appeared (`itemReviewed` `appearance`/`firstAppearance` URLs): posts and pages.',
    }),
    media_urls: Type.Array(Type.String(), {
      maxItems: MAX_REVIEW_URLS,
      description:
        'Images and videos the review names (`contentUrl`, `image`, `originalMediaLink` of media files).',
    }),
  },
  {
    $id: 'PublishedReview',
    additionalProperties: false,
    description: 'A ClaimReview or MediaReview read from a page’s JSON-LD.',
  },
);
export type PublishedReview = Static<typeof PublishedReview>;

export const FactCheck = Type.Object(
  {
    ...reviewFields,
    match: Type.Object(
      {
        kind: Type.Union(
          [
            Type.Literal('exact'),
            Type.Literal('near_duplicate'),
            Type.Literal('content_region'),
            Type.Literal('partial'),
            Type.Literal('image_search'),
            Type.Literal('text_search'),
            Type.Literal('text'),
          ],
          {
            description:
              'How this picture met the fact-check’s: the same file, the same picture by hash, the picture inside a frame or screenshot, or part of it (a crop, a stamp over it, a collage), as in `provenance.matches`; or Google Fact Check Tools found it by this image’s URL (`image_search`) or by the post’s words (`text_search`: a keyword search, a lead to read, not a match); or the claim it reviewed (`claimReviewed`) is worded like the post’s text, in the same language (`text`: most word pairs in common, see `share`).',
          },
        ),
        hash: Type.String({
          description:
            '`sha256`, `pdq`, `phash`, `orb`, `vpdq`, `fact_check_tools`, or `words` (`text` matches).',
        }),
        distance: Type.Integer({
          description:
            'As in `provenance.matches`; `text`: 100 minus the percentage of word pairs in common.',
        }),
        share: Type.Optional(
          Type.Number({
            minimum: 0,
            maximum: 1,
            description:
              '`text` matches: share of the shorter text’s word pairs (the claim’s, or the post’s) found in the other.',
          }),
        ),
        inliers: Type.Optional(Type.Integer({ minimum: 0 })),
        of: Type.Optional(
          Type.Union([Type.Literal('post'), Type.Literal('quoted')], {
            description:
              '`text` matches: whose words are worded like the claim: the post’s own text (`post`), or the text of the post it quotes (`quoted`, e.g. the tweet a quote tweet quotes).',
          }),
        ),
        sha256: nullable('The fact-check’s picture that matched.'),
      },
      { additionalProperties: false },
    ),
    source: Type.Union([Type.Literal('memory'), Type.Literal('fact_check_tools')], {
      description:
        '`memory`: a fact-check firstseen was given (`POST /v1/fact-checks`), in a bank; `fact_check_tools`: found by Google Fact Check Tools (FACT_CHECK_TOOLS_API_KEY).',
    }),
    bank: Type.Optional(
      Type.Object(
        {
          id: Type.String(),
          name: Type.String(),
          publisher: Type.String({
            description:
              'The organization that added the fact-check to firstseen: yours, or the operator (or an organization it allows) for a shared bank.',
          }),
          entry_id: Type.String(),
        },
        { additionalProperties: false, description: 'The bank holding it (`memory` fact-checks).' },
      ),
    ),
  },
  {
    $id: 'FactCheck',
    additionalProperties: false,
    description: 'A published fact-check whose picture matches this one.',
  },
);
export type FactCheck = Static<typeof FactCheck>;
