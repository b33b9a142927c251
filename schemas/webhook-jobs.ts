// Payload of a webhook delivery job: ids only; the signed message lives in Redis (src/keys.ts).
import { Type, type Static } from 'typebox';

export const WebhookJob = Type.Object(
  {
    message_id: Type.String({ minLength: 1, maxLength: 200 }),
    target: Type.Union([
      Type.Object({ kind: Type.Literal('subscription'), id: Type.String() }, { additionalProperties: false }),
      Type.Object(
        { kind: Type.Literal('callback'), check_id: Type.String() },
        { additionalProperties: false },
      ),
    ]),
  },
  { $id: 'WebhookJob', additionalProperties: false },
);
export type WebhookJob = Static<typeof WebhookJob>;
