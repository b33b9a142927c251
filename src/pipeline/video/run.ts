// Runs ffmpeg or ffprobe on a stranger's file as a separate, bounded process: a hostile or broken video
// can make the decoder spin, allocate without end or crash, and none of that may reach the worker.
//  - time: killed (SIGKILL) at `timeoutMs`, and a CPU-seconds rlimit as a second line of defence;
//  - memory: an address-space rlimit (`ulimit -v`, applied by /bin/sh just before exec, so it binds the
//    decoder only) makes a runaway allocation fail inside the child;
//  - output: stdout is streamed to the caller and the child is killed once it passed `maxStdoutBytes`;
//    stderr is kept up to a cap for diagnostics.
// Hand-written because the usual wrappers (fluent-ffmpeg and friends) set no limits and buffer output.
import { spawn } from 'node:child_process';

/**
 * Input options for every ffmpeg/ffprobe run on a stranger's file: read the local file and nothing else
 * (no http, no other file named inside it: an HLS playlist or a concat script cannot make the decoder
 * fetch a URL or read /etc), in the container formats platforms serve, whatever the bytes claim to be.
 */
export const INPUT_WHITELIST = [
  '-protocol_whitelist',
  'file',
  '-format_whitelist',
  'mov,mp4,m4a,3gp,3g2,mj2,matroska,webm,avi,flv,mpegts,mpeg,asf,ogg,gif',
];

export interface Limits {
  timeoutMs: number;
  /** Address-space limit of the child, in MiB (0: none). */
  memoryMb: number;
  maxStdoutBytes: number;
  maxStderrBytes?: number;
  /** Threads the program may run at once: the CPU-time limit is the wall-time limit times this. */
  threads?: number;
  /** Bytes written to the child's stdin (then closed); absent: stdin is not open. Used by OCR (src/pipeline/ocr/). */
  stdin?: Buffer;
  /** Environment variables set for the program (names and values of our own, never from the input). */
  env?: Record<string, string>;
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  /** Why we stopped the child, if we did. */
  killed: 'timeout' | 'output_cap' | 'consumer_error' | null;
  stdoutBytes: number;
}

/**
 * Exit status our wrapper uses for "program not found", checked before exec. Not 127: a program that
 * cannot even load under the memory limit also ends with 127, and that is a decode failure.
 */
const NOT_FOUND = 199;

export class ToolMissingError extends Error {
  override name = 'ToolMissingError';
}

/**
 * Spawns `command args` under the limits; `onStdout` receives each chunk (return false to stop reading
 * and kill the child). Resolves when the child is gone, whatever the outcome; rejects when the program
 * cannot be started (ToolMissingError when it is not installed) or `onStdout` threw (after killing it).
 */
export function runBounded(
  command: string,
  args: string[],
  limits: Limits,
  onStdout?: (chunk: Buffer) => boolean | void,
): Promise<RunResult> {
  const cpuSeconds = Math.max(1, Math.ceil(limits.timeoutMs / 1000) * Math.max(1, limits.threads ?? 1) + 1);
  // "$@" keeps every argument as given: nothing from the file or the URL is ever parsed by the shell.
  const env = Object.entries(limits.env ?? {})
    .map(([k, v]) => {
      if (!/^[A-Z_][A-Z0-9_]*$/.test(k) || !/^[\w./:-]*$/.test(v)) throw new Error(`bad variable ${k}`);
      return `export ${k}=${v}; `;
    })
    .join('');
  const script =
    env +
    (limits.memoryMb > 0 ? `ulimit -v ${Math.floor(limits.memoryMb * 1024)} || exit 125; ` : '') +
    `ulimit -t ${cpuSeconds} || exit 125; command -v "$0" >/dev/null 2>&1 || exit ${NOT_FOUND}; exec "$0" "$@"`;
  const argv = ['-c', script, command, ...args];
  const child = limits.stdin
    ? spawn('/bin/sh', argv, { stdio: ['pipe', 'pipe', 'pipe'], detached: false })
    : spawn('/bin/sh', argv, { stdio: ['ignore', 'pipe', 'pipe'], detached: false });
  if (limits.stdin && child.stdin) {
    // A child that exits (or is killed) before reading everything closes the pipe: EPIPE is expected then,
    // and the exit status says what happened.
    child.stdin.on('error', () => undefined);
    child.stdin.end(limits.stdin);
  }
  const maxStderr = limits.maxStderrBytes ?? 256 * 1024;
  let stderr = '';
  let stdoutBytes = 0;
  let killed: RunResult['killed'] = null;
  let consumerError: unknown = null;
  const kill = (why: NonNullable<RunResult['killed']>) => {
    if (killed) return;
    killed = why;
    child.kill('SIGKILL');
  };
  const timer = setTimeout(() => kill('timeout'), limits.timeoutMs);
  child.stdout.on('data', (chunk: Buffer) => {
    if (killed) return;
    stdoutBytes += chunk.length;
    if (stdoutBytes > limits.maxStdoutBytes) return kill('output_cap');
    try {
      if (onStdout && onStdout(chunk) === false) kill('output_cap');
    } catch (err) {
      // The consumer failed on this output: stop the child and report the error, never throw from an
      // event handler (that would be an uncaught exception in the worker).
      consumerError = err;
      kill('consumer_error');
    }
  });
  child.stderr.on('data', (chunk: Buffer) => {
    if (stderr.length < maxStderr) stderr += chunk.toString('utf8', 0, Math.min(chunk.length, maxStderr));
  });
  return new Promise((resolve, reject) => {
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (consumerError) {
        reject(consumerError instanceof Error ? consumerError : new Error('The output consumer failed'));
        return;
      }
      if (code === NOT_FOUND && !killed) {
        reject(new ToolMissingError(`${command} is not installed (or not on PATH)`));
        return;
      }
      resolve({ code, signal, stderr, killed, stdoutBytes });
    });
  });
}
