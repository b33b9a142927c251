// Shared by the benchmarks: percentiles, a local image host, worker processes, result files.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { availableParallelism, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { crc32 } from 'node:zlib';

export const ROOT = resolve(import.meta.dirname, '..');
/**
 * The V8 flags production starts its processes with (package.json's start/api/worker, the Dockerfile,
 * compose.yaml): the benches start theirs the same way. --no-memory-reducer: see the README's "Processes
 * and V8".
 */
export const NODE_FLAGS = ['--no-memory-reducer'];

/** The photos the pipeline benchmarks check (test/fixtures/): cameras, phones, IPTC, C2PA, PNG, WebP. */
export const CORPUS = [
  'exif-samples/jpg/gps/DSCN0010.jpg',
  'exif-samples/jpg/Canon_40D.jpg',
  'exifr/door-knocker.jpg',
  'exifr/canon-dslr.jpg',
  'exifr/IMG_20180725_163423.jpg',
  'pdq/dih/bridge-1-original.jpg',
  'exifr/iptc-staff-photographer-example.jpg',
  'c2pa/CA.jpg',
  'c2pa/sample1.png',
  'c2pa/mars.webp',
];

export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] as number;
}

export function summarize(ms: number[]) {
  const s = [...ms].sort((a, b) => a - b);
  const r = (x: number) => Math.round(x * 10) / 10;
  return {
    n: s.length,
    p50: r(percentile(s, 50)),
    p95: r(percentile(s, 95)),
    p99: r(percentile(s, 99)),
    max: r(s.at(-1) ?? NaN),
  };
}

/** Serves the given buffers by path from memory, so disk reads do not pollute the figures. */
export async function serveBuffers(files: Map<string, Buffer>): Promise<{ server: Server; base: string }> {
  const server = createServer((req, res) => {
    const body = files.get(new URL(req.url ?? '/', 'http://x').pathname);
    if (!body) return res.writeHead(404).end();
    res
      .writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length })
      .end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** Starts `npm run worker`'s entry from the build (dist/), as production runs it. */
/** BENCH_CPU_PROF=<dir>: each worker process writes a V8 CPU profile there when it stops (open in Chrome DevTools). */
const CPU_PROF = process.env.BENCH_CPU_PROF;

export function startWorker(env: Record<string, string>): ChildProcess {
  const prof = CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${CPU_PROF}`] : [];
  const child = spawn(process.execPath, [...NODE_FLAGS, ...prof, 'dist/workers/main.js'], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return child;
}

export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

/** This process's CPU time so far (user + system, all its threads), in ms. */
export function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

export function writeResult(name: string, data: unknown): string {
  const dir = resolve(ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = resolve(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify(data, null, 2) + '\n');
  return file;
}

export const machine = () => ({
  node: process.version,
  cpus: availableParallelism(),
  load: loadavg(),
  date: new Date().toISOString(),
});

/** The same bytes with a JPEG comment or a PNG text chunk carrying `n`: another sha256, the same picture. */
export function distinct(bytes: Buffer, format: string, n: number): Buffer {
  const text = Buffer.from(`firstseen bench ${n}`);
  if (format === 'jpeg') {
    const com = Buffer.from([0xff, 0xfe, 0, 0]);
    com.writeUInt16BE(text.length + 2, 2);
    return Buffer.concat([bytes.subarray(0, 2), com, text, bytes.subarray(2)]);
  }
  if (format === 'png') {
    const data = Buffer.concat([Buffer.from('tEXt'), Buffer.from('Comment\0'), text]);
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length - 4);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(data));
    return Buffer.concat([bytes.subarray(0, 33), len, data, crc, bytes.subarray(33)]); // after IHDR
  }
  return bytes; // WebP: served as is; repeats are exact matches of the first
}
