// Redis Cluster (3 primaries, 3 replicas, AOF on, started here): the whole check flow runs on it, then
// the primary holding the queue's slot is killed under load and its replica takes over.
import t from 'tap';
import { checkFlowAndFailover } from './flow.js';
import { DETECT_MS, hasRedisTools, startCluster } from './servers.js';

const skip = hasRedisTools() ? false : 'no redis-server / redis-cli on the PATH to start a cluster with';

t.test(
  'Redis Cluster: checks run, a primary dies mid-load, its replica takes over, nothing lost',
  { skip },
  async (t) => {
    const cluster = await startCluster(t);
    const figures = await checkFlowAndFailover(
      t,
      { REDIS_CLUSTER_NODES: cluster.nodes },
      async (queuePrefix) => {
        const primary = await cluster.primaryOf(queuePrefix);
        await primary.kill();
      },
      false,
    );
    t.ok(await cluster.healthy(), 'the cluster is whole again (a replica was promoted)');
    t.comment(
      `${'cluster'} failover (detection ${DETECT_MS} ms): ${figures.answers503} submissions answered 503, ` +
        `the last ${figures.last503Ms?.toFixed(0) ?? '-'} ms after the kill; accepted again from ` +
        `${figures.recoveredMs.toFixed(0)} ms; slowest answer ${figures.slowestMs.toFixed(0)} ms; ` +
        `${figures.accepted} checks accepted, all done`,
    );
  },
);
