// binarizeLight sums only the rows its bands read (each band's rows and a window above and below): the
// same pixels as the whole picture's integral image gave. No tesseract needed.
import t from 'tap';
import { binarizeLight, despeckle } from '../../../src/pipeline/ocr/index.js';
import { boxSum, integralImage } from '../../../src/pipeline/ocr/detect.js';

type Band = { x0: number; y0: number; x1: number; y1: number };

/** What binarizeLight did before: the whole picture's integral image, every pixel looked at. */
function reference(img: { data: Buffer; width: number; height: number }, bands: Band[]): Buffer {
  const { data, width: w, height: h } = img;
  const integ = integralImage(img);
  const out = Buffer.alloc(w * h, 255);
  const keep = new Uint8Array(w * h);
  for (const b of bands)
    for (let y = Math.max(0, b.y0); y < Math.min(h, b.y1); y++)
      keep.fill(1, y * w + Math.max(0, b.x0), y * w + Math.min(w, b.x1));
  const r = 24; // BINARIZE_WINDOW (TARGET_GLYPH)
  for (let y = 0; y < h; y++) {
    const ya = Math.max(0, y - r);
    const yb = Math.min(h, y + r + 1);
    for (let x = 0; x < w; x++) {
      if (!keep[y * w + x]) continue;
      const xa = Math.max(0, x - r);
      const xb = Math.min(w, x + r + 1);
      const mean = boxSum(integ, w, xa, ya, xb, yb) / ((yb - ya) * (xb - xa));
      if ((data[y * w + x] as number) > mean + 40) out[y * w + x] = 0; // BINARIZE_CONTRAST
    }
  }
  return out;
}

/** A grey picture of noise with lighter blocks (letters' strokes) here and there. */
function picture(w: number, h: number, seed: number) {
  const data = Buffer.alloc(w * h);
  let s = seed;
  const next = () => (s = (s * 1103515245 + 12345) & 0x7fffffff) >> 16;
  for (let i = 0; i < data.length; i++) data[i] = next() & 127;
  for (let k = 0; k < 60; k++) {
    const x = next() % w;
    const y = next() % h;
    for (let dy = 0; dy < 12 && y + dy < h; dy++)
      for (let dx = 0; dx < 3 && x + dx < w; dx++) data[(y + dy) * w + x + dx] = 200 + (next() & 55);
  }
  return { data, width: w, height: h };
}

const cases: [string, number, number, Band[]][] = [
  [
    'a caption at the top and one at the bottom',
    300,
    400,
    [
      { x0: 20, x1: 280, y0: 10, y1: 50 },
      { x0: 20, x1: 280, y0: 340, y1: 390 },
    ],
  ],
  [
    'bands closer than two windows (one run of rows)',
    200,
    300,
    [
      { x0: 0, x1: 200, y0: 100, y1: 120 },
      { x0: 50, x1: 150, y0: 150, y1: 170 },
    ],
  ],
  [
    'overlapping bands, given out of order',
    250,
    250,
    [
      { x0: 100, x1: 240, y0: 120, y1: 200 },
      { x0: 10, x1: 150, y0: 100, y1: 160 },
    ],
  ],
  [
    'bands past the picture edges, an empty one',
    120,
    90,
    [
      { x0: -10, x1: 60, y0: -5, y1: 20 },
      { x0: 80, x1: 130, y0: 70, y1: 100 },
      { x0: 30, x1: 40, y0: 50, y1: 40 },
      { x0: 130, x1: 150, y0: 10, y1: 20 },
    ],
  ],
  ['the whole picture', 160, 120, [{ x0: 0, x1: 160, y0: 0, y1: 120 }]],
  ['no band', 50, 50, []],
];
for (const [name, w, h, bands] of cases) {
  t.test(name, async (t) => {
    const img = picture(w, h, w * 31 + h);
    const got = binarizeLight(img, bands);
    t.equal(got.width, w);
    t.equal(got.height, h);
    t.ok(got.data.equals(reference(img, bands)), 'the same pixels as the whole picture summed');
  });
}

t.test('despeckle keeps a caption line and its marks, and clears the photo specks around it', async (t) => {
  // A binarized caption as binarizeLight leaves it (black on white): five letters 24 px high in a row,
  // an accent above the second, a full stop after the last, a texture speck beside and below them, a
  // blob twice the line's height, and a piece of texture touching nothing in the corner.
  const w = 200;
  const h = 80;
  const data = Buffer.alloc(w * h, 255);
  const ink = (x0: number, y0: number, x1: number, y1: number) => {
    for (let y = y0; y < y1; y++) data.fill(0, y * w + x0, y * w + x1);
  };
  for (let i = 0; i < 5; i++) ink(20 + i * 20, 30, 32 + i * 20, 54);
  ink(43, 22, 47, 26); // accent: 4 x 4, above the second letter
  ink(114, 50, 118, 54); // full stop on the baseline, 2 px after the last letter
  ink(150, 40, 152, 42); // a speck of 4 px in the line's rows, away from the letters
  ink(60, 70, 64, 74); // a speck well below the line
  ink(160, 5, 175, 75); // a blob 70 px high
  ink(2, 2, 6, 6); // texture in the corner
  const img = { data, width: w, height: h };
  const before = Buffer.from(data);
  despeckle(img, [{ x0: 0, y0: 0, x1: w, y1: h, glyph: 24 }]);
  const black = (x: number, y: number) => img.data[y * w + x] === 0;
  for (let i = 0; i < 5; i++) t.ok(black(25 + i * 20, 40), `letter ${i + 1} kept`);
  t.ok(black(44, 23), 'the accent above a letter kept');
  t.ok(black(115, 51), 'the full stop kept');
  t.notOk(black(150, 40), 'a speck away from the letters cleared');
  t.notOk(black(61, 71), 'a speck below the line cleared');
  t.notOk(black(165, 40), 'a blob twice the line high cleared');
  t.notOk(black(3, 3), 'texture in the corner cleared');
  // A band with nothing of a letter's height in it (half to twice its glyph: here 100-400 px) is left as
  // it is.
  const alone = { data: Buffer.from(before), width: w, height: h };
  despeckle(alone, [{ x0: 0, y0: 0, x1: w, y1: h, glyph: 200 }]);
  t.ok(alone.data.equals(before), 'no piece of a glyph height: untouched');
});
