import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  ApiKeyCreate,
  ApiKeyCreated,
  ApiKeyList,
  ApiKeyListQuery,
  ApiKeyParams,
} from '../../../schemas/api-keys.js';
import { ErrorResponse } from '../../../schemas/errors.js';
import { ref } from '../../../schemas/ref.js';
import { NoContent } from '../../../schemas/responses.js';
import { AUTH_ERRORS, SECURITY } from '../security.js';

const ERRORS = { ...AUTH_ERRORS, 400: ref(ErrorResponse), 404: ref(ErrorResponse) };
const security = SECURITY;

const adminKeyRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/v1/admin/keys',
    {
      preHandler: app.requireScope('admin'),
      schema: {
        tags: ['admin'],
        summary: 'Create an API key',
        operationId: 'createApiKey',
        security,
        body: ref(ApiKeyCreate),
        response: { 201: ref(ApiKeyCreated), ...ERRORS },
      },
    },
    async (request, reply) => {
      const created = await app.apiKeys.create(request.principal!, request.body);
      request.log.info({ key_id: created.id, org: created.org }, 'api key created');
      return reply.code(201).send(created);
    },
  );

  app.get(
    '/v1/admin/keys',
    {
      preHandler: app.requireScope('admin'),
      schema: {
        tags: ['admin'],
        summary: 'List the API keys of an organization (never the keys themselves)',
        operationId: 'listApiKeys',
        security,
        querystring: ApiKeyListQuery,
        response: { 200: ref(ApiKeyList), ...ERRORS },
      },
    },
    async (request) => ({ keys: await app.apiKeys.list(request.principal!, request.query.org) }),
  );

  app.delete(
    '/v1/admin/keys/:id',
    {
      preHandler: app.requireScope('admin'),
      schema: {
        tags: ['admin'],
        summary: 'Revoke an API key',
        operationId: 'revokeApiKey',
        security,
        params: ApiKeyParams,
        response: { 204: NoContent, ...ERRORS },
      },
    },
    async (request, reply) => {
      await app.apiKeys.revoke(request.principal!, request.params.id);
      return reply.code(204).send();
    },
  );
};

export default adminKeyRoutes;
