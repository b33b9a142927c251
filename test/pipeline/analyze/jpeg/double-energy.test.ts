// The fine-detail search for an earlier save on another 8x8 grid (double-energy.ts), on one photo of the
// issue-20 set: a crop of 3 px from the left and 5 from the top between a q80 and a q70 save is found at the
// offset it left (5, 3), which the DC search (double-shifted.ts) cannot see at these qualities; the same
// picture mirrored left to right shows it at 3 (the reading is a mirror test); the single save is quiet.
// The whole set and its rates are in test/long/jpeg-double-compression.test.ts. The WebAssembly path (the
// one the service runs) gives the JavaScript reference's energies and decisions on generated files. On a
// picture over 8,192 blocks, one decode serves both budgets: the histogram readings read its top 8,192
// blocks as a decode with that budget gives them, the fine-detail reading all of it.
import sharp from 'sharp';
import t from 'tap';
import { decodeLuma } from '../../../../src/pipeline/analyze/jpeg/entropy.js';
import {
  DOUBLE_MAX_BLOCKS,
  detectDoubleCompression,
  ENERGY_MAX_BLOCKS,
  lumaPlane,
  topBlocks,
} from '../../../../src/pipeline/analyze/jpeg/double-compression.js';
import {
  energyEvidence,
  energyWasmAvailable,
  latticeEvidence,
  offsetEnergies,
  offsetFeatures,
  shiftedEnergyEvidence,
  shiftedGridReadings,
} from '../../../../src/pipeline/analyze/jpeg/double-energy.js';
import { readJpegSection } from '../../../../src/pipeline/analyze/jpeg/index.js';
import { readJpegStructure } from '../../../../src/pipeline/analyze/jpeg/structure.js';
import { doubleCompressionSet, shiftedPair } from '../../../helpers/double-jpeg.js';
import { fixture } from '../../../helpers/images.js';

const plane = (jpeg: Buffer) => {
  const d = decodeLuma(jpeg, readJpegStructure(jpeg), DOUBLE_MAX_BLOCKS);
  if (!d.ok) throw new Error(d.reason);
  return { luma: d.luma, p: lumaPlane(d.luma), w: d.luma.blocksWide * 8, h: d.luma.blocksHigh * 8 };
};

t.test('a crop between a q80 and a q70 save is found at its offset, a single save is not', async (t) => {
  const { twice: cropped, once: single } = await shiftedPair(80, 70);
  const twice = plane(cropped);
  const e = await shiftedEnergyEvidence(twice.p, twice.w, twice.h);
  t.match(e, { detected: true, dx: 5, dy: 3 });
  t.ok(e.confidence > 0 && e.confidence <= 1, `confidence ${e.confidence}`);
  const d = await detectDoubleCompression(twice.luma);
  t.match(d, { status: 'estimated', detected: true, grid: 'shifted', primary_quality: null });
  t.notOk(d.shifted?.detected, 'the DC search does not see it (q80 -> q70)');
  t.match(
    d.caveat,
    /shifted by 5 x 3 pixels.*cropped or enlarged between the saves.*does not tell the earlier quality/,
  );
  // The section a report carries holds the schema's fields only (the readings' details stay inside).
  const section = await readJpegSection(
    cropped,
    { cameraExif: false, camera: null },
    { doubleCompression: true },
  );
  t.same(Object.keys(section.double_compression ?? {}).sort(), [
    'caveat',
    'confidence',
    'detected',
    'primary_quality',
    'status',
  ]);
  t.match(section.double_compression, { detected: true, caveat: /shifted by 5 x 3 pixels/ });

  // Mirrored left to right (the width, 760, keeps the file's own grid): the earlier grid is at 8 - 5 = 3.
  const w = 760;
  const mirrored = new Uint8Array(w * twice.h);
  for (let y = 0; y < twice.h; y++) {
    for (let x = 0; x < w; x++) mirrored[y * w + x] = twice.p[y * twice.w + (w - 1 - x)] as number;
  }
  t.match(await shiftedEnergyEvidence(mirrored, w, twice.h), { detected: true, dx: 3, dy: 3 });

  const once = plane(single);
  const quiet = await shiftedEnergyEvidence(once.p, once.w, once.h);
  t.match(quiet, { detected: false, confidence: 0, dx: null, dy: null });
  t.ok(quiet.z < quiet.threshold, `single save: ${quiet.z} under ${quiet.threshold}`);
});

t.test(
  'a crop between a q90 and a q70 save: the lattice reading finds it where the fine-detail one does not',
  async (t) => {
    // The iPhone photo of shiftedPair: the fine-detail statistic 3.6 (under 4), the lattice one 5.2 at (5, 3),
    // and on the single save at q70 1.9.
    const { twice: cropped, once: single } = await shiftedPair(90, 70);
    const twice = plane(cropped);
    const r = await shiftedGridReadings(twice.p, twice.w, twice.h);
    t.notOk(r.energy.detected, `fine-detail: ${r.energy.z} under ${r.energy.threshold}`);
    t.match(r.lattice, { detected: true, dx: 5, dy: 3 });
    t.same(r.energy, await shiftedEnergyEvidence(twice.p, twice.w, twice.h), 'the same fine-detail reading');
    const d = await detectDoubleCompression(twice.luma);
    t.match(d, { status: 'estimated', detected: true, grid: 'shifted', primary_quality: null });
    t.match(
      d.caveat,
      /fine-detail terms near multiples.*shifted by 5 x 3 pixels.*does not tell the earlier quality/,
    );
    const once = plane(single);
    const quiet = await shiftedGridReadings(once.p, once.w, once.h);
    t.match(quiet.lattice, { detected: false, confidence: 0, dx: null, dy: null });
    t.ok(
      quiet.lattice.z < quiet.lattice.threshold,
      `single save: ${quiet.lattice.z} under ${quiet.lattice.threshold}`,
    );
    t.notOk((await detectDoubleCompression(once.luma)).detected, 'the single save is not flagged');
  },
);

t.test('flat, saturated or tiny pictures: nothing found, and no NaN', async (t) => {
  const w = 256;
  const h = 256;
  for (const v of [0, 128, 255]) {
    const e = await shiftedEnergyEvidence(new Uint8Array(w * h).fill(v), w, h);
    t.match(e, { detected: false, confidence: 0 });
    t.ok(Number.isFinite(e.z), `flat ${v}: z ${e.z}`);
  }
  t.match(await shiftedEnergyEvidence(new Uint8Array(64), 8, 8), { detected: false, z: 0 }, 'one block');
  let s = 7;
  const noise = new Uint8Array(w * h).map(() => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return 30 + (s % 190);
  });
  const e = await shiftedEnergyEvidence(noise, w, h);
  t.notOk(e.detected, `noise: ${e.z} under ${e.threshold}`);
  for (const v of [0, 128, 255]) {
    const r = await shiftedGridReadings(new Uint8Array(w * h).fill(v), w, h);
    t.match(r.lattice, { detected: false, confidence: 0 });
    t.ok(Number.isFinite(r.lattice.z), `flat ${v}: lattice z ${r.lattice.z}`);
  }
  const l = (await shiftedGridReadings(noise, w, h)).lattice;
  t.notOk(l.detected, `noise: lattice ${l.z} under ${l.threshold}`);
});

t.test('the WebAssembly path gives the reference energies and decisions', async (t) => {
  t.ok(energyWasmAvailable, 'WebAssembly SIMD runs here (Node 20 has it)');
  // One photo of the set: single saves, and first saves at q95/q90/q80 on the grid and off it (the
  // JavaScript reference costs ~0.5 s a file, so not the whole set: all 192 files gave the same decisions
  // and z, E within 2e-5, when the fast path was written).
  const set = await doubleCompressionSet(['exif-samples/jpg/hdr/iphone_hdr_YES.jpg']);
  const files = set.filter((s) => s.q2 === 70);
  t.ok(files.length >= 5, `${files.length} files`);
  for (const s of files) {
    const { luma, p, w, h } = plane(s.jpeg);
    const name = `${s.kind} q${s.q1 ?? '-'} -> q${s.q2}`;
    // The plane every reading starts from: the same bits from both paths (274 planes of the set, the
    // fixtures and a 12 MP file were compared when the WebAssembly path was written).
    t.same(Buffer.from(p), Buffer.from(lumaPlane(luma, 'js')), `${name}: the same plane`);
    const exact = await offsetEnergies(p, w, h, 1, 'js');
    const fast = await offsetEnergies(p, w, h, 1, 'wasm');
    let worst = 0;
    for (let i = 0; i < exact.length; i++) {
      worst = Math.max(worst, Math.abs((exact[i] as number) - (fast[i] as number)));
    }
    // 32-bit floats against 64-bit ones: E is a mean of sums of 43 terms of up to 8, so 1e-3 is far below
    // any difference the z-scores read, and far above the rounding measured (2e-5).
    t.ok(worst < 1e-3, `${name}: energies within ${worst.toExponential(1)}`);
    t.same(energyEvidence(fast), energyEvidence(exact), `${name}: same evidence`);
    // The lattice scores of the same pass: rho-weighted sums of 43 triangle waves in [-1, 1].
    const exactF = await offsetFeatures(p, w, h, 1, 'js');
    const fastF = await offsetFeatures(p, w, h, 1, 'wasm');
    t.same(fastF.energy, fast, `${name}: offsetEnergies is offsetFeatures' energy`);
    let worstL = 0;
    for (let i = 0; i < exactF.lattice.length; i++) {
      worstL = Math.max(worstL, Math.abs((exactF.lattice[i] as number) - (fastF.lattice[i] as number)));
    }
    t.ok(worstL < 1e-3, `${name}: lattice scores within ${worstL.toExponential(1)}`);
    t.same(latticeEvidence(fastF.lattice), latticeEvidence(exactF.lattice), `${name}: same lattice evidence`);
    if (s.kind === 'shifted' && s.q1 === 80) t.match(energyEvidence(fast), { detected: true, dx: 5, dy: 3 });
  }
});

t.test(
  'a picture over 8,192 blocks: the DC search reads its top, the aligned models and the fine-detail reading all of it',
  async (t) => {
    // The pair of shiftedPair (q80, then cropped 3 x 5 px and saved at q70) at 1536x1024: 24,576 blocks.
    const { data, info } = await sharp(fixture('exif-samples/jpg/hdr/iphone_hdr_YES.jpg'))
      .rotate()
      .resize(1536, 1024, { fit: 'cover' })
      .raw()
      .toBuffer({ resolveWithObject: true });
    const first = await sharp(data, { raw: info }).jpeg({ quality: 80 }).toBuffer();
    const jpeg = await sharp(first)
      .extract({ left: 3, top: 5, width: 1533, height: 1019 })
      .jpeg({ quality: 70 })
      .toBuffer();
    const s = readJpegStructure(jpeg);
    const whole = decodeLuma(jpeg, s, ENERGY_MAX_BLOCKS, DOUBLE_MAX_BLOCKS);
    const top = decodeLuma(jpeg, s, DOUBLE_MAX_BLOCKS);
    if (!whole.ok || !top.ok) throw new Error('not decoded');
    t.equal(whole.luma.blocksWide * whole.luma.blocksHigh, 192 * 128, 'one pass decodes the whole picture');
    t.equal(top.luma.blocksWide * top.luma.blocksHigh, 192 * 42, 'the histogram budget: 21 MCU rows');
    const view = topBlocks(whole.luma, DOUBLE_MAX_BLOCKS);
    t.same(
      Buffer.from(view.coefficients.buffer, view.coefficients.byteOffset, view.coefficients.byteLength),
      Buffer.from(top.luma.coefficients.buffer),
      'its top is the 8,192-block decode',
    );
    const a = await detectDoubleCompression(whole.luma);
    const b = await detectDoubleCompression(top.luma);
    t.not(a.score, b.score, 'the aligned models read more blocks than the top 8,192');
    t.same(a.shifted, b.shifted, 'the DC search reads the same blocks');
    t.match(a.energy, { detected: true, dx: 5, dy: 3 });
    t.ok(
      (a.energy?.z ?? 0) > (b.energy?.z ?? 0),
      `more blocks, a larger statistic: ${b.energy?.z} -> ${a.energy?.z}`,
    );
  },
);
