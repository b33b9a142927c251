// What firstseen reads from a video: container metadata (ffprobe), the frames it hashed (vPDQ, in the
// reference implementation's line format), representative keyframes, and how it was decoded.
// Produced by src/pipeline/video/.
import { Type, type Static, type TSchema } from 'typebox';

const nullable = <T extends TSchema>(schema: T, description: string) =>
  Type.Union([schema, Type.Null()], { description });
const text = (description: string) => nullable(Type.String(), description);
const Hex256 = (description: string) =>
  Type.String({ pattern: '^[0-9a-f]{64}$', minLength: 64, maxLength: 64, description });

export const VideoLocation = Type.Object(
  {
    latitude: Type.Number({ description: 'Signed decimal degrees (south is negative).' }),
    longitude: Type.Number({ description: 'Signed decimal degrees (west is negative).' }),
    altitude_m: nullable(Type.Number(), 'Metres, when the ISO 6709 string has a third component.'),
    raw: Type.String({ description: 'The ISO 6709 string as stored, e.g. `+48.8577+002.2950+035.000/`.' }),
    source: Type.String({
      description: 'The tag it came from: `com.apple.quicktime.location.ISO6709` or `location`.',
    }),
    map_url: Type.String({ description: 'OpenStreetMap link centred on the position.' }),
  },
  { additionalProperties: false },
);

export const VideoMetadata = Type.Object(
  {
    metadata_status: Type.Union(
      [Type.Literal('present'), Type.Literal('stripped'), Type.Literal('unreadable')],
      {
        description:
          '`present`: the file names a device, place or recording date (QuickTime keys, location); `stripped`: only what any encoder writes (platforms re-encode uploads, so this proves nothing); `unreadable`: ffprobe could not read the container (`metadata_note` says why).',
      },
    ),
    metadata_note: text('Why the metadata is unreadable, or other caveats.'),
    container: Type.String({ description: 'ffprobe’s format name, e.g. `mov,mp4,m4a,3gp,3g2,mj2`.' }),
    duration_s: nullable(Type.Number(), 'Duration in seconds, per the container.'),
    bit_rate: nullable(Type.Integer(), 'Overall bit rate, bits per second.'),
    video_codec: text('e.g. `h264`, `hevc`, `vp9`, `av1`.'),
    audio_codec: text('e.g. `aac`, `opus`; null when there is no audio stream.'),
    width: nullable(Type.Integer(), 'Stored width of the video stream.'),
    height: nullable(Type.Integer(), 'Stored height of the video stream.'),
    display_width: nullable(Type.Integer(), 'Width as displayed (after rotation).'),
    display_height: nullable(Type.Integer(), 'Height as displayed (after rotation).'),
    frame_rate: nullable(Type.Number(), 'Average frames per second.'),
    frame_count: nullable(Type.Integer(), 'Frames in the video stream, when the container says.'),
    rotation: Type.Integer({
      description: 'Clockwise degrees a player turns the picture (0, 90, 180, 270), from the display matrix.',
    }),
    creation_time: text(
      'When the file says it was recorded: `com.apple.quicktime.creationdate` (with its offset) when present, else the container’s `creation_time` (UTC). A camera or encoder clock: easy to set wrong.',
    ),
    creation_time_source: text('Which tag `creation_time` came from.'),
    encoder: text('The `encoder` tag: the program that wrote the file (e.g. `Lavf58.29.100`).'),
    make: text('Device maker (`com.apple.quicktime.make`, `make`).'),
    model: text('Device model (`com.apple.quicktime.model`, `model`).'),
    software: text('Device software (`com.apple.quicktime.software`).'),
    location: nullable(VideoLocation, 'Where it was recorded, per an ISO 6709 location tag.'),
    tags: Type.Record(Type.String(), Type.String(), {
      description:
        'Every container-level tag as ffprobe reports it (values cut to 500 characters, 100 tags).',
    }),
  },
  { additionalProperties: false },
);
export type VideoMetadata = Static<typeof VideoMetadata>;

export const VideoKeyframe = Type.Object(
  {
    frame: Type.Integer({ description: 'Frame number (position at the average frame rate).' }),
    timestamp: Type.Number({ description: 'Seconds from the start.' }),
    pdq: Hex256('PDQ of the frame (as decoded).'),
    quality: Type.Integer({ minimum: 0, maximum: 100 }),
    dihedral: Type.Array(Hex256('PDQ of one rotation or flip.'), { minItems: 8, maxItems: 8 }),
    content_pdq: nullable(
      Hex256('PDQ of the content region.'),
      'PDQ of the frame cropped to the content region.',
    ),
    thumbnail: text(
      'Id of the kept WebP thumbnail: `GET /v1/media/<id>/thumbnail`. Null when none was kept.',
    ),
  },
  { additionalProperties: false },
);
export type VideoKeyframe = Static<typeof VideoKeyframe>;

export const VideoRegion = Type.Object(
  {
    x: Type.Integer(),
    y: Type.Integer(),
    width: Type.Integer(),
    height: Type.Integer(),
    kind: Type.String({ description: '`letterbox` or `border`.' }),
  },
  { additionalProperties: false },
);

export const Video = Type.Object(
  {
    metadata: VideoMetadata,
    decoder: Type.Object(
      {
        ffmpeg: text('ffmpeg version that decoded the frames.'),
        ffprobe: text('ffprobe version that read the container.'),
        hashed_width: Type.Integer({ description: 'Width of the frames hashed (long side at most 1024).' }),
        hashed_height: Type.Integer(),
        sampling: Type.String({
          description:
            'How frames were chosen: one per second plus scene changes (`1fps+scene>0.4`), or `all`.',
        }),
        truncated: Type.Boolean({
          description:
            'The video is longer than VIDEO_MAX_SECONDS or has more sampled frames than VIDEO_MAX_FRAMES: only the start was hashed.',
        }),
      },
      { additionalProperties: false },
    ),
    frames_hashed: Type.Integer(),
    vpdq: Type.Array(Type.String(), {
      description:
        'vPDQ, one line per hashed frame, in the reference implementation’s format: `frame number,quality,PDQ hex,timestamp seconds` (3 decimals). Join with newlines to get a file other vPDQ tools read.',
    }),
    content_region: nullable(
      VideoRegion,
      'Bars or a border found around the picture on sampled frames; frames were also hashed cropped to it (`content_vpdq`).',
    ),
    content_vpdq: Type.Array(Type.String(), {
      description: 'vPDQ of the frames cropped to `content_region` (empty when none was found).',
    }),
    keyframes: Type.Array(VideoKeyframe, {
      description:
        'A few frames of distinct scenes (quality 50+ when any), for the report and reverse image search.',
    }),
  },
  {
    $id: 'Video',
    additionalProperties: false,
    description: 'What firstseen read from a video: metadata, hashed frames and keyframes.',
  },
);
export type Video = Static<typeof Video>;

export const VpdqImportResult = Type.Object(
  {
    entry_id: Type.String({ description: 'The bank entry made for the video.' }),
    frames: Type.Integer({ description: 'vPDQ lines imported.' }),
    comparable_frames: Type.Integer({
      description:
        'Unique frames of quality >= VPDQ_MIN_QUALITY: what matching uses. 0 means it can never match.',
    }),
    rejected_lines: Type.Array(Type.Integer(), {
      description: 'Line numbers that are not vPDQ lines (first 100).',
    }),
  },
  { $id: 'VpdqImportResult', additionalProperties: false },
);
export type VpdqImportResult = Static<typeof VpdqImportResult>;
