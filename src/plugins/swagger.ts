// OpenAPI generated from the route schemas, which come from schemas/. Every named schema is registered
// once so it appears as a component under its $id. openapi.yaml is this document, written by
// `npm run openapi`; a test fails when the two drift.
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { namedSchemas } from '../../schemas/index.js';

async function swaggerPlugin(app: FastifyInstance) {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'firstseen',
        version: '1.0.0',
        description:
          'Where does a viral image really come from? Submit a post or image URL (or text with links) and get a provenance report.',
      },
      // Relative: the deployment serving this document (at /docs/json) is the one it describes.
      servers: [{ url: '/', description: 'This firstseen deployment' }],
      tags: [
        { name: 'checks', description: 'Submit links and read provenance reports' },
        { name: 'banks', description: 'Collections of known media every image is matched against' },
        { name: 'webhooks', description: 'Signed event deliveries for newsroom bots' },
        { name: 'admin', description: 'API keys (admin scope)' },
        { name: 'ops', description: 'Health and readiness' },
      ],
      components: {
        securitySchemes: {
          bearer: {
            type: 'http',
            scheme: 'bearer',
            description: 'An API key: `Authorization: Bearer fsk_…`',
          },
          apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
        },
      },
    },
    refResolver: {
      buildLocalReference: (json, _base, _fragment, i) =>
        typeof json.$id === 'string' ? json.$id : `def-${i}`,
    },
  });
  for (const schema of namedSchemas) app.addSchema(schema);
  // Swagger UI at /docs, from the same document (assets ship in the package: works offline).
  await app.register(swaggerUi, { routePrefix: '/docs' });
}

export default fp(swaggerPlugin, { name: 'swagger' });
