/**
 * CPU time this process spends in `fn` (user + system, all of its threads), in ms. A bound on work done that a
 * loaded machine does not stretch the way it stretches wall time: the guards against hostile input (a bomb that
 * would allocate millions of values, a parser run into nesting) are asserted on this, with a wide margin, and never
 * on the clock. The figure includes whatever else the process runs meanwhile, so the margin must cover that too.
 */
export async function cpuMs<T>(fn: () => Promise<T> | T): Promise<{ value: T; ms: number }> {
  const before = process.cpuUsage();
  const value = await fn();
  const used = process.cpuUsage(before);
  return { value, ms: (used.user + used.system) / 1000 };
}
