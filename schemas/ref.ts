import { Type, type Static, type TSchema } from 'typebox';

/**
 * A reference to a named schema that keeps its TypeScript type. Each schema with an $id is
 * registered once (src/plugins/swagger.ts); everything that contains it points at it with $ref, so
 * validators never see the same $id twice and the OpenAPI document names it once as a component.
 */
export function ref<T extends TSchema & { $id?: string }>(schema: T) {
  if (!schema.$id) throw new Error('ref() needs a schema with an $id');
  return Type.Unsafe<Static<T>>({ $ref: `${schema.$id}#` });
}
