import { Type, type Static } from 'typebox';
import { ref } from './ref.js';

export const WEBHOOK_EVENTS = [
  'check.completed',
  'check.failed',
  'match.found',
  'post.changed',
  'fact_check.found',
] as const;
export const WebhookEvent = Type.Union(
  [
    Type.Literal('check.completed'),
    Type.Literal('check.failed'),
    Type.Literal('match.found'),
    Type.Literal('post.changed'),
    Type.Literal('fact_check.found'),
  ],
  {
    description:
      '`check.completed` and `check.failed` when a check of your organization ends; `match.found` when an image matches a bank marked as a watchlist; `post.changed` when a post of a watched check was deleted, made private, or had its text or media changed; `fact_check.found` when a fact-check added later (`POST /v1/fact-checks`), or an entry added later to a `debunked` bank you may see, is about an image a check of yours saw (`data.check_ids`: your checks only). An entry added later to a `watchlist` bank you may see that matches an image a check of yours saw sends `match.found` too, with `found_when: "entry_added"` and `check_ids` (a watchlist is no verdict, so not `fact_check.found`; its subscribers are those of `match.found`).',
  },
);
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

export const WebhookCreate = Type.Object(
  {
    url: Type.String({
      minLength: 1,
      maxLength: 2048,
      description: 'Where events are POSTed (http or https).',
    }),
    events: Type.Array(WebhookEvent, { minItems: 1, uniqueItems: true }),
    description: Type.Optional(Type.String({ maxLength: 500 })),
  },
  { $id: 'WebhookCreate', additionalProperties: false },
);
export type WebhookCreate = Static<typeof WebhookCreate>;

const subscriptionFields = {
  id: Type.String(),
  url: Type.String(),
  events: Type.Array(WebhookEvent),
  description: Type.String(),
  disabled: Type.Boolean({ description: 'True after the receiver answered 410 Gone: nothing more is sent.' }),
  created_at: Type.String({ format: 'date-time' }),
};

export const Webhook = Type.Object(subscriptionFields, { $id: 'Webhook', additionalProperties: false });
export type Webhook = Static<typeof Webhook>;

export const WebhookWithSecret = Type.Object(
  {
    ...subscriptionFields,
    secret: Type.String({
      description:
        'Signing secret (`whsec_…`, Standard Webhooks): verify `webhook-signature` with it. Shown only now and on rotation.',
    }),
  },
  { $id: 'WebhookWithSecret', additionalProperties: false },
);
export type WebhookWithSecret = Static<typeof WebhookWithSecret>;

export const WebhookParams = Type.Object(
  { id: Type.String({ pattern: '^wh_[A-Za-z0-9_-]{1,32}$' }) },
  { $id: 'WebhookParams', additionalProperties: false },
);

export const WebhookMessageParams = Type.Object(
  { id: WebhookParams.properties.id, message_id: Type.String({ pattern: '^msg_[A-Za-z0-9_-]{1,120}$' }) },
  { $id: 'WebhookMessageParams', additionalProperties: false },
);

export const RedeliveryQueued = Type.Object(
  { queued: Type.Literal(true) },
  { $id: 'RedeliveryQueued', additionalProperties: false },
);

export const WebhookList = Type.Object(
  { webhooks: Type.Array(ref(Webhook)) },
  {
    $id: 'WebhookList',
    additionalProperties: false,
  },
);

export const WebhookDelivery = Type.Object(
  {
    message_id: Type.String({
      description: 'The `webhook-id` header: the same on every retry of one event.',
    }),
    event: Type.String(),
    attempt: Type.Integer(),
    outcome: Type.Union([
      Type.Literal('delivered'),
      Type.Literal('failed'),
      Type.Literal('gone'),
      Type.Literal('dead'),
    ]),
    http_status: Type.Optional(Type.Integer()),
    error: Type.Optional(Type.String()),
    at: Type.String({ format: 'date-time' }),
    duration_ms: Type.Number(),
  },
  { $id: 'WebhookDelivery', additionalProperties: false },
);
export type WebhookDelivery = Static<typeof WebhookDelivery>;

export const WebhookDeliveries = Type.Object(
  { deliveries: Type.Array(ref(WebhookDelivery)) },
  { $id: 'WebhookDeliveries', additionalProperties: false },
);
