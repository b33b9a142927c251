// What the report says about where an image comes from: matches, a timeline, the earliest sighting
// and plain-language signals. It lays out evidence; it never says "true" or "false".
import { Type, type Static } from 'typebox';
import { ref } from './ref.js';

const nullableString = (description: string) => Type.Union([Type.String(), Type.Null()], { description });

/** A frame of a video: `this` one's (the match's keyframe) or `the matched` one's (a still taken from it). */
const frameIn = (video: string, description: string) =>
  Type.Object(
    {
      frame: Type.Integer({ description: `Frame number in ${video} video.` }),
      timestamp: Type.Number({ description: 'Seconds from its start.' }),
    },
    { additionalProperties: false, description },
  );

export const Match = Type.Object(
  {
    kind: Type.Union(
      [
        Type.Literal('exact'),
        Type.Literal('near_duplicate'),
        Type.Literal('content_region'),
        Type.Literal('partial'),
        Type.Literal('text'),
      ],
      {
        description:
          '`text`: the same words, not the same picture: this post’s text or the words read in this image share most of their word pairs with a post or an image’s words seen before (see `text`). `exact`: the same file (sha256). `near_duplicate`: the same picture by perceptual hash. `content_region`: the same picture once a frame, letterbox bars or a screenshot around it is left out (see `region`). `partial`: local features (ORB) and a geometric check show the two share part of a picture: a crop, a strip cut off, a collage (see `inliers`, `coverage`).',
      },
    ),
    source: Type.Union([Type.Literal('seen'), Type.Literal('bank')], {
      description: '`seen`: an image firstseen analyzed before. `bank`: an entry of a bank of known media.',
    }),
    hash: Type.Union(
      [
        Type.Literal('sha256'),
        Type.Literal('pdq'),
        Type.Literal('phash'),
        Type.Literal('orb'),
        Type.Literal('vpdq'),
        Type.Literal('words'),
      ],
      {
        description:
          'Which hash matched (`orb`: local features, for `partial` matches; `vpdq`: a video’s frames against another video’s, see `video`; `words`: MinHash of normalized word pairs, checked by counting the pairs in common, for `text` matches).',
      },
    ),
    video: Type.Optional(
      Type.Object(
        {
          method: Type.Union([Type.Literal('vpdq'), Type.Literal('vpdq_content_region')], {
            description:
              '`vpdq`: frames as decoded; `vpdq_content_region`: frames cropped to their content region (bars removed).',
          }),
          query_match_percent: Type.Number({
            description: 'Share of this video’s unique frames (quality 50+) that match a frame of the other.',
          }),
          compared_match_percent: Type.Number({
            description:
              'Share of the other video’s unique frames (quality 50+) that match a frame of this one.',
          }),
          plain_query_match_percent: Type.Number({ description: '`query_match_percent` under plain vPDQ.' }),
          plain_compared_match_percent: Type.Number({
            description: '`compared_match_percent` under plain vPDQ.',
          }),
        },
        {
          additionalProperties: false,
          description:
            '`vpdq` matches (video against video): both percentages; `distance` is then the median distance of the matched frames.',
        },
      ),
    ),
    frame: Type.Optional(
      frameIn(
        'this',
        'For a video: the keyframe of this video that matched an image (a photo seen as a frame).',
      ),
    ),
    match_frame: Type.Optional(
      frameIn(
        'the matched',
        'The matched media is a video seen before, and this image matched one of its keyframes: a still taken from that footage.',
      ),
    ),
    distance: Type.Integer({
      description:
        'Hamming distance (0 for sha256): PDQ out of 256, pHash out of 64. 0 for `partial` matches, which have `inliers` instead. `text` matches: 100 minus the percentage of word pairs in common (`text.share`).',
    }),
    text: Type.Optional(
      Type.Object(
        {
          of: Type.Union([Type.Literal('post'), Type.Literal('image')], {
            description:
              'Whose words matched: the text of the post carrying this item (`post`), or the words read in this image (`image`, OCR).',
          }),
          matched: Type.Union([Type.Literal('post'), Type.Literal('image')], {
            description:
              'What the words were seen in: a post’s text (`post_url`), or the words read in an image (`sha256`).',
          }),
          share: Type.Number({
            minimum: 0,
            maximum: 1,
            description:
              'Share of words in common: the word pairs (normalized: case, accents, punctuation, links and @mentions left out) of the shorter text that the other has too.',
          }),
          jaccard: Type.Number({
            minimum: 0,
            maximum: 1,
            description: 'Word pairs in common out of the word pairs of both texts together.',
          }),
          common: Type.Integer({ minimum: 0, description: 'Word pairs in common.' }),
          author: nullableString('Who posted the matched post (`@handle` or name), where known.'),
          platform: nullableString('Where the matched post was (`x`, `bluesky`, …), where known.'),
        },
        {
          additionalProperties: false,
          description: '`text` matches: how much of the words the two share, and whose they are.',
        },
      ),
    ),
    inliers: Type.Optional(
      Type.Integer({
        minimum: 0,
        description:
          '`partial` matches: keypoints of the two images that one scale-rotation-shift maps onto each other (RANSAC inliers). More is surer.',
      }),
    ),
    coverage: Type.Optional(
      Type.Number({
        minimum: 0,
        maximum: 1,
        description:
          '`partial` matches: the share of the matched image’s area this image shows (0.6: a crop keeping about 60% of it).',
      }),
    ),
    share: Type.Optional(
      Type.Number({
        minimum: 0,
        maximum: 1,
        description:
          '`partial` matches: the share of this image’s area the matched picture takes up (about 0.5 in a two-photo collage).',
      }),
    ),
    covered: Type.Optional(
      Type.Object(
        {
          x: Type.Number({ minimum: 0, maximum: 1 }),
          y: Type.Number({ minimum: 0, maximum: 1 }),
          width: Type.Number({ minimum: 0, maximum: 1 }),
          height: Type.Number({ minimum: 0, maximum: 1 }),
        },
        {
          additionalProperties: false,
          description:
            '`partial` matches: the part of the matched image this image shows, as fractions of its width and height (the bounding box).',
        },
      ),
    ),
    region: Type.Optional(
      Type.Object(
        {
          of: Type.Union([Type.Literal('this'), Type.Literal('match')], {
            description:
              '`this`: the picture inside this image matched the other image; `match`: this image matched the picture inside the other (a screenshot or framed copy seen before).',
          }),
          kind: Type.Union([Type.Literal('border'), Type.Literal('letterbox'), Type.Literal('embedded')]),
        },
        {
          additionalProperties: false,
          description: '`content_region` matches: whose content region matched.',
        },
      ),
    ),
    transform: Type.String({
      description:
        'How this image differs from the match: none, rotated_90_clockwise, rotated_180, rotated_90_counterclockwise, flipped_upside_down, mirrored, transposed, transversed.',
    }),
    sha256: nullableString('The matched image’s sha256, for images seen before.'),
    first_seen_at: nullableString(
      'When firstseen first saw the matched image (or the bank entry was added).',
    ),
    first_seen_url: nullableString('Where it was first seen (its URL).'),
    posted_at: nullableString('When the post that carried it was published, where known.'),
    post_url: nullableString('That post’s URL, where known.'),
    captured_at: nullableString('Its EXIF capture time, where known.'),
    sightings: Type.Integer({ description: 'How many times firstseen has seen it.' }),
    bank: Type.Union(
      [
        Type.Object(
          {
            id: Type.String(),
            name: Type.String(),
            kind: Type.String(),
            publisher: Type.String({
              description:
                'The organization whose bank it is: yours, or the operator (or an organization it allows) for a shared bank.',
            }),
            entry_id: Type.String(),
            label: Type.String(),
            verdict: nullableString('The bank’s verdict on this image, e.g. "old photo, Syria 2016".'),
            source_url: nullableString('Where the bank’s evidence is.'),
            first_published: nullableString('When the image was first published, per the bank.'),
          },
          { additionalProperties: false },
        ),
        Type.Null(),
      ],
      { description: 'The bank entry, for bank matches.' },
    ),
  },
  { $id: 'Match', additionalProperties: false },
);
export type Match = Static<typeof Match>;

export const TimelineEvent = Type.Object(
  {
    at: Type.String({
      description: 'ISO 8601 time (or a local time without zone for EXIF times, see note).',
    }),
    kind: Type.Union([
      Type.Literal('exif_capture'),
      Type.Literal('exif_gps_time'),
      Type.Literal('c2pa_signed'),
      Type.Literal('post_published'),
      Type.Literal('wayback_capture'),
      Type.Literal('wayback_saved'),
      Type.Literal('first_seen'),
      Type.Literal('match_first_seen'),
      Type.Literal('match_posted'),
      Type.Literal('bank_first_published'),
      Type.Literal('fact_checked'),
      Type.Literal('video_created'),
      Type.Literal('web_crawled'),
      Type.Literal('checked'),
    ]),
    description: Type.String(),
    url: nullableString('Where this event can be seen.'),
    strength: Type.Union([Type.Literal('strong'), Type.Literal('medium'), Type.Literal('weak')], {
      description:
        'How much the date can be trusted: a platform’s or archive’s own record is strong; a bank’s claim, our index or a search engine’s crawl date is medium; a camera clock or a signer’s clock is weak (easy to set wrong).',
    }),
    note: nullableString('What the date rests on and its limits.'),
  },
  { $id: 'TimelineEvent', additionalProperties: false },
);
export type TimelineEvent = Static<typeof TimelineEvent>;

export const SIGNAL_CODES = [
  'recycled',
  'bank_match',
  'capture_predates_post',
  'edited_with_software',
  'thumbnail_mismatch',
  'metadata_stripped',
  'c2pa_valid',
  'c2pa_invalid',
  'gps_present',
  'capture_time_disagrees_gps',
  'ai_generated_marker',
  'low_quality_hash',
  'cropped_or_framed_copy',
  'creation_time_predates_post',
  'already_fact_checked',
  'recompressed',
  'double_compressed',
  'text_in_image',
  'text_seen_before',
  'not_the_best_copy',
  'screenshot_of_post',
  'screenshot_text_differs',
] as const;
export type SignalCode = (typeof SIGNAL_CODES)[number];

export const Signal = Type.Object(
  {
    code: Type.Union(
      [
        Type.Literal('recycled'),
        Type.Literal('bank_match'),
        Type.Literal('capture_predates_post'),
        Type.Literal('edited_with_software'),
        Type.Literal('thumbnail_mismatch'),
        Type.Literal('metadata_stripped'),
        Type.Literal('c2pa_valid'),
        Type.Literal('c2pa_invalid'),
        Type.Literal('gps_present'),
        Type.Literal('capture_time_disagrees_gps'),
        Type.Literal('ai_generated_marker'),
        Type.Literal('low_quality_hash'),
        Type.Literal('cropped_or_framed_copy'),
        Type.Literal('creation_time_predates_post'),
        Type.Literal('already_fact_checked'),
        Type.Literal('recompressed'),
        Type.Literal('double_compressed'),
        Type.Literal('text_in_image'),
        Type.Literal('text_seen_before'),
        Type.Literal('not_the_best_copy'),
        Type.Literal('screenshot_of_post'),
        Type.Literal('screenshot_text_differs'),
      ],
      { description: 'Stable code; the README lists them all.' },
    ),
    severity: Type.Union([Type.Literal('high'), Type.Literal('medium'), Type.Literal('info')], {
      description: '`high`: evidence against the claimed context; `medium`: worth a look; `info`: context.',
    }),
    message: Type.String({ description: 'One plain sentence.' }),
  },
  { $id: 'Signal', additionalProperties: false },
);
export type Signal = Static<typeof Signal>;

export const Provenance = Type.Object(
  {
    earliest: Type.Union([ref(TimelineEvent), Type.Null()], {
      description:
        'The earliest dated evidence (checks excluded), with what it rests on. Null when there is none.',
    }),
    timeline: Type.Array(ref(TimelineEvent), { description: 'Every dated event, oldest first.' }),
    matches: Type.Array(ref(Match), {
      description:
        'Images seen before and bank entries this image matches, closest first; then posts and images whose words its post’s text or its own words share (`kind: text`).',
    }),
    signals: Type.Array(ref(Signal)),
  },
  { $id: 'Provenance', additionalProperties: false },
);
export type Provenance = Static<typeof Provenance>;
