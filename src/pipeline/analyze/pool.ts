// The analysis thread pool: a process's CPU-bound image work (decoding, hashes, content region, ORB
// features and their geometric checks, Content Credentials) runs in worker threads (piscina), so the event
// loop keeps serving the API, renewing job locks and talking to Redis while images are analyzed. One pool
// per process, built at start-up (workers/context.ts, or shared with the API when ROLE=all) and closed on
// shutdown. Its methods have the signatures of the in-process functions they replace (analyzeImage,
// hashImage's hashing, the feature index's verifier), so callers and tests can use either.
//
// Bounds: ANALYZE_QUEUE tasks wait at most (one more fails with `analysis_busy`), each runs at most
// ANALYZE_TIMEOUT_MS (then its thread is stopped), and a thread that dies (a crash in a decoder, wasm
// running out of memory) is replaced by piscina; the task it ran fails with `analysis_failed` and the
// worker process carries on.
import { createHash } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import type { Worker } from 'node:worker_threads';
import { Piscina } from 'piscina';
// sharp's native library must be loaded by the main thread before threads use it (sharp's documentation,
// "worker threads"): it then stays loaded when a thread exits.
import 'sharp';
import type { Hashes } from '../../../schemas/hashes.js';
import { MediaError } from '../../errors.js';
import { copyBytes } from '../../bytes.js';
import type { FeatureOptions, ImageFeatures } from '../../similarity/features/orb.js';
import type { FeatureVerifier } from '../../similarity/features/verify.js';
import type { Analysis, AnalyzeOptions } from './index.js';
import type { ThreadData, ThreadError, ThreadResult, ThreadTask } from './thread.js';
import type { ForensicViewImages, OwnViewsInput } from './views.js';

export interface AnalysisPoolOptions {
  threads: number;
  maxQueue: number;
  timeoutMs: number;
  /**
   * Keep every thread from its first task to close (a worker: OpenCV loads once per thread). False: a
   * thread ends after a minute idle (the API alone, which only hashes the odd bank entry). Threads start
   * on demand either way: a process that analyzes nothing pays nothing.
   */
  keepAlive?: boolean;
  /**
   * Start every thread now, not on the first tasks: a worker process loads the analysis modules while it
   * starts, not during its first check. (The API with ROLE=all starts them on demand: tests build many.)
   */
  eager?: boolean;
  /**
   * The threads' nice value (ANALYZE_NICE, 0-19; 0 or absent: the event loop's priority): the scheduler
   * runs the process's event loop before them when both want a core (src/thread-priority.ts).
   */
  nice?: number;
  /**
   * V8's initial old-space size (MB) for the threads this pool starts (ANALYZE_HEAP_MB; 0 or absent: V8's
   * own). See initialHeap below.
   */
  initialHeapMb?: number;
}

export interface AnalysisPool {
  /** analyzeImage (index.ts) in a thread. */
  analyze: (
    bytes: Buffer,
    probe: { mime: string; format: string },
    opts: AnalyzeOptions,
  ) => Promise<Analysis>;
  /** The hashes of an image's one decode (decodeForHashing + computeHashes) in a thread. */
  hash: (bytes: Buffer, maxPixels: number) => Promise<Hashes>;
  /** The same, and the picture's local features when `features` is given (hashImage's HashFn). */
  hashAndFeatures: (
    bytes: Buffer,
    maxPixels: number,
    features: FeatureOptions | null,
  ) => Promise<{ hashes: Hashes; features?: ImageFeatures }>;
  /** The feature index's geometric checks in a thread. */
  verify: FeatureVerifier;
  /** forensicViews (views.ts) of a file's bytes in a thread, decoding them itself. */
  views: (bytes: Buffer, input: OwnViewsInput) => Promise<ForensicViewImages>;
  readonly threads: number;
  /**
   * Tasks waiting for a thread, threads running now, threads started since the pool was made
   * (replacements included), tasks completed.
   */
  stats(): { queued: number; running: number; threadsStarted: number; completed: number };
  /** The threads running now (what a test stops to see a crash recovered). */
  workers(): readonly Worker[];
  /** Lets running tasks finish, then ends the threads. */
  close(): Promise<void>;
}

// From the build (dist/, plain node) the thread is thread.js next to this file. Under tsx (tests, scripts,
// benchmarks) this module is pool.ts, and a thread must register tsx itself before importing thread.ts:
// Node 20 does not run the process's --import flags in worker threads, and piscina's thread loads its task
// module from a file (no `eval` as heic-thread's decode.ts uses). That file is a four-line bootstrap written
// to the temporary directory once per process (never in dist/: production does not need it).
const RUNNING_TS = import.meta.url.endsWith('.ts');
const THREAD_URL = new URL(RUNNING_TS ? './thread.ts' : './thread.js', import.meta.url);

function threadFile(): string {
  if (!RUNNING_TS) return fileURLToPath(THREAD_URL);
  const tsx = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  const source = [
    `const tsx = await import(${tsx});`,
    'tsx.register();',
    `const thread = await import(${JSON.stringify(THREAD_URL.href)});`,
    'export default thread.default;',
  ].join('\n');
  const dir = join(tmpdir(), 'firstseen-threads');
  mkdirSync(dir, { recursive: true });
  // Named by its content: every process of one checkout shares the file; written whole, then renamed, so
  // a thread never reads half of it.
  const file = join(dir, `analysis-${createHash('sha256').update(source).digest('hex').slice(0, 16)}.mjs`);
  const partial = `${file}.${process.pid}.tmp`;
  writeFileSync(partial, source);
  renameSync(partial, file);
  return file;
}

const mediaError = (e: ThreadError) =>
  new MediaError(
    e.code,
    e.message || undefined,
    e.httpStatus === undefined ? {} : { httpStatus: e.httpStatus },
  );

const asBuffer = (v: Uint8Array) => Buffer.from(v.buffer, v.byteOffset, v.byteLength);

/**
 * The views' WebP bytes come back from a thread as Uint8Arrays; the view store writes Buffers (ioredis
 * would write any other array as its text).
 */
function viewBuffers(views: ForensicViewImages): ForensicViewImages {
  return {
    ...views,
    ...(views.ela && { ela: { ...views.ela, webp: asBuffer(views.ela.webp) } }),
    ...(views.noise && { noise: { ...views.noise, webp: asBuffer(views.noise.webp) } }),
  };
}

/**
 * The bytes as the thread gets them: shared memory (a download, `sharedConcat`) as it is, read in place;
 * other bytes in an ArrayBuffer of their own (one copy), transferred.
 */
function forThread(bytes: Uint8Array): { bytes: Uint8Array; transfer: ArrayBuffer[] } {
  if (bytes.buffer instanceof SharedArrayBuffer) return { bytes, transfer: [] };
  const copy = copyBytes(bytes);
  return { bytes: copy, transfer: [copy.buffer] };
}

/** Features whose arrays own their buffers: a view into a larger buffer would clone all of it. */
function compact(f: ImageFeatures): ImageFeatures {
  const own = (v: ArrayBufferView) => v.byteOffset === 0 && v.byteLength === v.buffer.byteLength;
  if (own(f.points) && own(f.descriptors)) return f;
  return { ...f, points: f.points.slice(), descriptors: f.descriptors.slice() };
}

/**
 * The initial old-space size of isolates started from now on: the pool's threads. V8 reads its heap flags
 * when an isolate is created, so a flag set here reaches threads started later and leaves the running ones
 * (the event loop's) as they are; a worker's execArgv cannot carry V8 flags. Why: V8 gives a new heap a
 * small first limit (~20 MB here), and an analysis leaves ~1.7 MB of buffers (its pixels' copy for the
 * asking thread, the grey copy, the features) to collect, so a thread ran a full mark-compact every ~6-10
 * images, its marking on V8's platform threads: 2.5-5 CPU ms per 12 MP photo above what the decode alone
 * leaves there. At 64 MB: 0.8-2.7 ms, one mark-compact in ~80 analyses instead of 8; 0.4-1.1 with the
 * flag for the whole process on the command line (bench:analyze-threads, --trace-gc; 32 MB changed nothing,
 * 128 no better). A thread that also holds OpenCV.js and the HEIC decoder, as a running worker's does,
 * went back to 2.0-4.1 ms at 64 MB and 0.2-0.9 at 256, the default since (same peak RSS within 30 MB).
 */
function initialHeap(mb: number | undefined): void {
  if (mb && mb > 0) setFlagsFromString(`--initial-old-space-size=${Math.floor(mb)}`);
}

export function createAnalysisPool(o: AnalysisPoolOptions): AnalysisPool {
  const keepAlive = o.keepAlive ?? true;
  initialHeap(o.initialHeapMb);
  const pool = new Piscina<ThreadTask, ThreadResult>({
    filename: threadFile(),
    minThreads: o.eager ? o.threads : 0,
    maxThreads: o.threads,
    idleTimeout: keepAlive ? Infinity : 60_000,
    maxQueue: o.maxQueue,
    workerData: { nice: o.nice ?? 0 } satisfies ThreadData,
  });
  let threadsStarted = 0;
  pool.on('workerCreate', () => threadsStarted++);
  // A thread's uncaught error is reported to the task it ran (below); this keeps piscina's 'error' event,
  // emitted when no task was running, from ending the process.
  pool.on('error', () => {});

  let closed = false;

  async function run(task: ThreadTask, transfer: ArrayBuffer[]): Promise<ThreadResult> {
    if (closed) throw new Error('The analysis pool is closed');
    if (pool.queueSize >= o.maxQueue) throw new MediaError('analysis_busy');
    try {
      return await pool.run(task, { transferList: transfer, signal: AbortSignal.timeout(o.timeoutMs) });
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (message === 'Task queue is at limit') throw new MediaError('analysis_busy');
      // The thread died (or was stopped at the time limit); piscina starts another for the next task.
      const timedOut = err instanceof Error && err.name === 'AbortError';
      throw new MediaError(
        'analysis_failed',
        timedOut
          ? `The analysis did not finish within ${o.timeoutMs} ms (waiting for a thread included); stopped`
          : `The analysis thread failed (${message.split('\n')[0]?.slice(0, 200)})`,
        { cause: err },
      );
    }
  }

  const hashAndFeatures: AnalysisPool['hashAndFeatures'] = async (bytes, maxPixels, features) => {
    const given = forThread(bytes);
    const result = await run({ kind: 'hash', bytes: given.bytes, maxPixels, features }, given.transfer);
    if (result.kind !== 'hash') throw new Error(`analysis thread answered ${result.kind}`);
    if ('error' in result) throw mediaError(result.error);
    return { hashes: result.hashes, ...(result.features && { features: result.features }) };
  };

  return {
    threads: o.threads,

    async analyze(bytes, probe, opts) {
      const given = forThread(bytes);
      const result = await run(
        { kind: 'analyze', bytes: given.bytes, probe: { mime: probe.mime, format: probe.format }, opts },
        given.transfer,
      );
      if (result.kind !== 'analyze') throw new Error(`analysis thread answered ${result.kind}`);
      const { error, pixels, views, ...rest } = result.analysis;
      return {
        ...rest,
        ...(views && { views: viewBuffers(views) }),
        // Moved back as a Uint8Array's buffer: the callers (thumbnails) expect a Buffer.
        ...(pixels && {
          pixels: {
            ...pixels,
            data: asBuffer(pixels.data),
          },
        }),
        ...(error && { error: mediaError(error) }),
      };
    },

    // Callers pass these methods on as plain functions (hashImage's HashFn): no `this`.
    hash: async (bytes, maxPixels) => (await hashAndFeatures(bytes, maxPixels, null)).hashes,
    hashAndFeatures,

    async views(bytes, input) {
      const given = forThread(bytes);
      const result = await run({ kind: 'views', bytes: given.bytes, input }, given.transfer);
      if (result.kind !== 'views') throw new Error(`analysis thread answered ${result.kind}`);
      return viewBuffers(result.views);
    },

    async verify(query, candidates, opts) {
      // Features are a few kilobytes each: copied (structured clone), so the index keeps its own.
      const result = await run(
        { kind: 'verify', query: compact(query), candidates: candidates.map(compact), opts },
        [],
      );
      if (result.kind !== 'verify') throw new Error(`analysis thread answered ${result.kind}`);
      return result.verified;
    },

    stats: () => ({
      queued: pool.queueSize,
      running: pool.threads.length,
      threadsStarted,
      completed: pool.completed,
    }),
    workers: () => pool.threads,

    async close() {
      closed = true;
      await pool.close();
    },
  };
}
