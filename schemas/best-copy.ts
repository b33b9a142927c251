// The copy closest to the original: among the copies of one picture firstseen knows (this one included),
// the one a fact-checker would want to see, and why. Evidence with its limits: the best copy known is
// only the best firstseen has seen, and the camera's own file may never have been online.
import { Type, type Static } from 'typebox';
import { ref } from './ref.js';

const nullableInt = (description: string) => Type.Union([Type.Integer(), Type.Null()], { description });
const nullableString = (description: string) => Type.Union([Type.String(), Type.Null()], { description });

export const CopyFacts = Type.Object(
  {
    this: Type.Boolean({ description: 'This media item’s own file.' }),
    sha256: nullableString('The copy’s sha256.'),
    width: nullableInt('Stored width in pixels.'),
    height: nullableInt('Stored height in pixels.'),
    jpeg_quality: nullableInt(
      'Estimated IJG quality of a JPEG (`jpeg.quality`); null for other formats or files remembered before it was kept.',
    ),
    camera_exif: Type.Boolean({ description: 'The file carries camera EXIF (`metadata.camera_exif`).' }),
    camera: nullableString('EXIF Make and Model, when present.'),
    captured_at: nullableString('EXIF capture time, when present.'),
    framing: Type.Union([Type.Literal('whole'), Type.Literal('framed'), Type.Literal('cropped')], {
      description:
        '`framed`: the picture inside a frame, letterbox bars, a screenshot or a collage (a content region was found in it, or its match says so). `cropped`: it shows only part of another copy (a `partial` match). `whole`: neither is known.',
    }),
    first_seen_at: nullableString('When firstseen first saw it (as your organization may see it).'),
    first_seen_url: nullableString('Where it was first seen.'),
  },
  { $id: 'CopyFacts', additionalProperties: false },
);
export type CopyFacts = Static<typeof CopyFacts>;

export const BEST_COPY_REASONS = [
  'not_framed',
  'not_cropped',
  'more_pixels',
  'camera_metadata',
  'less_compressed',
  'earlier',
] as const;
export type BestCopyReason = (typeof BEST_COPY_REASONS)[number];

export const BestCopy = Type.Object(
  {
    this_one: Type.Boolean({ description: 'This copy is the closest to the original firstseen knows.' }),
    reasons: Type.Array(
      Type.Union([
        Type.Literal('not_framed'),
        Type.Literal('not_cropped'),
        Type.Literal('more_pixels'),
        Type.Literal('camera_metadata'),
        Type.Literal('less_compressed'),
        Type.Literal('earlier'),
      ]),
      {
        description:
          'Where the best copy beats this one, in the order they weigh: `not_framed`/`not_cropped` (it shows the whole picture, this one a framed or cropped copy), `more_pixels` (over 2% more pixels), `camera_metadata` (it has camera EXIF, this one not), `less_compressed` (JPEG quality 3+ higher), `earlier` (first seen before it). Empty when this is the best copy.',
      },
    ),
    summary: Type.String({ description: 'One plain sentence naming the best copy and why.' }),
    copies: Type.Array(ref(CopyFacts), {
      maxItems: 10,
      description:
        'The copies known, ranked: whole picture first, then pixels, camera metadata, JPEG quality, earliest first seen. `copies[0]` is the best. Only copies your organization may see: another organization’s uploads are left out.',
    }),
    known: Type.Integer({ minimum: 1, description: 'How many copies were ranked (this one included).' }),
    updated: Type.Boolean({
      description:
        'A copy seen after this check finished changed the answer: read from the memory when the report is fetched.',
    }),
  },
  { $id: 'BestCopy', additionalProperties: false },
);
export type BestCopy = Static<typeof BestCopy>;
