// grey.ts gives the grey sharp's greyscale() gives, for every 8-bit colour (all 16,777,216 of them as one
// picture) and for a region of a picture (greyRegion: the rows and columns extract() would cut).
import t from 'tap';
import sharp from 'sharp';
import { greyOf, greyRegion } from '../../../src/pipeline/ocr/grey.js';
import { ALL_COLOURS, libvipsGreyOfAllColours } from '../../../src/pipeline/ocr/grey-reference.js';

t.test('every colour has the grey sharp gives it', async (t) => {
  const n = ALL_COLOURS;
  const ref = await libvipsGreyOfAllColours();
  t.equal(ref.length, n);
  let wrong = 0;
  let first = '';
  for (let i = 0; i < n; i++) {
    const g = greyOf(i >> 16, (i >> 8) & 255, i & 255);
    if (g === ref[i]) continue;
    if (wrong++ === 0) first = `#${i.toString(16).padStart(6, '0')}: ${g}, sharp ${ref[i]}`;
  }
  t.equal(wrong, 0, first || 'all colours');
});

t.test('a region is what extract() of the greyscale picture gives', async (t) => {
  const width = 97;
  const height = 41;
  const rgb = Buffer.alloc(width * height * 3);
  let s = 12345;
  for (let i = 0; i < rgb.length; i++) {
    // Runs of one colour (as a screenshot's background) and noise.
    s = (s * 1103515245 + 12345) >>> 0;
    rgb[i] = i % 30 < 12 ? 200 : s >>> 24;
  }
  const region = { left: 5, top: 7, width: 60, height: 20 };
  const ref = await sharp(rgb, { raw: { width, height, channels: 3 } })
    .greyscale()
    .extract(region)
    .raw()
    .toBuffer();
  const got = greyRegion({ data: rgb, width, height }, 5, 7, 65, 27);
  t.same([got.width, got.height], [60, 20]);
  t.ok(got.data.equals(ref));
});
