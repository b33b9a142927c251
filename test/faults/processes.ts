// Processes the fault tests kill: worker processes (as `npm run worker` runs them, from the sources
// through tsx) and a Redis server of the test's own, so that killing it never touches the shared one.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Redis } from 'ioredis';
import type { Test } from 'tap';

export const ROOT = resolve(import.meta.dirname, '..', '..');

export interface WorkerProcess {
  child: ChildProcess;
  /** What the worker wrote on stderr (crashes and warnings), for failure messages. */
  stderr(): string;
  exited: Promise<number | null>;
}

/** A worker process; SIGKILLed at the end of the test if it is still running. */
export function startWorkerProcess(t: Test, env: Record<string, string>): WorkerProcess {
  const child = spawn(process.execPath, ['--import=tsx', 'workers/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr?.on('data', (c: Buffer) => {
    err = (err + c.toString()).slice(-20_000);
  });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  t.teardown(() => void child.kill('SIGKILL'));
  return { child, stderr: () => err, exited };
}

export async function killHard(p: WorkerProcess): Promise<void> {
  p.child.kill('SIGKILL');
  await p.exited;
}

export async function stopGently(p: WorkerProcess): Promise<number | null> {
  if (p.child.exitCode !== null) return p.child.exitCode;
  p.child.kill('SIGTERM');
  return p.exited;
}

export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as { port: number };
  await new Promise((r) => s.close(r));
  return port;
}

import { sleep, until } from '../helpers/until.js';

export { sleep, until };

/** Whether a redis-server binary is on the PATH (CI installs one; a Redis in a container has none). */
export const hasRedisServer = () => spawnSync('redis-server', ['--version']).status === 0;

/**
 * A redis-server of the test's own, on a free port, its data in a temporary directory, with
 * `appendonly yes` as the README recommends for production. `kill()` is kill -9; `start()` again
 * replays the append-only file from the same directory, as a restarted production Redis would.
 */
/** A redis-server of the tests' own on 127.0.0.1:`port`: AOF on, no snapshots, `noeviction` (as in production). */
export function redisServerArgs(port: number, dir: string, extra: string[] = []): string[] {
  return [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--appendonly',
    'yes',
    '--save',
    '',
    '--maxmemory-policy',
    'noeviction',
    ...extra,
  ];
}

export async function startOwnRedis(t: Test) {
  const dir = mkdtempSync(join(tmpdir(), 'firstseen-redis-'));
  const port = await freePort();
  let child: ChildProcess | null = null;
  const url = `redis://127.0.0.1:${port}`;

  async function start() {
    child = spawn('redis-server', redisServerArgs(port, dir), { stdio: 'ignore' });
    const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on('error', () => undefined); // refused until the server listens: expected here
    try {
      await until(
        'own redis-server answers',
        async () => {
          try {
            if (probe.status !== 'ready') await probe.connect();
            return (await probe.ping()) === 'PONG';
          } catch {
            probe.disconnect();
            return false;
          }
        },
        10_000,
      );
    } finally {
      probe.disconnect();
    }
  }

  async function kill() {
    const c = child;
    if (!c || c.exitCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGKILL');
    await exited;
  }

  await start();
  t.teardown(async () => {
    await kill();
    rmSync(dir, { recursive: true, force: true });
  });
  return { url, port, dir, start, kill };
}
