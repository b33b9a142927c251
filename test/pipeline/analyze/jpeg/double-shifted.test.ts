// The search for an earlier save on another 8x8 grid (double-shifted.ts), on one photo of the issue-20 set:
// a crop of 3 px from the left and 5 from the top between a q80 and a q75 save is found at the shift it
// left (5, 3) with the first DC step (6, quality 80-82), and the single save is not flagged. The whole set
// and its rates are in test/long/jpeg-double-compression.test.ts.
import t from 'tap';
import { decodeLuma } from '../../../../src/pipeline/analyze/jpeg/entropy.js';
import {
  DOUBLE_MAX_BLOCKS,
  detectDoubleCompression,
} from '../../../../src/pipeline/analyze/jpeg/double-compression.js';
import { shiftedGridEvidence } from '../../../../src/pipeline/analyze/jpeg/double-shifted.js';
import { readJpegStructure } from '../../../../src/pipeline/analyze/jpeg/structure.js';
import { shiftedPair } from '../../../helpers/double-jpeg.js';

const detect = async (jpeg: Buffer) => {
  const d = decodeLuma(jpeg, readJpegStructure(jpeg), DOUBLE_MAX_BLOCKS);
  if (!d.ok) throw new Error(d.reason);
  return detectDoubleCompression(d.luma);
};

t.test('a crop between a q80 and a q75 save is found, a single save is not', async (t) => {
  const pair = await shiftedPair(80, 75);
  const twice = await detect(pair.twice);
  t.match(twice, { status: 'estimated', detected: true, grid: 'shifted' });
  t.match(twice.shifted, { dx: 5, dy: 3, step: 6 });
  t.ok(
    twice.primary_quality !== null && Math.abs(twice.primary_quality - 80) <= 2,
    `${twice.primary_quality} ~ 80`,
  );
  t.match(twice.caveat, /shifted by 5 x 3 pixels/);
  const once = await detect(pair.once);
  t.match(once, { status: 'estimated', detected: false, grid: null, primary_quality: null });
  t.ok((once.shifted?.z ?? Infinity) < (once.shifted?.threshold ?? 0), 'z under the threshold');
});

t.test('flat, saturated or tiny pictures: nothing found, and no NaN', async (t) => {
  const w = 256;
  const h = 256;
  const grey = new Uint8Array(w * h).fill(128);
  const white = new Uint8Array(w * h).fill(255);
  for (const plane of [grey, white]) {
    const e = shiftedGridEvidence(plane, w, h, 8);
    t.match(e, { detected: false, confidence: 0, z: 0 });
  }
  t.match(
    shiftedGridEvidence(grey, w, h, 2),
    { detected: false },
    'a DC step of 2 leaves no smaller step to try',
  );
  t.match(shiftedGridEvidence(grey, w, h, 0), { detected: false }, 'a zero step (a hostile table)');
  t.match(shiftedGridEvidence(new Uint8Array(64), 8, 8, 8), { detected: false }, 'one block');
  // Noise: blocks with texture, no earlier grid: the largest z stays under the threshold.
  let s = 1;
  const noise = new Uint8Array(w * h).map(() => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return 30 + (s % 190);
  });
  const e = shiftedGridEvidence(noise, w, h, 13);
  t.notOk(e.detected, `noise: z ${e.z} under ${e.threshold}`);
  t.ok(Number.isFinite(e.z) && Number.isFinite(e.threshold));
});
