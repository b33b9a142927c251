import { Type, type Static } from 'typebox';
import { ArchiveSummary } from './archive.js';
import { BestCopy } from './best-copy.js';
import { ContentCredentials } from './c2pa.js';
import { FactCheck } from './fact-checks.js';
import { DecodeInfo, Hashes } from './hashes.js';
import { Jpeg } from './jpeg.js';
import { Metadata } from './metadata.js';
import { Post, WebPage } from './post.js';
import { Provenance } from './provenance.js';
import { ref } from './ref.js';
import { ScreenshotOf } from './screenshot.js';
import { TextInImage } from './text.js';
import { Video } from './video.js';
import { ForensicViews } from './views.js';

// Version 2: targets are resolved (posts, pages), and every media item carries its provenance.
export const REPORT_SCHEMA_VERSION = '2';

export const MediaItemError = Type.Object(
  {
    code: Type.String({ description: 'Stable code, e.g. `too_large`, `blocked_address`, `not_media`.' }),
    message: Type.String(),
  },
  { $id: 'MediaItemError', additionalProperties: false },
);

export const ThumbnailComparison = Type.Object(
  {
    width: Type.Union([Type.Integer(), Type.Null()]),
    height: Type.Union([Type.Integer(), Type.Null()]),
    pdq: Type.Union([Type.String(), Type.Null()], { description: 'PDQ of the embedded thumbnail.' }),
    pdq_quality: Type.Union([Type.Integer(), Type.Null()]),
    pdq_distance: Type.Union([Type.Integer(), Type.Null()], {
      description:
        'Hamming distance (0-256) between the thumbnail and the picture, over the picture’s 8 rotations and flips. Small: the same picture. Large: the picture was changed after the camera wrote the thumbnail. Null: the thumbnail could not be decoded.',
    }),
  },
  { $id: 'ThumbnailComparison', additionalProperties: false },
);
export type ThumbnailComparison = Static<typeof ThumbnailComparison>;

export const ReverseSearchLink = Type.Object(
  {
    engine: Type.String({
      description: 'e.g. `google_lens`, `bing`, `yandex`, `tineye`, `baidu` (REVERSE_SEARCH_ENGINES).',
    }),
    url: Type.String({
      description: 'Opens the engine on this image’s public URL; firstseen itself calls no engine.',
    }),
  },
  { $id: 'ReverseSearchLink', additionalProperties: false },
);
export type ReverseSearchLink = Static<typeof ReverseSearchLink>;

export const WebSearchOutcome = Type.Object(
  {
    engine: Type.String({ description: 'The engine asked, e.g. `tineye` (TINEYE_API_KEY).' }),
    status: Type.Union(
      [Type.Literal('found'), Type.Literal('not_found'), Type.Literal('failed'), Type.Literal('skipped')],
      {
        description:
          '`found`: the engine has seen the image on the web (its earliest sightings are `web_crawled` events in the timeline). `not_found`: it has not. `failed`: it gave no answer (see `message`): its silence says nothing about the image. `skipped`: not asked, as the check had more images than TINEYE_MAX_IMAGES.',
      },
    ),
    sightings: Type.Integer({ minimum: 0, description: 'Sightings kept in the timeline.' }),
    total: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()], {
      description: 'Pages with the image the engine knows in all, where it says.',
    }),
    cached: Type.Boolean({ description: 'The answer came from the cache (TINEYE_CACHE_SECONDS).' }),
    message: Type.Union([Type.String(), Type.Null()], { description: 'Why it failed or was skipped.' }),
  },
  { $id: 'WebSearchOutcome', additionalProperties: false },
);
export type WebSearchOutcome = Static<typeof WebSearchOutcome>;

export const MediaItem = Type.Object(
  {
    index: Type.Integer({ description: 'Position in `media`.' }),
    target_index: Type.Integer({ description: 'The target (link) it came from.' }),
    post_index: Type.Union([Type.Integer(), Type.Null()], {
      description: 'The post (in `posts`) that carried it.',
    }),
    source_url: Type.String({ description: 'The media URL (from the post, the page, or the link itself).' }),
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
    decode: Type.Optional(ref(DecodeInfo)),
    hashes: Type.Optional(ref(Hashes)),
    metadata: Type.Optional(ref(Metadata)),
    exif_thumbnail: Type.Optional(ref(ThumbnailComparison)),
    content_credentials: Type.Optional(ref(ContentCredentials)),
    fact_checks: Type.Optional(
      Type.Array(ref(FactCheck), {
        maxItems: 10,
        description:
          'Published fact-checks whose pictures this one is or matches (exact, near-duplicate, content region or partial), the surest first. Absent: none known.',
      }),
    ),
    jpeg: Type.Optional(ref(Jpeg)),
    best_copy: Type.Optional(ref(BestCopy)),
    provenance: Type.Optional(ref(Provenance)),
    video: Type.Optional(ref(Video)),
    text: Type.Optional(ref(TextInImage)),
    views: Type.Optional(ref(ForensicViews)),
    screenshot_of: Type.Optional(ref(ScreenshotOf)),
    reverse_search: Type.Optional(
      Type.Array(ref(ReverseSearchLink), {
        description:
          'Where to search the web for this image: one link per engine, for images with a public URL (never for uploads, which stay private).',
      }),
    ),
    web_search: Type.Optional(
      Type.Array(ref(WebSearchOutcome), {
        description:
          'What each web search engine said of this image (TINEYE_API_KEY): asked only for images with a public URL, never for uploads.',
      }),
    ),
    timings_ms: Type.Record(Type.String(), Type.Number(), {
      description: 'Milliseconds spent per stage on this item (fetch, probe, …): where the time goes.',
    }),
  },
  { $id: 'MediaItem', additionalProperties: false },
);
export type MediaItem = Static<typeof MediaItem>;

export const TargetResult = Type.Object(
  {
    index: Type.Integer(),
    url: Type.String(),
    kind: Type.Union(
      [Type.Literal('media'), Type.Literal('post'), Type.Literal('page'), Type.Literal('error')],
      {
        description: 'What the link turned out to be.',
      },
    ),
    error: Type.Optional(ref(MediaItemError)),
    post_index: Type.Optional(Type.Integer({ description: 'The post it resolved to, in `posts`.' })),
    post_indexes: Type.Optional(
      Type.Array(Type.Integer(), { description: 'Posts embedded in the page, in `posts`.' }),
    ),
    page: Type.Optional(
      Type.Omit(WebPage, ['embedded_posts'], {
        description: 'The web page (its embedded posts are in `posts`).',
      }),
    ),
  },
  { $id: 'TargetResult', additionalProperties: false },
);
export type TargetResult = Static<typeof TargetResult>;

export const Report = Type.Object(
  {
    schema_version: Type.Literal(REPORT_SCHEMA_VERSION),
    check_id: Type.String(),
    started_at: Type.String({ format: 'date-time' }),
    completed_at: Type.String({ format: 'date-time' }),
    targets: Type.Array(ref(TargetResult)),
    posts: Type.Array(ref(Post)),
    media: Type.Array(ref(MediaItem)),
    archive: Type.Optional(ref(ArchiveSummary)),
  },
  { $id: 'Report', additionalProperties: false },
);
export type Report = Static<typeof Report>;
