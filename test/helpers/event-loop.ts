// How long work held the event loop: the longest time during which nothing else (a timer, a request,
// a job lock renewal) could have run. Issue 16: no parser of outside text may hold it over 200 ms.
//
// Two measurements run while the work does:
// - perf_hooks.monitorEventLoopDelay (resolution 10 ms): Node's own histogram of timer lateness, in
//   wall-clock time. Reported, not asserted: on a loaded machine it also counts the time the OS gave
//   the CPU to other processes.
// - a ticker (a timer every TICK_MS) that records, between two of its ticks, both the wall-clock gap and
//   the CPU time the process used in it (process.cpuUsage). A gap is a block the work caused only as far
//   as the process was running: the block is the smaller of the two. On an idle machine they agree; on
//   a loaded 2-core machine the wall gap grows with the load and the CPU part does not, so the figure
//   asserted is the work's own. (cpuUsage counts all the process's threads, GC helpers included, so it
//   can only overstate a block, never hide one.)
// The helper's own overhead is one ticker callback per gap (a few microseconds) and the monitor's libuv
// timer; the block measured between two ticks contains only the work between them, not the previous
// tick's bookkeeping. The work starts right after a baseline sample, so its synchronous first part is in
// the first gap; one more tick after it settles takes in its last part.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Test } from 'tap';

/** The bound on a stall. */
export const MAX_STALL_MS = 200;
const TICK_MS = 2;

export interface Stalls {
  /** Longest block attributed to the process: min(wall gap, CPU in that gap), in ms. */
  blockMs: number;
  /** Longest wall-clock gap between two ticks, load included, in ms. */
  wallMs: number;
  /** monitorEventLoopDelay's maximum, in ms. */
  histogramMaxMs: number;
  /** Wall time the whole work took, in ms. */
  totalMs: number;
}

/** Runs `work` (sync or async) and measures the longest stall of the event loop while it runs. */
export async function measureStalls<T>(work: () => T | Promise<T>): Promise<{ result: T; stalls: Stalls }> {
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  let lastWall = performance.now();
  let lastCpu = process.cpuUsage();
  let blockMs = 0;
  let wallMs = 0;
  const sample = (): void => {
    const wall = performance.now();
    const cpu = process.cpuUsage();
    const gap = wall - lastWall;
    const cpuGap = (cpu.user - lastCpu.user + cpu.system - lastCpu.system) / 1000;
    wallMs = Math.max(wallMs, gap);
    blockMs = Math.max(blockMs, Math.min(gap, cpuGap));
    lastWall = wall;
    lastCpu = cpu;
  };
  const ticker = setInterval(sample, TICK_MS);
  // The histogram records from its second sample on: let both monitors start before the work does.
  await new Promise((resolve) => setTimeout(resolve, 20));
  const started = performance.now();
  lastWall = started;
  lastCpu = process.cpuUsage();
  try {
    const result = await work();
    const totalMs = performance.now() - started;
    // One more tick, so the work's last synchronous part ends a gap.
    await new Promise((resolve) => setTimeout(resolve, TICK_MS * 2));
    sample();
    return {
      result,
      stalls: { blockMs, wallMs, histogramMaxMs: histogram.max / 1e6, totalMs },
    };
  } finally {
    clearInterval(ticker);
    histogram.disable();
  }
}

/** Runs `work`, asserts it never blocked the event loop over MAX_STALL_MS, and returns its result. */
export async function withoutStall<T>(t: Test, name: string, work: () => T | Promise<T>): Promise<T> {
  const { result, stalls } = await measureStalls(work);
  const line =
    `${name}: longest block ${stalls.blockMs.toFixed(0)} ms of CPU ` +
    `(wall ${stalls.wallMs.toFixed(0)} ms, monitorEventLoopDelay max ${stalls.histogramMaxMs.toFixed(0)} ms, ` +
    `whole work ${stalls.totalMs.toFixed(0)} ms)`;
  // The figures are printed either way; a failure names them.
  t.ok(
    stalls.blockMs <= MAX_STALL_MS,
    `${name}: no stall over ${MAX_STALL_MS} ms`,
    stalls.blockMs > MAX_STALL_MS ? { line } : {},
  );
  t.comment(line);
  return result;
}
