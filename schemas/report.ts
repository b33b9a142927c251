import { Type, type Static } from 'typebox';
import { ref } from './ref.js';

export const REPORT_SCHEMA_VERSION = '1';

export const MediaItemError = Type.Object(
  {
    code: Type.String({ description: 'Stable code, e.g. `too_large`, `blocked_address`, `not_media`.' }),
    message: Type.String(),
  },
  { $id: 'MediaItemError', additionalProperties: false },
);

export const MediaItem = Type.Object(
  {
    index: Type.Integer({ description: 'Position among the check’s targets.' }),
    source_url: Type.String({ description: 'The URL we were asked to fetch.' }),
    final_url: Type.Optional(Type.String({ description: 'Where the bytes came from, after redirects.' })),
    redirects: Type.Array(Type.String(), { description: 'Every URL followed after source_url, in order.' }),
    status: Type.Union([Type.Literal('ok'), Type.Literal('error')]),
    error: Type.Optional(ref(MediaItemError)),
    http_status: Type.Optional(Type.Integer()),
    sha256: Type.Optional(Type.String({ pattern: '^[0-9a-f]{64}$' })),
    bytes: Type.Optional(Type.Integer({ description: 'Size of the downloaded file.' })),
    mime: Type.Optional(Type.String({ description: 'MIME type sniffed from the bytes.' })),
    declared_mime: Type.Optional(
      Type.Union([Type.String(), Type.Null()], { description: 'Content-Type the server sent.' }),
    ),
    mime_mismatch: Type.Optional(
      Type.Boolean({ description: 'The server’s Content-Type disagrees with what the bytes are.' }),
    ),
    format: Type.Optional(Type.String({ description: 'jpeg, png, webp, tiff, gif, heif, avif, …' })),
    width: Type.Optional(Type.Integer({ description: 'Stored width in pixels (before EXIF rotation).' })),
    height: Type.Optional(Type.Integer({ description: 'Stored height in pixels (before EXIF rotation).' })),
    animated: Type.Optional(Type.Boolean()),
    frames: Type.Optional(Type.Integer({ description: 'Frames (pages) in the file; 1 for a still image.' })),
    timings_ms: Type.Record(Type.String(), Type.Number(), {
      description: 'Milliseconds spent per stage on this item (fetch, probe, …): where the time goes.',
    }),
  },
  { $id: 'MediaItem', additionalProperties: false },
);
export type MediaItem = Static<typeof MediaItem>;

export const Report = Type.Object(
  {
    schema_version: Type.Literal(REPORT_SCHEMA_VERSION),
    check_id: Type.String(),
    started_at: Type.String({ format: 'date-time' }),
    completed_at: Type.String({ format: 'date-time' }),
    media: Type.Array(ref(MediaItem)),
  },
  { $id: 'Report', additionalProperties: false },
);
export type Report = Static<typeof Report>;
