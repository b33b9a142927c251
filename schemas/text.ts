// The words in a picture, read by OCR (src/pipeline/ocr/): each line with its box and confidence, the
// script and languages, the whole text, and the links, @handles, dates and times found in it.
import { Type, type Static } from 'typebox';

const Strings = (description: string) => Type.Array(Type.String(), { description, maxItems: 50 });

export const TextLine = Type.Object(
  {
    text: Type.String(),
    box: Type.Object(
      {
        x: Type.Integer(),
        y: Type.Integer(),
        width: Type.Integer(),
        height: Type.Integer(),
      },
      {
        additionalProperties: false,
        description: 'Where the line is, in pixels of the picture as displayed (after EXIF rotation).',
      },
    ),
    confidence: Type.Number({
      minimum: 0,
      maximum: 100,
      description: 'Tesseract’s confidence in the line’s words (0-100, mean weighted by length).',
    }),
    timestamp: Type.Optional(
      Type.Number({
        minimum: 0,
        description:
          'A video’s text: seconds into the video of the keyframe the line was read in (its box is in that frame’s pixels, at most 1024 on the long side).',
      }),
    ),
  },
  { additionalProperties: false },
);
export type TextLine = Static<typeof TextLine>;

export const TextInImage = Type.Object(
  {
    status: Type.Union(
      [
        Type.Literal('read'),
        Type.Literal('no_text'),
        Type.Literal('empty'),
        Type.Literal('unavailable'),
        Type.Literal('error'),
      ],
      {
        description:
          '`read`: text was found and read; `no_text`: the text detector found none, so OCR did not run; `empty`: OCR ran and read nothing legible; `unavailable`: OCR is not installed on this worker (`error.code` is `ocr_tools_missing`); `error`: OCR failed on this image (`error` says why; the rest of the report is unaffected).',
      },
    ),
    error: Type.Optional(
      Type.Object(
        {
          code: Type.String({ description: 'An `ocr_*` code (README, Error codes).' }),
          message: Type.String(),
        },
        { additionalProperties: false },
      ),
    ),
    detector: Type.Object(
      {
        lines: Type.Integer({ description: 'Lines of glyph-like shapes the detector found.' }),
        glyphs: Type.Integer({ description: 'Glyph-like shapes in those lines.' }),
      },
      { additionalProperties: false, description: 'What decided whether OCR ran.' },
    ),
    engine: Type.Union([Type.String(), Type.Null()], { description: 'e.g. `tesseract 5.3.0`.' }),
    models: Strings('Tesseract language models of the reading reported (e.g. `lit`, `eng`).'),
    script: Type.Union([Type.String(), Type.Null()], {
      description: 'The main script of the text: `Latin`, `Cyrillic`, `Arabic`, …',
    }),
    languages: Strings(
      'Languages of the text (tesseract/ISO 639-3-style codes such as `eng`, `rus`, `kaz`, `lit`, `ara`), most text first; empty when too little text to tell.',
    ),
    lines: Type.Array(TextLine, { maxItems: 500 }),
    text: Type.String({ description: 'The whole text, line by line (cut at 20,000 characters).' }),
    keyframes: Type.Optional(
      Type.Object(
        {
          total: Type.Integer({ minimum: 0, description: 'Keyframes of the video (`video.keyframes`).' }),
          looked_at: Type.Integer({
            minimum: 0,
            description:
              'Keyframes the text detector looked at, in order, until OCR_VIDEO_KEYFRAMES of them were read.',
          }),
          read: Type.Integer({
            minimum: 0,
            description:
              'Keyframes read by OCR: those the detector found text in, at most OCR_VIDEO_KEYFRAMES.',
          }),
        },
        {
          additionalProperties: false,
          description:
            'A video’s text: read from its keyframes, each line once (a caption shown over several keyframes is one line, at its first).',
        },
      ),
    ),
    found: Type.Object(
      {
        links: Strings('Web addresses in the text.'),
        handles: Strings('@handles in the text.'),
        dates: Strings('Dates as written (e.g. `3 Mar 2024`, `12.05.2024`).'),
        times: Strings('Times of day as written (e.g. `14:32`, `2:32 PM`).'),
      },
      { additionalProperties: false },
    ),
  },
  { $id: 'TextInImage', additionalProperties: false },
);
export type TextInImage = Static<typeof TextInImage>;
