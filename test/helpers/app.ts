// Builds the app exactly as production does (workers/index.ts buildService: src/server.ts buildServer with the workers), with a configuration of its own:
// a fresh key prefix per test so tests never see each other's data, and clean-up afterwards.
import { randomBytes } from 'node:crypto';
import type { Test } from 'tap';
import { loadConfig, type Config, type RedisTarget } from '../../src/config.js';
import { connectRedis, onEveryPrimary, waitReady } from '../../src/redis.js';
import { buildService } from '../../workers/index.js';

export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** The operator's admin key every test server starts with (BOOTSTRAP_API_KEY). */
export const TEST_KEY = 'fsk_test_bootstrap_key_0001';
export const AUTH = { authorization: `Bearer ${TEST_KEY}` };

export function testConfig(overrides: Record<string, string> = {}): Config {
  return loadConfig({
    REDIS_URL,
    KEY_PREFIX: `fstest_${process.pid}_${randomBytes(4).toString('hex')}`,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    FETCH_ALLOW_LOOPBACK: 'true',
    FETCH_TIMEOUT_MS: '5000',
    FETCH_CONNECT_TIMEOUT_MS: '2000',
    BOOTSTRAP_API_KEY: TEST_KEY,
    // Off by default in tests: a loaded CI machine must not turn test requests into 503s.
    MAX_EVENT_LOOP_DELAY_MS: '0',
    // Tests never touch a real archive; the tests of Wayback lookups point it at a local server.
    WAYBACK_ENABLED: 'false',
    // Nor X: a screenshot showing an X @handle would look its author up there. The tests of that lookup
    // serve it from a local world (test/pipeline/screenshot/author-feed.test.ts).
    X_TIMELINE_BASE_URL: '',
    // Archives are written only by the tests that read them, each to a directory of its own.
    ARCHIVE_ENABLED: 'false',
    // Test services analyze on the event loop: each service's pool threads would load the analysis
    // modules (and OpenCV) anew, where the event loop loads them once per test process; measured on
    // checks, tenancy and pages, threads cost 112 CPU s against 72. The pool is tested on its own
    // (test/pipeline/analyze/pool.test.ts: the same answers as here, failures, limits) and runs as
    // deployed in the process tests (test/faults/: workers started with the README's defaults).
    ANALYZE_THREADS: '1',
    ANALYZE_IN_THREADS: 'false',
    // Tests that read text check what is read; a tesseract run on a loaded 2-core machine took over the
    // 20 s default. The bound itself is tested with its own value (test/pipeline/ocr/hostile.test.ts).
    OCR_TIMEOUT_MS: '120000',
    ...overrides,
  });
}

/**
 * Deletes every key of a prefix: firstseen's own (`p:*`) and BullMQ's (`{p}:*`), on the test Redis or
 * the given target. On a cluster SCAN runs on every primary, and keys are deleted one by one (a DEL of
 * several keys must stay in one slot).
 */
export async function removePrefix(
  prefix: string,
  target: RedisTarget = { mode: 'single', url: REDIS_URL },
): Promise<void> {
  const redis = connectRedis(target, 'worker', { connectionName: 'firstseen-test-cleanup' });
  redis.on('error', () => undefined); // a test that killed a node: the clean-up does what it can
  try {
    if (!(await waitReady(redis, 10_000))) return;
    await onEveryPrimary(redis, async (node) => {
      for (const pattern of [`${prefix}:*`, `{${prefix}}:*`, `{${prefix}:*`]) {
        let cursor = '0';
        do {
          const [next, found] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
          cursor = next;
          if (found.length) await node.pipeline(found.map((key) => ['del', key])).exec();
        } while (cursor !== '0');
      }
    });
  } finally {
    redis.disconnect();
  }
}

export async function buildTestServer(t: Test, overrides: Record<string, string> = {}) {
  const config = testConfig(overrides);
  const app = await buildService(config);
  await app.ready();
  t.teardown(async () => {
    await app.close();
    await removePrefix(config.keyPrefix, config.redis);
  });
  return { app, config };
}

type Injectable = Awaited<ReturnType<typeof buildService>>;

/** Polls GET /v1/checks/:id until the check is done or failed. */
export async function waitForCheck(
  app: Injectable,
  id: string,
  timeoutMs = 90_000, // stops a test that would hang; a loaded CI machine takes seconds per check
  headers: Record<string, string> = AUTH,
) {
  const t0 = Date.now();
  for (;;) {
    const res = await app.inject({ method: 'GET', url: `/v1/checks/${id}`, headers });
    const body = res.json();
    if (body.status === 'done' || body.status === 'failed') return body;
    if (Date.now() - t0 > timeoutMs)
      throw new Error(`check ${id} still ${body.status} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function submit(app: Injectable, body: object, headers: Record<string, string> = {}) {
  return app.inject({ method: 'POST', url: '/v1/checks', payload: body, headers: { ...AUTH, ...headers } });
}

/** Creates a bank through the API and returns its id (throws unless the API answers 201). */
export async function createBank(
  app: Injectable,
  payload: { name: string; kind: string; shared?: boolean },
  headers: Record<string, string> = AUTH,
): Promise<string> {
  const res = await app.inject({ method: 'POST', url: '/v1/banks', headers, payload });
  if (res.statusCode !== 201) throw new Error(`bank not created: ${res.statusCode} ${res.body}`);
  return res.json<{ id: string }>().id;
}

/**
 * A key of organization `org` with `scopes`, made through the API by the bootstrap (operator) key or
 * `headers`; throws unless the API answers 201. Returns the headers that use it.
 */
export async function keyFor(
  app: Injectable,
  org: string,
  scopes: string[],
  headers: Record<string, string> = AUTH,
): Promise<Record<string, string>> {
  const res = await app.inject({
    method: 'POST',
    url: '/v1/admin/keys',
    headers,
    payload: { name: `${org} key`, org, scopes },
  });
  if (res.statusCode !== 201) throw new Error(`key for ${org}: ${res.statusCode} ${res.body}`);
  return { authorization: `Bearer ${res.json<{ key: string }>().key}` };
}

/** GET with the test admin key. */
export async function get(app: Injectable, url: string, headers: Record<string, string> = {}) {
  return app.inject({ method: 'GET', url, headers: { ...AUTH, ...headers } });
}
