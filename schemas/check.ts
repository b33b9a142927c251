import { Type, type Static } from 'typebox';
import { ref } from './ref.js';
import { Report } from './report.js';
import { Watch } from './watch.js';

export const CheckStatus = Type.Union(
  [Type.Literal('queued'), Type.Literal('running'), Type.Literal('done'), Type.Literal('failed')],
  { $id: 'CheckStatus', description: 'queued -> running -> done | failed' },
);
export type CheckStatus = Static<typeof CheckStatus>;

/** The longest pasted text a check takes (the form's text box has the same limit). */
export const TEXT_MAX_LENGTH = 20000;

export const CheckRequest = Type.Object(
  {
    url: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 4096,
        description: 'One link to check: an image URL (post URLs are resolved to their media).',
      }),
    ),
    text: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: TEXT_MAX_LENGTH,
        description:
          'Pasted text: every http(s) link in it becomes a target; `pic.twitter.com/…` without a scheme counts too.',
      }),
    ),
    callback_url: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 2048,
        description:
          'Where to POST `check.completed` / `check.failed` for this check, signed (Standard Webhooks) with the `callback_secret` of the answer.',
      }),
    ),
    watch: Type.Optional(
      Type.Boolean({
        description:
          'Also watch the check’s posts once it is done, as `POST /v1/checks/:id/watch` does (`post.changed` events).',
      }),
    ),
    views: Type.Optional(
      Type.Boolean({
        description:
          'Also make the forensic views (error levels and noise, `media[].views`) of every still image of this check during its analysis, as FORENSIC_VIEWS does for all checks; views kept for the same file (by sha256) are reused. Without it (or false) they are made only if the deployment has FORENSIC_VIEWS on, and can be asked for per item later (`POST /v1/checks/:id/media/:index/views`). A submission with `views: true` is never folded into an earlier check of the same links that was asked without it.',
      }),
    ),
  },
  {
    $id: 'CheckRequest',
    additionalProperties: false,
    description: 'Exactly one of `url` or `text`, and optionally a `callback_url`.',
  },
);
export type CheckRequest = Static<typeof CheckRequest>;

export const CheckLinks = Type.Object(
  {
    self: Type.String({ description: 'This check (status, and the report when done).' }),
    report: Type.String({ description: 'The report alone.' }),
  },
  { additionalProperties: false },
);

export const CheckAccepted = Type.Object(
  {
    id: Type.String(),
    status: ref(CheckStatus),
    reused: Type.Boolean({
      description:
        'True when an existing check was returned (same Idempotency-Key, or same URLs within the window).',
    }),
    links: CheckLinks,
    callback_secret: Type.Optional(
      Type.String({
        description:
          'Secret that signs this check’s callbacks (`whsec_…`); only when a callback_url was given.',
      }),
    ),
    watching: Type.Optional(
      Type.Boolean({
        description:
          'Only when `watch` was asked: true when the check is watched, false when the organization already watches WATCH_MAX_PER_ORG checks (the check runs all the same).',
      }),
    ),
  },
  { $id: 'CheckAccepted', additionalProperties: false },
);
export type CheckAccepted = Static<typeof CheckAccepted>;

export const Target = Type.Object(
  {
    input: Type.String({ description: 'The link as found in the submission.' }),
    url: Type.String({ description: 'Normalized URL that is fetched.' }),
  },
  { additionalProperties: false, description: 'One link of a check.' },
);
export type Target = Static<typeof Target>;

export const CheckFailure = Type.Object(
  { code: Type.String(), message: Type.String() },
  {
    additionalProperties: false,
    description: 'Why the whole check failed (per-item errors are in the report).',
  },
);

export const Check = Type.Object(
  {
    id: Type.String(),
    status: ref(CheckStatus),
    created_at: Type.String({ format: 'date-time' }),
    updated_at: Type.String({ format: 'date-time' }),
    targets: Type.Array(Target),
    attempts: Type.Integer({
      description: 'Times a worker started this check (more than 1 after a crash or retry).',
    }),
    links: CheckLinks,
    error: Type.Optional(CheckFailure),
    report: Type.Optional(ref(Report)),
    watch: Type.Optional(ref(Watch)),
  },
  { $id: 'Check', additionalProperties: false },
);
export type Check = Static<typeof Check>;

// Params, querystrings and headers of the check routes. Not registered as shared schemas: OpenAPI
// spells them out as parameters, and each is one object however many routes use it.
export const CheckParams = Type.Object(
  { id: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' }) },
  { $id: 'CheckParams', additionalProperties: false },
);

export const CheckUploadQuery = Type.Object(
  {
    filename: Type.Optional(Type.String({ maxLength: 255, description: 'Shown in the report.' })),
    callback_url: Type.Optional(Type.String({ maxLength: 2048 })),
    views: Type.Optional(
      Type.Union([Type.Literal('true'), Type.Literal('false')], {
        description:
          'As `views` of `POST /v1/checks`: `true` makes the file’s forensic views with its check.',
      }),
    ),
  },
  { $id: 'CheckUploadQuery', additionalProperties: false },
);

export const IdempotencyHeaders = Type.Object(
  {
    'idempotency-key': Type.Optional(
      Type.String({ minLength: 1, maxLength: 255, description: 'Same key, same check (kept for a day).' }),
    ),
  },
  { $id: 'IdempotencyHeaders' },
);

/** The submission form's `?input=` (a link shared to the form), as long as CheckRequest's `text`. */
export const CheckFormQuery = Type.Object(
  { input: Type.Optional(Type.String({ maxLength: TEXT_MAX_LENGTH })) },
  { $id: 'CheckFormQuery' },
);
