// `npx tsx bench/double-offgrid-reach.ts`: an experiment, not a reading the service makes. How much of an
// earlier save on another grid the fine-detail reading (double-energy.ts) can see at all: its statistic AT
// the first save's grid of the set's crop (SHIFTED_GRID, (5, 3)), where no search over offsets is paid for,
// against the single saves' values at that same grid (the null without the search) and the single saves'
// decision statistic (the largest over the offsets, what the threshold must clear). A first quality whose
// values at the crop's grid sit inside the single saves' own range there is out of this reading's reach
// whatever the threshold; one that clears that range but not the search's is lost to the search over 63
// offsets. Twice, on the issue-20 sets of test/helpers/double-jpeg.ts: 768x512 (8 photos) and 2304x1536
// (7 photos, 9x the blocks: a statistic carried by the first save grows about 3x there, noise does not).
// The same for the lattice reading of the same pass (q90's steps; LATTICE_THRESHOLD in double-energy.ts).
// Two joint statistics of the two readings, to see whether they separate better than either alone
// (6 December 2026; not readings the service makes; figures in double-energy.ts): per offset the two
// readings' statistics summed, (s_E + s_L) / sqrt 2 ('joint sum'); and per axis the tile differences of
// the two (axisDifferences), each over its spread across the tiles, summed tile by tile and read as one z
// ('joint tiles': it allows for the two readings' correlation over the tiles, which the sum does not).
// Every reading is also read against the largest of its own single saves' decision statistics at that
// size (the lowest threshold these sets allow): the same footing for all four.
import os from 'node:os';
import { ENERGY_MAX_BLOCKS, lumaPlane } from '../src/pipeline/analyze/jpeg/double-compression.js';
import {
  axisDifferences,
  axisScores,
  ENERGY_THRESHOLD,
  LATTICE_THRESHOLD,
  offsetFeatures,
  offsetStatistics,
  tileZ,
} from '../src/pipeline/analyze/jpeg/double-energy.js';
import { decodeLuma } from '../src/pipeline/analyze/jpeg/entropy.js';
import { readJpegStructure } from '../src/pipeline/analyze/jpeg/structure.js';
import {
  doubleCompressionSet,
  LARGE_SIZE,
  LARGE_SOURCES,
  SHIFTED_GRID,
  type DoubleSample,
} from '../test/helpers/double-jpeg.js';
import { machine, writeResult } from './lib.js';

const READINGS = ['fine-detail', 'lattice', 'joint sum', 'joint tiles'] as const;
type ReadingName = (typeof READINGS)[number];
/** The service's thresholds (the joint statistics have none). */
const THRESHOLD: Partial<Record<ReadingName, number>> = {
  'fine-detail': ENERGY_THRESHOLD,
  lattice: LATTICE_THRESHOLD,
};
const GRID = SHIFTED_GRID.dy * 8 + SHIFTED_GRID.dx;

interface Reading {
  s: DoubleSample;
  /** Per reading, its statistic per offset (dy * 8 + dx; offsetStatistics). */
  stat: Record<ReadingName, Float64Array>;
  /** Per axis, the correlation over the tiles of the two readings' differences at the crop's grid. */
  rho: number;
}

function correlation(a: Float64Array, b: Float64Array): number {
  const n = a.length;
  const ma = a.reduce((s, x) => s + x, 0) / n;
  const mb = b.reduce((s, x) => s + x, 0) / n;
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < n; i++) {
    const x = (a[i] as number) - ma;
    const y = (b[i] as number) - mb;
    ab += x * y;
    aa += x * x;
    bb += y * y;
  }
  return aa > 0 && bb > 0 ? ab / Math.sqrt(aa * bb) : 0;
}

/** The 'joint tiles' z-scores per axis: each reading's tile differences over their spread, summed. */
function jointScores(E: Float64Array, negL: Float64Array): { zx: number[]; zy: number[] } {
  const de = axisDifferences(E);
  const dl = axisDifferences(negL);
  const unit = (d: Float64Array) => {
    const m = d.reduce((s, x) => s + x, 0) / d.length;
    const sd = Math.sqrt(d.reduce((s, x) => s + (x - m) * (x - m), 0) / (d.length - 1));
    return sd > 0 ? d.map((x) => x / sd) : d.map(() => 0);
  };
  const axis = (a: Float64Array[], b: Float64Array[]) => {
    const z = new Array<number>(8).fill(NaN);
    for (const o of [1, 2, 3]) {
      const ua = unit(a[o] as Float64Array);
      const v = tileZ(unit(b[o] as Float64Array).map((x, t) => x + (ua[t] as number)));
      z[o] = v;
      z[8 - o] = -v;
    }
    return z;
  };
  return { zx: axis(de.x, dl.x), zy: axis(de.y, dl.y) };
}

async function read(set: DoubleSample[]): Promise<Reading[]> {
  const out: Reading[] = [];
  for (const s of set) {
    if (s.kind === 'aligned') continue;
    const d = decodeLuma(s.jpeg, readJpegStructure(s.jpeg), ENERGY_MAX_BLOCKS);
    if (!d.ok) continue;
    const w = d.luma.blocksWide * 8;
    const h = d.luma.blocksHigh * 8;
    const { energy: E, lattice: L } = await offsetFeatures(lumaPlane(d.luma), w, h, 1);
    const negL = L.map((x) => -x);
    const e = axisScores(E);
    const l = axisScores(negL);
    const fine = offsetStatistics(e.zx, e.zy);
    const lattice = offsetStatistics(l.zx, l.zy);
    const j = jointScores(E, negL);
    const de = axisDifferences(E);
    const dl = axisDifferences(negL);
    const ox = Math.min(SHIFTED_GRID.dx, 8 - SHIFTED_GRID.dx);
    const oy = Math.min(SHIFTED_GRID.dy, 8 - SHIFTED_GRID.dy);
    out.push({
      s,
      stat: {
        'fine-detail': fine,
        lattice,
        'joint sum': fine.map((x, k) => (x + (lattice[k] as number)) / Math.SQRT2),
        'joint tiles': offsetStatistics(j.zx, j.zy),
      },
      rho:
        (correlation(de.x[ox] as Float64Array, dl.x[ox] as Float64Array) +
          correlation(de.y[oy] as Float64Array, dl.y[oy] as Float64Array)) /
        2,
    });
  }
  return out;
}

/** The largest statistic over the offsets and where (the first in dy, dx order, as energyEvidence). */
function best(stat: Float64Array): { z: number; at: number } {
  let at = 0;
  for (let k = 1; k < 64; k++) if ((stat[k] as number) > (stat[at] as number)) at = k;
  return { z: stat[at] as number, at };
}

const r1 = (x: number) => Math.round(x * 10) / 10;
function spread(xs: number[]): { median: number; min: number; max: number } {
  const s = [...xs].sort((a, b) => a - b);
  return {
    median: r1(s[Math.floor(s.length / 2)] as number),
    min: r1(s[0] as number),
    max: r1(s[s.length - 1] as number),
  };
}
const fmt = (x: { median: number; min: number; max: number }) => `${x.median} [${x.min}, ${x.max}]`;

function report(all: Reading[], label: string, reading: ReadingName) {
  const rows = all.map((r) => {
    const b = best(r.stat[reading]);
    return { s: r.s, atGrid: r.stat[reading][GRID] as number, z: b.z, at: b.at };
  });
  const singles = rows.filter((r) => r.s.kind === 'single');
  const nullAt = spread(singles.map((r) => r.atGrid));
  const nullMax = spread(singles.map((r) => r.z));
  // The service's threshold (none for a joint statistic), and the single saves' largest: the lowest
  // threshold these sets allow, the same footing for every reading.
  const threshold = THRESHOLD[reading];
  const largest = Math.max(...singles.map((r) => r.z));
  console.log(
    `\n${label}, ${reading}: single saves (${singles.length}) at the crop's grid (${SHIFTED_GRID.dx}, ${SHIFTED_GRID.dy}) median ${fmt(nullAt)}; their decision statistic (largest over the offsets) ${fmt(nullMax)}${threshold === undefined ? '' : `; threshold ${threshold}`}`,
  );
  console.log(
    `| first -> second | at the crop's grid, median [range] | over the single saves' largest there (${nullAt.max}) | over the threshold, at the crop's grid | over the single saves' largest decision statistic (${r1(largest)}), at the crop's grid |\n| --- | --- | --- | --- | --- |`,
  );
  const pairs: Record<string, unknown> = {};
  for (const q1 of [95, 90, 80]) {
    for (const q2 of [75, 70, 60]) {
      const d = rows.filter((r) => r.s.kind === 'shifted' && r.s.q1 === q1 && r.s.q2 === q2);
      const at = spread(d.map((r) => r.atGrid));
      const over = d.filter((r) => r.atGrid > nullAt.max).length;
      const atGrid = (t: number) => d.filter((r) => r.z > t && r.at === GRID).length;
      const found = threshold === undefined ? null : atGrid(threshold);
      const overLargest = atGrid(largest);
      console.log(
        `| q${q1} -> q${q2} | ${fmt(at)} | ${over}/${d.length} | ${found === null ? '-' : `${found}/${d.length}`} | ${overLargest}/${d.length} |`,
      );
      pairs[`q${q1}->q${q2}`] = {
        at_grid: at,
        over_null_at_grid: over,
        detected_at_grid: found,
        over_single_largest_at_grid: overLargest,
        of: d.length,
      };
    }
  }
  const photos: Record<string, string> = {};
  for (const src of [...new Set(rows.map((r) => r.s.source))]) {
    photos[src] = rows
      .filter((r) => r.s.source === src && r.s.kind === 'shifted')
      .map((r) => `q${r.s.q1}->q${r.s.q2} ${r1(r.atGrid)}`)
      .join(', ');
  }
  return { single_at_grid: nullAt, single_decision: nullMax, threshold, pairs, photos };
}

function readings(rows: Reading[], label: string) {
  const rho = spread(rows.filter((r) => r.s.kind === 'single').map((r) => r.rho));
  console.log(
    `\n${label}: the two readings' tile differences at the crop's grid, correlation over the tiles on the single saves (mean of the axes) ${fmt(rho)}`,
  );
  return {
    single_tile_correlation: rho,
    ...Object.fromEntries(READINGS.map((name) => [name, report(rows, label, name)])),
  };
}

const smallRows = await read(await doubleCompressionSet());
const largeRows = await read(await doubleCompressionSet(LARGE_SOURCES, LARGE_SIZE));
const small = readings(smallRows, '768x512, 8 photos');
const large = readings(largeRows, `${LARGE_SIZE.width}x${LARGE_SIZE.height}, ${LARGE_SOURCES.length} photos`);
console.log(
  `load average ${os
    .loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')}`,
);
console.log(`written to ${writeResult('double-offgrid-reach', { machine: machine(), small, large })}`);
