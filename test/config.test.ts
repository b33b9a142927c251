import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import t from 'tap';
import { Value } from 'typebox/value';
import { ConfigError, EnvSchema, configFromEnv, loadConfig, type Env } from '../src/config.js';
import { HttpErrors, MEDIA_ERROR_CODES, OCR_ERROR_CODES, RESOLVE_ERROR_CODES } from '../src/errors.js';
import { SIGNAL_CODES } from '../schemas/provenance.js';
import { configTable } from '../scripts/config-table.js';

const README = readFileSync(resolve(import.meta.dirname, '..', 'README.md'), 'utf8');

t.test('defaults are usable as they are', async (t) => {
  const c = loadConfig({});
  t.equal(c.port, 3000);
  t.equal(c.role, 'all');
  t.equal(c.fetch.allowLoopback, false, 'loopback is refused unless asked for');
  t.equal(c.queuePrefix, '{fs}', 'BullMQ prefix is a cluster hash tag');
});

t.test('values are converted and validated', async (t) => {
  const c = loadConfig({
    PORT: '8080',
    FETCH_ALLOW_LOOPBACK: 'true',
    FETCH_ALLOWED_NETWORKS: '10.1.0.0/16, 192.168.5.0/24',
  });
  t.equal(c.port, 8080);
  t.equal(c.fetch.allowLoopback, true);
  t.same(c.fetch.allowedNetworks, ['10.1.0.0/16', '192.168.5.0/24']);
  t.throws(() => loadConfig({ PORT: 'eighty' }), ConfigError);
  t.throws(() => loadConfig({ WORKER_CONCURRENCY: '0' }), /WORKER_CONCURRENCY/);
  t.throws(() => loadConfig({ ROLE: 'everything' }), /ROLE/);
  t.throws(() => loadConfig({ KEY_PREFIX: 'a b' }), /KEY_PREFIX/);
});

t.test('Redis: one server, a cluster or Sentinels, named once', async (t) => {
  t.same(loadConfig({}).redis, { mode: 'single', url: 'redis://127.0.0.1:6379' });
  t.same(
    loadConfig({
      REDIS_CLUSTER_NODES: ' 10.0.0.1:7000, [::1]:7001 ,redis-2:7002',
      REDIS_URL: 'redis://app:s%40cret@ignored:1',
    }).redis,
    {
      mode: 'cluster',
      nodes: [
        { host: '10.0.0.1', port: 7000 },
        { host: '::1', port: 7001 },
        { host: 'redis-2', port: 7002 },
      ],
      username: 'app',
      password: 's@cret',
    },
  );
  t.same(
    loadConfig({
      REDIS_SENTINELS: 'a:26379,b:26379',
      REDIS_SENTINEL_NAME: 'fs',
      REDIS_URL: 'redis://:pw@x/3',
    }).redis,
    {
      mode: 'sentinel',
      sentinels: [
        { host: 'a', port: 26379 },
        { host: 'b', port: 26379 },
      ],
      name: 'fs',
      password: 'pw',
      db: 3,
    },
  );
  t.throws(() => loadConfig({ REDIS_CLUSTER_NODES: 'a:1', REDIS_SENTINELS: 'b:2' }), /not both/);
  t.throws(() => loadConfig({ REDIS_CLUSTER_NODES: 'a' }), /REDIS_CLUSTER_NODES: "a" is not host:port/);
  t.throws(() => loadConfig({ REDIS_SENTINELS: 'a:70000' }), /REDIS_SENTINELS/);
});

t.test('every variable of the env schema is read into the config', async (t) => {
  // The Config type is inferred from configFromEnv, so the env schema is the one list of settings as
  // long as nothing in it is left unread.
  const env = Value.Default(EnvSchema, {}) as Env;
  const read = new Set<string>();
  configFromEnv(
    new Proxy(env, {
      get(target, key, receiver) {
        if (typeof key === 'string') read.add(key);
        return Reflect.get(target, key, receiver) as unknown;
      },
    }),
  );
  t.same(
    Object.keys(EnvSchema.properties).filter((name) => !read.has(name)),
    [],
    'no variable is declared and left unused',
  );
});

t.test('the README table lists every variable with its default', async (t) => {
  for (const name of Object.keys(EnvSchema.properties)) t.match(README, `| \`${name}\` |`, name);
  t.ok(README.includes(configTable()), 'README table equals `npx tsx scripts/config-table.ts`');
});

t.test('every error code is documented in the README', async (t) => {
  for (const code of [
    ...Object.keys(HttpErrors),
    ...Object.keys(MEDIA_ERROR_CODES),
    ...Object.keys(RESOLVE_ERROR_CODES),
    ...Object.keys(OCR_ERROR_CODES),
  ]) {
    t.match(README, `| \`${code}\` |`, code);
  }
});

t.test('every signal code is documented in the README', async (t) => {
  for (const code of SIGNAL_CODES) t.match(README, `| \`${code}\` |`, code);
});
