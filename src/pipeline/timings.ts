/** Runs `fn`, writing its duration in ms (one decimal) under `stage`, whether it succeeds or throws. */
export async function timed<T>(
  timings: Record<string, number>,
  stage: string,
  fn: () => Promise<T>,
): Promise<T> {
  const t0 = performance.now();
  try {
    return await fn();
  } finally {
    timings[stage] = Math.round((performance.now() - t0) * 10) / 10;
  }
}
