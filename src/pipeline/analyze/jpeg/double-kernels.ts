// The WebAssembly kernels of the double-compression estimate (wasm/double-jpeg.ts, built by
// scripts/build-wasm.ts): the luminance plane of decoded blocks (lumaPlane in double-compression.ts, to the
// same bits) and the fine-detail energies (double-energy.ts). Null where this runtime cannot run them (no
// WebAssembly SIMD): the callers keep their JavaScript, which stays the reference.
//
// The module's memory is one arena that every call resets: a caller lays out its areas, runs, and copies
// its results out before it returns, with no await in between (another analysis on the same thread would
// reset the arena under it).
import { loadKernels } from '../../../wasm-kernels.js';
import { DOUBLE_JPEG_WASM_BASE64 } from './double-jpeg-wasm.generated.js';

export interface DoubleJpegKernels {
  memory: { buffer: ArrayBuffer };
  reset(): void;
  /** `bytes` of room (16-byte aligned), or 0 when memory cannot grow. */
  alloc(bytes: number): number;
  stride(w: number): number;
  prepare(plane: number, w: number, h: number, cls: number): void;
  offset(
    cls: number,
    w: number,
    h: number,
    dx: number,
    rows: number,
    energies: number,
    sums: number,
    counts: number,
    scores: number,
    lsums: number,
    table: number,
  ): void;
  lumaPlane(
    coefficients: number,
    quant: number,
    basis: number,
    blocksWide: number,
    blocksHigh: number,
    tmp: number,
    out: number,
  ): void;
}

/** Largest plane handled in WebAssembly (its memory never shrinks): 4 MP, ~36 MB of module memory. */
export const WASM_MAX_PIXELS = 4_000_000;

export const doubleKernels = loadKernels<DoubleJpegKernels>(DOUBLE_JPEG_WASM_BASE64, 'double-jpeg');
