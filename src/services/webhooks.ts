// Webhook subscriptions, the events they receive, and the log of every delivery attempt.
// Events are stored once (signed payload and type) and delivered by the `webhooks` queue; the message
// id (`webhook-id`) is derived from what happened (check id + event), so an event emitted twice — a
// check re-run after a worker crash — is one message, delivered once per target.
import { randomBytes } from 'node:crypto';
import type { Queue } from 'bullmq';
import type { RedisClient } from '../redis.js';
import type { WebhookJob } from '../../schemas/webhook-jobs.js';
import type { Webhook, WebhookDelivery, WebhookEvent, WebhookWithSecret } from '../../schemas/webhooks.js';
import { HttpErrors } from '../errors.js';
import type { Keys } from '../keys.js';
import type { FairShare } from './fair-share.js';

export const MESSAGE_TTL_SECONDS = 7 * 24 * 3600;
const LOG_LENGTH = 200;
const DEAD_LETTERS = 1000;

export interface StoredSubscription extends Webhook {
  org: string;
  secret: string;
}

export interface StoredMessage {
  id: string;
  type: WebhookEvent;
  /** The organization the event belongs to: only its subscriptions receive it. */
  org: string;
  /** The check the event is about: only that check's callback_url receives it. */
  check_id?: string | undefined;
  /** The exact bytes that are signed and sent. */
  payload: string;
}

export const newSecret = () => `whsec_${randomBytes(32).toString('base64')}`;
const newId = () => `wh_${randomBytes(9).toString('base64url')}`;

/** Where a delivery goes: a subscription, or the callback_url of one check. */
export const targetKey = (t: WebhookJob['target']) =>
  t.kind === 'subscription' ? t.id : `callback:${t.check_id}`;

/** The check a message is about: stored with it, or (messages written before it was) read from its id. */
export function messageCheckId(msg: StoredMessage): string | null {
  return msg.check_id ?? /^msg_(chk_[A-Za-z0-9_-]+?)_(completed|failed|match_.*)$/.exec(msg.id)?.[1] ?? null;
}

export function createWebhookStore(redis: RedisClient, keys: Keys, limits: { maxSubscriptions: number }) {
  const read = (h: Record<string, string>): StoredSubscription | null =>
    h.id && h.org
      ? {
          id: h.id,
          org: h.org,
          url: h.url ?? '',
          events: JSON.parse(h.events ?? '[]') as WebhookEvent[],
          description: h.description ?? '',
          disabled: h.disabled === '1',
          created_at: h.created_at ?? '',
          secret: h.secret ?? '',
        }
      : null;

  const store = {
    async create(
      org: string,
      input: { url: string; events: WebhookEvent[]; description?: string },
    ): Promise<WebhookWithSecret> {
      // Bounded per organization: each subscription is a delivery per event, and its receiver's time.
      if ((await redis.scard(keys.orgWebhooks(org))) >= limits.maxSubscriptions)
        throw new HttpErrors.too_many_subscriptions(limits.maxSubscriptions);
      const sub: StoredSubscription = {
        id: newId(),
        org,
        url: input.url,
        events: input.events,
        description: input.description ?? '',
        disabled: false,
        created_at: new Date().toISOString(),
        // Kept in Redis as it is: signing needs the secret itself, unlike API keys.
        secret: newSecret(),
      };
      await redis.hset(keys.webhook(sub.id), { ...sub, events: JSON.stringify(sub.events), disabled: '0' });
      await redis.sadd(keys.orgWebhooks(org), sub.id);
      return publicView(sub, true);
    },

    async get(id: string): Promise<StoredSubscription | null> {
      return read(await redis.hgetall(keys.webhook(id)));
    },

    async list(org: string): Promise<StoredSubscription[]> {
      const ids = (await redis.smembers(keys.orgWebhooks(org))).sort();
      const subs = await Promise.all(ids.map((id) => store.get(id)));
      return subs.filter((s): s is StoredSubscription => s !== null);
    },

    async remove(sub: StoredSubscription): Promise<void> {
      await redis.del(keys.webhook(sub.id));
      await redis.srem(keys.orgWebhooks(sub.org), sub.id);
    },

    async rotateSecret(sub: StoredSubscription): Promise<WebhookWithSecret> {
      const secret = newSecret();
      await redis.hset(keys.webhook(sub.id), 'secret', secret);
      return publicView({ ...sub, secret }, true);
    },

    async disable(id: string): Promise<void> {
      await redis.hset(keys.webhook(id), 'disabled', '1');
    },

    /** Stores a message unless one with its id is kept already (a re-run's event keeps its first payload). */
    async saveMessage(msg: StoredMessage): Promise<void> {
      await redis.set(keys.webhookMessage(msg.id), JSON.stringify(msg), 'EX', MESSAGE_TTL_SECONDS, 'NX');
    },

    async message(id: string): Promise<StoredMessage | null> {
      const raw = await redis.get(keys.webhookMessage(id));
      return raw ? (JSON.parse(raw) as StoredMessage) : null;
    },

    async logDelivery(target: string, entry: WebhookDelivery): Promise<void> {
      await redis.lpush(keys.webhookLog(target), JSON.stringify(entry));
      await redis.ltrim(keys.webhookLog(target), 0, LOG_LENGTH - 1);
    },

    async deliveries(target: string): Promise<WebhookDelivery[]> {
      return (await redis.lrange(keys.webhookLog(target), 0, LOG_LENGTH - 1)).map(
        (s) => JSON.parse(s) as WebhookDelivery,
      );
    },

    async deadLetter(job: WebhookJob, reason: string): Promise<void> {
      const entry = JSON.stringify({ ...job, reason, at: new Date().toISOString() });
      await redis.lpush(keys.webhookDeadLetters(), entry);
      await redis.ltrim(keys.webhookDeadLetters(), 0, DEAD_LETTERS - 1);
    },
  };
  return store;
}

export function publicView(sub: StoredSubscription, withSecret: true): WebhookWithSecret;
export function publicView(sub: StoredSubscription, withSecret?: false): Webhook;
export function publicView(sub: StoredSubscription, withSecret = false): Webhook | WebhookWithSecret {
  const { org: _org, secret, ...view } = sub;
  return withSecret ? { ...view, secret } : view;
}

export type WebhookStore = ReturnType<typeof createWebhookStore>;

/**
 * Records an event and queues one delivery per interested target: the organization's subscriptions
 * to this event type, plus a check's own callback. Idempotent per message id (BullMQ job ids).
 */
export async function emitEvent(
  deps: { store: WebhookStore; queue: Queue<WebhookJob>; fair: FairShare },
  event: {
    id: string;
    type: WebhookEvent;
    org: string;
    data: unknown;
    /** The check the event is about. */
    checkId: string;
    /** Also deliver to this check's callback_url. */
    callbackCheckId?: string | null;
  },
): Promise<number> {
  const payload = JSON.stringify({ type: event.type, timestamp: new Date().toISOString(), data: event.data });
  // A message emitted again (a re-run check) keeps its first payload: one event, one message (SET NX,
  // where a GET and a SET took two round trips). The subscriptions are read meanwhile.
  const [, subscriptions] = await Promise.all([
    deps.store.saveMessage({
      id: event.id,
      type: event.type,
      org: event.org,
      check_id: event.checkId,
      payload,
    }),
    deps.store.list(event.org),
  ]);
  const targets: WebhookJob['target'][] = subscriptions
    .filter((s) => !s.disabled && s.events.includes(event.type))
    .map((s) => ({ kind: 'subscription', id: s.id }));
  if (event.callbackCheckId) targets.push({ kind: 'callback', check_id: event.callbackCheckId });
  const jobs = [];
  for (const target of targets) {
    const jobId = deliveryJobId(event.id, target);
    jobs.push({
      name: 'deliver',
      data: { message_id: event.id, target },
      opts: { jobId, priority: await deps.fair.priority(event.org, jobId) },
    });
  }
  await deps.queue.addBulk(jobs);
  return targets.length;
}

export const deliveryJobId = (messageId: string, target: WebhookJob['target'], suffix = '') =>
  `${messageId}--${targetKey(target).replace(/:/g, '-')}${suffix}`;
