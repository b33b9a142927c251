// Double compression on the generated set of issue 20 (test/helpers/double-jpeg.ts): real photos saved at
// q95/q90/q80, then again at q75/q70/q60, on the grid (`aligned`) and off it (`shifted`), and single saves.
//
// The targets are >= 90% detection where the first quality is higher and <= 5% false alarms.
// Measured with this detector on this set (8 photos; bench/forensics.ts prints the table per pair):
// - false alarms on single saves: 0 of 48;
// - aligned: 28 of 72 (39%): most of the 90 -> 60 and 80 -> 60/70/75 pairs; almost none of the q95 first
//   saves (their steps, 1-2, divide the later ones, and the pixel rounding between the saves blurs what is
//   left: the histograms hold nothing to see);
// - shifted: 0 of 72: a crop off the 8x8 grid leaves no trace on the new grid.
// So the 90% target is NOT met. The test holds the false-alarm target and the detection measured,
// so that a change that makes the detector worse fails, and the first quality named when it fires.
import t from 'tap';
import { readJpegSection } from '../../src/pipeline/analyze/jpeg/index.js';
import { doubleCompressionSet, type DoubleSample } from '../helpers/double-jpeg.js';

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
  t.ok(aligned.hit / aligned.n >= 0.35, `aligned detection ${aligned.hit}/${aligned.n} (measured 28/72)`);
  t.ok(shifted.hit / shifted.n <= 0.05, `off the grid: ${shifted.hit}/${shifted.n}, no false trace either`);
  // When it fires on an aligned pair whose first save is not q95, the first quality is named right.
  const named = results.filter((r) => r.s.kind === 'aligned' && r.d.detected && r.s.q1 !== 95);
  const right = named.filter((r) => r.d.primary_quality === r.s.q1).length;
  t.ok(right / named.length >= 0.8, `first quality named right in ${right}/${named.length}`);
  for (const r of results.filter((x) => x.d.detected)) {
    t.ok(r.d.confidence > 0 && r.d.confidence <= 1, 'a confidence in (0, 1]');
  }
  t.match(results[0]?.d.caveat, /same 8x8 grid.*a hint, not proof/);
});

t.test('progressive files are not estimated, and say why', async (t) => {
  const set = await doubleCompressionSet(['exifr/IMG_20180725_163423.jpg']);
  const sharp = (await import('sharp')).default;
  const progressive = await sharp(set[0]?.jpeg).jpeg({ quality: 70, progressive: true }).toBuffer();
  const d = (await readJpegSection(progressive, NO_CAMERA, { doubleCompression: true })).double_compression;
  t.match(d, { status: 'not_estimated', detected: false, caveat: /progressive coding is not decoded/ });
});
