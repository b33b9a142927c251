// Batch CPU work below the event loop. A worker process's event loop renews its job locks, talks to Redis
// and (ROLE=all) answers the API; its analysis threads decode and hash. On a machine whose cores are all
// busy with analyses, Linux shares them out evenly between runnable threads, so the event loop waited its
// turn behind them: under `npm run bench` its p99 delay was 51-60 ms with every thread at the same
// priority. Analysis threads are therefore made "nicer" (a higher nice value, lower priority): the
// scheduler then runs the event loop as soon as it has work, and the threads take every cycle it leaves.
// Throughput is unchanged, as nothing else wants the CPU in between.
//
// Linux keeps a nice value per thread, and setpriority(2) given a thread id changes that thread alone
// (os.setPriority passes it through); /proc/thread-self names the calling thread's id. Raising one's own
// nice value needs no privilege. Elsewhere (no /proc/thread-self) nothing is changed.
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';

/** Highest nice value Linux has (lowest priority). */
export const MAX_NICE = 19;

/** The calling thread's id (Linux), or null where it cannot be read. */
export function threadId(): number | null {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    return Number.isInteger(tid) && tid > 0 ? tid : null;
  } catch {
    return null;
  }
}

/**
 * Gives the calling thread (only) the nice value `nice` (0-19; 0 leaves it as it is). True when it was
 * set.
 */
export function niceThisThread(nice: number): boolean {
  if (!(nice > 0)) return false;
  const tid = threadId();
  if (tid === null) return false;
  try {
    setPriority(tid, Math.min(MAX_NICE, Math.round(nice)));
    return true;
  } catch {
    return false;
  }
}
