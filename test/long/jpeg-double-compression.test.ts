// Double compression on the generated set of issue 20 (test/helpers/double-jpeg.ts): real photos saved at
// q95/q90/q80, then again at q75/q70/q60, on the grid (`aligned`) and off it (`shifted`: cropped by 3 px
// from the left and 5 from the top between the saves), and single saves.
//
// The targets: >= 90% detection where the first quality is higher (every pair here), <= 5% false
// alarms on single saves. Measured with this detector on this set (8 photos; bench/forensics.ts prints the
// table per pair):
// - false alarms on single saves: 0 of 48 (target met);
// - aligned: 49 of 72 (68%; 32 before the double models spread each earlier multiple by the first save's
//   rounding, FIRST_SAVE_NOISE in double-compression.ts, 40 before the wide reading of zig-zag terms 1-27):
//   q80 first 21/24, q90 first 19/24, q95 first 9/24 (1/24 on terms 1-14 alone: there their steps, 1-3,
//   mostly divide the later ones);
// - shifted: 30 of 72 (42%): 21 of the 24 q80 first saves (8/8 q80 -> q75, 7/8 -> q70, 6/8 -> q60), found
//   by the fine-detail reading of double-energy.ts (the DC search of double-shifted.ts alone found the four
//   q80 -> q75 ones); 6 of 24 q90 and 3 of 24 q95 first saves, where the statistic sits just over the
//   threshold and the offset named is right on both axes in 1 of the 9, on one axis in 3 (the q90/q95
//   evidence is below what these readings can see: the statistic at the true offset has a median of 0.4 to
//   3.2 per pair, under the threshold 4; see double-compression.ts). With the lattice reading of
//   double-energy.ts (6 December 2026): 32 of 72, q90 first saves 8 of 24 (bench:forensics).
// So the detection target is NOT met: the gap is 90% - 68% on the grid and 90% - 42% off it; on the grid
// what is missing is mostly the q95 first saves (83% of the q80 and q90 ones are found, 38% of the q95). The test holds the false-alarm target and the
// detection measured, so that a change that makes the detector worse fails, and the first quality and
// offset named when it fires.
import t from 'tap';
import { readJpegSection } from '../../src/pipeline/analyze/jpeg/index.js';
import type { Jpeg } from '../../schemas/jpeg.js';
import {
  doubleCompressionSet,
  LARGE_SIZE,
  LARGE_SOURCES,
  type DoubleSample,
} from '../helpers/double-jpeg.js';

const NO_CAMERA = { cameraExif: false, camera: null };

t.test('false alarms, detection on the grid and off it, and the first quality', async (t) => {
  const set = await doubleCompressionSet();
  const read = async (s: DoubleSample) => {
    const d = (await readJpegSection(s.jpeg, NO_CAMERA, { doubleCompression: true })).double_compression;
    if (!d || d.status !== 'estimated') throw new Error(`not estimated: ${d?.caveat ?? 'no section'}`);
    return d;
  };
  const results: Array<{ s: DoubleSample; d: Awaited<ReturnType<typeof read>> }> = [];
  for (const s of set) results.push({ s, d: await read(s) });
  const share = (kind: DoubleSample['kind']) => {
    const of = results.filter((r) => r.s.kind === kind);
    return { hit: of.filter((r) => r.d.detected).length, n: of.length };
  };
  const single = share('single');
  const aligned = share('aligned');
  const shifted = share('shifted');
  t.comment(
    `single ${single.hit}/${single.n}, aligned ${aligned.hit}/${aligned.n}, shifted ${shifted.hit}/${shifted.n}`,
  );
  t.ok(single.hit / single.n <= 0.05, `false alarms ${single.hit}/${single.n} <= 5%`);
  t.ok(aligned.hit >= 49, `aligned detection ${aligned.hit}/${aligned.n} (measured 49/72; target 90%)`);
  const alignedQ90 = results.filter((r) => r.s.kind === 'aligned' && r.s.q1 === 90);
  const q90Hit = alignedQ90.filter((r) => r.d.detected).length;
  t.ok(q90Hit >= 19, `aligned, q90 first saves: ${q90Hit}/${alignedQ90.length} (measured 19/24)`);
  const alignedQ95 = results.filter((r) => r.s.kind === 'aligned' && r.s.q1 === 95);
  const q95Hit = alignedQ95.filter((r) => r.d.detected).length;
  t.ok(q95Hit >= 9, `aligned, q95 first saves: ${q95Hit}/${alignedQ95.length} (measured 9/24)`);
  t.ok(shifted.hit >= 32, `off the grid: ${shifted.hit}/${shifted.n} (measured 32/72; target 90%)`);
  // When it fires on an aligned pair whose first save is not q95, the first quality is named right.
  const named = results.filter((r) => r.s.kind === 'aligned' && r.d.detected && r.s.q1 !== 95);
  const right = named.filter((r) => r.d.primary_quality === r.s.q1).length;
  t.ok(right / named.length >= 0.8, `first quality named right in ${right}/${named.length}`);
  // Off the grid the first quality is read from the DC step alone (q80 shares it with 81 and 82), or not
  // at all by the fine-detail reading (double-energy.ts); the offset is named in the caveat.
  const offGrid = results.filter((r) => r.s.kind === 'shifted' && r.d.detected);
  for (const r of offGrid) {
    if (r.d.primary_quality !== null) {
      t.ok(
        Math.abs(r.d.primary_quality - (r.s.q1 ?? 0)) <= 2,
        `first quality ${r.d.primary_quality} ~ ${r.s.q1}`,
      );
    }
    t.match(r.d.caveat, /shifted by .*cropped (or enlarged )?between the saves.*a hint, not proof/);
  }
  // The q80 first saves: the crop's offset (5, 3) is named on at least one axis in all but one of them (an
  // axis may be unread, or read wrong, when its evidence is weak: measured 19 of 21 with both axes right).
  const q80 = offGrid.filter((r) => r.s.q1 === 80);
  const axisRight = q80.filter((r) =>
    /shifted by (5 x \d|\d x 3|5 pixels across|3 pixels down)/.test(r.d.caveat),
  ).length;
  t.ok(q80.length - axisRight <= 1, `offset named right in ${axisRight}/${q80.length} q80 first saves`);
  for (const r of results.filter((x) => x.d.detected)) {
    t.ok(r.d.confidence > 0 && r.d.confidence <= 1, 'a confidence in (0, 1]');
  }
  const quiet = results.find((r) => !r.d.detected);
  t.match(quiet?.d.caveat, /same 8x8 grid.*after a crop only.*a hint, not proof/);
});

// The same saves at 2304x1536 (LARGE_SIZE: 3.5 MP, the fine-detail reading's whole budget, ENERGY_MAX_BLOCKS)
// from the seven fixture photos larger than that (LARGE_SOURCES; every picture shrunk, none enlarged). The
// DC search still reads the top 8,192 blocks; the aligned models and the fine-detail reading all 55,296. Measured
// (bench/forensics.ts prints the table): single saves 2/42 flagged (4.8%: both q60 saves of the Nokia photo,
// by the DC search of double-shifted.ts; the fine-detail statistic on the 42 at most 3.5); aligned 51/63
// (q80 first 18/21, q90 19/21, q95 14/21; 40/63 on zig-zag terms 1-14 alone, 23/63 when the aligned models
// read the top 8,192 blocks only and without the first save's spread);
// off the grid 36/63 (35 on terms 1-14 alone): q80 first 19/21, q90 first 13/21 (6/24 at 768x512); two of
// them (Nokia q95 -> q60 and q90 -> q60) by the DC search alone, which also fires on that photo's single q60
// saves. With the lattice reading of double-energy.ts (6 December 2026): off the grid 37/63, q90 first 14/21.
t.test('at 2304x1536: false alarms, and what the larger budget gains on the grid and off it', async (t) => {
  const set = await doubleCompressionSet(LARGE_SOURCES, LARGE_SIZE);
  const results: Array<{ s: DoubleSample; d: NonNullable<Jpeg['double_compression']> }> = [];
  for (const s of set) {
    const d = (await readJpegSection(s.jpeg, NO_CAMERA, { doubleCompression: true })).double_compression;
    if (!d || d.status !== 'estimated') throw new Error(`not estimated: ${d?.caveat ?? 'no section'}`);
    results.push({ s, d });
  }
  const hits = (f: (s: DoubleSample) => boolean) => {
    const of = results.filter((r) => f(r.s));
    return { hit: of.filter((r) => r.d.detected).length, n: of.length };
  };
  const single = hits((s) => s.kind === 'single');
  const aligned = hits((s) => s.kind === 'aligned');
  const shifted = hits((s) => s.kind === 'shifted');
  const q90 = hits((s) => s.kind === 'shifted' && s.q1 === 90);
  const alignedQ90 = hits((s) => s.kind === 'aligned' && s.q1 === 90);
  const alignedQ95 = hits((s) => s.kind === 'aligned' && s.q1 === 95);
  t.comment(
    `single ${single.hit}/${single.n}, aligned ${aligned.hit}/${aligned.n}, shifted ${shifted.hit}/${shifted.n} (q90 first ${q90.hit}/${q90.n})`,
  );
  t.ok(single.hit / single.n <= 0.05, `false alarms ${single.hit}/${single.n} <= 5%`);
  t.ok(aligned.hit >= 51, `aligned detection ${aligned.hit}/${aligned.n} (measured 51/63; target 90%)`);
  t.ok(alignedQ90.hit >= 19, `aligned, q90 first saves: ${alignedQ90.hit}/${alignedQ90.n} (measured 19/21)`);
  t.ok(alignedQ95.hit >= 14, `aligned, q95 first saves: ${alignedQ95.hit}/${alignedQ95.n} (measured 14/21)`);
  t.ok(shifted.hit >= 37, `off the grid: ${shifted.hit}/${shifted.n} (measured 37/63; target 90%)`);
  t.ok(q90.hit >= 14, `off the grid, q90 first saves: ${q90.hit}/${q90.n} (measured 14/21)`);
  // The offset the fine-detail reading names (its caveat) on both axes is the crop's (5, 3) but for a few
  // q80 first saves (measured 25 of 27: (6, 3) once, (6, 2) once), and for every q90 first save.
  const named = results.filter(
    (r) =>
      r.s.kind === 'shifted' &&
      r.d.detected &&
      /fewer fine-detail terms\) sit on an 8x8 grid shifted by \d x \d pixels/.test(r.d.caveat),
  );
  const right = named.filter((r) => /shifted by 5 x 3 pixels/.test(r.d.caveat));
  t.comment(`fine-detail offset named right in ${right.length}/${named.length}`);
  t.ok(named.length - right.length <= 2, `offset named right in ${right.length}/${named.length}`);
  t.ok(
    named.filter((r) => r.s.q1 === 90).every((r) => right.includes(r)),
    'every q90 first save it fires on: offset 5 x 3',
  );
});

t.test('progressive files are not estimated, and say why', async (t) => {
  const set = await doubleCompressionSet(['exifr/IMG_20180725_163423.jpg']);
  const sharp = (await import('sharp')).default;
  const progressive = await sharp(set[0]?.jpeg).jpeg({ quality: 70, progressive: true }).toBuffer();
  const d = (await readJpegSection(progressive, NO_CAMERA, { doubleCompression: true })).double_compression;
  t.match(d, { status: 'not_estimated', detected: false, caveat: /progressive coding is not decoded/ });
});
