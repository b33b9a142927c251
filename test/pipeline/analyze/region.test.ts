// Content regions on real photos: frames, letterbox bars and a post screenshot made with sharp from the
// fixtures, decoded by the service's own decoder (JPEG noise included), and photos that must get none.
import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import t from 'tap';
import { decodeForHashing } from '../../../src/pipeline/analyze/decode.js';
import { hammingHex } from '../../../src/similarity/hamming.js';
import { computeHashes } from '../../../src/pipeline/analyze/hashes.js';
import { findContentRegion } from '../../../src/pipeline/analyze/region.js';

const BRIDGE = readFileSync(new URL('../../fixtures/pdq/dih/bridge-1-original.jpg', import.meta.url));
const DESK = readFileSync(new URL('../../fixtures/pdq/exif-rotn/exif-rotn-1.jpg', import.meta.url));

async function decoded(bytes: Buffer) {
  const d = await decodeForHashing(bytes, { maxPixels: 100_000_000 });
  return { ...d, channels: 3 };
}

/** A post screenshot as the benchmark draws it: white canvas, grey text bars, the photo in the middle. */
async function screenshot(
  photo: Buffer,
): Promise<{ bytes: Buffer; box: { x: number; y: number; w: number; h: number } }> {
  const meta = await sharp(photo).metadata();
  const w = 1000;
  const h = Math.round(((meta.height ?? 1) * w) / (meta.width ?? 1));
  const x = 40;
  const y = Math.round((1920 - h) / 2);
  const bars = [y - 110, y - 70, y + h + 40, y + h + 80]
    .map((by) => `<rect x="40" y="${by}" width="900" height="24" rx="12" fill="#c8c8c8"/>`)
    .join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="1080" height="1920"><rect width="100%" height="100%" fill="#fff"/><circle cx="90" cy="${y - 190}" r="45" fill="#9a9a9a"/>${bars}</svg>`;
  const bytes = await sharp(Buffer.from(svg))
    .composite([{ input: await sharp(photo).resize(w, h).png().toBuffer(), left: x, top: y }])
    .png()
    .toBuffer();
  return { bytes, box: { x, y, w, h } };
}

t.test('photos running to their edges have no region', async (t) => {
  for (const photo of [BRIDGE, DESK]) t.equal(findContentRegion(await decoded(photo)), null);
});

t.test('a flat image and a tiny one have no region', async (t) => {
  const flat = await sharp({ create: { width: 400, height: 300, channels: 3, background: '#808080' } })
    .png()
    .toBuffer();
  t.equal(findContentRegion(await decoded(flat)), null);
  t.equal(findContentRegion({ data: Buffer.alloc(30 * 30 * 3), width: 30, height: 30, channels: 3 }), null);
});

t.test('white and black frames are trimmed to the photo, through JPEG noise', async (t) => {
  for (const background of ['#ffffff', '#000000']) {
    // 4% of the long side (1024 px after decoding): 41 px.
    const framed = await sharp(BRIDGE)
      .resize(1024)
      .extend({ top: 41, bottom: 41, left: 41, right: 41, background })
      .jpeg({ quality: 80 })
      .toBuffer();
    const d = await decoded(framed);
    const r = findContentRegion(d);
    t.ok(r, `${background}: a region`);
    if (!r) continue;
    t.equal(r.kind, 'border');
    // The decoder shrinks 1106 px to 1024: the frame becomes 38 px; allow 2 px of ringing.
    const frame = Math.round((41 * d.width) / 1106);
    for (const [got, want] of [
      [r.x, frame],
      [r.y, frame],
      [d.width - r.x - r.width, frame],
      [d.height - r.y - r.height, frame],
    ] as const)
      t.ok(Math.abs(got - want) <= 2, `${background}: margin ${got} ~ ${want}`);
  }
});

t.test('letterbox bars on two sides are reported as letterbox', async (t) => {
  const boxed = await sharp(DESK)
    .rotate()
    .resize(1920, 1080, { fit: 'contain', background: '#000' })
    .jpeg({ quality: 85 })
    .toBuffer();
  const r = findContentRegion(await decoded(boxed));
  t.match(r, { kind: 'letterbox', y: 0, height: 576 });
  // The desk photo is 4:3: 768 of 1024 px wide, centred.
  t.ok(r && Math.abs(r.x - 128) <= 2 && Math.abs(r.width - 768) <= 4, JSON.stringify(r));
});

t.test(
  'a photo inside a post screenshot is found as embedded, and its PDQ matches the original',
  async (t) => {
    const { bytes, box } = await screenshot(BRIDGE);
    const d = await decoded(bytes);
    const r = findContentRegion(d);
    t.equal(r?.kind, 'embedded');
    const scale = d.width / 1080;
    t.ok(r && Math.abs(r.x - box.x * scale) <= 2 && Math.abs(r.y - box.y * scale) <= 2, JSON.stringify(r));
    t.ok(r && Math.abs(r.width - box.w * scale) <= 3 && Math.abs(r.height - box.h * scale) <= 3);

    const original = computeHashes(await decoded(BRIDGE));
    const copy = computeHashes(d);
    const whole = hammingHex(copy.pdq.hash, original.pdq.hash);
    const region = hammingHex(copy.region?.pdq.hash ?? '', original.pdq.hash);
    t.ok(whole > 31, `the whole screenshot is far from the photo (${whole} bits)`);
    t.ok(region <= 31, `its region is the photo (${region} bits)`);
    t.match(copy.region, { kind: 'embedded', pdq: { quality: Number } });
    t.equal(original.region, undefined, 'the original has no region');
  },
);

t.test('different photos of one scene keep their distance once regions are found', async (t) => {
  const other = readFileSync(new URL('../../fixtures/pdq/exif-rotn/exif-rotn-3.jpg', import.meta.url));
  const framed = await sharp(DESK)
    .rotate()
    .extend({ top: 60, bottom: 60, left: 60, right: 60, background: '#fff' })
    .jpeg()
    .toBuffer();
  const copy = computeHashes(await decoded(framed));
  const second = computeHashes(await decoded(other));
  t.ok(copy.region);
  const d = Math.min(...second.pdq.dihedral.map((h) => hammingHex(h, copy.region?.pdq.hash ?? '')));
  t.ok(d > 31, `another shot of the desk stays ${d} bits away`);
});
