// ORB features and the geometric check on real photos: an off-centre crop and a collage are found with
// their overlap measured; another shot of the same desk is not the same picture.
import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import t from 'tap';
import { decodeForHashing } from '../../../src/pipeline/analyze/decode.js';
import {
  decodeFeatures,
  encodeFeatures,
  extractFeatures,
  featureCount,
  greyThumbnail,
  greyThumbnailJs,
  greyThumbnailReference,
  greyWasmAvailable,
  type FeaturePixels,
  type ImageFeatures,
} from '../../../src/similarity/features/orb.js';
import { verifyPair } from '../../../src/similarity/features/verify.js';
import { partialCrop } from '../../helpers/images.js';

const fixture = (p: string) => readFileSync(new URL(`../../fixtures/${p}`, import.meta.url));
const BRIDGE = fixture('pdq/dih/bridge-1-original.jpg');
const OPTS = { side: 512, maxKeypoints: 500 };
const VERIFY = { minInliers: 20, minInlierRatio: 0.4, minAgreement: 0.65, ratio: 0.8, maxDistance: 64 };

async function features(bytes: Buffer): Promise<ImageFeatures> {
  const d = await decodeForHashing(bytes, { maxPixels: 100_000_000 });
  return extractFeatures({ data: d.data, width: d.width, height: d.height, channels: 3 }, OPTS);
}

/** The same pixels with `channels` channels: grey (1), RGB (3), or RGB and an alpha (4). */
function withChannels(d: { data: Buffer; width: number; height: number }, channels: number): FeaturePixels {
  if (channels === 3) return { ...d, channels };
  const n = d.width * d.height;
  const data = Buffer.alloc(n * channels);
  for (let i = 0; i < n; i++)
    for (let c = 0; c < channels; c++) data[i * channels + c] = d.data[i * 3 + Math.min(c, 2)] as number;
  return { data, width: d.width, height: d.height, channels };
}

t.test('the grey copy is byte for byte the float definition, ties included', async (t) => {
  const decoded = await Promise.all(
    [
      'pdq/dih/bridge-1-original.jpg',
      'exifr/IMG_20180725_163423.jpg',
      'exifr/png/png_with_exif_and_gps.png',
    ].map((p) => decodeForHashing(fixture(p), { maxPixels: 100_000_000 })),
  );
  // A grey staircase: boxes of two equal-luma levels average to exactly half a level, where only the
  // float definition's rounding errors decide the byte (and a wide one, the collage size).
  const stairs = (width: number, height: number) => {
    const data = Buffer.alloc(width * height * 3);
    for (let i = 0; i < width * height; i++) data.fill((i % width) + ((i / width) | 0), i * 3, i * 3 + 3);
    return { data, width, height };
  };
  const images = [...decoded, stairs(1000, 750), stairs(1600, 500), stairs(37, 1001)];
  // RGB takes the WebAssembly path where there is one (wasm/grey.ts); the JS integer path is compared too.
  t.ok(greyWasmAvailable, 'WebAssembly SIMD here: the RGB copies below are made in wasm');
  let compared = 0;
  for (const d of images)
    for (const channels of [3, 4, 1])
      for (const side of [512, 724, 2000, 40]) {
        const p = withChannels(d, channels);
        const ref = greyThumbnailReference(p, side);
        for (const [path, fast] of [
          ['greyThumbnail', greyThumbnail(p, side)],
          ['JS path', greyThumbnailJs(p, side)],
        ] as const) {
          t.same([fast.width, fast.height], [ref.width, ref.height]);
          if (!Buffer.from(fast.data).equals(Buffer.from(ref.data)))
            t.fail(`${path}, ${d.width}x${d.height}, ${channels} channels, side ${side}: bytes differ`);
          compared++;
        }
      }
  t.equal(compared, images.length * 12 * 2);
  // Boxes of more than ~4,200 source pixels are beyond the WebAssembly kernel's 32-bit rounding and go
  // the JS way: the same bytes.
  const big = stairs(2400, 1800);
  const tiny = greyThumbnail({ ...big, channels: 3 }, 16);
  t.same(Buffer.from(tiny.data), Buffer.from(greyThumbnailReference({ ...big, channels: 3 }, 16).data));
});

t.test(
  'features: bounded keypoints on a copy of about 512 x 384 px, and a lossless round trip',
  async (t) => {
    const f = await features(BRIDGE);
    const area = f.width * f.height;
    t.ok(area <= 512 * 384 * 1.01 && area >= 512 * 384 * 0.97, `${f.width} x ${f.height}`);
    t.ok(featureCount(f) > 200 && featureCount(f) <= 500, `${featureCount(f)} keypoints`);
    t.equal(f.descriptors.length, featureCount(f) * 32);
    const back = decodeFeatures(encodeFeatures(f));
    t.ok(back);
    t.same(back?.descriptors, f.descriptors);
    t.ok(
      back && back.points.every((v, i) => Math.abs(v - (f.points[i] as number)) <= 1 / 32),
      'points to 1/16 px',
    );
    t.equal(decodeFeatures(Buffer.from([2, 0, 0])), null, 'unknown format');
  },
);

t.test('an off-centre crop keeping 80% x 75% matches, covering about 60% of the original', async (t) => {
  const crop = await partialCrop(BRIDGE, { left: 0.2, top: 0.05, width: 0.8, height: 0.75 });
  const v = await verifyPair(await features(crop), await features(BRIDGE), VERIFY);
  t.ok(v, 'verified');
  if (!v) return;
  t.ok(v.inliers >= 40, `${v.inliers} inliers`);
  t.ok(Math.abs(v.coverage - 0.6) < 0.06, `coverage ${v.coverage}`);
  t.ok(v.share > 0.95, `share ${v.share}`);
  t.ok(Math.abs(v.region.x - 0.2) < 0.03 && Math.abs(v.region.y - 0.05) < 0.03, JSON.stringify(v.region));
});

/** Two photos side by side at one height, as a collage post puts them; and the left one's width. */
async function sideBySide(
  leftPhoto: Buffer,
  rightPhoto: Buffer,
  h: number,
  quality = 80,
): Promise<{ collage: Buffer; leftWidth: number; width: number }> {
  const left = await sharp(leftPhoto).rotate().resize({ height: h }).png().toBuffer();
  const right = await sharp(rightPhoto).rotate().resize({ height: h }).png().toBuffer();
  const lw = (await sharp(left).metadata()).width ?? 0;
  const rw = (await sharp(right).metadata()).width ?? 0;
  const collage = await sharp({ create: { width: lw + rw, height: h, channels: 3, background: '#fff' } })
    .composite([
      { input: left, left: 0, top: 0 },
      { input: right, left: lw, top: 0 },
    ])
    .jpeg({ quality })
    .toBuffer();
  return { collage, leftWidth: lw, width: lw + rw };
}

t.test('a two-photo collage holds the original in about half of it', async (t) => {
  const { collage, leftWidth, width } = await sideBySide(
    BRIDGE,
    fixture('pdq/exif-rotn/exif-rotn-1.jpg'),
    600,
  );
  const v = await verifyPair(await features(collage), await features(BRIDGE), VERIFY);
  t.ok(v, 'verified');
  const expected = leftWidth / width;
  t.ok(v && Math.abs(v.share - expected) < 0.08, `share ${v?.share} ~ ${expected}`);
  t.ok(v && v.coverage > 0.9, `coverage ${v?.coverage}`);
});

t.test('another shot of the same desk is not the same picture', async (t) => {
  const shots = ['1', '3', '6', '8'].map((n) => fixture(`pdq/exif-rotn/exif-rotn-${n}.jpg`));
  const f = await Promise.all(shots.map(features));
  for (let i = 0; i < f.length; i++)
    for (let j = 0; j < f.length; j++) {
      if (i === j) continue;
      const v = await verifyPair(f[i] as ImageFeatures, f[j] as ImageFeatures, VERIFY);
      t.equal(v, null, `desk ${i} vs ${j}${v ? `: ${v.inliers} inliers` : ''}`);
    }
});

t.test('a flat image has no keypoints and verifies against nothing', async (t) => {
  const flat = await sharp({ create: { width: 300, height: 200, channels: 3, background: '#777' } })
    .png()
    .toBuffer();
  const f = await features(flat);
  t.equal(featureCount(f), 0);
  t.equal(await verifyPair(f, await features(BRIDGE), VERIFY), null);
});

t.test(
  'each half of a wide collage keeps its own keypoints: a smooth photo beside a busy one is found',
  async (t) => {
    // kodak-dc240.jpg (a smooth scene, a fifth of the collage's width) beside the bridge (water and steel:
    // ORB's strongest corners). Over the whole collage ORB kept 65 of its 1,000 keypoints on the Kodak photo
    // and found it with 0 inliers; tile by tile, 217 of 978 and 85 inliers.
    const smooth = fixture('exif-samples/jpg/exif-org/kodak-dc240.jpg');
    const { collage, leftWidth, width } = await sideBySide(smooth, BRIDGE, 800, 85);
    const f = await features(collage);
    t.ok(featureCount(f) <= 1000, `${featureCount(f)} keypoints in all`);
    const seam = (leftWidth / width) * f.width;
    let onSmooth = 0;
    for (let i = 0; i < featureCount(f); i++) if ((f.points[2 * i] as number) < seam) onSmooth++;
    t.ok(
      onSmooth >= 0.15 * featureCount(f),
      `${onSmooth} of ${featureCount(f)} keypoints on the smooth photo`,
    );
    const v = await verifyPair(f, await features(smooth), VERIFY);
    t.ok(v && v.inliers >= VERIFY.minInliers, `smooth photo found: ${v?.inliers ?? 0} inliers`);
    const b = await verifyPair(f, await features(BRIDGE), VERIFY);
    t.ok(b && b.inliers >= VERIFY.minInliers, `bridge found: ${b?.inliers ?? 0} inliers`);
  },
);

t.test('screenshots of different text posts from one app are not the same picture', async (t) => {
  // Same layout, same user line, same action row, same font; different words. Shared UI text must not
  // make a `partial` match (measured with 4 such screenshots: no pair verified).
  const post = (lines: string[]) =>
    sharp(
      Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="1080" height="900">
<rect width="100%" height="100%" fill="#fff"/><circle cx="90" cy="90" r="45" fill="#9a9a9a"/>
<text x="155" y="80" font-family="DejaVu Sans" font-weight="bold" font-size="34">News Desk</text>
<text x="155" y="125" font-family="DejaVu Sans" font-size="28" fill="#666">@newsdesk · 2h</text>
${lines.map((l, i) => `<text x="40" y="${240 + i * 60}" font-family="DejaVu Sans" font-size="40">${l}</text>`).join('')}
<text x="40" y="620" font-family="DejaVu Sans" font-size="28" fill="#666">10:42 AM · Nov 25, 2026 · 1.2M Views</text>
<text x="60" y="760" font-family="DejaVu Sans" font-size="30" fill="#666">Reply     Repost     Like     Share</text></svg>`),
    )
      .png()
      .toBuffer();
  const shots = await Promise.all(
    [
      ['Breaking: protesters gathered outside the', 'ministry this morning, witnesses say the'],
      ['Officials deny any link between the fire', 'and the power cuts reported overnight in'],
      ['Video shows flooding in the old town after', 'two days of heavy rain; residents were'],
    ].map(async (lines) => features(await post(lines))),
  );
  for (const [i, f] of shots.entries())
    t.ok(featureCount(f) >= 100, `screenshot ${i}: ${featureCount(f)} keypoints (the text rendered)`);
  for (let i = 0; i < shots.length; i++)
    for (let j = 0; j < shots.length; j++) {
      if (i === j) continue;
      const v = await verifyPair(shots[i] as ImageFeatures, shots[j] as ImageFeatures, VERIFY);
      t.equal(v, null, `post ${i} vs ${j}${v ? `: ${v.inliers} inliers` : ''}`);
    }
});
