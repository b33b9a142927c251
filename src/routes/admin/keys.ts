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
import { HttpErrors } from '../../errors.js';
import { isOperator, type ApiKeyInfo, type Principal } from '../../services/api-keys.js';
import { AUTH_ERRORS, SECURITY } from '../security.js';

const ERRORS = { ...AUTH_ERRORS, 400: ref(ErrorResponse), 404: ref(ErrorResponse) };
const security = SECURITY;

function targetOrg(principal: Principal, requested: string | undefined): string {
  const org = requested ?? principal.org;
  if (org !== principal.org && !isOperator(principal)) {
    throw new HttpErrors.forbidden('Only the operator’s admins manage another organization’s keys');
  }
  return org;
}

const view = (k: ApiKeyInfo) => ({
  id: k.keyId,
  org: k.org,
  name: k.name,
  scopes: k.scopes,
  created_at: k.created_at,
});

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
      const body = request.body;
      const org = targetOrg(request.principal!, body.org);
      if (body.scopes.includes('operator') && !isOperator(request.principal!))
        throw new HttpErrors.forbidden('Only the operator grants the operator scope');
      const created = await app.apiKeys.create({ org, scopes: body.scopes, name: body.name });
      request.log.info({ key_id: created.keyId, org }, 'api key created');
      return reply.code(201).send({ ...view(created), key: created.key });
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
    async (request) => {
      const org = targetOrg(request.principal!, request.query.org);
      return { keys: (await app.apiKeys.list(org)).map(view) };
    },
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
      const { id } = request.params;
      const key = await app.apiKeys.get(id);
      if (!key) throw new HttpErrors.not_found(`No key ${id}`);
      targetOrg(request.principal!, key.org);
      await app.apiKeys.revoke(id);
      return reply.code(204).send();
    },
  );
};

export default adminKeyRoutes;
