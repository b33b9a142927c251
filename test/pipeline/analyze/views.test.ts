// Forensic views (src/pipeline/analyze/views.ts): ELA shows a pasted region, the views are skipped with a
// reason where they say nothing, and they come from the file's own pixels, upright.
import sharp, { type Sharp } from 'sharp';
import t from 'tap';
import { analyzeImage } from '../../../src/pipeline/analyze/index.js';
import {
  errorLevels,
  forensicViews,
  meanOver,
  noiseResidual,
  orient,
  VIEW_SIDE,
} from '../../../src/pipeline/analyze/views.js';
import { configureSharp } from '../../../src/sharp-settings.js';
import { fixture } from '../../helpers/images.js';
import { prng } from '../../helpers/prng.js';

configureSharp();
const PHOTO = fixture('exif-samples/jpg/gps/DSCN0010.jpg');
const W = 640;
const H = 480;
const JPEG = { mime: 'image/jpeg', format: 'jpeg' };
const rgb = (_data: Buffer) => ({ raw: { width: W, height: H, channels: 3 as const } });

/**
 * A photo saved at q90, a region of the same photo's never-compressed pixels pasted 3,5 px off the 8x8
 * grid (a copy-move: same texture, other compression history), the whole saved once more at q90.
 */
async function pasted(): Promise<{
  jpeg: Buffer;
  box: { left: number; top: number; width: number; height: number };
}> {
  const raw = await sharp(PHOTO).resize(W, H, { fit: 'cover' }).removeAlpha().raw().toBuffer();
  const first = await sharp(raw, rgb(raw)).jpeg({ quality: 90 }).toBuffer();
  const box = { left: W / 2 + 3, top: H / 3 + 5, width: W / 4, height: H / 4 };
  const patch = await sharp(raw, rgb(raw))
    .extract({ left: 37, top: 21, width: box.width, height: box.height })
    .png()
    .toBuffer();
  const jpeg = await sharp(first)
    .composite([{ input: patch, left: box.left, top: box.top }])
    .jpeg({ quality: 90 })
    .toBuffer();
  return { jpeg, box };
}

t.test('ELA of a photo with a pasted region shows the region at another error level', async (t) => {
  const { jpeg, box } = await pasted();
  const pixels = await sharp(jpeg).raw().toBuffer();
  const map = await errorLevels({ data: pixels, width: W, height: H }, 90);
  t.same([map.width, map.height], [W / 8, H / 8], 'one value per 8x8 block');
  // Blocks wholly inside the pasted region, and blocks clear of it by one block.
  const bx = (v: number) => Math.ceil(v / 8);
  const inside = { left: bx(box.left), top: bx(box.top), width: 0, height: 0 };
  inside.width = Math.floor((box.left + box.width) / 8) - inside.left;
  inside.height = Math.floor((box.top + box.height) / 8) - inside.top;
  const inner = meanOver(map, inside);
  let outSum = 0;
  let outN = 0;
  for (let y = 0; y < map.height; y++) {
    for (let x = 0; x < map.width; x++) {
      const near =
        x >= inside.left - 2 &&
        x < inside.left + inside.width + 2 &&
        y >= inside.top - 2 &&
        y < inside.top + inside.height + 2;
      if (near) continue;
      outSum += map.data[y * map.width + x] as number;
      outN++;
    }
  }
  const outer = outSum / outN;
  t.ok(outer > 0, `the rest has some error (${outer.toFixed(2)})`);
  // Measured 2.2x (mean error 1.6 against 0.7 levels); the same file re-saved at q75 instead shows texture.
  t.ok(inner > 1.8 * outer, `pasted region ${inner.toFixed(2)} vs rest ${outer.toFixed(2)}`);

  // Through the analysis, with views asked: an ELA at the file's own quality and a noise view.
  const a = await analyzeImage(jpeg, JPEG, { maxInputPixels: 1e8, views: true });
  t.equal(a.views?.ela?.quality, 90, 'ELA re-saves at the file’s own quality');
  t.ok(a.views?.ela?.gain && a.views.ela.gain >= 1);
  const view = await sharp(a.views!.ela!.webp).metadata();
  t.same([view.format, view.width, view.height], ['webp', W / 8, H / 8], 'a WebP, a pixel per block');
  t.notOk(view.exif, 'no metadata');
  t.ok(a.views?.noise?.webp.length, 'a noise view');
  t.notOk(a.views?.skipped);
  t.ok((a.timings_ms.views ?? -1) >= 0, 'timed');

  const off = await analyzeImage(jpeg, JPEG, { maxInputPixels: 1e8 });
  t.notOk(off.views, 'no views unless asked');
});

t.test('views are skipped, with a reason, where they say nothing', async (t) => {
  const tiny = await sharp(PHOTO).resize(96, 72).jpeg({ quality: 90 }).toBuffer();
  const a = await analyzeImage(tiny, JPEG, { maxInputPixels: 1e8, views: true });
  t.match(a.views, { skipped: { code: 'too_small', reason: /96x72/ } });
  t.notOk(a.views?.ela, 'no view beside the reason');
  t.match(a.views?.skipped?.reason, /too few 8x8 blocks/);

  const crushed = await sharp(PHOTO).resize(W, H).jpeg({ quality: 30 }).toBuffer();
  const b = await analyzeImage(crushed, JPEG, { maxInputPixels: 1e8, views: true });
  t.equal(b.views?.skipped?.code, 'low_quality');
  t.match(b.views?.skipped?.reason, /quality 30/);
  t.notOk(b.views?.ela, 'no view beside the reason');

  const big = await forensicViews({
    bytes: Buffer.alloc(0),
    width: 4000,
    height: 3000,
    orientation: null,
    jpegQuality: 92,
    maxPixels: 1e8,
  });
  t.equal(big.skipped?.code, 'too_large', 'over 4.2 MP: bounded, nothing decoded');

  const broken = await forensicViews({
    bytes: Buffer.from('not an image'),
    width: 800,
    height: 600,
    orientation: null,
    jpegQuality: null,
    maxPixels: 1e8,
  });
  t.equal(broken.skipped?.code, 'not_decoded');
});

t.test('views come from the file’s own pixels and are shown upright', async (t) => {
  // Larger than the analysis' 1,024-px buffer: decoded again at full size, and the view is VIEW_SIDE.
  const large = await sharp(PHOTO).resize(1600, 1200).jpeg({ quality: 85 }).toBuffer();
  const a = await analyzeImage(large, JPEG, { maxInputPixels: 1e8, views: true });
  const m = await sharp(a.views!.noise!.webp).metadata();
  t.same([m.width, m.height], [400, 300], 'a pixel per 4x4 cell of the file’s own 1600x1200');
  t.ok(m.width <= VIEW_SIDE);
  t.equal(a.views?.ela?.quality, 85);

  // Stored sideways with EXIF orientation 6: the view is upright like the page's picture.
  const sideways = await sharp(PHOTO)
    .resize(W, H)
    .withMetadata({ orientation: 6 })
    .jpeg({ quality: 90 })
    .toBuffer();
  const b = await analyzeImage(sideways, JPEG, { maxInputPixels: 1e8, views: true });
  const n = await sharp(b.views!.noise!.webp).metadata();
  t.same([n.width, n.height], [H / 4, W / 4], 'turned as the picture is shown');
});

t.test('orient turns a map as sharp turns a picture', async (t) => {
  const w = 5;
  const h = 3;
  const data = Buffer.from(Array.from({ length: w * h }, (_, i) => i * 10));
  const map = { data, width: w, height: h };
  const raw = { raw: { width: w, height: h, channels: 1 as const } };
  const expect: Record<number, (s: Sharp) => Sharp> = {
    2: (s) => s.flop(),
    3: (s) => s.rotate(180),
    4: (s) => s.flip(),
    6: (s) => s.rotate(90),
    8: (s) => s.rotate(270),
  };
  for (const [o, fn] of Object.entries(expect)) {
    const want = await fn(sharp(data, raw)).toColourspace('b-w').raw().toBuffer();
    t.same([...orient(map, Number(o)).data], [...want], `orientation ${o}`);
  }
  // 5 and 7 are a transpose and a transverse: each is 6 or 8 mirrored.
  const five = orient(map, 5);
  const six = orient(map, 6);
  const flopped = orient(six, 2);
  t.same([...five.data], [...flopped.data], 'orientation 5');
  t.same([...orient(map, 7).data], [...orient(orient(map, 8), 2).data], 'orientation 7');
  t.equal(orient(map, 1), map);
});

t.test('noise residual is zero on a flat picture and bright on grain', async (t) => {
  const flat = Buffer.alloc(64 * 64 * 3, 128);
  const r = noiseResidual({ data: flat, width: 64, height: 64 });
  t.equal(Math.max(...r.data), 0);
  const rnd = prng(7);
  const grain = Buffer.alloc(flat.length);
  for (let i = 0; i < grain.length; i += 3) grain.fill(128 + Math.round((rnd() - 0.5) * 12), i, i + 3);
  const g = noiseResidual({ data: grain, width: 64, height: 64 });
  t.same([g.width, g.height], [16, 16], 'one value per 4x4 cell');
  // Uniform grain of -6..6 levels leaves a residual of ~2-3 levels: 8-12 in units of 1/4.
  const mean = meanOver(g, { left: 1, top: 1, width: 14, height: 14 });
  t.ok(mean > 6, `grain reads ${mean.toFixed(1)}`);
});

t.test('the noise residual’s 3x3 median is exact', async (t) => {
  const rnd = prng(11);
  const w = 37;
  const h = 23;
  const data = Buffer.alloc(w * h * 3);
  for (let i = 0; i < data.length; i += 3) data.fill(Math.floor(rnd() * 256), i, i + 3);
  const px = (x: number, y: number) =>
    data[(Math.min(h - 1, Math.max(0, y)) * w + Math.min(w - 1, Math.max(0, x))) * 3] as number;
  // Grey pixels: the luminance is the value itself (77 + 150 + 29 = 256).
  const sums = new Float64Array(Math.ceil(w / 4) * Math.ceil(h / 4));
  const counts = new Float64Array(sums.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const around = [-1, 0, 1]
        .flatMap((dy) => [-1, 0, 1].map((dx) => px(x + dx, y + dy)))
        .sort((a, b) => a - b);
      const k = Math.floor(y / 4) * Math.ceil(w / 4) + Math.floor(x / 4);
      sums[k] = (sums[k] as number) + Math.abs(px(x, y) - (around[4] as number));
      counts[k] = (counts[k] as number) + 1;
    }
  }
  const want = [...sums].map((s, k) => Math.min(255, Math.round((s / (counts[k] as number)) * 4)));
  t.same([...noiseResidual({ data, width: w, height: h }).data], want, 'as a brute-force median');
});
