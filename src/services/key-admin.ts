// API keys as the admin routes offer them: an admin manages its own organization's keys; only the
// operator's admins manage another organization's, and only they grant the operator scope. The keys
// themselves are the store's (src/services/api-keys.ts).
import type { ApiKey, ApiKeyCreate, ApiKeyCreated } from '../../schemas/api-keys.js';
import { HttpErrors } from '../errors.js';
import { isOperator, type ApiKeyInfo, type ApiKeyStore, type Principal } from './api-keys.js';

/** The organization whose keys the caller acts on: its own unless it names another, which needs the operator. */
function targetOrg(principal: Principal, requested: string | undefined): string {
  const org = requested ?? principal.org;
  if (org !== principal.org && !isOperator(principal)) {
    throw new HttpErrors.forbidden('Only the operator’s admins manage another organization’s keys');
  }
  return org;
}

const view = (k: ApiKeyInfo): ApiKey => ({
  id: k.keyId,
  org: k.org,
  name: k.name,
  scopes: k.scopes,
  created_at: k.created_at,
});

export function createKeyAdmin({ store }: { store: ApiKeyStore }) {
  return {
    async create(principal: Principal, input: ApiKeyCreate): Promise<ApiKeyCreated> {
      const org = targetOrg(principal, input.org);
      if (input.scopes.includes('operator') && !isOperator(principal))
        throw new HttpErrors.forbidden('Only the operator grants the operator scope');
      const created = await store.create({ org, scopes: input.scopes, name: input.name });
      return { ...view(created), key: created.key };
    },

    /** The keys of the caller's organization, or of the one it names (operator only); never the keys. */
    async list(principal: Principal, org?: string): Promise<ApiKey[]> {
      return (await store.list(targetOrg(principal, org))).map(view);
    },

    async revoke(principal: Principal, id: string): Promise<void> {
      const key = await store.get(id);
      if (!key) throw new HttpErrors.not_found(`No key ${id}`);
      targetOrg(principal, key.org);
      await store.revoke(id);
    },
  };
}

export type KeyAdmin = ReturnType<typeof createKeyAdmin>;
