import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import t from 'tap';
import { ConfigError, EnvSchema, loadConfig } from '../src/config.js';
import { HttpErrors, MEDIA_ERROR_CODES, RESOLVE_ERROR_CODES } from '../src/errors.js';
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

t.test('the README table lists every variable with its default', async (t) => {
  for (const name of Object.keys(EnvSchema.properties)) t.match(README, `| \`${name}\` |`, name);
  t.ok(README.includes(configTable()), 'README table equals `npx tsx scripts/config-table.ts`');
});

t.test('every error code is documented in the README', async (t) => {
  for (const code of [
    ...Object.keys(HttpErrors),
    ...Object.keys(MEDIA_ERROR_CODES),
    ...Object.keys(RESOLVE_ERROR_CODES),
  ]) {
    t.match(README, `| \`${code}\` |`, code);
  }
});

t.test('every signal code is documented in the README', async (t) => {
  for (const code of SIGNAL_CODES) t.match(README, `| \`${code}\` |`, code);
});
