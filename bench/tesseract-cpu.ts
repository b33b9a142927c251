// CPU time of tesseract as the OCR benches count it (bench:ocr, bench:ocr-checks): the commands this
// process ran and waited for (its cutime + cstime, in clock ticks of 1/100 s) and the tess-serve processes
// running now (their threads' schedstat, in nanoseconds), each remembered at its last reading (one that
// ended is counted in cutime once reaped; until then its last figure stands).
import { readdirSync, readFileSync } from 'node:fs';
import { serverPids } from '../src/pipeline/ocr/engine.js';

export const TICK = 100; // USER_HZ

/** Fields of /proc/<pid>/stat after the command name (field 3 is index 0: utime 11, stime 12, cutime 13, cstime 14). */
export function procStat(pid: string): number[] {
  const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return s
    .slice(s.lastIndexOf(')') + 2)
    .split(' ')
    .map(Number);
}

/** Tesseract's CPU seconds so far; `self` is this process's procStat when the caller has read it. */
export function tesseractSeconds(self = procStat('self')): number {
  return tesseractMs(self) / 1000;
}

/** tess-serve processes' CPU ns so far (all their threads), by pid. */
const servedNs = new Map<number, number>();

/**
 * Tesseract's CPU milliseconds so far: the tess-serve processes this process started that the engine
 * lists as alive, from /proc/<pid>/task/<tid>/schedstat (nanoseconds on the CPU), each remembered at its
 * last reading, plus the commands this process ran and reaped (cutime + cstime, in ticks). A process that
 * ended drops out of the sum and its time comes back, in ticks, in cutime once reaped.
 */
export function tesseractMs(self = procStat('self')): number {
  let ms = (((self[13] as number) + (self[14] as number)) * 1000) / TICK;
  const alive = serverPids();
  for (const pid of alive) {
    try {
      let ns = 0;
      for (const t of readdirSync(`/proc/${pid}/task`))
        ns += Number(readFileSync(`/proc/${pid}/task/${t}/schedstat`, 'utf8').split(' ')[0]);
      servedNs.set(pid, ns);
    } catch {
      // Ended since: its last figure stands while the engine still lists it.
    }
  }
  for (const pid of servedNs.keys()) if (!alive.includes(pid)) servedNs.delete(pid);
  for (const ns of servedNs.values()) ms += ns / 1e6;
  return ms;
}
