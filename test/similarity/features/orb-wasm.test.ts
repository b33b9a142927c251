// Our ORB (wasm/orb.ts) against OpenCV.js's, the reference whose descriptors are stored: on real photos
// and generated images, the same keypoints (level and position, angle) and the same descriptors.
//
// Measured when written (13 fixture photos and 5 generated images, 512 px grey copies, 500 keypoints): every
// OpenCV keypoint found by ours at the same level and pixel, with the same count per level; every angle
// equal to 1e-3 degree (the same float); every descriptor identical bit for bit, found or given. The bounds
// below allow a little: a keypoint or a bit may move where a float rounds the other way (a tie in Harris'
// ranking, an angle on a rounding edge of a test point), but a wrong pattern, pyramid or blur moves
// dozens of bits in most descriptors and fails them at once.
import t, { type Test } from 'tap';
import sharp from 'sharp';
import { decodeForHashing } from '../../../src/pipeline/analyze/decode.js';
import {
  extractFeatures,
  featureCount,
  greyThumbnail,
  orbWasm,
  orbWasmAvailable,
  orbWasmKernels,
  type ImageFeatures,
  type OrbKeypoint,
} from '../../../src/similarity/features/orb.js';
import { loadOpenCv, type Cv, type CvMat } from '../../../src/similarity/features/opencv.js';
import { fixture } from '../../helpers/images.js';

const PHOTOS = [
  'pdq/dih/bridge-1-original.jpg',
  'exifr/IMG_20180725_163423.jpg',
  'pdq/exif-rotn/exif-rotn-1.jpg',
  'pdq/exif-rotn/exif-rotn-6.jpg',
  'c2pa/CA.jpg',
  'c2pa/earth_apollo17.jpg',
  'exif-samples/jpg/Canon_40D.jpg',
  'exif-samples/jpg/gps/DSCN0010.jpg',
  'exifr/door-knocker.jpg',
  'pdq/labelme-subset/q0003.jpg',
  'pdq/labelme-subset/q0746.jpg',
  'pdq/labelme-subset/q2821.jpg',
  'pdq/misc/small.jpg',
];

type Grey = { data: Uint8Array; width: number; height: number };

interface CvKeyPointFull {
  pt: { x: number; y: number };
  angle: number;
  response: number;
  octave: number;
}

/** OpenCV.js's ORB on one grey image: keypoints with their level and angle, and descriptors. */
function openCvOrb(cv: Cv, g: Grey, max: number): { keypoints: CvKeyPointFull[]; descriptors: Uint8Array } {
  const img: CvMat = new cv.Mat(g.height, g.width, cv.CV_8UC1);
  const mask = new cv.Mat();
  const kp = new cv.KeyPointVector();
  const des = new cv.Mat();
  const orb = new cv.ORB(max);
  try {
    img.data.set(g.data);
    orb.detectAndCompute(img, mask, kp, des);
    const keypoints: CvKeyPointFull[] = [];
    for (let i = 0; i < kp.size(); i++) keypoints.push(kp.get(i) as unknown as CvKeyPointFull);
    return { keypoints, descriptors: Uint8Array.from(des.data.subarray(0, keypoints.length * 32)) };
  } finally {
    for (const m of [img, mask, kp, des, orb]) m.delete();
  }
}

const scaleOf = (level: number) => Math.fround(Math.pow(Math.fround(1.2), level));

const hamming = (a: Uint8Array, ai: number, b: Uint8Array, bi: number) => {
  let d = 0;
  for (let k = 0; k < 32; k++) {
    let v = (a[ai * 32 + k] as number) ^ (b[bi * 32 + k] as number);
    for (; v; v &= v - 1) d++;
  }
  return d;
};

interface Comparison {
  cv: number;
  ours: number;
  /** OpenCV's keypoints ours has at the same level within 1 px there. */
  found: number;
  sameAngle: number;
  identical: number;
  /** Mean Hamming distance of the found ones' descriptors. */
  meanBits: number;
  /** OpenCV's keypoints given to ours: descriptors identical to OpenCV's. */
  givenIdentical: number;
  givenBits: number;
}

function compare(cv: Cv, g: Grey, max = 500): Comparison {
  const ref = openCvOrb(cv, g, max);
  const kernels = orbWasmKernels();
  if (!kernels) throw new Error('no WebAssembly SIMD');
  const ours = orbWasm(kernels, g, max);
  let found = 0;
  let sameAngle = 0;
  let identical = 0;
  let bits = 0;
  const given: OrbKeypoint[] = [];
  ref.keypoints.forEach((r, i) => {
    const s = scaleOf(r.octave);
    const lx = Math.round(r.pt.x / s);
    const ly = Math.round(r.pt.y / s);
    given.push({ ...r.pt, angle: r.angle, response: r.response, level: r.octave, levelX: lx, levelY: ly });
    const j = ours.keypoints.findIndex(
      (o) => o.level === r.octave && Math.abs(o.levelX - lx) <= 1 && Math.abs(o.levelY - ly) <= 1,
    );
    if (j < 0) return;
    found++;
    if (Math.abs((ours.keypoints[j] as OrbKeypoint).angle - r.angle) < 1e-3) sameAngle++;
    const d = hamming(ref.descriptors, i, ours.features.descriptors, j);
    bits += d;
    if (d === 0) identical++;
  });
  const withGiven = orbWasm(kernels, g, max, given);
  let givenIdentical = 0;
  let givenBits = 0;
  ref.keypoints.forEach((_, i) => {
    const d = hamming(ref.descriptors, i, withGiven.features.descriptors, i);
    givenBits += d;
    if (d === 0) givenIdentical++;
  });
  return {
    cv: ref.keypoints.length,
    ours: ours.keypoints.length,
    found,
    sameAngle,
    identical,
    meanBits: found ? bits / found : 0,
    givenIdentical,
    givenBits,
  };
}

function check(t: Test, name: string, c: Comparison) {
  const info = JSON.stringify(c);
  // The same number of keypoints (OpenCV keeps ties at each level's cut; so does ours).
  t.ok(Math.abs(c.ours - c.cv) <= Math.max(1, 0.01 * c.cv), `${name}: keypoint counts ${info}`);
  t.ok(c.found >= 0.98 * c.cv, `${name}: OpenCV's keypoints found at the same place ${info}`);
  t.ok(c.sameAngle >= 0.98 * c.found, `${name}: same angles ${info}`);
  t.ok(c.identical >= 0.97 * c.found && c.meanBits <= 0.2, `${name}: descriptors ${info}`);
  // Given the same keypoints, the descriptors are OpenCV's: the pattern, the pyramid and the blur.
  t.equal(c.givenIdentical, c.cv, `${name}: descriptors of OpenCV's own keypoints ${info}`);
}

t.test('our ORB finds OpenCV.js keypoints and descriptors', async (t) => {
  t.ok(orbWasmAvailable, 'WebAssembly SIMD here');
  const { cv } = await loadOpenCv();

  t.test('on real photos', async (t) => {
    let keypoints = 0;
    for (const path of PHOTOS) {
      const d = await decodeForHashing(fixture(path), { maxPixels: 100_000_000 });
      const g = greyThumbnail({ data: d.data, width: d.width, height: d.height, channels: 3 }, 512);
      const c = compare(cv, g);
      keypoints += c.cv;
      check(t, path, c);
    }
    t.ok(keypoints > 3000, `${keypoints} keypoints compared`);
  });

  t.test('on generated images, with fewer keypoints and at other sizes', async (t) => {
    // Shapes at every angle and contrast, grain, a thin text-like pattern; sizes that make odd pyramid
    // levels and a level too small for keypoints.
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) / 2 ** 24;
    const shapes = (w: number, h: number, n: number) =>
      Array.from({ length: n }, () => {
        const x = Math.round(rand() * w);
        const y = Math.round(rand() * h);
        const g = Math.round(rand() * 255);
        const r = 5 + Math.round(rand() * 40);
        return rand() < 0.5
          ? `<circle cx="${x}" cy="${y}" r="${r}" fill="rgb(${g},${g},${g})"/>`
          : `<rect x="${x}" y="${y}" width="${r * 2}" height="${r}" fill="rgb(${g},${g},${g})" transform="rotate(${Math.round(rand() * 90)} ${x} ${y})"/>`;
      }).join('');
    const greyOf = async (svg: string, noise: boolean): Promise<Grey> => {
      let img = sharp(Buffer.from(svg));
      if (noise) img = img.blur(0.8);
      const { data, info } = await img.greyscale().raw().toBuffer({ resolveWithObject: true });
      const out = new Uint8Array(info.width * info.height);
      for (let i = 0; i < out.length; i++) {
        const v = (data[i * info.channels] as number) + (noise ? Math.round((rand() - 0.5) * 24) : 0);
        out[i] = Math.max(0, Math.min(255, v));
      }
      return { data: out, width: info.width, height: info.height };
    };
    const cases: Array<[string, number, number, number, boolean]> = [
      ['shapes 512x384', 512, 384, 120, false],
      ['shapes and grain 640x480', 640, 480, 200, true],
      ['shapes 301x777', 301, 777, 80, true],
      ['shapes 1000x250', 1000, 250, 150, false],
      ['shapes 130x97 (one level)', 130, 97, 20, false],
    ];
    for (const [name, w, h, n, noise] of cases) {
      const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}"><rect width="100%" height="100%" fill="#808080"/>${shapes(w, h, n)}</svg>`;
      const g = await greyOf(svg, noise);
      for (const max of [500, 120]) check(t, `${name}, ${max} keypoints`, compare(cv, g, max));
    }
    // Every size in a range: a level's size is the size times the float 1 / 1.2^level, rounded half to
    // even (465 px gives 388 at level 1, where the quotient would give 387: every keypoint there moved).
    for (let i = 0; i < 20; i++) {
      const [w, h] = [456 + i, 349 - i];
      const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}"><rect width="100%" height="100%" fill="#808080"/>${shapes(w, h, 60)}</svg>`;
      check(t, `shapes ${w}x${h}`, compare(cv, await greyOf(svg, true), 300));
    }
    // Too small for any level: nothing, as OpenCV.
    const tiny = await greyOf(
      `<svg xmlns="http://www.w3.org/2000/svg" width="60" height="60">${shapes(60, 60, 10)}</svg>`,
      true,
    );
    const c = compare(cv, tiny);
    t.same([c.cv, c.ours], [0, 0], 'a 60 px image has no keypoints');
  });
});

t.test('FEATURE_ORB: extractFeatures gives the same features with either ORB, wide images too', async (t) => {
  const sorted = (f: ImageFeatures) => {
    const rows = Array.from({ length: featureCount(f) }, (_, i) => ({
      x: f.points[2 * i] as number,
      y: f.points[2 * i + 1] as number,
      d: Buffer.from(f.descriptors.subarray(i * 32, i * 32 + 32)).toString('hex'),
    }));
    return rows.sort((a, b) => a.x - b.x || a.y - b.y || a.d.localeCompare(b.d));
  };
  // A wide collage (tiled: each tile's own keypoints) and a photo.
  const bridge = fixture('pdq/dih/bridge-1-original.jpg');
  const left = await sharp(bridge).resize({ height: 500 }).png().toBuffer();
  const wide = await sharp(left)
    .extend({ right: 900, background: '#fff' })
    .composite([{ input: left, left: 700, top: 0 }])
    .jpeg()
    .toBuffer();
  for (const [name, bytes] of [
    ['photo', bridge],
    ['wide collage', wide],
  ] as const) {
    const d = await decodeForHashing(bytes, { maxPixels: 100_000_000 });
    const px = { data: d.data, width: d.width, height: d.height, channels: 3 };
    const ours = await extractFeatures(px, { side: 512, maxKeypoints: 500, engine: 'wasm' });
    const ref = await extractFeatures(px, { side: 512, maxKeypoints: 500, engine: 'opencv' });
    t.ok(featureCount(ours) > 300, `${name}: ${featureCount(ours)} keypoints`);
    t.same([ours.width, ours.height], [ref.width, ref.height]);
    t.same(sorted(ours), sorted(ref), `${name}: the same keypoints and descriptors`);
  }
});
