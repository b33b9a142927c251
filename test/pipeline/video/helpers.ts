// Shared set-up of the video tests: the analysis options production uses by default (src/config.ts),
// and clips generated with ffmpeg's test sources where a fixture with the needed property does not exist.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../../src/config.js';
import type { VideoAnalysisOptions } from '../../../src/pipeline/video/analyze.js';

const defaults = loadConfig({});
export const VIDEO_OPTIONS: VideoAnalysisOptions = {
  ...defaults.video,
  maxPixels: defaults.maxInputPixels,
  timeoutMs: 120_000,
};

/** A clip made by ffmpeg (`args` go between the inputs and the output file); its bytes. */
export function generateClip(args: string[], ext = 'mp4'): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'firstseen-clip-'));
  try {
    const out = join(dir, `clip.${ext}`);
    execFileSync('ffmpeg', ['-v', 'error', '-y', ...args, out], { stdio: ['ignore', 'ignore', 'pipe'] });
    return readFileSync(out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `bytes` run through ffmpeg again (`-c copy` and `args`): e.g. a display matrix added afterwards. */
export function remux(bytes: Buffer, args: string[], ext = 'mp4'): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'firstseen-clip-'));
  try {
    const input = join(dir, `in.${ext}`);
    writeFileSync(input, bytes);
    return generateClip(['-i', input, '-c', 'copy', ...args], ext);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
