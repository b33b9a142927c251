/** Called as each timed stage starts and ends (bench/ocr-stages.ts: CPU per stage); none in production. */
let observer: ((stage: string, end: boolean) => void) | null = null;
export function observeStages(fn: ((stage: string, end: boolean) => void) | null): void {
  observer = fn;
}

/**
 * Runs `fn`, writing its duration in ms (one decimal) under `stage`, whether it succeeds or throws; with
 * `add`, added to what the stage took already (a stage run in two parts).
 */
export async function timed<T>(
  timings: Record<string, number>,
  stage: string,
  fn: () => Promise<T>,
  add = false,
): Promise<T> {
  const t0 = performance.now();
  observer?.(stage, false);
  try {
    return await fn();
  } finally {
    observer?.(stage, true);
    const before = add ? (timings[stage] ?? 0) : 0;
    timings[stage] = Math.round((before + performance.now() - t0) * 10) / 10;
  }
}
