import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { ErrorResponse } from '../../../schemas/errors.js';
import { ref } from '../../../schemas/ref.js';
import {
  Webhook,
  WebhookCreate,
  WebhookDeliveries,
  WebhookList,
  WebhookWithSecret,
} from '../../../schemas/webhooks.js';
import { HttpErrors } from '../../errors.js';
import { callbackUrl } from '../../services/checks.js';
import { deliveryJobId, publicView, targetKey, type StoredSubscription } from '../../services/webhooks.js';
import { AUTH_ERRORS, SECURITY } from '../security.js';

const ERRORS = { ...AUTH_ERRORS, 400: ref(ErrorResponse), 404: ref(ErrorResponse) };
const CREATE_ERRORS = { ...ERRORS, 409: ref(ErrorResponse) };
const IdParams = Type.Object(
  { id: Type.String({ pattern: '^wh_[A-Za-z0-9_-]{1,32}$' }) },
  { additionalProperties: false },
);
const schema = (summary: string, extra: object) => ({
  tags: ['webhooks'],
  summary,
  security: SECURITY,
  ...extra,
});

export default async function webhookRoutes(app: FastifyInstance) {
  /** A subscription of the caller's organization, or 404 (another's is as good as missing). */
  async function owned(request: FastifyRequest): Promise<StoredSubscription> {
    const { id } = request.params as { id: string };
    const sub = await app.webhooks.get(id);
    if (!sub || sub.org !== request.principal!.org) throw new HttpErrors.not_found(`No webhook ${id}`);
    return sub;
  }

  app.post(
    '/v1/webhooks',
    {
      preHandler: app.requireScope('submit'),
      schema: schema('Subscribe a URL to events', {
        operationId: 'createWebhook',
        body: ref(WebhookCreate),
        response: { 201: ref(WebhookWithSecret), ...CREATE_ERRORS },
      }),
    },
    async (request, reply) => {
      const body = request.body as WebhookCreate;
      const created = await app.webhooks.create(request.principal!.org, {
        ...body,
        url: callbackUrl(body.url),
      });
      return reply.code(201).send(created);
    },
  );

  app.get(
    '/v1/webhooks',
    {
      preHandler: app.requireScope('read'),
      schema: schema('Your organization’s subscriptions', {
        operationId: 'listWebhooks',
        response: { 200: ref(WebhookList), ...ERRORS },
      }),
    },
    async (request) => ({
      webhooks: (await app.webhooks.list(request.principal!.org)).map((s) => publicView(s)),
    }),
  );

  app.get(
    '/v1/webhooks/:id',
    {
      preHandler: app.requireScope('read'),
      schema: schema('One subscription', {
        operationId: 'getWebhook',
        params: IdParams,
        response: { 200: ref(Webhook), ...ERRORS },
      }),
    },
    async (request) => publicView(await owned(request)),
  );

  app.delete(
    '/v1/webhooks/:id',
    {
      preHandler: app.requireScope('submit'),
      schema: schema('Unsubscribe', {
        operationId: 'deleteWebhook',
        params: IdParams,
        response: { 204: Type.Null(), ...ERRORS },
      }),
    },
    async (request, reply) => {
      await app.webhooks.remove(await owned(request));
      return reply.code(204).send();
    },
  );

  app.post(
    '/v1/webhooks/:id/rotate-secret',
    {
      preHandler: app.requireScope('submit'),
      schema: schema('Replace the signing secret (the old one stops working at once)', {
        operationId: 'rotateWebhookSecret',
        params: IdParams,
        response: { 200: ref(WebhookWithSecret), ...ERRORS },
      }),
    },
    async (request) => app.webhooks.rotateSecret(await owned(request)),
  );

  app.get(
    '/v1/webhooks/:id/deliveries',
    {
      preHandler: app.requireScope('read'),
      schema: schema('The last 200 delivery attempts, newest first', {
        operationId: 'listWebhookDeliveries',
        params: IdParams,
        response: { 200: ref(WebhookDeliveries), ...ERRORS },
      }),
    },
    async (request) => {
      const sub = await owned(request);
      return { deliveries: await app.webhooks.deliveries(targetKey({ kind: 'subscription', id: sub.id })) };
    },
  );

  app.post(
    '/v1/webhooks/:id/deliveries/:message_id/redeliver',
    {
      preHandler: app.requireScope('submit'),
      schema: schema('Send an event again (same webhook-id), e.g. after fixing the receiver', {
        operationId: 'redeliverWebhookMessage',
        params: Type.Object(
          { id: IdParams.properties.id, message_id: Type.String({ pattern: '^msg_[A-Za-z0-9_-]{1,120}$' }) },
          { additionalProperties: false },
        ),
        response: {
          202: Type.Object({ queued: Type.Literal(true) }, { additionalProperties: false }),
          ...ERRORS,
        },
      }),
    },
    async (request, reply) => {
      const sub = await owned(request);
      const { message_id } = request.params as { message_id: string };
      const message = await app.webhooks.message(message_id);
      if (!message || message.org !== sub.org)
        throw new HttpErrors.not_found(`No message ${message_id} (kept 7 days)`);
      const target = { kind: 'subscription' as const, id: sub.id };
      const jobId = deliveryJobId(message_id, target, `--redeliver-${Date.now()}`);
      await app.webhookQueue.add(
        'deliver',
        { message_id, target },
        { jobId, priority: await app.webhookFair.priority(sub.org, jobId) },
      );
      return reply.code(202).send({ queued: true as const });
    },
  );
}
