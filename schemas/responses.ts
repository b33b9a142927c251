// Answers without a JSON body, typed for the routes that send them.
import type { Readable } from 'node:stream';
import { Type } from 'typebox';

/** 204: no body. Typed `undefined` (not null) so a route answers it with `reply.code(204).send()`. */
export const NoContent = Type.Unsafe<undefined>(Type.Null());

/** A file sent as it is (a thumbnail, an archive): bytes or a stream, never serialized. */
export const BinaryBody = Type.Unsafe<Buffer | Readable>({ type: 'string', format: 'binary' });

/** 304 to a conditional GET (If-None-Match): no body. */
export const NotModified = Type.Unsafe<undefined>(
  Type.Null({ description: 'Not modified (If-None-Match).' }),
);
