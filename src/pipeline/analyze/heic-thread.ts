// The HEVC HEIC decoder's thread, started by decode.ts: libheif compiled to wasm, through heic-decode.
// One request at a time: the file's bytes in, the primary image's RGBA pixels out (both transferred).
//
// It runs here rather than on the main thread because the decode is synchronous CPU work (seconds for a
// large photo: the event loop would stall) and because libheif's wasm memory only ever grows: ending this
// thread is the only way to give it back. decode.ts bounds the thread (time limit, V8 heap limits,
// replacement once its wasm memory is large) and turns any crash into a MediaError.
//
// libheif writes to console.log on bad files. The console (and the thread's stdout and stderr) is
// replaced before libheif loads (emscripten binds console.log when the module is created), and what it
// writes comes back with the reply instead of reaching the process's output.
import { createRequire } from 'node:module';
import { inspect } from 'node:util';
import { isMainThread, parentPort } from 'node:worker_threads';

export interface HeicRequest {
  /** The whole file; its buffer is transferred to the thread. */
  bytes: Uint8Array<ArrayBuffer>;
  /** libvips' `pagePrimary`: index of the primary image among the top-level ones (same order in libheif). */
  primary: number;
  /** Largest width x height the thread decodes; larger images are refused before decoding. */
  maxPixels: number;
}

export type HeicReply =
  | {
      ok: true;
      width: number;
      height: number;
      /** RGBA, 4 bytes per pixel; its buffer is transferred. */
      data: Uint8ClampedArray<ArrayBuffer>;
      /** Size of libheif's wasm memory after the decode (it never shrinks); null if it cannot be read. */
      wasmBytes: number | null;
      log: string[];
    }
  | { ok: false; code: 'decode_failed' | 'too_many_pixels'; message: string; log: string[] };

// heic-decode (CommonJS, untyped), typed by what its README documents.
interface HeicPixels {
  width: number;
  height: number;
  data: Uint8ClampedArray<ArrayBuffer>;
}
interface HeicDecode {
  all(input: {
    buffer: Uint8Array;
  }): Promise<Array<{ width: number; height: number; decode(): Promise<HeicPixels> }> & { dispose(): void }>;
}

const port = parentPort;
if (isMainThread || !port) throw new Error('heic-thread runs in a worker thread started by decode.ts');

const MAX_LOG_LINES = 20;
const log: string[] = [];
const capture = (...args: unknown[]) => {
  if (log.length >= MAX_LOG_LINES) return;
  // libheif logs its error objects ({ code, subcode, message }): their message is the useful part.
  const text = args
    .map((a) =>
      typeof a === 'string'
        ? a
        : a !== null && typeof a === 'object' && 'message' in a && typeof a.message === 'string'
          ? a.message
          : a !== null && typeof a === 'object' && Object.keys(a).length === 0
            ? '' // libheif's handle objects, which print as `heif_image_handle {}`
            : inspect(a, { depth: 1, breakLength: Infinity }),
    )
    .filter((part) => part !== '')
    .join(' ');
  log.push(text.slice(0, 300));
};
for (const method of ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const) console[method] = capture;
// Anything written to the thread's stdout or stderr would be copied to the process's.
const swallow = ((chunk: unknown, ...rest: unknown[]) => {
  capture((chunk instanceof Uint8Array ? Buffer.from(chunk).toString() : String(chunk)).trimEnd());
  const callback = rest.find((arg) => typeof arg === 'function') as (() => void) | undefined;
  if (callback) process.nextTick(callback);
  return true;
}) as typeof process.stdout.write;
process.stdout.write = swallow;
process.stderr.write = swallow;

const require = createRequire(import.meta.url);
const heicDecode = require('heic-decode') as HeicDecode;
// The libheif module heic-decode uses (the same instance: same file, same require cache), for the size of
// its wasm memory. A private detail of heic-decode: when it cannot be read, decode.ts estimates instead.
const libheif = (() => {
  try {
    return createRequire(require.resolve('heic-decode'))('libheif-js/wasm-bundle') as {
      HEAPU8?: Uint8Array;
    };
  } catch {
    return undefined;
  }
})();

async function decode(req: HeicRequest): Promise<{ reply: HeicReply; transfer: ArrayBuffer[] }> {
  const images = await heicDecode.all({ buffer: req.bytes });
  try {
    const image = images[req.primary] ?? images[0];
    if (!image) throw new Error('HEIF image not found');
    const { width, height } = image;
    if (width * height > req.maxPixels) {
      const message = `The HEIC image is ${width}x${height} pixels, more than the ${req.maxPixels} allowed`;
      return { reply: { ok: false, code: 'too_many_pixels', message, log: [...log] }, transfer: [] };
    }
    const pixels = await image.decode();
    if (pixels.data.length !== pixels.width * pixels.height * 4) throw new Error('no pixels returned');
    const wasmBytes = libheif?.HEAPU8?.byteLength ?? null;
    return {
      reply: { ok: true, ...pixels, wasmBytes, log: [...log] },
      transfer: [pixels.data.buffer],
    };
  } finally {
    images.dispose();
  }
}

port.on('message', (req: HeicRequest) => {
  log.length = 0;
  decode(req)
    .catch((err: unknown) => {
      const message = ((err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '').slice(0, 200);
      const reply: HeicReply = { ok: false, code: 'decode_failed', message, log: [...log] };
      return { reply, transfer: [] };
    })
    .then(({ reply, transfer }) => port.postMessage(reply, transfer))
    .catch((err: unknown) => {
      // Nothing sensible left to do in this thread: let decode.ts see it die.
      setImmediate(() => {
        throw err;
      });
    });
});
