// sharp's settings, process-wide, in one place. Each entry point calls configureSharp() once at start-up
// (the API's buildServer, the workers' startWorkers, the CLI's `analyze`): no module configures sharp
// as a side effect of being imported, so no module depends on another having been imported first.
import sharp from 'sharp';

/**
 * Applies firstseen's process-wide sharp settings (idempotent):
 *  - cache off: every image is decoded once and dropped, so libvips' operation cache would only keep
 *    pixels of images we will not see again (and grow with worker concurrency);
 *  - concurrency 1: parallelism comes from analysing several media items at once (worker concurrency
 *    over libuv's thread pool); more libvips threads per image would only oversubscribe the cores.
 */
export function configureSharp(): void {
  sharp.cache(false);
  sharp.concurrency(1);
}

/**
 * sharp's `failOn` for every image we decode (a per-call option, so it is passed, not set): 'error'
 * fails on truncated or corrupt pixel data but lets through libjpeg's warnings (stray bytes after the
 * image, odd markers), which real camera and messaging-app files trigger and which do not spoil the
 * picture. Invalid metadata always fails.
 */
export const SHARP_FAIL_ON = 'error' as const;
