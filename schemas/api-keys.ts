import { Type, type Static } from 'typebox';
import { ref } from './ref.js';

export const Scope = Type.Union(
  [Type.Literal('submit'), Type.Literal('read'), Type.Literal('admin'), Type.Literal('operator')],
  {
    description:
      '`submit` checks, banks and webhooks, `read` checks and reports, `admin` everything of the key’s own organization including its keys and banks; `operator` the deployment: the queue dashboard, /metrics, shared banks and every organization’s keys (held by the operator’s `default` organization’s admins; only they can grant it).',
  },
);

export const ApiKeyCreate = Type.Object(
  {
    name: Type.String({
      minLength: 1,
      maxLength: 100,
      description: 'Who or what uses the key, e.g. "verification bot".',
    }),
    org: Type.Optional(
      Type.String({
        pattern: '^[a-z0-9][a-z0-9_-]{0,63}$',
        description:
          'Organization the key acts for. Defaults to the caller’s; only the operator’s `default` organization may name another.',
      }),
    ),
    scopes: Type.Array(Scope, { minItems: 1, uniqueItems: true }),
  },
  { $id: 'ApiKeyCreate', additionalProperties: false },
);
export type ApiKeyCreate = Static<typeof ApiKeyCreate>;

const keyFields = {
  id: Type.String(),
  org: Type.String(),
  name: Type.String(),
  scopes: Type.Array(Scope),
  created_at: Type.String({ format: 'date-time' }),
};

export const ApiKeyParams = Type.Object(
  { id: Type.String({ pattern: '^key_[A-Za-z0-9_]{1,64}$' }) },
  { $id: 'ApiKeyParams', additionalProperties: false },
);

export const ApiKeyListQuery = Type.Object(
  { org: Type.Optional(Type.String({ maxLength: 64 })) },
  { $id: 'ApiKeyListQuery', additionalProperties: false },
);

export const ApiKey = Type.Object(keyFields, { $id: 'ApiKey', additionalProperties: false });
export type ApiKey = Static<typeof ApiKey>;

export const ApiKeyCreated = Type.Object(
  { ...keyFields, key: Type.String({ description: 'The key itself. Shown this once: store it now.' }) },
  { $id: 'ApiKeyCreated', additionalProperties: false },
);
export type ApiKeyCreated = Static<typeof ApiKeyCreated>;

export const ApiKeyList = Type.Object(
  { keys: Type.Array(ref(ApiKey)) },
  { $id: 'ApiKeyList', additionalProperties: false },
);
