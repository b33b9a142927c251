// Worker threads for a bulk build of the multi-indexes (a process's start-up load, or a reload): each
// segment's bucket table is independent of the others (mih-build.ts), so with the hashes, the entry list
// and the tables on SharedArrayBuffers, the segments are shared out among threads and built at once.
// Measured on the 2-core benchmark VM (bench/index-start-snapshot.ts): the build is most of a start's
// CPU (PDQ's 12 segments and pHash's 4, five passes over the entries each). The threads live only for
// one load: started when a large bulk build begins, ended when the load is done.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { BuildMessage, BuildReply } from './build-thread.js';
import type { SegmentTask } from './mih-build.js';

/** The shared arrays of one level's build. */
export interface SharedLevel {
  hashes: Uint32Array;
  words: number;
  entries: Uint32Array;
  offsets: Uint32Array;
  postings: Uint32Array;
}

// From the build (dist/, plain node) the thread is build-thread.js next to this file. Under tsx (tests,
// scripts) it must register tsx itself before importing build-thread.ts: Node 20 does not run the
// process's --import flags in worker threads (as decode.ts does for its HEIC thread).
const RUNNING_TS = import.meta.url.endsWith('.ts');
const THREAD_URL = new URL(RUNNING_TS ? './build-thread.ts' : './build-thread.js', import.meta.url);

function newThread(): Worker {
  if (!RUNNING_TS) return new Worker(THREAD_URL);
  const tsx = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  const bootstrap = `import(${tsx}).then((tsx) => { tsx.register(); return import(${JSON.stringify(THREAD_URL.href)}); });`;
  return new Worker(bootstrap, { eval: true });
}

/** Threads a build uses for `configured` (INDEX_BUILD_THREADS; 0: one per core, at most 4). */
export function buildThreadCount(configured: number): number {
  return configured > 0 ? configured : Math.min(4, availableParallelism());
}

export class BuildPool {
  private threads: Worker[] = [];
  private closed = false;

  constructor(readonly size: number) {}

  /** Builds `tasks` into the level's shared arrays; rejects if a thread fails (the caller builds alone). */
  run(level: SharedLevel, tasks: SegmentTask[]): Promise<void> {
    if (this.closed) return Promise.reject(new Error('build pool closed'));
    // Nothing to send: no thread would answer, so nothing would settle the promise below.
    if (tasks.length === 0) return Promise.resolve();
    while (this.threads.length < Math.min(this.size, tasks.length)) this.threads.push(newThread());
    const queue = [...tasks];
    let id = 0;
    let pending = 0;
    return new Promise<void>((resolve, reject) => {
      let failed = false;
      const cleanups: (() => void)[] = [];
      const fail = (err: Error) => {
        if (failed) return;
        failed = true;
        for (const c of cleanups) c();
        this.close();
        reject(err);
      };
      const send = (thread: Worker) => {
        const task = queue.shift();
        if (!task) return;
        pending++;
        thread.postMessage({ id: id++, task, ...level } satisfies BuildMessage);
      };
      for (const thread of this.threads) {
        const onMessage = (reply: BuildReply) => {
          pending--;
          if (!reply.ok) return fail(new Error(`index build thread: ${reply.error}`));
          if (queue.length > 0) return send(thread);
          if (pending === 0 && !failed) {
            for (const c of cleanups) c();
            resolve();
          }
        };
        const onError = (err: Error) => fail(err);
        const onExit = (code: number) => fail(new Error(`index build thread exited (${code})`));
        thread.on('message', onMessage);
        thread.on('error', onError);
        thread.on('exit', onExit);
        cleanups.push(() => {
          thread.off('message', onMessage);
          thread.off('error', onError);
          thread.off('exit', onExit);
        });
        send(thread);
      }
    });
  }

  /** Ends the threads (their scratch goes with them). */
  close(): void {
    this.closed = true;
    for (const t of this.threads) void t.terminate();
    this.threads = [];
  }
}
