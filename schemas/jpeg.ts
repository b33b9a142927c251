// How a JPEG file was made, read from its structure: quantization tables and the quality they stand for,
// chroma subsampling, coding process, Huffman tables, APP segments, and what an earlier compression left
// in the coefficients. Evidence with its limits, never a verdict: a platform, an editor and a camera can
// all write any of these, and the `signature` sentence only says what the facts are consistent with.
import { Type, type Static } from 'typebox';
import { ref } from './ref.js';

export const JPEG_PROBLEM_CODES = [
  'not_jpeg',
  'bad_marker',
  'truncated',
  'too_many_segments',
  'bad_frame',
  'bad_quant_table',
  'bad_huffman_table',
  'bad_scan',
  'missing_tables',
] as const;
export type JpegProblemCode = (typeof JPEG_PROBLEM_CODES)[number];

const nullableInt = (description: string) => Type.Union([Type.Integer(), Type.Null()], { description });

export const JpegQuantTable = Type.Object(
  {
    id: Type.Integer({ minimum: 0, maximum: 3, description: 'Table slot (0: usually luminance).' }),
    precision: Type.Union([Type.Literal(8), Type.Literal(16)]),
    values: Type.Array(Type.Integer(), {
      minItems: 64,
      maxItems: 64,
      description: 'The 64 steps in natural (row-major) order, as ImageMagick and libjpeg show them.',
    }),
  },
  { additionalProperties: false },
);

export const JpegDoubleCompression = Type.Object(
  {
    status: Type.Union([Type.Literal('estimated'), Type.Literal('not_estimated')], {
      description:
        '`not_estimated`: see `caveat` for why (progressive or arithmetic coding, too few blocks, …).',
    }),
    detected: Type.Boolean({
      description:
        'The luminance DCT coefficients show the periodic histogram an earlier, different quantization leaves.',
    }),
    confidence: Type.Number({
      minimum: 0,
      maximum: 1,
      description:
        'How far the evidence is past the decision threshold (0: none, 1: strong). Not a probability.',
    }),
    primary_quality: nullableInt(
      'The IJG quality of the earlier compression whose steps explain the histograms best, when one stands out.',
    ),
    caveat: Type.String({ description: 'What this reading cannot show, in one sentence.' }),
  },
  { $id: 'JpegDoubleCompression', additionalProperties: false },
);
export type JpegDoubleCompression = Static<typeof JpegDoubleCompression>;

export const Jpeg = Type.Object(
  {
    status: Type.Union([Type.Literal('read'), Type.Literal('partial'), Type.Literal('unreadable')], {
      description:
        '`read`: the header was read whole. `partial`: something could not be read (see `problems`); what was read is shown. `unreadable`: not a JPEG structure we can read.',
    }),
    process: Type.Union(
      [
        Type.Literal('baseline'),
        Type.Literal('extended'),
        Type.Literal('progressive'),
        Type.Literal('lossless'),
        Type.Literal('hierarchical'),
        Type.Literal('arithmetic'),
        Type.Literal('unknown'),
        Type.Null(),
      ],
      { description: 'Coding process, from the frame marker (SOF0 baseline, SOF2 progressive, …).' },
    ),
    width: nullableInt('Width declared by the frame header.'),
    height: nullableInt('Height declared by the frame header.'),
    components: nullableInt('Colour components: 1 greyscale, 3 YCbCr (or RGB), 4 CMYK/YCCK.'),
    subsampling: Type.Union([Type.String(), Type.Null()], {
      description: 'Chroma subsampling: `4:4:4`, `4:2:2`, `4:2:0`, `4:4:0`, `4:1:1`, `grayscale` or `other`.',
    }),
    quality: nullableInt(
      'Estimated IJG quality 1-100, computed as ImageMagick’s `identify -format %Q` does (within 1 of it on every test fixture). Null: no estimate.',
    ),
    quality_exact: Type.Boolean({
      description:
        'The tables are at least as fine as the IJG tables at `quality` and tie with them (ImageMagick’s "exact").',
    }),
    tables: Type.Union([Type.Literal('standard'), Type.Literal('custom'), Type.Literal('none')], {
      description:
        '`standard`: the IJG (libjpeg) tables scaled to one quality, as libraries, most editors and platforms write. `custom`: other tables, as cameras, Photoshop and some phones write; `quality` is then only the nearest IJG quality.',
    }),
    standard_quality: nullableInt(
      'For `standard` tables: the quality libjpeg writes exactly these tables at.',
    ),
    quant_tables: Type.Array(JpegQuantTable, { maxItems: 4 }),
    huffman: Type.Union([Type.Literal('standard'), Type.Literal('optimized'), Type.Literal('none')], {
      description:
        '`standard`: the example Huffman tables of ITU T.81 Annex K (the libjpeg default). `optimized`: tables computed for this image (libjpeg `optimize_coding`, every progressive libjpeg file, most platforms). `none`: no table before the first scan.',
    }),
    restart_interval: Type.Integer({ description: 'MCUs between restart markers (0: none).' }),
    segments: Type.Array(Type.String(), {
      maxItems: 40,
      description:
        'APPn and COM segments in file order, e.g. `APP0 JFIF`, `APP1 Exif`, `APP2 ICC`, `APP14 Adobe`.',
    }),
    markers: Type.Object(
      {
        jfif: Type.Boolean(),
        exif: Type.Boolean(),
        xmp: Type.Boolean(),
        icc: Type.Boolean(),
        adobe: Type.Boolean({ description: 'APP14 "Adobe" (Photoshop and other Adobe-library writers).' }),
        photoshop: Type.Boolean({ description: 'APP13 Photoshop image resources (IPTC lives here).' }),
        mpf: Type.Boolean({ description: 'APP2 MPF: several pictures in one file (phones, cameras).' }),
        jumbf: Type.Boolean({ description: 'APP11 JUMBF boxes (C2PA Content Credentials live here).' }),
        comment: Type.Boolean(),
      },
      { additionalProperties: false, description: 'Which kinds of segment are present.' },
    ),
    comments: Type.Array(Type.String(), {
      maxItems: 4,
      description: 'COM segments, cleaned, 200 characters each at most.',
    }),
    ends_with_eoi: Type.Boolean({
      description: 'The file ends with an end-of-image marker (a truncated file does not).',
    }),
    signature: Type.String({
      description:
        'One sentence: the measured facts, and what encoder they are consistent with where the evidence is clear.',
    }),
    double_compression: Type.Optional(ref(JpegDoubleCompression)),
    problems: Type.Array(
      Type.Object(
        {
          code: Type.Union(
            [
              Type.Literal('not_jpeg'),
              Type.Literal('bad_marker'),
              Type.Literal('truncated'),
              Type.Literal('too_many_segments'),
              Type.Literal('bad_frame'),
              Type.Literal('bad_quant_table'),
              Type.Literal('bad_huffman_table'),
              Type.Literal('bad_scan'),
              Type.Literal('missing_tables'),
            ],
            { description: 'Stable code; the README lists them (JPEG structure).' },
          ),
          message: Type.String(),
        },
        { additionalProperties: false },
      ),
      { description: 'What could not be read, with stable codes (README: JPEG structure).' },
    ),
  },
  { $id: 'Jpeg', additionalProperties: false },
);
export type Jpeg = Static<typeof Jpeg>;
