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
// Later (5 December 2026, the 768x512 set, JavaScript path, scratch runs): a finer grid of tiles for the
// spread, so that z is nearer normal than with 16 tiles' 15 degrees of freedom and a lower threshold would
// keep the false alarms: the single saves' largest statistic 3.6 with 4 x 4 tiles, 3.8 with 6 x 6 and 3.3
// with 8 x 8; at a threshold over all 48 the q90/q95 first saves found off the grid were 5 and 3 of 24
// (4 x 4, threshold 4), 4 and 0 (6 x 6, 4) and 6 and 0 (8 x 8, 3.5): no gain (the q95 ones 4 x 4 finds are
// at wrong offsets, noise just over the threshold). A per-block error with the three mirrored grids as
// the null (see double-shifted.ts) instead of the tiles: q80 21/24, q90 2/24. Not taken.
//
// What it cannot see: an earlier save at quality 90 or above under one at 75 or below (its fine-detail
// steps are small and the second save's error covers them) on pictures of the issue-20 set's size, a crop
// by 0 or 4 pixels on both axes. More blocks help, so this reading has its own budget, ENERGY_MAX_BLOCKS
// (55,296 blocks, 3.5 MP, from the same Huffman pass; the histogram readings keep 8,192). Measured with it on
// the same saves and crop at 2304x1536 from the 7 fixture photos larger than that (LARGE_SOURCES in
// test/helpers/double-jpeg.ts, every picture shrunk): the statistic at the true offset, median per pair,
// q80 -> 75/70/60: 11.5/9.3/6.7; q90: 8.4/4.5/2.2; q95: 0.7/0.7/0.4; over the threshold q80 19/21, q90
// 12/21, q95 2/21; the 42 single saves at most 3.5. (The earlier lead, the 8 photos of the 768x512 set
// made at 2304x1536, 4 of them ENLARGED 1.1-3.6x: 22/18/9 of 24, single saves at most 3.5.)
// False alarms, measured on 130 single saves shrunk from 17 fixture camera photos to 768-3000 px (long
// side) at q60-95 (a scratch run, not a test): median 1.7, 95th percentile 3.7, largest 5.4; over 4 in 5
// (3.8%): one photo (iptc-mess) at 768x511 q80/q85 (4.4, 4.3, as with 8,192 blocks) and 1536x1022 q60
// (4.3), and exif-rotn-1 at 3000x2250 q90/q95 (5.2, 5.4; 2.1, 2.7 with 8,192 blocks). With 8,192 blocks the
// same 130 gave 6 over 4 (largest 5.0: issue-metadata-extractor-152 at 2048-2304 px, 4.4-5.0, ~1 with the
// whole budget). A threshold of 5.5 would clear all 130 but keep only 7/21 q90 first saves at 2304x1536:
// the threshold stays 4. Camera originals as they are (17): over 4 in 2, a phone photo (10.8; 6.5 with 8,192
// blocks) and an in-camera HDR merge (7.2; 7.1). What also sets it off: a JPEG enlarged and saved again
// (36 such files, 640-800 px JPEGs enlarged 1.3-3.4x: over 4 in 19, up to 16.7; 13 with 8,192 blocks): it
// was saved twice, so the reading is right, and the caveat says "cropped or enlarged".
//
// The lattice reading (6 December 2026), from the same pass over the same blocks and terms: each block's
// score S = sum over the terms u + v >= MIN_ORDER of rho triangle(c / a), a the terms' q90 steps (10-24 on
// most of them) and rho = exp(-2 pi^2 s^2 / a^2) what a second save's error of spread s = 2.5 leaves of a
// clustering on their multiples (Bianchi & Piva's integer periodicity, first harmonic). Where the energy
// reads only that the first save's zeros stay small, this also reads its non-zero multiples of a. Its tile
// means go through the same mirror test (axisScores on -L, the same combination of the axes), against
// LATTICE_THRESHOLD; the file is flagged by it only where no other reading fired. The per-block
// z over all blocks on one candidate grid, with the three mirrored grids as the null (double-shifted.ts,
// "Tried on the AC terms"), gained one q90 file; the same score in tiles with the axes' mirror test reads
// better: the statistic at the crop's grid (bench/double-offgrid-reach.ts, load 4.8), q90 first saves
// under q75/q70/q60 median 4.3/3.8/1.6 at 768x512 (fine-detail 3.2/1.7/1.4) and 8.9/6.0/2.9 at 2304x1536
// (8.4/4.5/2.2), the single saves there at most 2.2 and 2.7, their decision statistic at most 3.7 at both
// sizes (3.6 and 3.5 for the fine-detail reading). q95 first saves: 1.7/1.1/1.0 and 2.3/1.1/0.6, inside
// the single saves' range but for the iPhone photo at 2304x1536 (9.4, 6.9).
// The threshold: 4, as ENERGY_THRESHOLD, was fixed on the generated sets (their single saves at most 3.7)
// and found, with the readings in use, q90 first saves off the grid 6 -> 10/24 at 768x512 and 13 -> 17/21
// at 2304x1536 (q95 3 and 4 -> 5/21), no single save more (0/48, 2/42); then the held-out set
// (bench:forensics-false-alarms) flagged one camera file more than before, a 4608 px phone original
// (HMD Nokia 8.3, its top 3.5 MP: lattice 4.3 at (2, 3), fine-detail 3.9), and one edited file (4.6). At
// 4.5 the held-out set reads as before (1/224 shrunk saves, 4/13 camera files; the edited file stays
// flagged) and the gain is q90 6 -> 8/24 and 13 -> 14/21: 4.5 is taken, set after that held-out run, so
// that set is no longer unseen for this threshold.
// Cost: energies and lattice scores 22.5 -> 30.6 CPU ms per 768x512 plane and 204 -> 280 per 3.5 MP
// (medians, the two alternating on the same planes, load 3.9-4.8): the triangle wave instead of a cosine
// (43 -> 27 ms per 768x512 plane in a first try with a polynomial cosine).
// A joint statistic of the two readings (6 December 2026, bench/double-offgrid-reach.ts; not taken): the
// idea was that at the first save's grid both readings are high while on single saves their largest
// values fall at unrelated offsets. Their largest fall at the same offset in only 22 of 48 and 14 of 42
// single saves, but the two readings' tile differences at one offset correlate at 0.8 (768x512) and 0.85
// (2304x1536) over the tiles, on average: the two are nearly one measurement (the lattice score is high where
// the terms sit near zero, which is also where their clipped magnitudes are low), so a joint statistic
// adds the same evidence twice. Per offset (s_E + s_L) / sqrt 2: the single saves' decision statistic
// grows with it (3.6-3.7 -> 5.1 at 768x512, 4.8 at 2304x1536), q90 -> q75 at the crop's grid median 4.8
// and 12.1. The tile differences of each reading over their spread, summed tile by tile and read as one z
// (which takes the correlation into account): single saves up to 3.8 and 3.4, q90 -> q75 3.7 and 8.6.
// Each against its own single saves' largest, q90 first saves found at the crop's grid (fine-detail /
// lattice / sum / tiles): 1 / 6 / 4 / 4 of 24 at 768x512, 14 / 14 / 15 / 15 of 21 at 2304x1536; q80 19 /
// 16 / 18 / 18 and 16 / 13 / 15 / 15. Beside the readings in use, one threshold just over all 90 single
// saves (5.13 for the sum, 3.76 for the tiles) would add q90 first saves 1 and 2 (the sum) or 3 and 2 (the
// tiles) at the two sizes, the lattice reading alone at 3.70 4 and 3 (with one q95 at 2304x1536 for each).
// With a correlation rho between two z-scores, the best linear joint is w ~ (m_E - rho m_L, m_L - rho
// m_E) on their means: with the medians at the crop's grid, nearly the lattice reading alone (a weight of
// -0.25 on the energy: 4 and 3 (+2 q95), no better). The minimum of the two per offset: single saves up
// to 3.6, and nothing more than the fine-detail reading's.

import { doubleKernels, WASM_MAX_PIXELS } from './double-kernels.js';
import { setImmediate } from 'node:timers/promises';
import { DCT_BASIS as BASIS } from './dct.js';
import { IJG_LUMA, ijgTable } from './quality.js';

/** Tiles per side of the grid the spread is estimated from. */
const TILES = 4;
/** Terms with u + v >= MIN_ORDER are the fine detail that a first save at quality ~80 set to zero. */
const MIN_ORDER = 6;
/** Each term's magnitude is clipped here, so that textured areas do not drown the smooth ones. */
const CLIP = 8;
/**
 * The decision threshold on the statistic: single saves of the issue-20 set reached at most 3.6 (3.5 at
 * 2304x1536); 5 of 130 single saves of other sizes and qualities passed it, up to 5.4 (see above).
 */
export const ENERGY_THRESHOLD = 4;
/** The statistic this far over the threshold gives confidence 1. */
const STRONG_MARGIN = 8;
/** Fewer blocks than this per offset and the reading is not made. */
const MIN_BLOCKS = 400;

/**
 * The lattice reading (see LATTICE_THRESHOLD): the earlier quality whose steps a the score is matched to,
 * and the spread of the second save's error on the earlier grid's coefficients (DCT units; the figure of
 * double-shifted.ts' lattice experiment). A q80 first save (steps about twice q90's) scores on the same
 * lattice; a q95 one (half) does not.
 */
const LATTICE_QUALITY = 90;
const LATTICE_SPREAD = 2.5;
/**
 * (1 / a, rho) per term in natural order (v * 8 + u): rho = exp(-2 pi^2 s^2 / a^2) is how much of the
 * clustering on multiples of a a spread s leaves (0.03 for the step 6 of some u + v = 6 terms, 0.29-0.81
 * for the steps 10-24 of most of them).
 */
const LATTICE_TABLE: Float32Array = (() => {
  const steps = ijgTable(IJG_LUMA, LATTICE_QUALITY);
  const t = new Float32Array(128);
  steps.forEach((a, i) => {
    t[2 * i] = 1 / a;
    t[2 * i + 1] = Math.exp((-2 * Math.PI * Math.PI * LATTICE_SPREAD * LATTICE_SPREAD) / (a * a));
  });
  return t;
})();
/**
 * 1 - 4 |x - round(x)|: a triangle wave of period 1, 1 on the integers and -1 halfway; (8 / pi^2) (cos 2 pi x
 * + cos 6 pi x / 9 + ...), the first harmonic of Bianchi & Piva's periodicity at a fraction of a cosine's
 * cost (wasm/double-jpeg.ts computes the same in 32-bit floats).
 */
function triangle(x: number): number {
  return 1 - 4 * Math.abs(x - Math.round(x));
}
/**
 * The lattice reading's threshold, on the same statistic as ENERGY_THRESHOLD (the axes' z-scores over the
 * tiles, mirror against mirror) of the tile means of the per-block score S = sum over the terms u + v >=
 * MIN_ORDER of rho triangle(c / a) (see triangle), a the LATTICE_QUALITY steps: on the first save's grid the terms sit
 * near multiples of its steps (zero among them), so S is larger there than on the mirrored grids.
 */
export const LATTICE_THRESHOLD = 4.5;

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

/**
 * Pixels of the plane read in one go at most (one strip; see offsetEnergies): about the issue-20 set's
 * pictures, whose areas (~9 bytes a pixel) stay in the processor's caches: a 3.5 MP plane read in one go
 * took 390 CPU ms, in strips 127-150 (load ~4), each strip holding the event loop ~20 ms.
 */
const STRIP_PIXELS = 600_000;

/** Raw sums and counts (64 offsets x TILES^2 tiles of the strip) of one strip: energies and lattice scores. */
interface StripSums {
  sums: Float64Array;
  lattice: Float64Array;
  counts: Float64Array;
}

/** The sums in WebAssembly (all 8 horizontal offsets at once), or null where that path cannot run. */
function wasmSums(plane: Uint8Array, w: number, h: number): StripSums | null {
  if (!kernels || w % 8 !== 0 || w * h > WASM_MAX_PIXELS) return null;
  const k = kernels;
  const T = TILES * TILES;
  k.reset();
  const S = k.stride(w);
  const at = k.alloc(w * h);
  const cls = k.alloc(h * 8 * S * 4);
  const rows = k.alloc(h * 8 * S * 4);
  const energies = k.alloc(S * 4);
  const scores = k.alloc(S * 4);
  const sums = k.alloc(64 * T * 8);
  const lsums = k.alloc(64 * T * 8);
  const counts = k.alloc(64 * T * 8);
  const table = k.alloc(128 * 4);
  if (!at || !cls || !rows || !energies || !scores || !sums || !lsums || !counts || !table) return null;
  new Uint8Array(k.memory.buffer, at, w * h).set(plane.subarray(0, w * h));
  new Float64Array(k.memory.buffer, sums, 64 * T).fill(0);
  new Float64Array(k.memory.buffer, lsums, 64 * T).fill(0);
  new Float64Array(k.memory.buffer, counts, 64 * T).fill(0);
  new Float32Array(k.memory.buffer, table, 128).set(LATTICE_TABLE);
  k.prepare(at, w, h, cls);
  for (let dx = 0; dx < 8; dx++) {
    k.offset(cls, w, h, dx, rows, energies, sums, counts, scores, lsums, table);
  }
  return {
    sums: new Float64Array(k.memory.buffer, sums, 64 * T).slice(),
    lattice: new Float64Array(k.memory.buffer, lsums, 64 * T).slice(),
    counts: new Float64Array(k.memory.buffer, counts, 64 * T).slice(),
  };
}

/** The sums in JavaScript (the reference), one eighth of the work per turn of the event loop. */
async function jsSums(plane: Uint8Array, w: number, h: number, every: number): Promise<StripSums> {
  const T = TILES * TILES;
  const sums = new Float64Array(64 * T);
  const lattice = new Float64Array(64 * T);
  const counts = new Float64Array(64 * T);
  const segs = Math.floor(w / 8);
  // rows[(y * segs + j) * 8 + u]: row y, segment j of the current horizontal offset, term u.
  const rows = new Float64Array(h * segs * 8);
  const block = new Float64Array(64);
  for (let dx = 0; dx < 8; dx++) {
    // One eighth of the work per turn of the event loop (the whole is ~0.5 s of CPU on a loaded machine).
    if (dx > 0) await setImmediate();
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
          let l = 0;
          for (let u = 0; u < 8; u++) {
            for (let v = FIRST_V(u); v < 8; v++) {
              let c = 0;
              for (let y = 0; y < 8; y++) c += (BASIS[v * 8 + y] as number) * (block[y * 8 + u] as number);
              const m = c < 0 ? -c : c;
              e += m < CLIP ? m : CLIP;
              const i = 2 * (v * 8 + u);
              l += (LATTICE_TABLE[i + 1] as number) * triangle(c * (LATTICE_TABLE[i] as number));
            }
          }
          const k = at + ty + Math.min(TILES - 1, Math.floor((j * TILES) / nseg));
          sums[k] = (sums[k] as number) + e;
          lattice[k] = (lattice[k] as number) + l;
          counts[k] = (counts[k] as number) + 1;
        }
      }
    }
  }
  return { sums, lattice, counts };
}

/**
 * E(dx, dy) per tile: the mean over the blocks at that offset of the clipped magnitudes of the terms
 * u + v >= MIN_ORDER. Row transforms are made once per horizontal offset and shared by the 8 vertical
 * ones. `every`: read every `every`-th column of blocks of each offset (1: all), which divides both steps' cost.
 * `engine`: 'wasm' (where it can run, with every = 1) or the JavaScript reference.
 *
 * The plane is read in horizontal strips, with a turn of the event loop between two: each tile row of
 * blocks (the blocks whose top edge lies in file block rows ty R / TILES to (ty + 1) R / TILES, R = h / 8)
 * is one strip, or several of at most ~STRIP_PIXELS each on large planes. A strip holds its rows and 7 more
 * pixel rows, so that every block at every offset is read in exactly one strip, as over the whole plane;
 * only the tile a block counts in can differ from a reading of the whole plane in one go (one row of blocks
 * at a tile row's edge). On the issue-20 set's planes (64 block rows) the tiles are the same and so are the
 * energies, to the bit; on a 4000x880 plane a z moved by up to 0.9 (E by up to 0.1).
 */
export async function offsetEnergies(
  plane: Uint8Array,
  w: number,
  h: number,
  every: number,
  engine: 'wasm' | 'js' = 'wasm',
): Promise<Float64Array> {
  return (await offsetFeatures(plane, w, h, every, engine)).energy;
}

/**
 * offsetEnergies, and beside it, in the same pass over the same blocks, L(dx, dy) per tile: the mean of
 * the lattice score (see LATTICE_THRESHOLD) over the blocks at that offset.
 */
export async function offsetFeatures(
  plane: Uint8Array,
  w: number,
  h: number,
  every: number,
  engine: 'wasm' | 'js' = 'wasm',
): Promise<{ energy: Float64Array; lattice: Float64Array }> {
  const T = TILES * TILES;
  const sums = new Float64Array(64 * T);
  const lattice = new Float64Array(64 * T);
  const counts = new Float64Array(64 * T);
  const R = Math.floor(h / 8);
  let first = true;
  for (let ty = 0; ty < TILES; ty++) {
    const from = Math.ceil((ty * R) / TILES);
    const to = Math.ceil(((ty + 1) * R) / TILES);
    const n = Math.max(1, Math.min(to - from, Math.ceil(((to - from) * 8 * w) / STRIP_PIXELS)));
    for (let p = 0; p < n; p++) {
      const a = from + Math.floor(((to - from) * p) / n);
      const b = from + Math.floor(((to - from) * (p + 1)) / n);
      if (b <= a) continue;
      if (!first) await setImmediate();
      first = false;
      const y0 = a * 8;
      const hs = Math.min(h, b * 8 + 7) - y0;
      const strip = plane.subarray(y0 * w, (y0 + hs) * w);
      // The arena is not shared across an await: each strip in WebAssembly is read in one go.
      const part =
        (engine === 'wasm' && every === 1 ? wasmSums(strip, w, hs) : null) ??
        (await jsSums(strip, w, hs, every));
      // The strip's own tiles (TILES x TILES) folded into tile row ty.
      for (let o = 0; o < 64; o++) {
        for (let t = 0; t < T; t++) {
          const k = o * T + ty * TILES + (t % TILES);
          sums[k] = (sums[k] as number) + (part.sums[o * T + t] as number);
          lattice[k] = (lattice[k] as number) + (part.lattice[o * T + t] as number);
          counts[k] = (counts[k] as number) + (part.counts[o * T + t] as number);
        }
      }
    }
  }
  for (let k = 0; k < sums.length; k++) {
    const n = counts[k] as number;
    sums[k] = n ? (sums[k] as number) / n : 0;
    lattice[k] = n ? (lattice[k] as number) / n : 0;
  }
  return { energy: sums, lattice };
}

/**
 * Per axis and offset o = 1, 2, 3, the tiles' sum_k E(8 - o, k) - E(o, k) (x; the transposed for y):
 * x[o][t] for tile t (x[0] is empty).
 */
export function axisDifferences(E: Float64Array): { x: Float64Array[]; y: Float64Array[] } {
  const T = TILES * TILES;
  const e = (dx: number, dy: number, t: number) => E[(dy * 8 + dx) * T + t] as number;
  const axis = (horizontal: boolean): Float64Array[] =>
    [0, 1, 2, 3].map((o) => {
      const d = new Float64Array(o === 0 ? 0 : T);
      for (let t = 0; t < d.length; t++) {
        for (let k = 0; k < 8; k++)
          d[t] = (d[t] as number) + (horizontal ? e(8 - o, k, t) - e(o, k, t) : e(k, 8 - o, t) - e(k, o, t));
      }
      return d;
    });
  return { x: axis(true), y: axis(false) };
}

/** The z-score of the mean of `d` (one value per tile) against 0, with the spread over the tiles. */
export function tileZ(d: Float64Array): number {
  const n = d.length;
  let sum = 0;
  let sq = 0;
  for (const v of d) {
    sum += v;
    sq += v * v;
  }
  const mean = sum / n;
  const sd = Math.sqrt(Math.max(0, sq - n * mean * mean) / (n - 1));
  return sd > 0 ? mean / (sd / Math.sqrt(n)) : 0;
}

/** zx[o] (zy[o]): z-score over the tiles of sum_k E(8 - o, k) - E(o, k) (the transposed for y); NaN at 0 and 4. */
export function axisScores(E: Float64Array): { zx: number[]; zy: number[] } {
  const d = axisDifferences(E);
  const axis = (a: Float64Array[]): number[] => {
    const z = new Array<number>(8).fill(NaN);
    for (const o of [1, 2, 3]) {
      const v = tileZ(a[o] as Float64Array);
      z[o] = v;
      z[8 - o] = -v;
    }
    return z;
  };
  return { zx: axis(d.x), zy: axis(d.y) };
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
 * WebAssembly 16 CPU ms per 768x512 plane against 476 for the JavaScript (the issue-20 set, load ~10),
 * 127-150 ms per 3.5 MP plane in strips (390 read in one go; load ~4), ~20 ms per strip.
 */
export async function shiftedEnergyEvidence(
  plane: Uint8Array,
  w: number,
  h: number,
  every = 1,
  engine: 'wasm' | 'js' = 'wasm',
): Promise<ShiftedEnergyEvidence> {
  if (tooFewBlocks(w, h, every)) return { ...NO_ENERGY_EVIDENCE };
  return energyEvidence(await offsetEnergies(plane, w, h, every, engine));
}

/** Whether a w x h plane read every `every` blocks has too few blocks, or too small a side, for the tiles. */
function tooFewBlocks(w: number, h: number, every: number): boolean {
  const blocks = Math.floor((w - 7) / 8) * Math.floor((h - 7) / 8);
  return blocks / every < MIN_BLOCKS || w < 8 * TILES + 8 || h < 8 * TILES + 8;
}

/**
 * shiftedEnergyEvidence and the lattice reading (LATTICE_THRESHOLD) from the same pass: in WebAssembly the
 * lattice scores add ~1/3 to the fine-detail reading's CPU.
 */
export async function shiftedGridReadings(
  plane: Uint8Array,
  w: number,
  h: number,
  every = 1,
  engine: 'wasm' | 'js' = 'wasm',
): Promise<{ energy: ShiftedEnergyEvidence; lattice: ShiftedEnergyEvidence }> {
  if (tooFewBlocks(w, h, every)) {
    return {
      energy: { ...NO_ENERGY_EVIDENCE },
      lattice: { ...NO_ENERGY_EVIDENCE, threshold: LATTICE_THRESHOLD },
    };
  }
  const f = await offsetFeatures(plane, w, h, every, engine);
  return { energy: energyEvidence(f.energy), lattice: latticeEvidence(f.lattice) };
}

/**
 * The lattice reading's decision from the scores `L` of offsetFeatures: energyEvidence's statistic on -L
 * (on the first save's grid the score is higher, where the energy is lower), against LATTICE_THRESHOLD.
 */
export function latticeEvidence(L: Float64Array): ShiftedEnergyEvidence {
  return energyEvidence(
    L.map((x) => -x),
    LATTICE_THRESHOLD,
  );
}

/**
 * The statistic per offset (dy * 8 + dx) from the axes' z-scores: (zx + zy) / sqrt 2 where both axes can
 * be read, the one that can where the other's offset is 0 or 4, -Infinity where neither can.
 */
export function offsetStatistics(zx: number[], zy: number[]): Float64Array {
  const s = new Float64Array(64).fill(-Infinity);
  const readable = (o: number) => o % 4 !== 0;
  for (let dy = 0; dy < 8; dy++) {
    for (let dx = 0; dx < 8; dx++) {
      const x = readable(dx) ? (zx[dx] as number) : null;
      const y = readable(dy) ? (zy[dy] as number) : null;
      s[dy * 8 + dx] = x !== null && y !== null ? (x + y) / Math.SQRT2 : (x ?? y ?? -Infinity);
    }
  }
  return s;
}

/** The decision from the energies `E` of offsetEnergies (or another per-tile mean, against `threshold`). */
export function energyEvidence(E: Float64Array, threshold = ENERGY_THRESHOLD): ShiftedEnergyEvidence {
  const none = { ...NO_ENERGY_EVIDENCE, threshold };
  const { zx, zy } = axisScores(E);
  const stat = offsetStatistics(zx, zy);
  let best = { s: -Infinity, dx: null as number | null, dy: null as number | null };
  for (let dy = 0; dy < 8; dy++) {
    for (let dx = 0; dx < 8; dx++) {
      const s = stat[dy * 8 + dx] as number;
      if (s > best.s) best = { s, dx: dx % 4 === 0 ? null : dx, dy: dy % 4 === 0 ? null : dy };
    }
  }
  if (!Number.isFinite(best.s)) return none;
  const detected = best.s > threshold;
  return {
    z: Math.round(best.s * 10) / 10,
    threshold,
    detected,
    // At least 0.01 once past the threshold: a detection never reads as confidence 0.
    confidence: detected
      ? Math.max(0.01, Math.round(Math.min(1, (best.s - threshold) / STRONG_MARGIN) * 100) / 100)
      : 0,
    dx: detected ? best.dx : null,
    dy: detected ? best.dy : null,
  };
}
