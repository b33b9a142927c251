// Forensic views of a picture (src/pipeline/analyze/views.ts): error level analysis and a noise residual,
// kept as small WebP pictures for the report page, or why there are none.
import { Type, type Static } from 'typebox';
import { ref } from './ref.js';

export const ForensicViewsSkip = Type.Object(
  {
    code: Type.Union(
      [
        Type.Literal('too_small'),
        Type.Literal('low_quality'),
        Type.Literal('too_large'),
        Type.Literal('not_decoded'),
        Type.Literal('not_fetched'),
        Type.Literal('file_changed'),
      ],
      {
        description:
          '`too_small`: under 128 px on a side; `low_quality`: a JPEG saved under quality 60, whose coarse compression leaves the same error everywhere; `too_large`: over 4.2 MP (the views are made from the file’s own pixels, bounded in cost); `not_decoded`: its pixels could not be decoded again. Views asked for after the check (POST /v1/checks/:id/media/:index/views) download the file again: `not_fetched`: that download failed; `file_changed`: the URL now serves other bytes than the check analyzed. These two may be asked for again.',
      },
    ),
    reason: Type.String({ description: 'The same in a sentence, with the figures.' }),
  },
  { additionalProperties: false },
);
export type ForensicViewsSkip = Static<typeof ForensicViewsSkip>;

const gain = Type.Number({
  description:
    'How much the map was brightened: its 99th percentile shows white. The views compare regions within one picture, never one picture with another.',
});

export const ForensicViews = Type.Object(
  {
    ela: Type.Optional(
      Type.Object(
        {
          url: Type.String({
            description: 'The view (WebP, greyscale), for the check’s organization only.',
          }),
          quality: Type.Integer({
            minimum: 1,
            maximum: 100,
            description:
              'The JPEG quality the pixels were re-saved at: the file’s own estimated quality for a JPEG, 90 otherwise.',
          }),
          gain,
        },
        {
          additionalProperties: false,
          description:
            'Error level analysis: the mean difference per 8x8 block between the pixels and a re-save at `quality`. Regions last saved together re-save alike; a brighter or darker region went through other compression, or is just smoother or more textured.',
        },
      ),
    ),
    noise: Type.Optional(
      Type.Object(
        {
          url: Type.String({
            description: 'The view (WebP, greyscale), for the check’s organization only.',
          }),
          gain,
        },
        {
          additionalProperties: false,
          description:
            'Noise residual: the luminance minus its 3x3 median. A region whose grain differs from the rest may come from elsewhere; edges and texture are bright whatever their history.',
        },
      ),
    ),
    skipped: Type.Optional(ForensicViewsSkip),
  },
  {
    $id: 'ForensicViews',
    additionalProperties: false,
    description:
      'Error level and noise views of the picture, made from the file’s own pixels (FORENSIC_VIEWS), or why there are none (`skipped`). Evidence for a trained eye, never a verdict: most edits show in neither, and much that shows is not an edit.',
  },
);
export type ForensicViews = Static<typeof ForensicViews>;

// Params of GET /v1/checks/:id/media/:index/views/:kind (used in place, not registered: see index.ts).
export const ForensicViewParams = Type.Object(
  {
    id: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' }),
    index: Type.String({ pattern: '^[0-9]{1,3}$', description: 'The media item’s `index`.' }),
    kind: Type.Union([Type.Literal('ela'), Type.Literal('noise')]),
  },
  { $id: 'ForensicViewParams', additionalProperties: false },
);

// Params of POST /v1/checks/:id/media/:index/views (used in place, not registered: see index.ts).
export const MediaItemParams = Type.Object(
  {
    id: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' }),
    index: Type.String({ pattern: '^[0-9]{1,3}$', description: 'The media item’s `index`.' }),
  },
  { $id: 'MediaItemParams', additionalProperties: false },
);

export const ViewsRequested = Type.Object(
  {
    status: Type.Union([Type.Literal('done'), Type.Literal('queued')], {
      description:
        '`done`: the item’s `views` are in the report now (made for an earlier check of the same file, or not possible for this picture: `views.skipped`), nothing was queued. `queued`: they are being made; they appear in the report’s `media[].views` when ready.',
    }),
    views: Type.Optional(ref(ForensicViews)),
    links: Type.Object(
      { check: Type.String({ description: 'The check, whose report lists the views when they are ready.' }) },
      { additionalProperties: false },
    ),
  },
  {
    $id: 'ViewsRequested',
    additionalProperties: false,
    description: 'The answer to a request for the forensic views of one media item of a check.',
  },
);
export type ViewsRequested = Static<typeof ViewsRequested>;
