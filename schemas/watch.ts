// A check's watch: its posts resolved again on a schedule, and what changed (issue 22, item 4).
import { Type, type Static } from 'typebox';

export const PostChangeKind = Type.Union(
  [
    Type.Literal('deleted'),
    Type.Literal('private'),
    Type.Literal('text_changed'),
    Type.Literal('media_changed'),
  ],
  { description: 'What happened to the post since it was last seen as the check saw it.' },
);
export type PostChangeKind = Static<typeof PostChangeKind>;

export const PostChange = Type.Object(
  {
    post_url: Type.String(),
    change: PostChangeKind,
    last_seen_at: Type.String({
      format: 'date-time',
      description:
        'Last time the post was seen as the check saw it: when that request went out (it was so at some moment after).',
    }),
    detected_at: Type.String({
      format: 'date-time',
      description: 'When the answer that shows the change came back: the change happened before it.',
    }),
    sentence: Type.String({
      description: 'For the timeline: "The post was deleted between 14:00 and 15:00 UTC on 6 Jan 2022".',
    }),
    archive: Type.Union([Type.String(), Type.Null()], {
      description:
        'The check’s evidence archive (WACZ): what the post was when checked. Null when none was kept.',
    }),
  },
  { additionalProperties: false, description: 'One change of one post, recorded once.' },
);
export type PostChange = Static<typeof PostChange>;

export const Watch = Type.Object(
  {
    active: Type.Boolean({ description: 'False once cancelled or past `until`.' }),
    started_at: Type.String({ format: 'date-time' }),
    until: Type.String({ format: 'date-time', description: 'When watching stops (WATCH_PERIOD_SECONDS).' }),
    interval_seconds: Type.Integer({ description: 'How often the posts are resolved again.' }),
    last_run_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    changes: Type.Array(PostChange),
  },
  { $id: 'Watch', additionalProperties: false },
);
export type Watch = Static<typeof Watch>;

/** A watch job names only its check; the worker reads everything else from the check and its watch. */
export const WatchJob = Type.Object(
  { check_id: Type.String({ minLength: 1, maxLength: 64 }) },
  { $id: 'WatchJob', additionalProperties: false },
);
export type WatchJob = Static<typeof WatchJob>;
