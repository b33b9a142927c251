// The queues' BullMQ workers are made and closed here: made with a count of their jobs in progress, so
// that closing one can tell a close that waits for its jobs from a close that waits for nothing.
//
// Why: after a Redis Cluster failover, BullMQ (6.7) can wait for ever in the close of an idle worker. Its
// close disconnects the worker's blocking connection and waits for that client's 'end' event; an ioredis
// (5.11) Cluster client that BullMQ reconnected during the failover (a disconnect and a connect in one
// go) can be left without its close handler, so a later disconnect takes it to status 'close' with no
// node left and never to 'end'. Seen in test/cluster/cluster.test.ts (6 December 2026): with BullMQ's
// close called directly, the idle `views` (or `webhooks`) worker never closed in 6 of 7 runs, its
// blocking client in status 'close' with 0 nodes for the whole 30 s, and SIGTERM ended in the shutdown
// timeout's exit 1. With closeWorker below, 8 runs of 8 stopped with exit 0 and none of them needed to
// leave a close (the hang itself did not occur: why the changed timing avoids it is not understood); the
// bound below holds whether it occurs or not, and test/workers/bullmq-worker.test.ts holds the bound.
import { Worker, type Job, type Processor, type WorkerOptions } from 'bullmq';
import type { Logger } from '../src/logger.js';

/** How long a close may go on once no job of its worker is in progress (a normal one takes ~50 ms). */
export const CLOSE_GRACE_MS = 2000;
const POLL_MS = 100;

const inProgress = new WeakMap<object, () => number>();

/** A BullMQ worker whose processor calls not yet settled are counted (see closeWorker). */
export function createWorker<T>(name: string, processor: Processor<T>, opts: WorkerOptions): Worker<T> {
  let running = 0;
  // Two parameters, as our processors have: BullMQ gives a processor that declares a third an abort
  // signal per job (Function.length), which ours do not read.
  const counted = async (job: Job<T>, token?: string) => {
    running++;
    try {
      return (await processor(job, token)) as unknown;
    } finally {
      running--;
    }
  };
  const worker = new Worker<T>(name, counted, opts);
  inProgress.set(worker, () => running);
  return worker;
}

/** Jobs of `worker` in progress in this process (0 for a worker not made by createWorker). */
export function jobsInProgress(worker: object): number {
  return inProgress.get(worker)?.() ?? 0;
}

export interface Closable {
  name: string;
  close(): Promise<void>;
}

/**
 * Closes a worker as BullMQ does (its jobs in progress finish, then its connections close), but stops
 * waiting `graceMs` after its last job in progress ended (see the top of this file): then nothing of the
 * worker runs any more, its jobs' results are written (BullMQ does that within milliseconds of the
 * processor's end), and the process can exit. A job whose result was not written after all is taken up
 * again by another worker once its lock expires, as after a crash. 'abandoned' is logged as a warning.
 */
export async function closeWorker(
  worker: Closable,
  log: Pick<Logger, 'warn'>,
  graceMs = CLOSE_GRACE_MS,
  active: () => number = () => jobsInProgress(worker),
): Promise<'closed' | 'abandoned'> {
  // A close that fails has nothing more to wait for: BullMQ reports its errors as 'error' events.
  const closing = worker.close().then(
    () => 'closed' as const,
    () => 'closed' as const,
  );
  let idleSince: number | null = null;
  for (;;) {
    let timer: NodeJS.Timeout | undefined;
    const tick = new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), Math.min(POLL_MS, graceMs));
    });
    const done = await Promise.race([closing, tick]);
    clearTimeout(timer);
    if (done) return done;
    if (active() > 0) {
      idleSince = null;
      continue;
    }
    idleSince ??= Date.now();
    if (Date.now() - idleSince >= graceMs) {
      log.warn(
        { queue: worker.name, grace_ms: graceMs },
        'worker close still waiting on its Redis connection with no job in progress; left to the exit',
      );
      return 'abandoned';
    }
  }
}
