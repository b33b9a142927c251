// Webhook subscriptions over HTTP: validation and answers only. Whose subscription it is, and
// redeliveries, are the webhooks service's (src/services/webhook-service.ts, `app.webhooks`).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ErrorResponse } from '../../../schemas/errors.js';
import { ref } from '../../../schemas/ref.js';
import { NoContent } from '../../../schemas/responses.js';
import {
  RedeliveryQueued,
  Webhook,
  WebhookCreate,
  WebhookDeliveries,
  WebhookList,
  WebhookMessageParams,
  WebhookParams,
  WebhookWithSecret,
} from '../../../schemas/webhooks.js';
import { AUTH_ERRORS, SECURITY } from '../security.js';

const ERRORS = { ...AUTH_ERRORS, 400: ref(ErrorResponse), 404: ref(ErrorResponse) };
const CREATE_ERRORS = { ...ERRORS, 409: ref(ErrorResponse) };
const schema = <S extends object>(summary: string, extra: S) => ({
  tags: ['webhooks'],
  summary,
  security: SECURITY,
  ...extra,
});

const webhookRoutes: FastifyPluginAsyncTypebox = async (app) => {
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
    async (request, reply) =>
      reply.code(201).send(await app.webhooks.create(request.principal!, request.body)),
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
    async (request) => ({ webhooks: await app.webhooks.list(request.principal!) }),
  );

  app.get(
    '/v1/webhooks/:id',
    {
      preHandler: app.requireScope('read'),
      schema: schema('One subscription', {
        operationId: 'getWebhook',
        params: WebhookParams,
        response: { 200: ref(Webhook), ...ERRORS },
      }),
    },
    async (request) => app.webhooks.get(request.params.id, request.principal!),
  );

  app.delete(
    '/v1/webhooks/:id',
    {
      preHandler: app.requireScope('submit'),
      schema: schema('Unsubscribe', {
        operationId: 'deleteWebhook',
        params: WebhookParams,
        response: { 204: NoContent, ...ERRORS },
      }),
    },
    async (request, reply) => {
      await app.webhooks.remove(request.params.id, request.principal!);
      return reply.code(204).send();
    },
  );

  app.post(
    '/v1/webhooks/:id/rotate-secret',
    {
      preHandler: app.requireScope('submit'),
      schema: schema('Replace the signing secret (the old one stops working at once)', {
        operationId: 'rotateWebhookSecret',
        params: WebhookParams,
        response: { 200: ref(WebhookWithSecret), ...ERRORS },
      }),
    },
    async (request) => app.webhooks.rotateSecret(request.params.id, request.principal!),
  );

  app.get(
    '/v1/webhooks/:id/deliveries',
    {
      preHandler: app.requireScope('read'),
      schema: schema('The last 200 delivery attempts, newest first', {
        operationId: 'listWebhookDeliveries',
        params: WebhookParams,
        response: { 200: ref(WebhookDeliveries), ...ERRORS },
      }),
    },
    async (request) => ({
      deliveries: await app.webhooks.deliveries(request.params.id, request.principal!),
    }),
  );

  app.post(
    '/v1/webhooks/:id/deliveries/:message_id/redeliver',
    {
      preHandler: app.requireScope('submit'),
      schema: schema('Send an event again (same webhook-id), e.g. after fixing the receiver', {
        operationId: 'redeliverWebhookMessage',
        params: WebhookMessageParams,
        response: { 202: ref(RedeliveryQueued), ...ERRORS },
      }),
    },
    async (request, reply) => {
      await app.webhooks.redeliver(request.params.id, request.params.message_id, request.principal!);
      return reply.code(202).send({ queued: true as const });
    },
  );
};

export default webhookRoutes;
