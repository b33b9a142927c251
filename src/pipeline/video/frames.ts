// Frames of a video, decoded by ffmpeg in a bounded child process (run.ts) and handed over one at a time
// as packed RGB, at a size fixed before decoding starts (so a stream that changes resolution midway, or
// lies about it, cannot change how many bytes a frame is).
//
// Sampling happens inside ffmpeg (the `select` filter), so frames that are not kept are never converted
// or piped: one frame per second of video, plus every frame whose scene-change score passes the
// threshold, up to the caps. `all` mode hands over every frame (the reference vPDQ does that).
import type { StreamFacts } from './metadata.js';
import { INPUT_WHITELIST, runBounded } from './run.js';
import { MediaError } from '../../errors.js';

export interface FrameOptions {
  ffmpeg: string;
  timeoutMs: number;
  memoryMb: number;
  maxSeconds: number;
  maxFrames: number;
  /** ffmpeg scene-change score (0-1) above which a frame is kept besides the 1 per second; 0: none. */
  sceneThreshold: number;
  /** Long side of the frames handed over (smaller videos are not enlarged). */
  maxSide: number;
  /** Largest decoded picture (width x height) the decoder may allocate. */
  maxPixels: number;
  threads: number;
  mode: 'sampled' | 'all';
}

export interface RawFrame {
  /** Order among the frames handed over. */
  index: number;
  rgb: Buffer;
  width: number;
  height: number;
}

export interface FrameTimes {
  /** Presentation time of each frame handed over, in seconds from the stream start, in order. */
  timestamps: number[];
  /** ffmpeg stopped at a cap (duration or frame count) before the end of the video. */
  truncated: boolean;
  decodeMs: number;
}

/** Output size: the display size, long side at most `maxSide`, even numbers not required (RGB). */
export function frameSize(stream: StreamFacts, maxSide: number): { width: number; height: number } {
  const { displayWidth: w, displayHeight: h } = stream;
  const scale = Math.min(1, maxSide / Math.max(w, h));
  return { width: Math.max(1, Math.round(w * scale)), height: Math.max(1, Math.round(h * scale)) };
}

export function samplingLabel(opts: Pick<FrameOptions, 'mode' | 'sceneThreshold'>): string {
  if (opts.mode === 'all') return 'all';
  return opts.sceneThreshold > 0 ? `1fps+scene>${opts.sceneThreshold}` : '1fps';
}

function filterGraph(opts: FrameOptions, size: { width: number; height: number }): string {
  const parts: string[] = [];
  if (opts.mode === 'sampled') {
    // The first frame, then a frame once a second has passed since the last one kept, plus scene cuts.
    const terms = ['isnan(prev_selected_t)', 'gte(t-prev_selected_t\\,1)'];
    if (opts.sceneThreshold > 0) terms.push(`gt(scene\\,${opts.sceneThreshold})`);
    parts.push(`select='${terms.join('+')}'`);
  }
  // Explicit size (after autorotation): every frame is exactly width x height x 3 bytes.
  parts.push(`scale=${size.width}:${size.height}:flags=area`);
  parts.push('showinfo=checksum=0');
  return parts.join(',');
}

const SHOWINFO = /Parsed_showinfo.*?\bn:\s*(\d+).*?\bpts_time:\s*(-?[\d.]+|nan)/;

/**
 * Decodes `file` and calls `onFrame` for each frame, in order (awaited: back-pressure is the pipe's).
 * Returns each frame's timestamp once ffmpeg is done (showinfo reports them on stderr).
 */
export async function decodeFrames(
  file: string,
  stream: StreamFacts,
  opts: FrameOptions,
  onFrame: (frame: RawFrame) => void,
): Promise<FrameTimes> {
  const size = frameSize(stream, opts.maxSide);
  const frameBytes = size.width * size.height * 3;
  const args = [
    '-nostdin',
    '-hide_banner',
    '-nostats',
    '-loglevel',
    'info',
    '-threads',
    String(opts.threads),
    '-max_pixels',
    String(opts.maxPixels),
    '-t',
    String(opts.maxSeconds),
    ...INPUT_WHITELIST,
    '-i',
    file,
    '-map',
    '0:v:0',
    '-an',
    '-sn',
    '-dn',
    '-vf',
    filterGraph(opts, size),
    '-fps_mode',
    'passthrough',
    '-frames:v',
    String(opts.maxFrames),
    '-f',
    'rawvideo',
    '-pix_fmt',
    'rgb24',
    'pipe:1',
  ];
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let index = 0;
  const t0 = performance.now();
  const r = await runBounded(
    opts.ffmpeg,
    args,
    {
      timeoutMs: opts.timeoutMs,
      memoryMb: opts.memoryMb,
      maxStdoutBytes: frameBytes * (opts.maxFrames + 1),
      maxStderrBytes: 2 * 1024 * 1024,
      // ffmpeg runs a few helper threads besides the decoding ones.
      threads: opts.threads + 1,
    },
    (chunk) => {
      pending.push(chunk);
      pendingBytes += chunk.length;
      while (pendingBytes >= frameBytes) {
        const all = pending.length === 1 ? (pending[0] as Buffer) : Buffer.concat(pending, pendingBytes);
        const rgb = Buffer.from(all.subarray(0, frameBytes));
        const rest = all.subarray(frameBytes);
        pending = rest.length ? [rest] : [];
        pendingBytes = rest.length;
        onFrame({ index: index++, rgb, width: size.width, height: size.height });
      }
    },
  );
  const decodeMs = performance.now() - t0;
  if (r.killed === 'timeout') {
    throw new MediaError(
      'video_timeout',
      `Decoding took longer than ${opts.timeoutMs} ms (${index} frames read)`,
    );
  }
  if (r.killed === 'output_cap') {
    throw new MediaError('video_decode_failed', 'The decoder produced more output than the frame cap allows');
  }
  const timestamps: number[] = [];
  for (const line of r.stderr.split('\n')) {
    const m = SHOWINFO.exec(line);
    if (m) timestamps[Number(m[1])] = m[2] === 'nan' ? NaN : Number(m[2]) - stream.startTime;
  }
  if (r.code !== 0 && index === 0) {
    const last = r.stderr
      .split('\n')
      .filter((l) => l && !l.includes('Parsed_showinfo'))
      .pop();
    const cause = r.signal
      ? `killed by ${r.signal} (a resource bound, or a crash)`
      : (last?.slice(0, 300) ?? `exit ${r.code}`);
    throw new MediaError('video_decode_failed', `ffmpeg could not decode the video: ${cause}`);
  }
  const truncated =
    index >= opts.maxFrames || (stream.duration !== null && stream.duration > opts.maxSeconds + 0.5);
  return { timestamps: timestamps.slice(0, index), truncated, decodeMs };
}
