// API keys: created by an admin, shown once, stored only as a SHA-256 digest (a leaked Redis dump does
// not leak usable keys; the keys are long random strings, so a fast hash is enough, unlike passwords).
import { createHash, randomBytes } from 'node:crypto';
import type { RedisClient } from '../redis.js';
import type { Keys } from '../keys.js';

export const SCOPES = ['submit', 'read', 'admin', 'operator'] as const;
export type Scope = (typeof SCOPES)[number];

/**
 * The operator's organization. Its admins run the deployment: they manage every organization's keys,
 * open the queue dashboard, read /metrics and publish shared banks (SECURITY.md).
 */
export const OPERATOR_ORG = 'default';

export interface Principal {
  keyId: string;
  org: string;
  scopes: Scope[];
  name: string;
}

export interface ApiKeyInfo extends Principal {
  created_at: string;
}

const digestOf = (key: string) => createHash('sha256').update(key).digest('hex');

/**
 * `admin` holds every scope of its own organization; `operator` (the deployment: dashboard, metrics, shared
 * banks, every organization's keys) is held by an `operator` key or by an admin of the operator's
 * organization, never by another organization's admin.
 */
export function hasScope(p: Principal, scope: Scope): boolean {
  if (scope === 'operator') return isOperator(p);
  return p.scopes.includes('admin') || p.scopes.includes(scope);
}

export function isOperator(p: Principal): boolean {
  return p.scopes.includes('operator') || (p.org === OPERATOR_ORG && p.scopes.includes('admin'));
}

export function createApiKeyStore(redis: RedisClient, keys: Keys) {
  async function save(key: string, info: ApiKeyInfo): Promise<void> {
    const digest = digestOf(key);
    await redis.hset(keys.apiKey(digest), {
      id: info.keyId,
      org: info.org,
      scopes: info.scopes.join(','),
      name: info.name,
      created_at: info.created_at,
    });
    await redis.set(keys.apiKeyById(info.keyId), digest);
    await redis.sadd(keys.orgApiKeys(info.org), info.keyId);
  }

  async function byId(id: string): Promise<ApiKeyInfo | null> {
    const digest = await redis.get(keys.apiKeyById(id));
    if (!digest) return null;
    return read(await redis.hgetall(keys.apiKey(digest)));
  }

  function read(h: Record<string, string>): ApiKeyInfo | null {
    if (!h.id || !h.org) return null;
    return {
      keyId: h.id,
      org: h.org,
      scopes: (h.scopes ?? '')
        .split(',')
        .filter((s): s is Scope => (SCOPES as readonly string[]).includes(s)),
      name: h.name ?? '',
      created_at: h.created_at ?? '',
    };
  }

  return {
    /** Creates a key; the returned `key` is the only time anyone sees it. */
    async create(input: {
      org: string;
      scopes: Scope[];
      name: string;
    }): Promise<ApiKeyInfo & { key: string }> {
      const keyId = `key_${randomBytes(6).toString('hex')}`;
      const key = `fsk_${randomBytes(24).toString('base64url')}`;
      const info = { keyId, ...input, created_at: new Date().toISOString() };
      await save(key, info);
      return { ...info, key };
    },

    /**
     * Makes BOOTSTRAP_API_KEY the one bootstrap key: registers it (idempotent: same key, same id) and
     * revokes every earlier bootstrap key, so changing the variable (or emptying it) and restarting
     * retires the old secret.
     */
    async syncBootstrap(key: string | null): Promise<{ revoked: string[] }> {
      const keyId = key ? `key_bootstrap_${digestOf(key).slice(0, 8)}` : null;
      const earlier = (await redis.smembers(keys.orgApiKeys(OPERATOR_ORG))).filter(
        (id) => id.startsWith('key_bootstrap_') && id !== keyId,
      );
      const revoked: string[] = [];
      for (const id of earlier) if (await this.revoke(id)) revoked.push(id);
      if (key && keyId && !(await byId(keyId))) {
        await save(key, {
          keyId,
          org: OPERATOR_ORG,
          scopes: ['admin'],
          name: 'bootstrap',
          created_at: new Date().toISOString(),
        });
      }
      return { revoked };
    },

    async verify(key: string): Promise<Principal | null> {
      if (key.length < 16 || key.length > 200) return null;
      return read(await redis.hgetall(keys.apiKey(digestOf(key))));
    },

    get: byId,

    async list(org: string): Promise<ApiKeyInfo[]> {
      const ids = await redis.smembers(keys.orgApiKeys(org));
      const infos = await Promise.all(ids.sort().map(byId));
      return infos.filter((i): i is ApiKeyInfo => i !== null);
    },

    async revoke(id: string): Promise<boolean> {
      const digest = await redis.get(keys.apiKeyById(id));
      if (!digest) return false;
      const info = read(await redis.hgetall(keys.apiKey(digest)));
      // One key per call: multi-key commands would cross slots on Redis Cluster.
      await redis.del(keys.apiKey(digest));
      await redis.del(keys.apiKeyById(id));
      if (info) await redis.srem(keys.orgApiKeys(info.org), id);
      return true;
    },
  };
}

export type ApiKeyStore = ReturnType<typeof createApiKeyStore>;
