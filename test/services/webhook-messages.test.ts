// An event's message (src/services/webhooks.ts): stored once, so that an event emitted again (a check re-run
// after a crash between storing its report and announcing it) is delivered with its first payload, the
// bytes its receivers may already have verified; and emitting one writes it without reading it first.
import { Redis } from 'ioredis';
import t from 'tap';
import { keys as keysOf } from '../../src/keys.js';
import { createWebhookStore } from '../../src/services/webhooks.js';
import { REDIS_URL, removePrefix, testConfig } from '../helpers/app.js';
import { countRedis } from '../helpers/redis-counter.js';

t.test('a message is stored once: emitted again, it keeps its first payload', async (t) => {
  const config = testConfig();
  const redis = new Redis(REDIS_URL);
  t.teardown(async () => {
    redis.disconnect();
    await removePrefix(config.keyPrefix, config.redis);
  });
  const store = createWebhookStore(redis, keysOf(config.keyPrefix), { maxSubscriptions: 10 });
  const msg = {
    id: 'msg_chk_1_completed',
    type: 'check.completed' as const,
    org: 'org_a',
    check_id: 'chk_1',
  };
  await redis.ping();
  const sent = countRedis(redis);
  t.teardown(() => sent.stop());
  await store.saveMessage({ ...msg, payload: '{"first":true}' });
  t.same([...sent.byName], [['SET', 1]], 'one write, no read before it');
  await store.saveMessage({ ...msg, payload: '{"first":false}' });
  t.equal((await store.message(msg.id))?.payload, '{"first":true}', 'the first payload stays');
  t.ok((await redis.ttl(keysOf(config.keyPrefix).webhookMessage(msg.id))) > 0, 'with its expiry');
});
