import { Type, type Static } from 'typebox';

/** Body of every 4xx/5xx answer. `code` is stable: branch on it, not on `message`. */
export const ErrorResponse = Type.Object(
  {
    statusCode: Type.Integer({ description: 'HTTP status, repeated for clients that lose headers.' }),
    code: Type.String({ description: 'Stable machine-readable code, e.g. `invalid_request`, `not_found`.' }),
    error: Type.String({ description: 'HTTP reason phrase.' }),
    message: Type.String({ description: 'What went wrong, for people.' }),
    request_id: Type.Optional(Type.String({ description: 'Quote it when reporting a 5xx.' })),
    details: Type.Optional(
      Type.Array(
        Type.Object(
          { path: Type.String(), message: Type.String() },
          { additionalProperties: false, description: 'One validation problem.' },
        ),
      ),
    ),
  },
  { $id: 'ErrorResponse', additionalProperties: false },
);
export type ErrorResponse = Static<typeof ErrorResponse>;
