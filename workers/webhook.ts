// The `webhooks` queue's worker: signs each event per Standard Webhooks and POSTs it to its target.
// 2xx: delivered. 410 Gone: the subscription is disabled, no retry. Anything else: retried with
// doubling delays; when attempts run out, the delivery goes to the dead-letter list.
// A job is only a pointer (message id + target): the worker delivers a message only to a subscription
// of the message's own organization, or to the callback_url of the check the message is about, whatever
// the job says (a job added by hand cannot send one newsroom's report to another's receiver). Each
// organization has at most WEBHOOK_ORG_CONCURRENCY deliveries in flight across all workers.
import { DelayedError, UnrecoverableError, type Worker, type Job } from 'bullmq';
import { createWorker } from './bullmq-worker.js';
import { Webhook as Signer } from 'standardwebhooks';
import { Value } from 'typebox/value';
import { WebhookJob } from '../schemas/webhook-jobs.js';
import type { WebhookDelivery } from '../schemas/webhooks.js';
import { isMediaError } from '../src/errors.js';
import { QUEUES } from '../src/keys.js';
import { webhookDeliveries } from '../src/metrics.js';
import { messageCheckId, targetKey, type StoredMessage } from '../src/services/webhooks.js';
import type { WorkerContext } from './context.js';

export function startWebhookWorker(ctx: WorkerContext): Worker<WebhookJob> {
  const { config, webhooks, store, log } = ctx;
  const fair = ctx.fair.webhooks;
  const limits = config.webhooks;

  /** Where the message goes, or null when the target is gone; throws when it is not the message's to receive. */
  async function resolveTarget(
    target: WebhookJob['target'],
    message: StoredMessage,
  ): Promise<{ url: string; secret: string } | null> {
    if (target.kind === 'subscription') {
      const sub = await webhooks.get(target.id);
      if (sub && sub.org !== message.org)
        throw new UnrecoverableError(`Subscription ${sub.id} is not of the message's organization`);
      return sub && !sub.disabled ? { url: sub.url, secret: sub.secret } : null;
    }
    if (messageCheckId(message) !== target.check_id)
      throw new UnrecoverableError(`Message ${message.id} is not about check ${target.check_id}`);
    const check = await store.get(target.check_id);
    if (check && check.org !== message.org)
      throw new UnrecoverableError(`Check ${target.check_id} is not of the message's organization`);
    const callback = check ? await store.callback(target.check_id) : null;
    return callback ? { url: callback.url, secret: callback.secret } : null;
  }

  const processor = async (job: Job<WebhookJob>, token?: string) => {
    if (!Value.Check(WebhookJob, job.data)) throw new UnrecoverableError('Malformed webhook job');
    const { message_id, target } = job.data;
    const message = await webhooks.message(message_id);
    if (!message) throw new UnrecoverableError(`Message ${message_id} expired`);
    const jobId = job.id ?? message_id;
    const final = (err: unknown) =>
      err instanceof UnrecoverableError || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    let to: { url: string; secret: string } | null;
    try {
      to = await resolveTarget(target, message);
    } catch (err) {
      log.warn({ job_id: job.id, message_id, err: (err as Error).message }, 'webhook job refused');
      await fair.finished(message.org, jobId);
      throw err;
    }
    if (!to) {
      webhookDeliveries.inc({ outcome: 'skipped' });
      await fair.finished(message.org, jobId);
      return 'skipped: target deleted or disabled';
    }
    // The organization's share of the delivery slots: its other deliveries wait a moment, so slow
    // receivers of one newsroom never hold every slot. The lease outlives the delivery's own timeout.
    if (!(await fair.acquire(message.org, jobId, limits.orgConcurrency, limits.timeoutMs + 10_000))) {
      await job.moveToDelayed(Date.now() + 200 + Math.floor(Math.random() * 600), token);
      throw new DelayedError();
    }
    try {
      const outcome = await deliver(job, message, to);
      await fair.finished(message.org, jobId);
      return outcome;
    } catch (err) {
      if (final(err)) await fair.finished(message.org, jobId);
      throw err;
    } finally {
      await fair.release(message.org, jobId);
    }
  };

  async function deliver(
    job: Job<WebhookJob>,
    message: StoredMessage,
    to: { url: string; secret: string },
  ): Promise<string> {
    const { message_id, target } = job.data;
    const jobLog = log.child({ job_id: job.id, message_id, webhook_target: targetKey(target) });
    const at = new Date();
    const signature = new Signer(to.secret).sign(message_id, at, message.payload);
    const entry: WebhookDelivery = {
      message_id,
      event: message.type,
      attempt: job.attemptsMade + 1,
      outcome: 'failed',
      at: at.toISOString(),
      duration_ms: 0,
    };
    const t0 = performance.now();
    try {
      const res = await ctx.fetcher.post(to.url, message.payload, {
        timeoutMs: limits.timeoutMs,
        headers: {
          'webhook-id': message_id,
          'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
          'webhook-signature': signature,
        },
      });
      entry.http_status = res.status;
      entry.duration_ms = Math.round(performance.now() - t0);
      if (res.status >= 200 && res.status < 300) {
        entry.outcome = 'delivered';
        webhookDeliveries.inc({ outcome: 'delivered' });
        return 'delivered';
      }
      if (res.status === 410 && target.kind === 'subscription') {
        entry.outcome = 'gone';
        await webhooks.disable(target.id);
        webhookDeliveries.inc({ outcome: 'gone' });
        jobLog.warn('receiver answered 410 Gone: subscription disabled');
        throw new UnrecoverableError('410 Gone: subscription disabled');
      }
      entry.error = `HTTP ${res.status}`;
      webhookDeliveries.inc({ outcome: 'failed' });
      throw new Error(`Receiver answered HTTP ${res.status}`);
    } catch (err) {
      entry.duration_ms = Math.round(performance.now() - t0);
      if (isMediaError(err)) {
        entry.error = `${err.code}: ${err.message}`;
        webhookDeliveries.inc({ outcome: 'failed' });
        // A receiver behind a forbidden address will never become deliverable.
        if (err.code === 'blocked_address' || err.code === 'unsupported_scheme' || err.code === 'invalid_url')
          throw new UnrecoverableError(entry.error);
      }
      throw err;
    } finally {
      await webhooks.logDelivery(targetKey(target), entry);
    }
  }

  const worker = createWorker<WebhookJob>(QUEUES.webhooks, processor, {
    connection: ctx.queueConnection,
    prefix: config.queuePrefix,
    concurrency: 16, // waiting on receivers, not on CPU
    lockDuration: config.worker.lockMs,
    stalledInterval: config.worker.stalledIntervalMs,
  });
  worker.on('failed', (job, err) => {
    if (!job) return;
    const final = err instanceof UnrecoverableError || job.attemptsMade >= (job.opts.attempts ?? 1);
    if (!final || err.message.startsWith('410 Gone')) return;
    webhookDeliveries.inc({ outcome: 'dead' });
    const target = targetKey(job.data.target);
    void webhooks
      .deadLetter(job.data, err.message)
      .then(() =>
        webhooks.logDelivery(target, {
          message_id: job.data.message_id,
          event: 'delivery',
          attempt: job.attemptsMade,
          outcome: 'dead',
          error: err.message.slice(0, 300),
          at: new Date().toISOString(),
          duration_ms: 0,
        }),
      )
      .catch((e: Error) => log.error({ err: e.message }, 'could not record a dead webhook delivery'));
  });
  worker.on('error', (err) => log.error({ err: err.message }, 'webhooks worker error'));
  return worker;
}
