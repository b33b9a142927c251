// Perceptual hashes of one image and the decode facts behind them, as the JSON report shows them.
// Produced by src/pipeline/analyze/hashes.ts and decode.ts; the types below are the functions' return types.
import { Type, type Static } from 'typebox';

const hex = (digits: number, description: string) =>
  Type.String({ pattern: `^[0-9a-f]{${digits}}$`, minLength: digits, maxLength: digits, description });

const Hex256 = (description: string) => hex(64, description);
const Hex64 = (description: string) => hex(16, description);

/** PDQ as Meta's reference prints it; no $id of its own: it only appears inside `Hashes`. */
export const Pdq = Type.Object(
  {
    hash: Hex256(
      'PDQ hash (256 bits, 64 lowercase hex digits, the reference implementation’s bit order) of the image as displayed (EXIF orientation applied).',
    ),
    quality: Type.Integer({
      minimum: 0,
      maximum: 100,
      description:
        'PDQ quality: how much gradient detail the image has. Below 50 the hash is unreliable (flat or near-blank images).',
    }),
    dihedral: Type.Array(Hex256('PDQ hash of one rotation or flip of the image.'), {
      minItems: 8,
      maxItems: 8,
      description:
        'PDQ of the 8 rotations/flips, in the reference order: original, rotate 90, rotate 180, rotate 270, flip x, flip y, flip +1 (transpose), flip -1 (transverse). Match a rotated or mirrored copy by comparing against all 8.',
    }),
  },
  { additionalProperties: false },
);
export type Pdq = Static<typeof Pdq>;

/** The picture found inside the frame (src/pipeline/analyze/region.ts) and its own PDQ. */
export const ContentRegion = Type.Object(
  {
    kind: Type.Union([Type.Literal('border'), Type.Literal('letterbox'), Type.Literal('embedded')], {
      description:
        '`border`: a uniform frame was trimmed; `letterbox`: bars on two opposite sides; `embedded`: a picture placed among other content on a flat canvas (a screenshot of a post).',
    }),
    x: Type.Integer({ minimum: 0, description: 'Left edge, in the hashed pixels (`decode.hashed_width`).' }),
    y: Type.Integer({ minimum: 0, description: 'Top edge, in the hashed pixels.' }),
    width: Type.Integer({ minimum: 1 }),
    height: Type.Integer({ minimum: 1 }),
    pdq: Pdq,
  },
  {
    additionalProperties: false,
    description:
      'The picture inside the file when it is framed, letterboxed or embedded in a larger canvas, hashed on its own so a copy matches the original either way.',
  },
);
export type ContentRegionHashes = Static<typeof ContentRegion>;

export const Hashes = Type.Object(
  {
    pdq: Pdq,
    ahash: Hex64(
      'Average hash, 64 bits as Python imagehash 4.3.2 prints `str(average_hash(img))`; compare by Hamming distance.',
    ),
    dhash: Hex64(
      'Difference hash (horizontal gradient), 64 bits as Python imagehash prints `str(dhash(img))`.',
    ),
    phash: Hex64('Perceptual (DCT) hash, 64 bits as Python imagehash prints `str(phash(img))`.'),
    region: Type.Optional(ContentRegion),
  },
  {
    $id: 'Hashes',
    additionalProperties: false,
    description:
      'Perceptual hashes of one image, all computed from the same decoded pixels. Resampling differs slightly from other tools, so compare by Hamming distance, never by equality.',
  },
);
export type Hashes = Static<typeof Hashes>;

export const DecodeInfo = Type.Object(
  {
    orientation: Type.Union([Type.Integer({ minimum: 1, maximum: 8 }), Type.Null()], {
      description: 'EXIF Orientation tag as stored in the file (1-8), or null when there is none.',
    }),
    rotated_for_hashing: Type.Boolean({
      description:
        'The pixels were rotated/flipped by the EXIF orientation before hashing. False for HEIC/AVIF, whose container already rotates the pixels (their EXIF tag is informative only).',
    }),
    decoder: Type.Union([Type.Literal('sharp'), Type.Literal('heic-decode')], {
      description: '`sharp` (libvips) for most formats; `heic-decode` (libheif in wasm) for HEVC-coded HEIC.',
    }),
    first_frame_only: Type.Boolean({
      description:
        'The file holds several frames or pages (animated GIF/WebP, multi-page TIFF, HEIF with several images); only one was hashed: the first frame, or a HEIF file’s primary image.',
    }),
    hashed_width: Type.Integer({
      minimum: 1,
      description:
        'Width of the pixels the hashes were computed from (long side at most 1024, after orientation).',
    }),
    hashed_height: Type.Integer({
      minimum: 1,
      description: 'Height of the pixels the hashes were computed from.',
    }),
  },
  {
    $id: 'DecodeInfo',
    additionalProperties: false,
    description:
      'How the image was decoded for hashing: the facts needed to reproduce a hash or explain a mismatch.',
  },
);
export type DecodeInfo = Static<typeof DecodeInfo>;
