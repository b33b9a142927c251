// Real Redis topologies of a test's own, on free local ports, their data in a temporary directory, all
// with `appendonly yes`: a Redis Cluster of 3 primaries and 3 replicas, and a primary with one replica
// watched by 3 Sentinels. Failure detection is set low (1 s) so that a failover takes a few seconds.
// Every process is SIGKILLed at the end of the test, also when it fails.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import type { Test } from 'tap';
import { redisServerArgs, until } from '../faults/processes.js';

/** Failure detection of both topologies (cluster-node-timeout, down-after-milliseconds). */
export const DETECT_MS = 1000;

export const hasRedisTools = () =>
  spawnSync('redis-server', ['--version']).status === 0 && spawnSync('redis-cli', ['--version']).status === 0;

async function canListen(port: number): Promise<boolean> {
  const s = createServer();
  return new Promise((resolve) => {
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/**
 * A free port whose cluster bus port (port + 10000) is free too: picked at random in 20000-29999
 * (the ephemeral range starts above, so port + 10000 stays a valid port).
 */
async function freeClusterPort(taken: Set<number>): Promise<number> {
  for (;;) {
    const port = 20000 + Math.floor(Math.random() * 10000);
    if (taken.has(port)) continue;
    if ((await canListen(port)) && (await canListen(port + 10000))) {
      taken.add(port);
      return port;
    }
  }
}

interface Server {
  port: number;
  child: ChildProcess;
  kill(): Promise<void>;
}

function startServer(t: Test, port: number, args: string[]): Server {
  const child = spawn('redis-server', args, { stdio: 'ignore' });
  const exited = new Promise((r) => child.once('exit', r));
  const kill = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGKILL');
    await exited;
  };
  t.teardown(kill);
  return { port, child, kill };
}

/** A connection for the test's own probing: fails at once instead of retrying. */
function probe(port: number): Redis {
  const r = new Redis({
    port,
    host: '127.0.0.1',
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  r.on('error', () => undefined);
  return r;
}

async function ask(port: number, ...command: [string, ...string[]]): Promise<unknown> {
  const r = probe(port);
  try {
    await r.connect();
    return await r.call(...command);
  } catch {
    return null;
  } finally {
    r.disconnect();
  }
}

/** A reply that is text (INFO, CLUSTER INFO); '' when the server does not answer. */
async function askText(port: number, ...command: [string, ...string[]]): Promise<string> {
  const reply = await ask(port, ...command);
  return typeof reply === 'string' ? reply : '';
}

function redisArgs(port: number, dir: string, extra: string[] = []): string[] {
  mkdirSync(dir, { recursive: true });
  return redisServerArgs(port, dir, extra);
}

function tempDir(t: Test, name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `firstseen-${name}-`));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export interface TestCluster {
  /** `host:port,...` of all six nodes, for REDIS_CLUSTER_NODES. */
  nodes: string;
  servers: Server[];
  /** The server that is primary for the slot of `key` now. */
  primaryOf(key: string): Promise<Server>;
  /** Whether every slot is served and the cluster state is ok, seen from each live node. */
  healthy(): Promise<boolean>;
}

/** A Redis Cluster of 3 primaries and 3 replicas (redis-cli --cluster create). */
export async function startCluster(t: Test): Promise<TestCluster> {
  const dir = tempDir(t, 'cluster');
  const taken = new Set<number>();
  const ports: number[] = [];
  for (let i = 0; i < 6; i++) ports.push(await freeClusterPort(taken));
  const servers = ports.map((port) =>
    startServer(
      t,
      port,
      redisArgs(port, join(dir, String(port)), [
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        'nodes.conf',
        '--cluster-node-timeout',
        String(DETECT_MS),
        // A replica may always take over (it is never "too stale" in a test that kills -9).
        '--cluster-replica-validity-factor',
        '0',
      ]),
    ),
  );
  for (const port of ports)
    await until(`cluster node ${port} answers`, async () => (await ask(port, 'PING')) === 'PONG', 10_000);
  const nodes = ports.map((p) => `127.0.0.1:${p}`);
  const created = spawnSync(
    'redis-cli',
    ['--cluster', 'create', ...nodes, '--cluster-replicas', '1', '--cluster-yes'],
    {
      encoding: 'utf8',
      timeout: 60_000,
    },
  );
  if (created.status !== 0)
    throw new Error(`redis-cli --cluster create failed: ${created.stdout}${created.stderr}`);

  const live = () => servers.filter((s) => s.child.exitCode === null && s.child.signalCode === null);
  const healthy = async () => {
    for (const s of live()) {
      const info = await askText(s.port, 'CLUSTER', 'INFO');
      if (!/cluster_state:ok/.test(info) || !/cluster_slots_ok:16384/.test(info)) return false;
    }
    return true;
  };
  // Ready when every node agrees the cluster is ok and every primary has a replica in sync.
  await until(
    'cluster ok with 3 replicas in sync',
    async () => {
      if (!(await healthy())) return false;
      let synced = 0;
      for (const s of servers) {
        const info = await askText(s.port, 'INFO', 'replication');
        if (/role:slave/.test(info) && /master_link_status:up/.test(info)) synced++;
      }
      return synced === 3;
    },
    30_000,
  );

  async function primaryOf(key: string): Promise<Server> {
    for (const s of live()) {
      const slot = Number(await ask(s.port, 'CLUSTER', 'KEYSLOT', key));
      const ranges = (await ask(s.port, 'CLUSTER', 'SLOTS')) as Array<
        [number, number, [string, number]]
      > | null;
      const owner = ranges?.find(([from, to]) => slot >= from && slot <= to)?.[2][1];
      const server = servers.find((x) => x.port === owner);
      if (server) return server;
    }
    throw new Error(`no primary found for ${key}`);
  }
  return { nodes: nodes.join(','), servers, primaryOf, healthy };
}

export interface TestSentinels {
  /** `host:port,...` of the 3 Sentinels, for REDIS_SENTINELS. */
  sentinels: string;
  name: string;
  primary: Server;
  replica: Server;
  /** The port the Sentinels name as primary now. */
  primaryPort(): Promise<number | null>;
}

/** A primary, one replica and 3 Sentinels (quorum 2) watching them. */
export async function startSentinels(t: Test): Promise<TestSentinels> {
  const dir = tempDir(t, 'sentinel');
  const name = 'fsprimary';
  const taken = new Set<number>();
  const port = () => freeClusterPort(taken);
  const pPort = await port();
  const rPort = await port();
  const primary = startServer(t, pPort, redisArgs(pPort, join(dir, 'primary')));
  await until('primary answers', async () => (await ask(pPort, 'PING')) === 'PONG', 10_000);
  const replica = startServer(
    t,
    rPort,
    redisArgs(rPort, join(dir, 'replica'), ['--replicaof', '127.0.0.1', String(pPort)]),
  );
  await until(
    'replica in sync',
    async () => /master_link_status:up/.test(await askText(rPort, 'INFO', 'replication')),
    15_000,
  );
  const sentinelPorts: number[] = [];
  for (let i = 0; i < 3; i++) {
    const sPort = await port();
    sentinelPorts.push(sPort);
    // Sentinel rewrites its configuration file: one file each, in the temporary directory.
    const conf = join(dir, `sentinel-${sPort}.conf`);
    writeFileSync(
      conf,
      [
        `port ${sPort}`,
        'bind 127.0.0.1',
        `dir ${dir}`,
        `sentinel monitor ${name} 127.0.0.1 ${pPort} 2`,
        `sentinel down-after-milliseconds ${name} ${DETECT_MS}`,
        `sentinel failover-timeout ${name} 10000`,
        `sentinel parallel-syncs ${name} 1`,
        '',
      ].join('\n'),
    );
    startServer(t, sPort, [conf, '--sentinel']);
  }
  // Ready when each Sentinel knows the replica and the two other Sentinels (else no failover quorum).
  await until(
    'sentinels know the replica and each other',
    async () => {
      for (const s of sentinelPorts) {
        const replicas = (await ask(s, 'SENTINEL', 'REPLICAS', name)) as unknown[] | null;
        const others = (await ask(s, 'SENTINEL', 'SENTINELS', name)) as unknown[] | null;
        if (replicas?.length !== 1 || others?.length !== 2) return false;
      }
      return true;
    },
    30_000,
  );
  async function primaryPort(): Promise<number | null> {
    const reply = (await ask(sentinelPorts[0] as number, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name)) as
      [string, string] | null;
    return reply ? Number(reply[1]) : null;
  }
  return {
    sentinels: sentinelPorts.map((p) => `127.0.0.1:${p}`).join(','),
    name,
    primary,
    replica,
    primaryPort,
  };
}
