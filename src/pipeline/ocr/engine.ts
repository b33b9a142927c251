// Tesseract kept running between pictures (native/tess-serve.cc, built by scripts/setup-ocr.sh): a
// `tesseract` command loads its language models on every run, and that start costs as much CPU as reading
// a screenshot's text (~0.1 s for any Latin model, ~0.15 s for eng+rus+ara, bench:ocr). A tess-serve
// process loads each language set once and then reads picture after picture, with the same engine and
// options as the command (its TSV is the command's, byte for byte), under the same bounds:
//  - time: a reading not answered within `timeoutMs` kills the process (SIGKILL), `ocr_timeout`;
//  - memory: an address-space rlimit (`ulimit -v`) on the process, so a runaway allocation fails in it;
//  - output: an answer longer than `maxOutputBytes` is not read, the process is killed,
//    `ocr_output_too_large`;
//  - one thread (OMP_THREAD_LIMIT=1).
// A process that died, was killed or answered out of turn is never used again; the next reading starts a
// new one. One reading at a time per process: concurrent readings get their own processes (as many as
// readings at once, so at most the worker's concurrency), and a process idle for IDLE_MS ends, which
// gives its models' memory back (~50 MB with eng+rus+ara, ~115 MB with every set the default
// OCR_LANGUAGES can ask for); after MAX_READINGS a process is replaced.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { OcrError } from '../../errors.js';

/** A grey picture, one byte per pixel row by row (tesseract.ts's GreyImage, which imports this module). */
interface GreyImage {
  data: Buffer;
  width: number;
  height: number;
}

/** Where setup-ocr.sh builds tess-serve: native/ at the package's root (from src/ or dist/src/). */
const CANDIDATES = ['../../../native/tess-serve', '../../../../native/tess-serve'].map((p) =>
  fileURLToPath(new URL(p, import.meta.url)),
);
let found: string | null | undefined;
/** The tess-serve program, or null when it is not built (readings then run the tesseract command). */
export function tessServePath(): string | null {
  if (found === undefined) found = CANDIDATES.find((p) => existsSync(p)) ?? null;
  return found;
}

export interface EngineLimits {
  timeoutMs: number;
  /** Address-space limit of the process, in MiB (0: none). */
  memoryMb: number;
  maxOutputBytes: number;
}

/** How long an idle process is kept before it ends. */
const IDLE_MS = 60_000;
/**
 * Readings one process does before it is replaced: whatever tesseract might keep from picture to picture
 * (memory, adaptive state) is bounded too. Starting a new one costs a model load, ~0.15 s, once per
 * this many readings.
 */
const MAX_READINGS = 500;
const MAX_STDERR = 16 * 1024;

type Answer = { ok: true; tsv: string } | { ok: false; message: string };

class Server {
  readonly child: ChildProcessWithoutNullStreams;
  private chunks: Buffer[] = [];
  private bytes = 0;
  /** Length of the TSV being received, once its answer line was read. */
  private body: number | null = null;
  private waiting: ((a: Answer) => void) | null = null;
  private failed: ((e: OcrError) => void) | null = null;
  private maxOutputBytes = 0;
  private stderr = '';
  private idleTimer: NodeJS.Timeout | null = null;
  dead = false;
  readings = 0;

  constructor(
    program: string,
    memoryMb: number,
    readonly key: string,
    private readonly onGone: (s: Server) => void,
  ) {
    const script =
      'export OMP_THREAD_LIMIT=1; ' +
      (memoryMb > 0 ? `ulimit -v ${Math.floor(memoryMb * 1024)} || exit 125; ` : '') +
      'exec "$0"';
    this.child = spawn('/bin/sh', ['-c', script, program], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    // A process that ends before reading its request closes the pipe: EPIPE then, and 'close' says why.
    this.child.stdin.on('error', () => undefined);
    this.child.stdout.on('data', (c: Buffer) => this.data(c));
    this.child.stderr.on('data', (c: Buffer) => {
      if (this.stderr.length < MAX_STDERR) this.stderr += c.toString('utf8');
    });
    this.child.on('error', (err) => this.fail(new OcrError('ocr_failed', err.message, { cause: err })));
    this.child.on('close', (code, signal) => {
      const why = this.stderr.trim().split('\n').slice(-2).join(' ').slice(0, 300);
      this.fail(new OcrError('ocr_failed', `tess-serve ended with ${signal ?? `status ${code}`}: ${why}`));
    });
  }

  /** Reads one picture; rejects with an OcrError. The process is unusable afterwards if it rejected. */
  read(
    img: GreyImage,
    languages: string,
    psm: number,
    invert: boolean,
    limits: EngineLimits,
  ): Promise<Answer> {
    this.busy(true);
    this.maxOutputBytes = limits.maxOutputBytes;
    return new Promise<Answer>((resolve, reject) => {
      const timer = setTimeout(() => this.fail(new OcrError('ocr_timeout'), true), limits.timeoutMs);
      this.waiting = (a) => {
        clearTimeout(timer);
        this.waiting = this.failed = null;
        this.busy(false);
        resolve(a);
      };
      this.failed = (e) => {
        clearTimeout(timer);
        this.waiting = this.failed = null;
        reject(e);
      };
      this.child.stdin.write(`${languages} ${psm} ${img.width} ${img.height} ${invert ? 1 : 0}\n`);
      this.child.stdin.write(img.data.subarray(0, img.width * img.height));
    });
  }

  private data(chunk: Buffer) {
    if (this.dead) return;
    if (!this.waiting) return this.fail(new OcrError('ocr_failed', 'tess-serve answered out of turn'), true);
    this.chunks.push(chunk);
    this.bytes += chunk.length;
    if (this.body === null) {
      // The answer line: "OK <n>" (then n bytes of TSV) or "ERR <message>".
      const all = Buffer.concat(this.chunks);
      this.chunks = [all];
      const eol = all.indexOf(10);
      if (eol < 0) {
        if (all.length > 512) this.fail(new OcrError('ocr_failed', 'tess-serve sent no answer line'), true);
        return;
      }
      const head = all.subarray(0, eol).toString('utf8');
      const m = /^OK (\d+)$/.exec(head);
      if (head.startsWith('ERR ') && all.length === eol + 1) {
        this.chunks = [];
        this.bytes = 0;
        return this.waiting({ ok: false, message: head.slice(4) });
      }
      if (!m) return this.fail(new OcrError('ocr_failed', 'tess-serve answered nonsense'), true);
      this.body = Number(m[1]);
      if (this.body > this.maxOutputBytes) return this.fail(new OcrError('ocr_output_too_large'), true);
      this.chunks = [all.subarray(eol + 1)];
      this.bytes = all.length - eol - 1;
    }
    if (this.bytes < this.body) return;
    if (this.bytes > this.body)
      return this.fail(new OcrError('ocr_failed', 'tess-serve said too much'), true);
    const tsv = Buffer.concat(this.chunks).toString('utf8');
    this.chunks = [];
    this.bytes = 0;
    this.body = null;
    this.waiting({ ok: true, tsv });
  }

  /** The process is done for: the reading in progress (if any) fails with `err`; killed when `kill`. */
  private fail(err: OcrError, kill = false) {
    if (!this.dead) {
      this.dead = true;
      if (this.idleTimer) clearTimeout(this.idleTimer);
      if (kill) {
        this.child.kill('SIGKILL');
        // Its pipes too: a child of its own that inherited them must not keep them (and the worker) open.
        this.child.stdin.destroy();
        this.child.stdout.destroy();
        this.child.stderr.destroy();
      }
      this.onGone(this);
    }
    this.failed?.(err);
  }

  /**
   * While idle, the process and its pipes do not keep the worker (or a test) alive, and it ends after
   * IDLE_MS; while reading, they do.
   */
  private busy(yes: boolean) {
    // The pipes of a spawned child are sockets (they have ref/unref); their types say only streams.
    const pipes = [this.child.stdin, this.child.stdout, this.child.stderr] as unknown as Socket[];
    const handles = [this.child, ...pipes];
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    if (yes) for (const h of handles) h.ref();
    else {
      for (const h of handles) h.unref();
      this.idleTimer = setTimeout(() => this.close(), IDLE_MS);
      this.idleTimer.unref();
    }
  }

  /** Ends an idle process: its stdin closed, it exits. */
  close() {
    if (this.dead) return;
    this.dead = true;
    this.onGone(this);
    this.child.stdin.end();
  }
}

/** Idle processes by program and memory bound. */
const idle = new Map<string, Server[]>();
const live = new Set<Server>();

const gone = (s: Server) => {
  live.delete(s);
  const list = idle.get(s.key);
  const i = list?.indexOf(s) ?? -1;
  if (list && i >= 0) list.splice(i, 1);
};

/**
 * Reads `img` with tess-serve (`program`) in `languages` (tesseract's -l: "eng+rus+ara") and page
 * segmentation `psm`: tesseract's TSV. Throws OcrError: `ocr_timeout`, `ocr_output_too_large`,
 * `ocr_failed` (the process crashed, hit its memory bound, or could not load the languages).
 */
export async function readWithServer(
  program: string,
  img: GreyImage,
  languages: string,
  psm: number,
  limits: EngineLimits,
  /** tesseract's tessedit_do_invert (its default: true); see recognize(). */
  invert = true,
): Promise<string> {
  const key = `${program}\0${limits.memoryMb}`;
  const list = idle.get(key) ?? [];
  idle.set(key, list);
  let server = list.pop();
  if (!server || server.dead) {
    server = new Server(program, limits.memoryMb, key, gone);
    live.add(server);
  }
  const answer = await server.read(img, languages, psm, invert, limits);
  if (++server.readings >= MAX_READINGS) server.close();
  else if (!server.dead) list.push(server);
  if (!answer.ok) throw new OcrError('ocr_failed', `tess-serve: ${answer.message}`);
  return answer.tsv;
}

/** Process ids of the tess-serve processes running (bench:ocr adds their CPU time to the reading's). */
export const serverPids = (): number[] =>
  [...live].map((s) => s.child.pid).filter((p): p is number => p !== undefined);

/** Ends every idle tess-serve process (tests, shutdown); a reading in progress finishes first. */
export function closeServers(): void {
  for (const list of idle.values()) for (const s of [...list]) s.close();
}
