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
import os from 'node:os';
import { ENERGY_MAX_BLOCKS, lumaPlane } from '../src/pipeline/analyze/jpeg/double-compression.js';
import {
  axisScores,
  energyEvidence,
  latticeEvidence,
  offsetFeatures,
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

interface Reading {
  s: DoubleSample;
  /** The statistic at the crop's grid: (zx[dx] + zy[dy]) / sqrt 2, as energyEvidence combines two axes. */
  atGrid: number;
  /** The reading's decision statistic (the largest over the offsets) and whether it named the crop's grid. */
  z: number;
  detectedAtGrid: boolean;
  /** The same for the lattice reading. */
  latticeAtGrid: number;
  latticeZ: number;
  latticeDetectedAtGrid: boolean;
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
    const { zx, zy } = axisScores(E);
    const e = energyEvidence(E);
    const lz = axisScores(L.map((x) => -x));
    const l = latticeEvidence(L);
    out.push({
      s,
      atGrid: ((zx[SHIFTED_GRID.dx] as number) + (zy[SHIFTED_GRID.dy] as number)) / Math.SQRT2,
      z: e.z,
      detectedAtGrid: e.detected && e.dx === SHIFTED_GRID.dx && e.dy === SHIFTED_GRID.dy,
      latticeAtGrid: ((lz.zx[SHIFTED_GRID.dx] as number) + (lz.zy[SHIFTED_GRID.dy] as number)) / Math.SQRT2,
      latticeZ: l.z,
      latticeDetectedAtGrid: l.detected && l.dx === SHIFTED_GRID.dx && l.dy === SHIFTED_GRID.dy,
    });
  }
  return out;
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

function report(all: Reading[], label: string, reading: 'fine-detail' | 'lattice') {
  const rows =
    reading === 'fine-detail'
      ? all
      : all.map((r) => ({
          ...r,
          atGrid: r.latticeAtGrid,
          z: r.latticeZ,
          detectedAtGrid: r.latticeDetectedAtGrid,
        }));
  const singles = rows.filter((r) => r.s.kind === 'single');
  const nullAt = spread(singles.map((r) => r.atGrid));
  const nullMax = spread(singles.map((r) => r.z));
  console.log(
    `\n${label}, ${reading} reading: single saves (${singles.length}) at the crop's grid (${SHIFTED_GRID.dx}, ${SHIFTED_GRID.dy}) median ${fmt(nullAt)}; their decision statistic (largest over the offsets) ${fmt(nullMax)}`,
  );
  console.log(
    `| first -> second | at the crop's grid, median [range] | over the single saves' largest there (${nullAt.max}) | detected at the crop's grid |\n| --- | --- | --- | --- |`,
  );
  const pairs: Record<string, unknown> = {};
  for (const q1 of [95, 90, 80]) {
    for (const q2 of [75, 70, 60]) {
      const d = rows.filter((r) => r.s.kind === 'shifted' && r.s.q1 === q1 && r.s.q2 === q2);
      const at = spread(d.map((r) => r.atGrid));
      const over = d.filter((r) => r.atGrid > nullAt.max).length;
      const found = d.filter((r) => r.detectedAtGrid).length;
      console.log(`| q${q1} -> q${q2} | ${fmt(at)} | ${over}/${d.length} | ${found}/${d.length} |`);
      pairs[`q${q1}->q${q2}`] = {
        at_grid: at,
        over_null_at_grid: over,
        detected_at_grid: found,
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
  return { single_at_grid: nullAt, single_decision: nullMax, pairs, photos };
}

const smallRows = await read(await doubleCompressionSet());
const largeRows = await read(await doubleCompressionSet(LARGE_SOURCES, LARGE_SIZE));
const largeLabel = `${LARGE_SIZE.width}x${LARGE_SIZE.height}, ${LARGE_SOURCES.length} photos`;
const small = {
  fine_detail: report(smallRows, '768x512, 8 photos', 'fine-detail'),
  lattice: report(smallRows, '768x512, 8 photos', 'lattice'),
};
const large = {
  fine_detail: report(largeRows, largeLabel, 'fine-detail'),
  lattice: report(largeRows, largeLabel, 'lattice'),
};
console.log(
  `load average ${os
    .loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')}`,
);
console.log(`written to ${writeResult('double-offgrid-reach', { machine: machine(), small, large })}`);
