// What one thread of the analysis pool (pool.ts) runs: the CPU-bound work on an image's bytes, off the
// event loop of the process that asked. Each task is the pure function the process would otherwise call
// itself (analyzeImage, the hashes of a bank entry, the geometric check of feature candidates), and its
// answer is plain data: buffers are transferred, never copied, and errors come back as their code and
// message (a MediaError does not survive a thread boundary as a class).
//
// OpenCV (~150 MB, ~0.6 CPU s to load) is loaded by the first task that needs it and then stays for the
// thread's life: the pool keeps its threads, so it loads once per thread. With our ORB (FEATURE_ORB=wasm,
// the default where WebAssembly SIMD runs) extraction no longer needs it: only the geometric check of a
// feature candidate does (findHomography's RANSAC), so a thread loads it at its first candidate.
import { workerData } from 'node:worker_threads';
import { move, transferableSymbol, valueSymbol } from 'piscina';
import type { Hashes } from '../../../schemas/hashes.js';
import { isMediaError, type MediaErrorCode } from '../../errors.js';
import type { FeatureOptions, ImageFeatures } from '../../similarity/features/orb.js';
import { verifyInProcess, type Verified, type VerifyOptions } from '../../similarity/features/verify.js';
import { decodeForHashing } from './decode.js';
import { computeHashes } from './hashes.js';
import { analyzeImage, imageFeatures, type Analysis, type AnalyzeOptions } from './index.js';
import { forensicViews, type ForensicViewImages, type OwnViewsInput } from './views.js';
import { niceThisThread } from '../../thread-priority.js';

export type ThreadTask =
  | {
      kind: 'analyze';
      /** The file's bytes: shared memory read in place, or a copy made for the thread (transferred). */
      bytes: Uint8Array;
      probe: { mime: string; format: string };
      opts: AnalyzeOptions;
    }
  | {
      kind: 'hash';
      bytes: Uint8Array;
      maxPixels: number;
      /** Extract local features too (a bank entry given as an image: its `partial` matches). */
      features?: FeatureOptions | null;
    }
  /** Forensic views of a file analyzed earlier (asked for after its check): views.ts on its own. */
  | { kind: 'views'; bytes: Uint8Array; input: OwnViewsInput }
  | { kind: 'verify'; query: ImageFeatures; candidates: ImageFeatures[]; opts: VerifyOptions };

/** A MediaError as it crosses the thread boundary. */
export interface ThreadError {
  code: MediaErrorCode;
  message: string;
  httpStatus?: number | undefined;
}

export type ThreadAnalysis = Omit<Analysis, 'error'> & { error?: ThreadError };

export type ThreadResult =
  | { kind: 'analyze'; analysis: ThreadAnalysis }
  | { kind: 'hash'; hashes: Hashes; features?: ImageFeatures }
  /** Bytes or pixels that cannot be hashed (the same code the caller's own decode would have thrown). */
  | { kind: 'hash'; error: ThreadError }
  | { kind: 'verify'; verified: Array<Verified | null> }
  | { kind: 'views'; views: ForensicViewImages };

/** What the pool gives each thread when it starts (pool.ts). */
export interface ThreadData {
  /** The thread's nice value (ANALYZE_NICE): below the event loop of the process that asked. */
  nice: number;
}
niceThisThread((workerData as Partial<ThreadData> | undefined)?.nice ?? 0);

const asBuffer = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

const toThreadError = (err: unknown): ThreadError | null =>
  isMediaError(err) ? { code: err.code, message: err.message, httpStatus: err.httpStatus } : null;

/**
 * Buffers that may be moved to the asking thread: only those that own their whole ArrayBuffer. A view into
 * a shared one (Node's pool of small Buffers) would take its neighbours along and break this thread's later
 * allocations; those few bytes are copied instead.
 */
function ownBuffers(views: Array<ArrayBufferView | undefined>): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  for (const v of views) {
    if (!v || !(v.buffer instanceof ArrayBuffer)) continue;
    if (v.byteOffset === 0 && v.byteLength === v.buffer.byteLength && v.byteLength > 0) out.add(v.buffer);
  }
  return [...out];
}

/** The answer with its transfer list, in the form piscina moves instead of cloning. */
function moving<T extends object>(value: T, transfer: ArrayBuffer[]) {
  const movable = {
    get [transferableSymbol]() {
      return transfer;
    },
    get [valueSymbol]() {
      return value;
    },
  };
  // Typed by piscina as one of its transferables; the thread's caller receives `value`.
  return move(movable) as unknown as T;
}

/**
 * The decoded pixels in a buffer this thread owns. sharp's output lives in memory V8 cannot hand to another
 * thread: listed for transfer, it is cloned instead (serialized, then copied again on arrival: ~0.8 CPU ms
 * to send the 1.4 MB of a 12 MP photo's 800x600 buffer, measured, plus the copy on arrival). One copy here,
 * then moved, costs ~0.2.
 */
function ownPixels(p: Analysis['pixels']): Analysis['pixels'] {
  if (!p) return p;
  // Its own ArrayBuffer (never Node's pool), not zero-filled: every byte is copied over (0.21 → 0.17 ms).
  const data = Buffer.allocUnsafeSlow(p.data.length);
  p.data.copy(data);
  return { ...p, data };
}

export default async function run(task: ThreadTask): Promise<ThreadResult> {
  if (task.kind === 'analyze') {
    const { error, pixels, ...others } = await analyzeImage(asBuffer(task.bytes), task.probe, task.opts);
    const rest = { ...others, ...(pixels && { pixels: ownPixels(pixels) }) };
    // analyzeImage turns every failure of the pixels into `error`; one that is not a MediaError is a bug,
    // which the asking side reports as internal_error, as it would have in its own thread.
    const plain = error ? (toThreadError(error) ?? { code: 'internal_error' as const, message: '' }) : null;
    const analysis: ThreadAnalysis = { ...rest, ...(plain && { error: plain }) };
    const transfer = ownBuffers([
      rest.pixels?.data,
      rest.features?.points,
      rest.features?.descriptors,
      rest.views?.ela?.webp,
      rest.views?.noise?.webp,
    ]);
    return moving({ kind: 'analyze', analysis }, transfer);
  }
  if (task.kind === 'hash') {
    try {
      const decoded = await decodeForHashing(asBuffer(task.bytes), { maxPixels: task.maxPixels });
      const hashes = computeHashes(decoded);
      if (!task.features) return { kind: 'hash', hashes };
      // Features are extra: a failure must not cost the entry its hashes (as in analyzeImage).
      const features = await imageFeatures(decoded, hashes, task.features).catch(() => undefined);
      if (!features) return { kind: 'hash', hashes };
      return moving({ kind: 'hash', hashes, features }, ownBuffers([features.points, features.descriptors]));
    } catch (err) {
      const plain = toThreadError(err);
      if (!plain) throw err;
      return { kind: 'hash', error: plain };
    }
  }
  if (task.kind === 'views') {
    // forensicViews never throws for a bad picture (it answers `skipped`); anything else is a bug.
    const views = await forensicViews({ ...task.input, bytes: asBuffer(task.bytes) });
    return moving({ kind: 'views', views }, ownBuffers([views.ela?.webp, views.noise?.webp]));
  }
  return { kind: 'verify', verified: await verifyInProcess(task.query, task.candidates, task.opts) };
}
