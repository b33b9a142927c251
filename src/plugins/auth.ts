// Who is calling: an API key in `Authorization: Bearer <key>` or `X-API-Key`, resolved to a principal
// (organization + scopes). Routes declare the scope they need with `app.requireScope(...)`.
import type { FastifyInstance, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import { HttpErrors } from '../errors.js';
import { keys } from '../keys.js';
import { createKeyAdmin, type KeyAdmin } from '../services/key-admin.js';
import { createApiKeyStore, hasScope, type Principal, type Scope } from '../services/api-keys.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The admin routes' keys service: whose keys a caller may manage (src/services/key-admin.ts). */
    apiKeys: KeyAdmin;
    requireScope(scope: Scope): preHandlerAsyncHookHandler;
  }
  interface FastifyRequest {
    principal: Principal | null;
  }
}

/** With AUTH_REQUIRED=false every caller is this (local demos only). */
const PUBLIC: Principal = { keyId: 'public', org: 'public', scopes: ['admin'], name: 'auth disabled' };

export function presentedKey(request: FastifyRequest): string | null {
  const auth = request.headers.authorization;
  if (typeof auth === 'string' && /^bearer\s+/i.test(auth)) return auth.replace(/^bearer\s+/i, '').trim();
  if (typeof auth === 'string' && /^basic\s+/i.test(auth)) {
    // Browsers (the queue dashboard) send Basic auth: the key is the password, the user name is ignored.
    const decoded = Buffer.from(auth.replace(/^basic\s+/i, ''), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon >= 0 ? decoded.slice(colon + 1) : null;
  }
  const header = request.headers['x-api-key'];
  return typeof header === 'string' && header ? header.trim() : null;
}

async function authPlugin(app: FastifyInstance) {
  const store = createApiKeyStore(app.redis, keys(app.config.keyPrefix));
  app.decorate('apiKeys', createKeyAdmin({ store }));
  app.decorateRequest('principal', null);
  app.addHook('onReady', async () => {
    await store
      .syncBootstrap(app.config.auth.bootstrapKey)
      .then(({ revoked }) => {
        if (revoked.length) app.log.warn({ revoked }, 'earlier BOOTSTRAP_API_KEY keys revoked');
      })
      .catch((err: Error) => app.log.error({ err: err.message }, 'bootstrap key not registered'));
  });

  app.addHook('onRequest', async (request) => {
    const key = presentedKey(request);
    if (key) {
      const principal = await store.verify(key);
      if (!principal) throw new HttpErrors.unauthorized('Unknown or revoked API key');
      request.principal = principal;
    } else if (!app.config.auth.required) {
      request.principal = PUBLIC;
    }
  });

  app.decorate('requireScope', (scope: Scope): preHandlerAsyncHookHandler => {
    return async (request) => {
      if (!request.principal) {
        throw new HttpErrors.unauthorized(
          'An API key is required: `Authorization: Bearer <key>` or `X-API-Key`',
        );
      }
      if (!hasScope(request.principal, scope)) {
        throw new HttpErrors.forbidden(`This key lacks the "${scope}" scope`);
      }
    };
  });
}

export default fp(authPlugin, { name: 'auth', dependencies: ['redis'] });
