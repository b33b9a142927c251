// Webhook subscriptions as the API offers them: an organization sees and changes only its own (another's
// is as good as missing: 404), and may have an event sent again. The routes call these and reply; the
// subscriptions, messages and delivery log are the store's (src/services/webhooks.ts).
import type { Queue } from 'bullmq';
import type { WebhookJob } from '../../schemas/webhook-jobs.js';
import type { Webhook, WebhookCreate, WebhookDelivery, WebhookWithSecret } from '../../schemas/webhooks.js';
import { HttpErrors } from '../errors.js';
import type { Principal } from './api-keys.js';
import { callbackUrl } from './checks.js';
import type { FairShare } from './fair-share.js';
import {
  deliveryJobId,
  publicView,
  targetKey,
  type StoredSubscription,
  type WebhookStore,
} from './webhooks.js';

export interface WebhookServiceDeps {
  store: WebhookStore;
  /** The `webhooks` queue: redeliveries are jobs like first deliveries. */
  queue: Queue<WebhookJob>;
  /** The queue's share between organizations (a redelivery's priority). */
  fair: FairShare;
}

export function createWebhookService({ store, queue, fair }: WebhookServiceDeps) {
  /** A subscription of the caller's organization, or 404. */
  async function owned(id: string, principal: Principal): Promise<StoredSubscription> {
    const sub = await store.get(id);
    if (!sub || sub.org !== principal.org) throw new HttpErrors.not_found(`No webhook ${id}`);
    return sub;
  }

  return {
    async create(principal: Principal, input: WebhookCreate): Promise<WebhookWithSecret> {
      return store.create(principal.org, { ...input, url: callbackUrl(input.url) });
    },

    async list(principal: Principal): Promise<Webhook[]> {
      return (await store.list(principal.org)).map((s) => publicView(s));
    },

    async get(id: string, principal: Principal): Promise<Webhook> {
      return publicView(await owned(id, principal));
    },

    async remove(id: string, principal: Principal): Promise<void> {
      await store.remove(await owned(id, principal));
    },

    async rotateSecret(id: string, principal: Principal): Promise<WebhookWithSecret> {
      return store.rotateSecret(await owned(id, principal));
    },

    async deliveries(id: string, principal: Principal): Promise<WebhookDelivery[]> {
      const sub = await owned(id, principal);
      return store.deliveries(targetKey({ kind: 'subscription', id: sub.id }));
    },

    /** Queues a message of the organization for this subscription again (a new job: same webhook-id). */
    async redeliver(id: string, messageId: string, principal: Principal): Promise<void> {
      const sub = await owned(id, principal);
      const message = await store.message(messageId);
      if (!message || message.org !== sub.org)
        throw new HttpErrors.not_found(`No message ${messageId} (kept 7 days)`);
      const target = { kind: 'subscription' as const, id: sub.id };
      const jobId = deliveryJobId(messageId, target, `--redeliver-${Date.now()}`);
      await queue.add(
        'deliver',
        { message_id: messageId, target },
        { jobId, priority: await fair.priority(sub.org, jobId) },
      );
    },
  };
}

export type WebhookService = ReturnType<typeof createWebhookService>;
