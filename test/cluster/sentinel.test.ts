// Redis Sentinel (a primary, a replica, 3 Sentinels, AOF on, started here): the whole check flow runs
// on the primary the Sentinels name, then that primary is killed under load and the replica promoted.
import t from 'tap';
import { checkFlowAndFailover } from './flow.js';
import { DETECT_MS, hasRedisTools, startSentinels } from './servers.js';

const skip = hasRedisTools() ? false : 'no redis-server on the PATH to start Sentinels with';

t.test('Redis Sentinel: checks run, the primary dies mid-load, the replica is promoted, nothing lost', { skip }, async (t) => {
  const s = await startSentinels(t);
  const figures = await checkFlowAndFailover(
    t,
    { REDIS_SENTINELS: s.sentinels, REDIS_SENTINEL_NAME: s.name },
    () => s.primary.kill(),
  );
  t.equal(await s.primaryPort(), s.replica.port, 'the Sentinels name the former replica as primary');
  t.comment(
    `sentinel failover (down-after-milliseconds ${DETECT_MS} ms): 503 for ${figures.unavailableMs.toFixed(0)} ms ` +
      `(${figures.answers503} answers), first 202 ${figures.recoveredMs.toFixed(0)} ms after the kill; ` +
      `${figures.accepted} checks accepted, all done`,
  );
});
