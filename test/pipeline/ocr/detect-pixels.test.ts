// The text detector as a check runs it: on the RGB pixels the analysis already decoded (no second
// decode), with the same verdicts as on a thumbnail decoded from the bytes. No tesseract needed.
import sharp from 'sharp';
import t from 'tap';
import { analyzeImage } from '../../../src/pipeline/analyze/index.js';
import {
  DETECT_SIDE,
  detectText,
  detectTextJs,
  greyThumbnail,
  greyThumbnailJs,
  greyWasmAvailable,
  pixelRuns,
} from '../../../src/pipeline/ocr/detect.js';
import { fixture } from '../../helpers/images.js';
import { postScreenshot, sign, TEXT_FREE_PHOTOS } from '../../helpers/text-images.js';

const analyze = async (bytes: Buffer) => {
  const m = await sharp(bytes).metadata();
  const a = await analyzeImage(
    bytes,
    { mime: `image/${m.format ?? 'jpeg'}`, format: m.format ?? 'jpeg' },
    { maxInputPixels: 100_000_000 },
  );
  if (!a.pixels) throw new Error('not decoded');
  return a.pixels;
};

t.test('greyThumbnail: luma, reduced by area to the detector side', async (t) => {
  // 1280x640: left half red, right half white.
  const w = 1280;
  const h = 640;
  const data = Buffer.alloc(w * h * 3, 255);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w / 2; x++) data.fill(0, (y * w + x) * 3 + 1, (y * w + x) * 3 + 3);
  const g = greyThumbnail({ data, width: w, height: h });
  t.equal(g.width, DETECT_SIDE);
  t.equal(g.height, DETECT_SIDE / 2);
  t.equal(g.data[0], 76, 'red is Rec. 601 luma 76');
  t.equal(g.data[g.width - 1], 255, 'white stays white');
  const small = greyThumbnail({ data: Buffer.alloc(300 * 200 * 3, 90), width: 300, height: 200 });
  t.same([small.width, small.height, small.data[0]], [300, 200, 90], 'never enlarged');
});

t.test('greyThumbnail in WebAssembly: the bytes of the JS path', async (t) => {
  t.ok(greyWasmAvailable, 'WebAssembly SIMD here (Node 20)');
  let seed = 11;
  const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const pictures: { data: Uint8Array; width: number; height: number; name: string }[] = [];
  // Odd widths (the vector loop's tail), 1 to 4 source columns per output column, boxes of up to 100
  // pixels (6000x100: near the kernel's limit of 128, where white's sum nears 2^31), one column of boxes of
  // several rows (1x1500), white (the largest sums).
  for (const [w, h] of [
    [1, 1],
    [1, 1500],
    [3, 7],
    [641, 17],
    [640, 480],
    [1023, 769],
    [1024, 683],
    [2003, 301],
    [150, 2600],
    [6000, 100],
  ] as const) {
    for (const fill of ['noise', 'white', 'bands'] as const) {
      const data = Buffer.alloc(w * h * 3, 255);
      if (fill !== 'white')
        for (let i = 0; i < data.length; i++)
          data[i] = fill === 'noise' ? Math.floor(rnd() * 256) : ((i / 3) % w) & 4 ? 250 : 3;
      pictures.push({ data, width: w, height: h, name: `${w}x${h} ${fill}` });
    }
  }
  for (const photo of TEXT_FREE_PHOTOS.slice(0, 4))
    pictures.push({ ...(await analyze(fixture(photo))), name: photo });
  for (const p of pictures) {
    const a = greyThumbnail(p);
    const b = greyThumbnailJs(p);
    t.same([a.width, a.height], [b.width, b.height], p.name);
    t.ok(Buffer.from(a.data).equals(Buffer.from(b.data)), p.name);
  }
});

t.test('detectText in WebAssembly: the detections of the JS path', async (t) => {
  let seed = 5;
  const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const pictures: { data: Buffer; width: number; height: number; name: string }[] = [];
  // Noise, one-pixel runs (more than the JS path's run arrays first hold), blocks, a flat picture, tiny ones.
  for (const [w, h] of [
    [1, 1],
    [20, 3],
    [331, 217],
    [640, 480],
  ] as const) {
    for (const fill of ['noise', 'checker', 'blocks', 'flat'] as const) {
      const data = Buffer.alloc(w * h, 200);
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++)
          if (fill === 'noise') data[y * w + x] = Math.floor(rnd() * 256);
          else if (fill === 'checker') data[y * w + x] = (x + y) & 1 ? 255 : 0;
          else if (fill === 'blocks') data[y * w + x] = ((x >> 3) + (y >> 4)) & 1 ? 30 : 220;
      pictures.push({ data, width: w, height: h, name: `${w}x${h} ${fill}` });
    }
  }
  for (const photo of TEXT_FREE_PHOTOS.slice(0, 4))
    pictures.push({ ...greyThumbnail(await analyze(fixture(photo))), name: photo });
  for (const dark of [false, true]) {
    const shot = await postScreenshot('eng', 1, { dark });
    pictures.push({ ...greyThumbnail(await analyze(shot.png)), name: `screenshot${dark ? ' dark' : ''}` });
  }
  for (const p of pictures) t.same(detectText(p), detectTextJs(p), p.name);
  t.ok(detectText(pictures.at(-1)).has_text, 'a screenshot among them');
});

t.test('classify in WebAssembly: the runs of the JS path, at the thresholds too', async (t) => {
  let seed = 3;
  const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  // Grey levels 6 apart (CONTRAST 18 and STRONG 48 are multiples): many pixels exactly at a threshold.
  for (let i = 0; i < 40; i++) {
    const w = 1 + Math.floor(rnd() * 70);
    const h = 1 + Math.floor(rnd() * 50);
    const data = Buffer.alloc(w * h);
    for (let j = 0; j < data.length; j++) data[j] = 6 * Math.floor(rnd() * 43);
    const img = { data, width: w, height: h };
    t.same(pixelRuns(img, true), pixelRuns(img, false), `${w}x${h}`);
  }
});

t.test('on the analysis pixels: text-free photos have no text, a screenshot and a sign have', async (t) => {
  for (const photo of TEXT_FREE_PHOTOS) {
    t.notOk(detectText(greyThumbnail(await analyze(fixture(photo)))).has_text, photo);
  }
  // A street sign's two short lines, one over the other (9 and 5 glyphs: neither a long line nor two
  // medium ones).
  const plate = await sign('exifr/door-knocker.jpg', ['GEDIMINO PR. 9', 'VILNIUS']);
  t.ok(detectText(greyThumbnail(await analyze(plate))).has_text, 'a two-line street sign');
  const shot = await postScreenshot('eng', 1, { dark: true });
  const d = detectText(greyThumbnail(await analyze(shot.png)));
  t.ok(d.has_text, 'dark-mode screenshot');
  t.ok(
    d.boxes.every((b) => b.glyph > 0 && b.glyph <= b.height),
    'each line has its glyph height',
  );
});

t.test('a picture of one-pixel runs (more than the run arrays first hold) is classified whole', async (t) => {
  // A checkerboard: every pixel differs from its neighbourhood's mean by ~127, each its own run of one.
  const w = 200;
  const h = 150;
  const data = Buffer.alloc(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data[y * w + x] = (x + y) & 1 ? 255 : 0;
  const d = detectText({ data, width: w, height: h });
  t.equal(d.textured, 1, 'every pixel marked');
  t.equal(d.has_text, false);
  t.equal(d.lines, 0);
});
