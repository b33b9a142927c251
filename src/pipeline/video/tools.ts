// Whether ffmpeg and ffprobe are installed, and which versions: reported in every video analysis (a
// hash depends on the decoder) and at start-up, so a machine without them says so instead of failing
// each video with an obscure spawn error.
import { runBounded, ToolMissingError } from './run.js';

export interface VideoTools {
  ffmpeg: string;
  ffprobe: string;
}

export interface ToolVersions {
  available: boolean;
  ffmpeg: string | null;
  ffprobe: string | null;
  /** Why the tools cannot be used, when they cannot. */
  problem: string | null;
}

async function version(command: string): Promise<string | null> {
  let out = '';
  try {
    const r = await runBounded(
      command,
      ['-hide_banner', '-version'],
      { timeoutMs: 10_000, memoryMb: 0, maxStdoutBytes: 64 * 1024 },
      (chunk) => {
        out += chunk.toString('utf8');
      },
    );
    if (r.code !== 0) return null;
  } catch (err) {
    if (err instanceof ToolMissingError) return null;
    throw err;
  }
  return /version\s+(\S+)/.exec(out)?.[1] ?? 'unknown';
}

const cache = new Map<string, Promise<ToolVersions>>();

/** Checked once per process and tool path (installing ffmpeg needs a restart to be noticed). */
export function checkVideoTools(tools: VideoTools): Promise<ToolVersions> {
  const key = `${tools.ffmpeg}\n${tools.ffprobe}`;
  let found = cache.get(key);
  if (!found) {
    found = (async () => {
      const [ffmpeg, ffprobe] = await Promise.all([version(tools.ffmpeg), version(tools.ffprobe)]);
      const missing = [!ffmpeg && tools.ffmpeg, !ffprobe && tools.ffprobe].filter(Boolean);
      return {
        available: missing.length === 0,
        ffmpeg,
        ffprobe,
        problem: missing.length ? `not installed or not runnable: ${missing.join(', ')}` : null,
      };
    })();
    cache.set(key, found);
  }
  return found;
}
