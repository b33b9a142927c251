// Redis Cluster (3 primaries, 3 replicas, AOF on, started here): the whole check flow runs on it, then
// the primary holding the queue's slot is killed under load and its replica takes over.
import t from 'tap';
import { checkFlowAndFailover } from './flow.js';
import { DETECT_MS, hasRedisTools, startCluster } from './servers.js';

const skip = hasRedisTools() ? false : 'no redis-server / redis-cli on the PATH to start a cluster with';

t.test('Redis Cluster: checks run, a primary dies mid-load, its replica takes over, nothing lost', { skip }, async (t) => {
  const cluster = await startCluster(t);
  const figures = await checkFlowAndFailover(t, { REDIS_CLUSTER_NODES: cluster.nodes }, async (queuePrefix) => {
    const primary = await cluster.primaryOf(queuePrefix);
    await primary.kill();
  });
  t.ok(await cluster.healthy(), 'the cluster is whole again (a replica was promoted)');
  t.comment(
    `cluster failover (cluster-node-timeout ${DETECT_MS} ms): 503 for ${figures.unavailableMs.toFixed(0)} ms ` +
      `(${figures.answers503} answers), first 202 ${figures.recoveredMs.toFixed(0)} ms after the kill; ` +
      `${figures.accepted} checks accepted, all done`,
  );
});
