// One decode per image, shared by every hash: EXIF-oriented RGB pixels, shrunk on load.
//
// Size: the long side is brought down to 1024 px (never enlarged). JPEG and WebP shrink while
// decoding, so a 12 MP photo costs a fraction of a full decode, and PDQ from a >= 1024 px decode stays
// within ~2 bits (median) of the full-size hash, against 8 bits from 512 px (measured with Meta's
// reference hasher). The 64-bit hashes are computed from the same buffer.
//
// JPEG goes further (hashDecodeSide): libjpeg decodes at 1/2, 1/4 or 1/8 scale for little more than
// the entropy decoding, and the coarsest scale that still leaves at least JPEG_MIN_HASH_SIDE px is used.
// A 12 MP photo (4000 px) is read at 1/4 and hashed at 800 px, for ~20% less decode time than at 1/2
// (then 1024 px). Measured against Meta's reference PDQ of the whole frame (pdq-fullres-truth.json,
// the 16 fixtures of >= 2000 px): median 4 bits, max 24 (issue-metadata-extractor-152, a multispectral
// frame, 24 bits at 1024 px too), against 6 and 24 with every image at 1024 px; at 1/8 (~450-580 px)
// the same photos reach 34 bits, past the reference's 31-bit match threshold. pdq.test.ts holds the
// bound. 1/4 is thus the smallest scale that keeps PDQ within it, and 1/8 would save little anyway: on
// a grainy 12 MP q90 JPEG, sharp's decode to 800 px at 1/4 took 69-77 CPU ms, at 1/8 (499 px) 66-70, to
// 999 px at 1/4 with a nearest-neighbour final step 76-80 (5 December 2026, load average ~13): entropy
// decoding is the floor, and the final resize costs little. sharp picks the libjpeg scale from the size
// asked for and always leaves a final resize of at least 1.25x after it (pipeline.cc: it halves the
// scale when the shrink is a whole multiple), so the size asked for is the long side / 3, / 5 or / 9 to
// get 1/2, 1/4 or 1/8.
//
// Colour: the embedded ICC profile is ignored because the reference tools we must agree with (Meta's
// PDQ hasher, Pillow under imagehash) hash the stored values; CMYK has no stored RGB, so it goes
// through libvips' built-in CMYK profile. Greyscale is expanded to RGB, 16-bit reduced to 8, and alpha
// dropped (the references ignore it too).
//
// Orientation: EXIF Orientation is applied so that the hashes describe the image as people see it.
// HEIF/AVIF are the exception: their container (irot/imir) already rotates the pixels when decoded, and
// the EXIF tag inside is informative only; applying it too would rotate twice.
//
// HEIC coded with HEVC cannot be decoded by sharp's prebuilt libvips (AV1-coded AVIF can): those go to
// `heic-decode` (libheif compiled to wasm), in a worker thread (heic-thread.ts): the decode is synchronous
// CPU work (1-2 s for 12 MP, ~6 s for 51 MP) that would stall the event loop, and libheif's wasm
// memory never shrinks. heic-decode has no pixel limit of its own, so the header's size is checked first
// (here, from libvips' reading of the header, and again in the thread from libheif's).
import { Worker, type WorkerOptions } from 'node:worker_threads';
import sharp, { type Sharp } from 'sharp';
import type { DecodeInfo } from '../../../schemas/hashes.js';
import { copyBytes } from '../../bytes.js';
import { MEDIA_ERROR_CODES, MediaError, isMediaError, type MediaErrorCode } from '../../errors.js';
import { SHARP_FAIL_ON } from '../../sharp-settings.js';
import type { HeicReply, HeicRequest } from './heic-thread.js';

// sharp's process-wide settings (cache, concurrency) are applied by each entry point: src/sharp-settings.ts.

/** Long side of the buffer the hashes are computed from, for images larger than that. */
export const HASH_DECODE_SIDE = 1024;

/** Shortest long side a JPEG may be hashed at, so that libjpeg can decode it at a coarser scale. */
export const JPEG_MIN_HASH_SIDE = 800;

/**
 * The long side to decode an image of this format and size to for hashing: HASH_DECODE_SIDE, or for a
 * JPEG, the largest size sharp reaches from libjpeg's coarsest scale that keeps JPEG_MIN_HASH_SIDE
 * (sharp decodes at 1/s when asked for at most long side / (s + 1); see the top of this file).
 */
export function hashDecodeSide(format: string, width: number, height: number): number {
  if (format !== 'jpeg') return HASH_DECODE_SIDE;
  const long = Math.max(width, height);
  for (const scale of [8, 4, 2]) {
    const side = Math.floor(long / (scale + 1));
    if (side >= JPEG_MIN_HASH_SIDE) return Math.min(side, HASH_DECODE_SIDE);
  }
  return HASH_DECODE_SIDE;
}

/** Formats we hash. Vector and document formats (SVG, PDF) would be rendered, not decoded: refused. */
const RASTER_FORMATS = new Set(['jpeg', 'png', 'webp', 'gif', 'tiff', 'heif']);

// ---------------------------------------------------------------------------------------------

export type ImageDecoder = DecodeInfo['decoder'];

export interface DecodedImage {
  /** RGB, 3 bytes per pixel, rows top to bottom, no padding: `width * height * 3` bytes. */
  data: Buffer;
  width: number;
  height: number;
  /** Size of the full frame as the decoder delivers it, before EXIF rotation and shrinking. */
  sourceWidth: number;
  sourceHeight: number;
  /** EXIF Orientation tag as stored (1-8), null when absent or invalid. */
  orientation: number | null;
  /** Pixels were rotated/flipped by `orientation` before hashing. */
  rotatedForHashing: boolean;
  decoder: ImageDecoder;
  /** The file holds several frames or pages (animation, multi-page TIFF, HEIF collection): one was used. */
  firstFrameOnly: boolean;
  /** Format as sharp names it (jpeg, png, webp, gif, tiff, heif). */
  format: string;
}

export interface DecodeOptions {
  /** Largest width x height accepted; larger images fail with `too_many_pixels` before any allocation. */
  maxPixels: number;
  /**
   * Apply the EXIF orientation (default true). False hashes the stored pixels, as Pillow and imagehash do
   * when a script does not call `ImageOps.exif_transpose`.
   */
  applyOrientation?: boolean;
  /** Long side to shrink to (default hashDecodeSide(): 1024 px, 800+ for large JPEGs; Infinity: full size); never enlarges. */
  maxSide?: number;
}

export async function decodeForHashing(bytes: Buffer, opts: DecodeOptions): Promise<DecodedImage> {
  if (bytes.length === 0) throw new MediaError('empty_file');
  try {
    const meta = await sharp(bytes, { failOn: SHARP_FAIL_ON, limitInputPixels: opts.maxPixels }).metadata();
    const maxSide = opts.maxSide ?? hashDecodeSide(meta.format, meta.width, meta.height);
    if (!RASTER_FORMATS.has(meta.format)) {
      throw new MediaError('unsupported_format', `${meta.format} images are not hashed`);
    }
    if (meta.width * meta.height > opts.maxPixels) {
      throw new MediaError(
        'too_many_pixels',
        `The image declares ${meta.width}x${meta.height} pixels, more than the ${opts.maxPixels} allowed`,
      );
    }
    const heif = meta.format === 'heif';
    // libvips drops the tag for HEIF (it has applied the container's rotation); read it for the report.
    const orientation = heif ? exifOrientation(meta.exif) : validOrientation(meta.orientation);
    const rotate = (opts.applyOrientation ?? true) && !heif && orientation !== null && orientation !== 1;
    const common = {
      sourceWidth: meta.width,
      sourceHeight: meta.height,
      orientation,
      rotatedForHashing: rotate,
      firstFrameOnly: (meta.pages ?? 1) > 1,
      format: meta.format,
    };
    if (heif && meta.compression === 'hevc') {
      const rgba = await decodeHevc(bytes, meta.pagePrimary ?? 0, opts.maxPixels);
      const input = sharp(rgba.data, {
        raw: { width: rgba.width, height: rgba.height, channels: 4 },
        limitInputPixels: opts.maxPixels,
      });
      return { ...(await shrinkToRgb(input, maxSide)), ...common, decoder: 'heic-decode' };
    }
    const input = sharp(bytes, {
      failOn: SHARP_FAIL_ON,
      limitInputPixels: opts.maxPixels,
      autoOrient: rotate,
      ignoreIcc: true,
      pages: 1,
    });
    return { ...(await shrinkToRgb(input, maxSide)), ...common, decoder: 'sharp' };
  } catch (err) {
    throw toMediaError(err);
  }
}

/** The decode facts a report shows. */
export function decodeInfo(image: DecodedImage): DecodeInfo {
  return {
    orientation: image.orientation,
    rotated_for_hashing: image.rotatedForHashing,
    decoder: image.decoder,
    first_frame_only: image.firstFrameOnly,
    hashed_width: image.width,
    hashed_height: image.height,
  };
}

async function shrinkToRgb(
  input: Sharp,
  maxSide: number,
): Promise<{ data: Buffer; width: number; height: number }> {
  // Alpha is dropped after the resize (sharp's order); resampling premultiplied keeps transparent
  // pixels from bleeding their hidden colour into visible ones.
  const sized = Number.isFinite(maxSide)
    ? input.resize({ width: maxSide, height: maxSide, fit: 'inside', withoutEnlargement: true })
    : input;
  const { data, info } = await sized
    .removeAlpha()
    .toColourspace('srgb')
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new Error(`Expected 3 channels after decoding, got ${info.channels}`);
  return { data, width: info.width, height: info.height };
}

// ---------------------------------------------------------------------------------------------
// HEVC HEIC through heic-decode, in one worker thread reused from decode to decode: starting one and
// loading libheif costs 0.2-0.4 s (more on a busy machine), and a fresh thread's first decode runs up to
// 2x slower than later ones (V8 has not optimised the wasm yet). Decodes wait their turn, one at a time,
// as they did on the main thread.

export interface HeicDecodeSettings {
  /** Longest one decode may take (thread start-up included); then the thread is ended. */
  timeoutMs: number;
  /** Replace the thread after a decode that leaves its wasm memory larger than this (it never shrinks). */
  maxWasmMb: number;
  /** Replace the thread after this many decodes, whatever its size. */
  maxDecodesPerThread: number;
  /** End the thread once it has been idle this long, giving its memory back. */
  idleMs: number;
  /** V8 heap limit of the thread. Wasm memory and pixel buffers are outside it: maxPixels bounds those. */
  maxOldGenerationSizeMb: number;
}

export const DEFAULT_HEIC_DECODE_SETTINGS: HeicDecodeSettings = {
  timeoutMs: 30_000,
  maxWasmMb: 192, // a 12 MP photo leaves ~90 MB, a 51 MP one ~460 MB
  maxDecodesPerThread: 200,
  idleMs: 30_000,
  maxOldGenerationSizeMb: 64,
};

let heicSettings: HeicDecodeSettings = { ...DEFAULT_HEIC_DECODE_SETTINGS };

/**
 * Sets the HEIC thread's bounds (defaults for what is not given). They apply from the next decode, the
 * heap limit from the next thread started.
 */
export function configureHeicDecode(settings: Partial<HeicDecodeSettings> = {}): void {
  heicSettings = { ...DEFAULT_HEIC_DECODE_SETTINGS, ...settings };
}

// From the build (dist/, plain node) the thread is heic-thread.js next to this file. Under tsx (tests,
// scripts) this module is decode.ts, and the thread must register tsx itself before importing
// heic-thread.ts: Node 20 does not run the process's --import flags in worker threads.
const RUNNING_TS = import.meta.url.endsWith('.ts');
const THREAD_URL = new URL(RUNNING_TS ? './heic-thread.ts' : './heic-thread.js', import.meta.url);

function newThreadWorker(options: WorkerOptions): Worker {
  if (!RUNNING_TS) return new Worker(THREAD_URL, options);
  const tsx = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  const bootstrap = `import(${tsx}).then((tsx) => { tsx.register(); return import(${JSON.stringify(THREAD_URL.href)}); });`;
  return new Worker(bootstrap, { ...options, eval: true });
}

interface HeicThread {
  worker: Worker;
  decodes: number;
}

let thread: HeicThread | undefined;
let idleTimer: NodeJS.Timeout | undefined;
let queue: Promise<unknown> = Promise.resolve();
let waiting = 0;
const heicStats = { threadsStarted: 0, decodes: 0, timeouts: 0, crashes: 0 };

/** Counters since the process started, for metrics and tests. */
export function heicDecodeStats(): typeof heicStats & { threadRunning: boolean } {
  return { ...heicStats, threadRunning: thread !== undefined };
}

/** Ends the HEIC thread if one runs (an idle thread never keeps the process alive; this frees it now). */
export async function stopHeicThread(): Promise<void> {
  const current = thread;
  if (current) await retire(current);
}

function startThread(): HeicThread {
  const { maxOldGenerationSizeMb } = heicSettings;
  const worker = newThreadWorker({
    resourceLimits: { maxOldGenerationSizeMb, maxYoungGenerationSizeMb: 16, stackSizeMb: 4 },
  });
  // Not `stdout: true`: a worker whose stdout is read keeps the process alive even when unref'd (Node
  // 20). The thread captures its own console and stdout instead.
  const started: HeicThread = { worker, decodes: 0 };
  // Errors are reported to the decode under way (runOnThread); this listener only keeps an 'error'
  // event from becoming an uncaught exception of the process when none is.
  worker.on('error', () => {});
  worker.on('exit', () => {
    if (thread === started) thread = undefined;
  });
  worker.unref();
  heicStats.threadsStarted++;
  return started;
}

function retire(t: HeicThread): Promise<void> {
  if (thread === t) thread = undefined;
  return t.worker.terminate().then(() => undefined);
}

function decodeHevc(
  bytes: Buffer,
  primary: number,
  maxPixels: number,
): Promise<{ data: Buffer; width: number; height: number }> {
  // A copy is sent, its buffer transferred: the caller's bytes stay readable (metadata and credentials
  // are read from them while this decodes).
  const copy = copyBytes(bytes);
  waiting++;
  clearTimeout(idleTimer);
  const run = queue.then(() => runOnThread({ bytes: copy, primary, maxPixels }));
  queue = run.catch(() => {});
  return run.finally(() => {
    if (--waiting === 0 && thread) {
      const idle = thread;
      idleTimer = setTimeout(() => void retire(idle), heicSettings.idleMs).unref();
    }
  });
}

async function runOnThread(req: HeicRequest): Promise<{ data: Buffer; width: number; height: number }> {
  thread ??= startThread();
  const t = thread;
  let reply: HeicReply;
  t.worker.ref();
  try {
    reply = await request(t, req);
  } catch (err) {
    void retire(t);
    throw err;
  } finally {
    t.worker.unref();
  }
  t.decodes++;
  heicStats.decodes++;
  const wasmBytes = reply.ok ? (reply.wasmBytes ?? reply.width * reply.height * 9) : 0;
  // After a failure libheif's state is not to be trusted (an aborted wasm module stays aborted). A thread
  // grown large is kept only while other decodes wait: it will not grow past what the largest of them
  // needs (maxPixels bounds that), and a new thread's first decode is slower (the wasm is not optimised
  // yet); once the queue is empty it goes.
  const large = wasmBytes > heicSettings.maxWasmMb * 2 ** 20 && waiting <= 1;
  if (!reply.ok || large || t.decodes >= heicSettings.maxDecodesPerThread) void retire(t);
  if (!reply.ok) {
    const detail = [reply.message, ...reply.log.filter((line) => line.trim() !== '')].slice(0, 2).join('; ');
    throw new MediaError(
      reply.code,
      reply.code === 'too_many_pixels'
        ? reply.message
        : `HEIC could not be decoded (${detail.slice(0, 300)})`,
    );
  }
  const { data, width, height } = reply;
  return { data: Buffer.from(data.buffer, data.byteOffset, data.byteLength), width, height };
}

/** Sends one request and waits for the reply, the time limit, or the thread's death. */
function request(t: HeicThread, req: HeicRequest): Promise<HeicReply> {
  const { worker } = t;
  return new Promise((resolve, reject) => {
    const settle = (fn: () => void) => {
      clearTimeout(timer);
      worker.off('message', onMessage);
      worker.off('messageerror', onError);
      worker.off('error', onError);
      worker.off('exit', onExit);
      fn();
    };
    const onMessage = (reply: HeicReply) => settle(() => resolve(reply));
    const onError = (err: unknown) =>
      settle(() => {
        heicStats.crashes++;
        const oom = (err as { code?: unknown } | null)?.code === 'ERR_WORKER_OUT_OF_MEMORY';
        const why = oom ? 'the HEIC decoder ran out of memory' : `the HEIC decoder failed: ${firstLine(err)}`;
        reject(new MediaError('decode_failed', `HEIC could not be decoded (${why})`, { cause: err }));
      });
    const onExit = (code: number) =>
      settle(() => {
        heicStats.crashes++;
        reject(
          new MediaError('decode_failed', `HEIC could not be decoded (the decoder exited with ${code})`),
        );
      });
    const timer = setTimeout(
      () =>
        settle(() => {
          heicStats.timeouts++;
          reject(new MediaError('decode_failed', 'HEIC decode took too long'));
        }),
      heicSettings.timeoutMs,
    );
    worker.on('message', onMessage);
    worker.on('messageerror', onError);
    worker.on('error', onError);
    worker.on('exit', onExit);
    worker.postMessage(req, [req.bytes.buffer]);
  });
}

// ---------------------------------------------------------------------------------------------

function validOrientation(value: number | undefined): number | null {
  return value !== undefined && Number.isInteger(value) && value >= 1 && value <= 8 ? value : null;
}

/** Orientation (tag 0x0112) from IFD0 of a raw EXIF block, with or without the "Exif\0\0" prefix. */
export function exifOrientation(exif: Buffer | undefined): number | null {
  if (!exif) return null;
  const tiff = exif.subarray(0, 6).toString('latin1') === 'Exif\0\0' ? 6 : 0;
  if (exif.length < tiff + 8) return null;
  const order = exif.toString('latin1', tiff, tiff + 2);
  if (order !== 'II' && order !== 'MM') return null;
  const le = order === 'II';
  const u16 = (at: number) => (le ? exif.readUInt16LE(at) : exif.readUInt16BE(at));
  const u32 = (at: number) => (le ? exif.readUInt32LE(at) : exif.readUInt32BE(at));
  const ifd0 = tiff + u32(tiff + 4);
  if (ifd0 + 2 > exif.length) return null;
  const entries = u16(ifd0);
  for (let i = 0; i < entries; i++) {
    const entry = ifd0 + 2 + i * 12;
    if (entry + 12 > exif.length) break;
    if (u16(entry) === 0x0112) return validOrientation(u16(entry + 8));
  }
  return null;
}

// libvips' messages, by what they mean for the user.
const TOO_MANY_PIXELS = /pixel limit/i;
const TRUNCATED =
  /premature end|unexpected end|end of (file|data|stream)|truncated|read error|corrupt header|bad seek|unable to parse|out of data|not enough data/i;

function toMediaError(err: unknown): MediaError {
  if (isMediaError(err)) return err;
  const message = err instanceof Error ? err.message : String(err);
  let code: MediaErrorCode = 'decode_failed';
  if (TOO_MANY_PIXELS.test(message)) code = 'too_many_pixels';
  else if (/buffer is empty/i.test(message)) code = 'empty_file';
  else if (TRUNCATED.test(message)) code = 'image_truncated';
  return new MediaError(code, `${MEDIA_ERROR_CODES[code]} (${firstLine(err)})`, { cause: err });
}

function firstLine(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return (message.split('\n')[0] ?? '').slice(0, 200);
}
