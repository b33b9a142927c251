// Payloads of queued jobs. Only ids and URLs travel in a job, never media bytes or secrets.
import { Type, type Static } from 'typebox';
import { Target } from './check.js';

export const CheckJob = Type.Object(
  {
    check_id: Type.String({ minLength: 1, maxLength: 64 }),
    targets: Type.Array(Target, { minItems: 1, maxItems: 1000 }),
    /** The submission's `views: true`: forensic views made with this check (a retry keeps it). */
    views: Type.Optional(Type.Boolean()),
  },
  { $id: 'CheckJob', additionalProperties: false },
);
export type CheckJob = Static<typeof CheckJob>;

/** Forensic views of one media item of a finished check (workers/views.ts): the worker reads the rest from the check. */
export const ViewsJob = Type.Object(
  {
    check_id: Type.String({ minLength: 1, maxLength: 64 }),
    index: Type.Integer({ minimum: 0, maximum: 999 }),
  },
  { $id: 'ViewsJob', additionalProperties: false },
);
export type ViewsJob = Static<typeof ViewsJob>;
