// Redis Sentinel (a primary, a replica, 3 Sentinels, AOF on, started here): the whole check flow runs
// on the primary the Sentinels name, then that primary is killed under load and the replica promoted.
import t from 'tap';
import { checkFlowAndFailover } from './flow.js';
import { DETECT_MS, hasRedisTools, startSentinels } from './servers.js';

const skip = hasRedisTools() ? false : 'no redis-server on the PATH to start Sentinels with';

t.test(
  'Redis Sentinel: checks run, the primary dies mid-load, the replica is promoted, nothing lost',
  { skip },
  async (t) => {
    const s = await startSentinels(t);
    const figures = await checkFlowAndFailover(
      t,
      { REDIS_SENTINELS: s.sentinels, REDIS_SENTINEL_NAME: s.name },
      () => s.primary.kill(),
      true,
    );
    t.equal(await s.primaryPort(), s.replica.port, 'the Sentinels name the former replica as primary');
    t.comment(
      `${'sentinel'} failover (detection ${DETECT_MS} ms): ${figures.answers503} submissions answered 503, ` +
        `the last ${figures.last503Ms?.toFixed(0) ?? '-'} ms after the kill; accepted again from ` +
        `${figures.recoveredMs.toFixed(0)} ms; slowest answer ${figures.slowestMs.toFixed(0)} ms; ` +
        `${figures.accepted} checks accepted, all done`,
    );
  },
);
