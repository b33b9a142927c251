// `npx tsx bench/double-lattice.ts`: an experiment, not a reading the service makes. The integer
// periodicity of the AC terms on a shifted grid (Bianchi & Piva 2012; see double-shifted.ts, "Tried on
// the AC terms", for the figures and why it was not taken), on the issue-20 sets of test/helpers/double-jpeg.ts
// (768x512 and 2304x1536, off the grid and single saves): on the fine-detail reading's best offset with
// both axes readable, each block's AC terms (orthonormal DCT of the decoded pixels) scored against the q90
// lattice with a kernel matched to the second save's error (spread s):
//   S = sum_t sum_{m=1..3} rho_tm cos(2 pi m X_t / a_t),   rho_tm = exp(-2 pi^2 m^2 s^2 / a_t^2);
// z = the mean over the blocks of S on that grid less the mean of S on the three mirrored grids (8 - dx,
// dy), (dx, 8 - dy), (8 - dx, 8 - dy) at the same block index, over its standard error (on a single save
// the four are exchangeable: the file's own save leaves a mirror-symmetric pattern, see double-energy.ts).
// Prints per set the single saves' largest z, and at thresholds 4-6 the files found, alone and with the
// detector's own decision (JPEG_DOUBLE_COMPRESSION), and the reading's CPU per plane.
import os from 'node:os';
import { setImmediate } from 'node:timers/promises';
import {
  detectDoubleCompression,
  ENERGY_MAX_BLOCKS,
  lumaPlane,
} from '../src/pipeline/analyze/jpeg/double-compression.js';
import { axisScores, offsetEnergies } from '../src/pipeline/analyze/jpeg/double-energy.js';
import { decodeLuma } from '../src/pipeline/analyze/jpeg/entropy.js';
import { IJG_LUMA, ijgTable } from '../src/pipeline/analyze/jpeg/quality.js';
import { readJpegStructure } from '../src/pipeline/analyze/jpeg/structure.js';
import {
  doubleCompressionSet,
  LARGE_SIZE,
  LARGE_SOURCES,
  type DoubleSample,
} from '../test/helpers/double-jpeg.js';
import { machine, summarize, writeResult } from './lib.js';
import { DCT_BASIS as BASIS } from '../src/pipeline/analyze/jpeg/dct.js';

/** The earlier quality whose steps the kernel is matched to (q90: steps 7-24 on the terms it reads). */
const LATTICE_QUALITY = 90;
/** The spread of the second save's error on the earlier grid's coefficients (DCT units). */
const LATTICE_SPREAD = 2.5;
/** Terms whose step at LATTICE_QUALITY is under this are left out (their weights are under 0.08). */
const MIN_STEP = 7;
/** Blocks read between two turns of the event loop. */
const BLOCKS_PER_TURN = 8192;

const STEPS = ijgTable(IJG_LUMA, LATTICE_QUALITY);
/** The terms read (natural order), their steps and the three harmonics' weights. */
const TERMS = Array.from({ length: 63 }, (_, i) => i + 1).filter((t) => (STEPS[t] as number) >= MIN_STEP);
const INV_STEP = Float64Array.from(TERMS, (t) => 1 / (STEPS[t] as number));
const RHO = TERMS.map((t) =>
  [1, 2, 3].map((m) => {
    const a = STEPS[t] as number;
    return Math.exp((-2 * Math.PI * Math.PI * m * m * LATTICE_SPREAD * LATTICE_SPREAD) / (a * a));
  }),
);
/** cos(2 pi k / COS_N): the first harmonic by table (error under 0.004), the others by Chebyshev. */
const COS_N = 1024;
const COS = Float64Array.from({ length: COS_N + 1 }, (_, k) => Math.cos((2 * Math.PI * k) / COS_N));

/** S (above) of the `nx` x `ny` blocks of `plane` (`w` wide) at origin (ox, oy), into `out`. */
async function blockScores(
  plane: Uint8Array,
  w: number,
  ox: number,
  oy: number,
  nx: number,
  ny: number,
  out: Float64Array,
): Promise<void> {
  const rows = new Float64Array(64); // rows[y * 8 + u]
  let done = 0;
  for (let j = 0; j < ny; j++) {
    for (let i = 0; i < nx; i++) {
      const x0 = ox + i * 8;
      const y0 = oy + j * 8;
      for (let y = 0; y < 8; y++) {
        const r = (y0 + y) * w + x0;
        for (let u = 0; u < 8; u++) {
          let s = 0;
          for (let x = 0; x < 8; x++) s += (BASIS[u * 8 + x] as number) * (plane[r + x] as number);
          rows[y * 8 + u] = s;
        }
      }
      let score = 0;
      for (let k = 0; k < TERMS.length; k++) {
        const t = TERMS[k] as number;
        const v = t >> 3;
        const u = t & 7;
        let c = 0;
        for (let y = 0; y < 8; y++) c += (BASIS[v * 8 + y] as number) * (rows[y * 8 + u] as number);
        const p = c * (INV_STEP[k] as number);
        const c1 = COS[Math.floor((p - Math.floor(p)) * COS_N)] as number;
        const c2 = 2 * c1 * c1 - 1;
        const rho = RHO[k] as number[];
        score += (rho[0] as number) * c1 + (rho[1] as number) * c2 + (rho[2] as number) * (2 * c1 * c2 - c1);
      }
      out[j * nx + i] = score;
      if (++done % BLOCKS_PER_TURN === 0) await setImmediate();
    }
  }
}

/** z (see the head of this file) on the candidate grid (dx, dy) of the luminance `plane` (`w` x `h`). */
async function latticeZ(plane: Uint8Array, w: number, h: number, dx: number, dy: number): Promise<number> {
  const nx = Math.floor((w - 8) / 8);
  const ny = Math.floor((h - 8) / 8);
  const n = nx * ny;
  const at = new Float64Array(n);
  const mirrors = new Float64Array(n);
  const one = new Float64Array(n);
  await blockScores(plane, w, dx, dy, nx, ny, at);
  for (const [ox, oy] of [
    [8 - dx, dy],
    [dx, 8 - dy],
    [8 - dx, 8 - dy],
  ] as const) {
    await blockScores(plane, w, ox, oy, nx, ny, one);
    for (let b = 0; b < n; b++) mirrors[b] = (mirrors[b] as number) + (one[b] as number) / 3;
  }
  let sum = 0;
  let sq = 0;
  for (let b = 0; b < n; b++) {
    const d = (at[b] as number) - (mirrors[b] as number);
    sum += d;
    sq += d * d;
  }
  const mean = sum / n;
  const sd = Math.sqrt(Math.max(0, sq / n - mean * mean));
  return sd > 0 ? mean / (sd / Math.sqrt(n)) : 0;
}

/** The fine-detail reading's best offset with both axes readable (1-3, 5-7), whether or not it fired. */
async function candidate(plane: Uint8Array, w: number, h: number): Promise<{ dx: number; dy: number }> {
  const { zx, zy } = axisScores(await offsetEnergies(plane, w, h, 1));
  let best = { s: -Infinity, dx: 1, dy: 1 };
  for (const dy of [1, 2, 3, 5, 6, 7]) {
    for (const dx of [1, 2, 3, 5, 6, 7]) {
      const s = ((zx[dx] as number) + (zy[dy] as number)) / Math.SQRT2;
      if (s > best.s) best = { s, dx, dy };
    }
  }
  return best;
}

async function run(set: DoubleSample[], label: string) {
  const rows: Array<{
    kind: string;
    q1: number | null;
    z: number;
    detected: boolean;
    at: boolean;
    ms: number;
  }> = [];
  for (const s of set) {
    if (s.kind === 'aligned') continue;
    const d = decodeLuma(s.jpeg, readJpegStructure(s.jpeg), ENERGY_MAX_BLOCKS);
    if (!d.ok) continue;
    const w = d.luma.blocksWide * 8;
    const h = d.luma.blocksHigh * 8;
    const plane = lumaPlane(d.luma);
    const c = await candidate(plane, w, h);
    const t0 = process.cpuUsage();
    const z = await latticeZ(plane, w, h, c.dx, c.dy);
    const u = process.cpuUsage(t0);
    const detected = (await detectDoubleCompression(d.luma)).detected;
    rows.push({
      kind: s.kind,
      q1: s.q1,
      z,
      detected,
      at: c.dx === 5 && c.dy === 3,
      ms: (u.user + u.system) / 1000,
    });
  }
  const singles = rows.filter((r) => r.kind === 'single');
  const largest = Math.max(...singles.map((r) => r.z));
  console.log(
    `\n${label}: single saves' largest z ${largest.toFixed(1)}; lattice CPU ms per plane p50 ${summarize(rows.map((r) => r.ms)).p50}`,
  );
  const table: Record<string, unknown> = {};
  for (const thr of [4, 5, 6]) {
    const parts = [`single ${singles.filter((r) => r.z > thr).length}/${singles.length}`];
    for (const q1 of [95, 90, 80]) {
      const d = rows.filter((r) => r.kind === 'shifted' && r.q1 === q1);
      const alone = d.filter((r) => r.z > thr).length;
      const union = d.filter((r) => r.z > thr || r.detected).length;
      const now = d.filter((r) => r.detected).length;
      parts.push(
        `q${q1} first: ${alone}/${d.length} alone, with the detector ${now} -> ${union} (candidate at the crop's (5, 3): ${d.filter((r) => r.at).length})`,
      );
      table[`${thr} q${q1}`] = { alone, now, union, of: d.length };
    }
    console.log(`  z > ${thr}: ${parts.join('; ')}`);
  }
  return { largest_single: largest, table, cpu_ms: summarize(rows.map((r) => r.ms)) };
}

const small = await run(await doubleCompressionSet(), '768x512, 8 photos');
const large = await run(
  await doubleCompressionSet(LARGE_SOURCES, LARGE_SIZE),
  `${LARGE_SIZE.width}x${LARGE_SIZE.height}, ${LARGE_SOURCES.length} photos`,
);
console.log(
  `load average ${os
    .loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')}`,
);
console.log(`written to ${writeResult('double-lattice', { machine: machine(), small, large })}`);
