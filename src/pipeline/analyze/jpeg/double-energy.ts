// An earlier JPEG save on another 8x8 grid (a crop between two saves), read from how many fine-detail DCT
// terms are near zero on each of the 63 grid offsets. A second reading beside double-shifted.ts (DC terms):
// it sees an earlier save at quality ~80 under a second one at 75-60, which the DC terms cannot.
//
// The idea is the one of the blocking-artefact papers (Luo, Huang & Qiu 2007, "A novel method for
// detecting cropped and recompressed image block", ICASSP: the blocking artefact characteristics matrix of
// a single save is symmetric, and loses its symmetry after a crop and a second save; Chen & Hsu 2011,
// "Detecting recompression of JPEG images via periodicity analysis of compression artifacts"), measured
// in the DCT domain instead of at the block edges. Written from the papers' ideas, not from any code.
//
// Why it works: the first save set most high-frequency terms (u + v >= 6) of ITS 8x8 blocks to zero. On
// that grid, even after the second save, those terms stay smaller than on the other grids; with each term's
// magnitude clipped at CLIP, their mean over the blocks E(dx, dy) is lower there. The file's own save
// leaves its pattern on every offset too, but a mirror-symmetric one: a block at horizontal offset o sees
// the file's block edge at column 8 - o, the block at 8 - o sees it at o, and mirroring a block does not
// change the magnitude of any DCT term. So on a single save E(o, k) and E(8 - o, k) differ only by the
// picture's content, and an earlier save at horizontal offset o shows as E(o, .) < E(8 - o, .). The axes
// are read separately (summed over the other axis): zx[o] and zy[o] are z-scores of that difference, the
// spread measured over a 4 x 4 grid of tiles of the picture; an offset of 4 is its own mirror and cannot
// be read on that axis. The decision statistic is the largest of zx, zy and (zx + zy) / sqrt 2 over the
// offsets.
//
// What was tried and did not work (issue-20 set; figures in double-compression.ts): a boundary statistic
// per column class (|3 p[x] - 3 p[x-1] - p[x+1] + p[x-2]| and |p[x] - p[x-1]|, class c against 8 - c):
// no z at the true offset over 4 except two q80 -> q75 files; the same energy from 1-D transforms of rows
// only: half the z; the block's total high-frequency energy, log(1 + sum c^2), instead of clipped
// magnitudes: nothing (the evidence is many terms near zero, not less energy). Other term sets and clips,
// on the set's single saves and shifted pairs (median statistic at the true offset for q80 / q90 / q95
// first saves; single saves' largest): u + v >= 6 with CLIP 8 (this) 6.4 / 2.5 / 0.5, largest 3.6; u + v >=
// 4: 5.8 / 1.6 / 0.6; >= 8: 5.7 / 2.6 / 0.4 (3.8); >= 10: 4.0 / 2.0 / 0.5 (4.3); bands 6-9 and 4-7: 6.5 /
// 2.0 and 4.6 / 1.0 (4.5, 4.2); CLIP 4: q90 at most 2.5 (singles up to 4.2); CLIP 2: worse; no clip: q80
// 3.5 and under. None lifts the q90/q95 first saves out of the single saves' range.
//
// What it cannot see: an earlier save at quality 90 or above under one at 75 or below (its fine-detail
// steps are small and the second save's error covers them) on pictures of the issue-20 set's size, a crop
// by 0 or 4 pixels on both axes. More blocks help: the set's 8 photos made at 2304x1536 instead of 768x512
// (same saves and crop, the whole plane read, 55,000 blocks) gave a median statistic at the true offset of
// 7.8 / 6.4 / 2.8 for q80 / q90 / q95 first saves, over the threshold in 22 / 18 / 9 of 24, with the 24
// single saves at most 3.5; at 1536x1024: 8.0 / 4.0 / 1.0 (22 / 11 / 0 of 24), single saves up to 5.3, all
// three over 4 from a 640x480 JPEG enlarged 2.4x (a JPEG enlarged and saved, see below). The estimate reads
// at most DOUBLE_MAX_BLOCKS (8,192) from the top, so it does not yet use this. What
// also sets it off: a JPEG enlarged and saved again (z 4-17 measured on such files): it was saved twice,
// so the reading is right, and the caveat says "cropped or enlarged".

import { doubleKernels, WASM_MAX_PIXELS } from './double-kernels.js';

/** Tiles per side of the grid the spread is estimated from. */
const TILES = 4;
/** Terms with u + v >= MIN_ORDER are the fine detail that a first save at quality ~80 set to zero. */
const MIN_ORDER = 6;
/** Each term's magnitude is clipped here, so that textured areas do not drown the smooth ones. */
const CLIP = 8;
/**
 * The decision threshold on the statistic: single saves of the issue-20 set and 80 more single saves
 * (other photos, sizes and qualities 60-90) reached at most 3.6 (see double-compression.ts).
 */
export const ENERGY_THRESHOLD = 4;
/** The statistic this far over the threshold gives confidence 1. */
const STRONG_MARGIN = 8;
/** Fewer blocks than this per offset and the reading is not made. */
const MIN_BLOCKS = 400;

// cos((2x+1) u pi / 16) * C(u) / 2, the orthonormal 8-point DCT basis.
const BASIS = new Float64Array(64);
for (let u = 0; u < 8; u++) {
  for (let x = 0; x < 8; x++) {
    BASIS[u * 8 + x] = (u === 0 ? Math.SQRT1_2 : 1) * 0.5 * Math.cos(((2 * x + 1) * u * Math.PI) / 16);
  }
}
/** The lowest vertical frequency v whose term (u, v) is counted. */
const FIRST_V = (u: number) => Math.max(0, MIN_ORDER - u);

export interface ShiftedEnergyEvidence {
  /** The decision statistic (see above) and its threshold. */
  z: number;
  threshold: number;
  detected: boolean;
  /** Confidence in [0, 1]: how far z is past the threshold. */
  confidence: number;
  /** The offsets of the earlier grid read on each axis (null: not read, offset 0 or 4, or no evidence). */
  dx: number | null;
  dy: number | null;
}

// ---------------------------------------------------------------------------------------------
// The fast path: the same energies in WebAssembly (wasm/double-jpeg.ts: 32-bit floats, four blocks per SIMD
// lane, the transforms' symmetry), ~20x cheaper; the JavaScript below stays the reference and serves
// `every` > 1, planes over WASM_MAX_PIXELS and runtimes without WebAssembly SIMD. double-energy.test.ts
// compares the two on generated files.

const kernels = doubleKernels;

/** Whether the energies are computed in WebAssembly here (for benchmarks and tests). */
export const energyWasmAvailable = kernels !== null;

/** The energies in WebAssembly (all 8 horizontal offsets at once), or null where that path cannot run. */
function wasmEnergies(plane: Uint8Array, w: number, h: number): Float64Array | null {
  if (!kernels || w % 8 !== 0 || w * h > WASM_MAX_PIXELS) return null;
  const k = kernels;
  const T = TILES * TILES;
  k.reset();
  const S = k.stride(w);
  const at = k.alloc(w * h);
  const cls = k.alloc(h * 8 * S * 4);
  const rows = k.alloc(h * 8 * S * 4);
  const energies = k.alloc(S * 4);
  const sums = k.alloc(64 * T * 8);
  const counts = k.alloc(64 * T * 8);
  if (!at || !cls || !rows || !energies || !sums || !counts) return null; // memory could not grow
  new Uint8Array(k.memory.buffer, at, w * h).set(plane.subarray(0, w * h));
  new Float64Array(k.memory.buffer, sums, 64 * T).fill(0);
  new Float64Array(k.memory.buffer, counts, 64 * T).fill(0);
  k.prepare(at, w, h, cls);
  for (let dx = 0; dx < 8; dx++) k.offset(cls, w, h, dx, rows, energies, sums, counts);
  const out = new Float64Array(k.memory.buffer, sums, 64 * T).slice();
  const c = new Float64Array(k.memory.buffer, counts, 64 * T);
  for (let i = 0; i < out.length; i++) out[i] = c[i] ? (out[i] as number) / (c[i] as number) : 0;
  return out;
}

/**
 * E(dx, dy) per tile: the mean over the blocks at that offset of the clipped magnitudes of the terms
 * u + v >= MIN_ORDER. Row transforms are made once per horizontal offset and shared by the 8 vertical
 * ones. `every`: read every `every`-th column of blocks of each offset (1: all), which divides both steps' cost.
 * `engine`: 'wasm' (where it can run, with every = 1) or the JavaScript reference.
 */
export async function offsetEnergies(
  plane: Uint8Array,
  w: number,
  h: number,
  every: number,
  engine: 'wasm' | 'js' = 'wasm',
): Promise<Float64Array> {
  // In one go (~20 ms for 0.5 MP under load): the arena is not to be shared across an await.
  const fast = engine === 'wasm' && every === 1 ? wasmEnergies(plane, w, h) : null;
  if (fast) return fast;
  const T = TILES * TILES;
  const sums = new Float64Array(64 * T);
  const counts = new Float64Array(64 * T);
  const segs = Math.floor(w / 8);
  // rows[(y * segs + j) * 8 + u]: row y, segment j of the current horizontal offset, term u.
  const rows = new Float64Array(h * segs * 8);
  const block = new Float64Array(64);
  for (let dx = 0; dx < 8; dx++) {
    // One eighth of the work per turn of the event loop (the whole is ~0.5 s of CPU on a loaded machine).
    if (dx > 0) await new Promise<void>((resolve) => setImmediate(resolve));
    const nseg = Math.floor((w - dx) / 8);
    for (let y = 0; y < h; y++) {
      for (let j = 0; j < nseg; j += every) {
        const base = y * w + dx + j * 8;
        const out = (y * segs + j) * 8;
        for (let u = 0; u < 8; u++) {
          let s = 0;
          for (let x = 0; x < 8; x++) s += (BASIS[u * 8 + x] as number) * (plane[base + x] as number);
          rows[out + u] = s;
        }
      }
    }
    for (let dy = 0; dy < 8; dy++) {
      if (dx === 0 && dy === 0) continue; // the file's own grid
      const nrow = Math.floor((h - dy) / 8);
      const at = (dy * 8 + dx) * T;
      for (let i = 0; i < nrow; i++) {
        const ty = Math.min(TILES - 1, Math.floor((i * TILES) / nrow)) * TILES;
        const y0 = dy + i * 8;
        for (let j = 0; j < nseg; j += every) {
          for (let y = 0; y < 8; y++) {
            const r = ((y0 + y) * segs + j) * 8;
            for (let u = 0; u < 8; u++) block[y * 8 + u] = rows[r + u] as number;
          }
          let e = 0;
          for (let u = 0; u < 8; u++) {
            for (let v = FIRST_V(u); v < 8; v++) {
              let c = 0;
              for (let y = 0; y < 8; y++) c += (BASIS[v * 8 + y] as number) * (block[y * 8 + u] as number);
              const m = c < 0 ? -c : c;
              e += m < CLIP ? m : CLIP;
            }
          }
          const k = at + ty + Math.min(TILES - 1, Math.floor((j * TILES) / nseg));
          sums[k] = (sums[k] as number) + e;
          counts[k] = (counts[k] as number) + 1;
        }
      }
    }
  }
  for (let k = 0; k < sums.length; k++) sums[k] = counts[k] ? (sums[k] as number) / (counts[k] as number) : 0;
  return sums;
}

/** zx[o] (zy[o]): z-score over the tiles of sum_k E(8 - o, k) - E(o, k) (the transposed for y); NaN at 0 and 4. */
export function axisScores(E: Float64Array): { zx: number[]; zy: number[] } {
  const T = TILES * TILES;
  const e = (dx: number, dy: number, t: number) => E[(dy * 8 + dx) * T + t] as number;
  const axis = (horizontal: boolean): number[] => {
    const z = new Array<number>(8).fill(NaN);
    for (const o of [1, 2, 3]) {
      let sum = 0;
      let sq = 0;
      for (let t = 0; t < T; t++) {
        let d = 0;
        for (let k = 0; k < 8; k++)
          d += horizontal ? e(8 - o, k, t) - e(o, k, t) : e(k, 8 - o, t) - e(k, o, t);
        sum += d;
        sq += d * d;
      }
      const mean = sum / T;
      const sd = Math.sqrt(Math.max(0, sq - T * mean * mean) / (T - 1));
      const v = sd > 0 ? mean / (sd / Math.sqrt(T)) : 0;
      z[o] = v;
      z[8 - o] = -v;
    }
    return z;
  };
  return { zx: axis(true), zy: axis(false) };
}

const NO_ENERGY_EVIDENCE: ShiftedEnergyEvidence = {
  z: 0,
  threshold: ENERGY_THRESHOLD,
  detected: false,
  confidence: 0,
  dx: null,
  dy: null,
};

/**
 * Looks for an earlier save on another grid in the 8-bit luminance `plane` (`w` x `h`, on the file's own
 * grid). Cost: 8 row transforms per pixel, then 63 offsets x (blocks / every) x 43 terms x 8; in
 * WebAssembly 16 CPU ms per 768x512 plane against 476 for the JavaScript (the issue-20 set, load ~10).
 */
export async function shiftedEnergyEvidence(
  plane: Uint8Array,
  w: number,
  h: number,
  every = 1,
  engine: 'wasm' | 'js' = 'wasm',
): Promise<ShiftedEnergyEvidence> {
  const blocks = Math.floor((w - 7) / 8) * Math.floor((h - 7) / 8);
  if (blocks / every < MIN_BLOCKS || w < 8 * TILES + 8 || h < 8 * TILES + 8) {
    return { ...NO_ENERGY_EVIDENCE };
  }
  return energyEvidence(await offsetEnergies(plane, w, h, every, engine));
}

/** The decision from the energies `E` of offsetEnergies. */
export function energyEvidence(E: Float64Array): ShiftedEnergyEvidence {
  const none = { ...NO_ENERGY_EVIDENCE };
  const { zx, zy } = axisScores(E);
  let best = { s: -Infinity, dx: null as number | null, dy: null as number | null };
  const readable = (o: number) => o % 4 !== 0;
  for (let dy = 0; dy < 8; dy++) {
    for (let dx = 0; dx < 8; dx++) {
      const x = readable(dx) ? (zx[dx] as number) : null;
      const y = readable(dy) ? (zy[dy] as number) : null;
      const s = x !== null && y !== null ? (x + y) / Math.SQRT2 : (x ?? y ?? -Infinity);
      if (s > best.s) best = { s, dx: x === null ? null : dx, dy: y === null ? null : dy };
    }
  }
  if (!Number.isFinite(best.s)) return none;
  const detected = best.s > ENERGY_THRESHOLD;
  return {
    z: Math.round(best.s * 10) / 10,
    threshold: ENERGY_THRESHOLD,
    detected,
    // At least 0.01 once past the threshold: a detection never reads as confidence 0.
    confidence: detected
      ? Math.max(0.01, Math.round(Math.min(1, (best.s - ENERGY_THRESHOLD) / STRONG_MARGIN) * 100) / 100)
      : 0,
    dx: detected ? best.dx : null,
    dy: detected ? best.dy : null,
  };
}
