// ORB keypoints and binary descriptors of one image, for partial matching (crops, strips cut off,
// collages) where whole-image hashes cannot help. Computed on a grey copy with its long side at most
// FEATURE_SIDE px: bounds the cost and makes crops of one picture, seen at different sizes, land on
// similar scales. ORB itself runs in our WebAssembly SIMD module (wasm/orb.ts, OpenCV's ORB computed the
// same way: see there) where the runtime has WebAssembly SIMD, and in OpenCV.js (no SIMD) otherwise.
import { GREY_WASM_BASE64 } from './grey-wasm.generated.js';
import { ORB_WASM_BASE64 } from './orb-wasm.generated.js';
import { loadOpenCv, type Cv } from './opencv.js';
import { loadKernels } from '../../wasm-kernels.js';

export const DESCRIPTOR_BYTES = 32;

export interface ImageFeatures {
  /** Size of the grey copy the keypoints are in (about side x 3/4 side pixels). */
  width: number;
  height: number;
  /** x, y of each keypoint in that copy. */
  points: Float32Array;
  /** 32 bytes (256 bits) per keypoint, same order as points. */
  descriptors: Uint8Array;
}

export interface FeatureOptions {
  /** Long side of the grey copy (px) for a 4:3 image; others get the same area. */
  side: number;
  /** Most keypoints kept (ORB keeps the strongest). */
  maxKeypoints: number;
  /** Which ORB (FEATURE_ORB): ours where WebAssembly SIMD runs unless set to 'opencv'. */
  engine?: OrbEngine;
}

export interface FeaturePixels {
  data: Buffer;
  width: number;
  height: number;
  channels: number;
}

export const featureCount = (f: ImageFeatures) => f.points.length / 2;

/** Size of the grey copy: about side x 3/4 side pixels (a 4:3 photo gets `side` on its long side). */
function greySize(p: FeaturePixels, side: number): { w: number; h: number } {
  const long = Math.max(p.width, p.height);
  // Small images are enlarged (up to 4x): ORB finds nothing in a 100 px thumbnail, and its crops stay
  // findable once both are seen at a common size.
  const scale = Math.min(4, Math.sqrt((side * side * 0.75) / (p.width * p.height)), (2 * side) / long);
  return { w: Math.max(1, Math.round(p.width * scale)), h: Math.max(1, Math.round(p.height * scale)) };
}

/** Source columns [a, b) averaged into each output column of a copy `w` wide. */
function columnBoxes(W: number, w: number): { sx0: Int32Array; sx1: Int32Array } {
  const sx0 = new Int32Array(w);
  const sx1 = new Int32Array(w);
  for (let x = 0; x < w; x++) {
    sx0[x] = Math.floor((x * W) / w);
    sx1[x] = Math.max((sx0[x] as number) + 1, Math.floor(((x + 1) * W) / w));
  }
  return { sx0, sx1 };
}

/** Source rows [sy0, sy1) averaged into output row y of a copy `h` high. */
const rowBox = (H: number, h: number, y: number) => {
  const sy0 = Math.floor((y * H) / h);
  return { sy0, sy1: Math.max(sy0 + 1, Math.floor(((y + 1) * H) / h)) };
};

/** Luma weights x 1000, so that a box's luma is an exact integer sum (see greyThumbnail). */
const WR = 299;
const WG = 587;
const WB = 114;
/** Most luma-x-1000 a source pixel adds to a column sum: the Int32 sums hold this many rows. */
const MAX_ROWS_INT32 = Math.floor(0x7fffffff / (255 * (WR + WG + WB)));

/**
 * A grey copy of about side x 3/4 side pixels (a 4:3 photo gets `side` on its long side), by box averaging
 * (what INTER_AREA does, without a wasm round trip). By area, not long side: a wide collage shrunk to 512 px
 * leaves each photo in it too small to match (measured: a two-photo collage gave no match at 512 px long,
 * 128 inliers at 560).
 *
 * The same bytes as greyThumbnailReference (the float definition): each box's luma is summed exactly in
 * integers (299 R + 587 G + 114 B, in Int32 column sums), which rounds to the reference's byte whenever
 * the box's mean is not exactly half way between two grey levels; those ties (about 0.4% of a photo's
 * pixels, more in flat grey areas) are recomputed with the reference's floats, whose rounding errors
 * decide them. So ORB sees the same picture, and keypoints stored before this change still match.
 * RGB is summed in WebAssembly with SIMD (wasm/grey.ts; ~0.5 against 2.8 CPU ms for the integer JS path,
 * 4.2 for the float one, on the 800 x 600 buffer of a 12 MP JPEG: npm run bench:analyze prints all three);
 * other channel counts, and runtimes without WebAssembly SIMD, take the JS path (greyThumbnailJs).
 */
export function greyThumbnail(
  p: FeaturePixels,
  side: number,
): { data: Uint8Array; width: number; height: number } {
  const { w, h } = greySize(p, side);
  if (p.height / h + 1 > MAX_ROWS_INT32) return greyThumbnailReference(p, side); // no such image here
  return (p.channels === 3 && greyWasm(p, w, h)) || greyInts(p, w, h);
}

/** greyThumbnail's integer JS path, whatever the runtime: for tests and bench:analyze. */
export function greyThumbnailJs(
  p: FeaturePixels,
  side: number,
): { data: Uint8Array; width: number; height: number } {
  const { w, h } = greySize(p, side);
  if (p.height / h + 1 > MAX_ROWS_INT32) return greyThumbnailReference(p, side);
  return greyInts(p, w, h);
}

function greyInts(
  p: FeaturePixels,
  w: number,
  h: number,
): { data: Uint8Array; width: number; height: number } {
  const out = new Uint8Array(w * h);
  const C = p.channels;
  const W = p.width;
  const d = p.data;
  const k = C >= 3 ? WR + WG + WB : 1;
  const { sx0, sx1 } = columnBoxes(W, w);
  const invCols = new Float64Array(w);
  for (let x = 0; x < w; x++) invCols[x] = 1 / (k * ((sx1[x] as number) - (sx0[x] as number)));
  const cols = new Int32Array(W);
  for (let y = 0; y < h; y++) {
    const { sy0, sy1 } = rowBox(p.height, h, y);
    // Each source row's luma x 1000 added up per column (the first row sets them).
    let i = sy0 * W * C;
    if (C === 3) {
      for (let sx = 0; sx < W; sx++, i += 3)
        cols[sx] = WR * (d[i] as number) + WG * (d[i + 1] as number) + WB * (d[i + 2] as number);
      for (let sy = sy0 + 1; sy < sy1; sy++)
        for (let sx = 0; sx < W; sx++, i += 3)
          cols[sx] =
            (cols[sx] as number) +
            WR * (d[i] as number) +
            WG * (d[i + 1] as number) +
            WB * (d[i + 2] as number);
    } else {
      cols.fill(0);
      for (let sy = sy0; sy < sy1; sy++)
        for (let sx = 0; sx < W; sx++, i += C)
          cols[sx] =
            (cols[sx] as number) +
            (C >= 3
              ? WR * (d[i] as number) + WG * (d[i + 1] as number) + WB * (d[i + 2] as number)
              : (d[i] as number));
    }
    const invRows = 1 / (sy1 - sy0);
    const o = y * w;
    for (let x = 0; x < w; x++) {
      const a = sx0[x] as number;
      const b = sx1[x] as number;
      let sum = 0; // exact: an integer below 2^53
      for (let sx = a; sx < b; sx++) sum += cols[sx] as number;
      // The mean, off by a few units in the last place; rounded half up. A mean within 1e-7 of half a
      // level may be a tie (a box's exact mean is a multiple of 1/(1000 x its pixels) away from one):
      // decided exactly apart.
      const q = sum * (invCols[x] as number) * invRows;
      const r = (q + 0.5) | 0;
      out[o + x] = r - q > 0.4999999 || r - q < -0.4999999 ? nearTie(p, a, b, sy0, sy1, sum, k) : r;
    }
  }
  return { data: out, width: w, height: h };
}

/** A box whose mean is about half way between two levels: the reference's byte for it. */
function nearTie(p: FeaturePixels, a: number, b: number, sy0: number, sy1: number, sum: number, k: number) {
  const n = k * (b - a) * (sy1 - sy0);
  // Grey input sums integers in the reference too (exact), and a mean that is not a tie rounds alike.
  if (k === 1 || sum % n !== n / 2) return Math.round(sum / n);
  return tieByte(p, a, b, sy0, sy1);
}

/** The float definition's byte for one box of an image with luma (3 or more channels). */
function tieByte(p: FeaturePixels, a: number, b: number, sy0: number, sy1: number) {
  const C = p.channels;
  const d = p.data;
  let total = 0;
  for (let sx = a; sx < b; sx++) {
    let col = 0;
    for (let sy = sy0, i = (sy0 * p.width + sx) * C; sy < sy1; sy++, i += p.width * C)
      col = col + 0.299 * (d[i] as number) + 0.587 * (d[i + 1] as number) + 0.114 * (d[i + 2] as number);
    total += col;
  }
  return Math.round(total / ((sy1 - sy0) * (b - a)));
}

// The WebAssembly path (wasm/grey.ts, built by scripts/build-wasm.ts): RGB only, up to GREY_WASM_MAX_PIXELS
// (the pixels are copied into wasm memory, which never shrinks; the analysis passes <= 1024 px buffers).

interface GreyKernels {
  memory: { buffer: ArrayBuffer };
  reset(): void;
  alloc(bytes: number): number;
  fourRowsBytes(W: number): number;
  grey(
    rgb: number,
    W: number,
    H: number,
    w: number,
    h: number,
    sx0: number,
    sx1: number,
    out: number,
    cols: number,
    inv: number,
  ): void;
}

/** Largest image whose grey copy is made in WebAssembly: 4 MP, 12 MB of RGB. */
export const GREY_WASM_MAX_PIXELS = 4_000_000;
/**
 * Most source pixels one box may hold in WebAssembly: its rounding works on 2 x its luma sum x 1000 in
 * 32-bit integers (255 x 1000 x 2 x 4,200 < 2^31). Boxes that large need a grey copy under ~1/65 of the
 * picture's side; they take the JS path.
 */
const GREY_WASM_MAX_BOX = 4_200;

const greyKernels = loadKernels<GreyKernels>(GREY_WASM_BASE64, 'grey');

/** Whether the grey copy is made in WebAssembly here (for benchmarks and tests). */
export const greyWasmAvailable = greyKernels !== null;

/** greyInts' bytes, summed in WebAssembly; null when that path does not apply. */
function greyWasm(
  p: FeaturePixels,
  w: number,
  h: number,
): { data: Uint8Array; width: number; height: number } | null {
  const k = greyKernels;
  const W = p.width;
  const H = p.height;
  if (!k || W * H > GREY_WASM_MAX_PIXELS || p.data.length < W * H * 3) return null;
  if ((Math.floor(W / w) + 1) * (Math.floor(H / h) + 1) > GREY_WASM_MAX_BOX) return null;
  const { sx0, sx1 } = columnBoxes(W, w);
  k.reset();
  const bytes = W * H * 3;
  const rgb = k.alloc(bytes);
  const at0 = k.alloc(w * 4);
  const at1 = k.alloc(w * 4);
  const cols = k.alloc(k.fourRowsBytes(W));
  const out = k.alloc(w * h);
  const inv = k.alloc(w * 4);
  if (!rgb || !at0 || !at1 || !cols || !out || !inv) return null;
  new Uint8Array(k.memory.buffer, rgb, bytes).set(p.data.subarray(0, bytes));
  new Int32Array(k.memory.buffer, at0, w).set(sx0);
  new Int32Array(k.memory.buffer, at1, w).set(sx1);
  k.grey(rgb, W, H, w, h, at0, at1, out, cols, inv);
  const data = new Uint8Array(k.memory.buffer, out, w * h).slice();
  return { data, width: w, height: h };
}

/**
 * The grey copy's definition, in floats: the luma of each source pixel (0.299 R + 0.587 G + 0.114 B),
 * summed per column over the box's rows, then over its columns, divided and rounded. greyThumbnail gives
 * the same bytes faster; this stays as the reference its tests and bench:analyze compare with.
 */
export function greyThumbnailReference(
  p: FeaturePixels,
  side: number,
): { data: Uint8Array; width: number; height: number } {
  const { w, h } = greySize(p, side);
  const out = new Uint8Array(w * h);
  const C = p.channels;
  const W = p.width;
  // Source columns of each output column, then per output row: the luma of its source rows summed per
  // column, then those sums per output column (each source pixel read once).
  const { sx0, sx1 } = columnBoxes(W, w);
  const cols = new Float64Array(W);
  for (let y = 0; y < h; y++) {
    const { sy0, sy1 } = rowBox(p.height, h, y);
    cols.fill(0);
    for (let sy = sy0; sy < sy1; sy++) {
      let i = sy * W * C;
      if (C >= 3)
        for (let sx = 0; sx < W; sx++, i += C)
          cols[sx] =
            (cols[sx] as number) +
            0.299 * (p.data[i] as number) +
            0.587 * (p.data[i + 1] as number) +
            0.114 * (p.data[i + 2] as number);
      else for (let sx = 0; sx < W; sx++, i += C) cols[sx] = (cols[sx] as number) + (p.data[i] as number);
    }
    const rows = sy1 - sy0;
    for (let x = 0; x < w; x++) {
      const a = sx0[x] as number;
      const b = sx1[x] as number;
      let sum = 0;
      for (let sx = a; sx < b; sx++) sum += cols[sx] as number;
      out[y * w + x] = Math.round(sum / (rows * (b - a)));
    }
  }
  return { data: out, width: w, height: h };
}

/**
 * Images more than twice as wide as high (or high as wide) get twice the pixels and keypoints: they are
 * usually collages or panoramas, where each picture would otherwise get a small share of both (measured: a
 * portrait photo beside a landscape one in an 800 px high collage kept 55 correspondences).
 */
const WIDE = 2;
/** Most keypoints one image may have (the feature index addresses 1024 per image). */
export const MAX_KEYPOINTS_PER_IMAGE = 1024;
/** Columns (or rows) of grey pixels a tile reads beyond its own part: ORB's 31 px patch and border. */
const TILE_MARGIN = 40;

/**
 * Largest grey copy our ORB takes (its pyramid and scratch take ~24 bytes per pixel of wasm memory, which
 * never shrinks: ~9 MB for the default copies, 2 x 512 x 384 px at most); larger ones go to OpenCV.js.
 */
const ORB_WASM_MAX_PIXELS = 2_000_000;

/** Which ORB computes the keypoints: ours in WebAssembly SIMD, or OpenCV.js (the reference). */
export type OrbEngine = 'wasm' | 'opencv';

/** Ours where this runtime runs WebAssembly SIMD, OpenCV.js elsewhere. */
export const defaultOrbEngine = (): OrbEngine => (orbKernels ? 'wasm' : 'opencv');

export async function extractFeatures(p: FeaturePixels, opts: FeatureOptions): Promise<ImageFeatures> {
  const wide = Math.max(p.width / p.height, p.height / p.width) > WIDE;
  const side = wide ? Math.round(opts.side * Math.SQRT2) : opts.side;
  const grey = greyThumbnail(p, side);
  // Ours unless asked for OpenCV.js, missing (no WebAssembly SIMD), or the copy is beyond its memory
  // bound (a FEATURE_SIDE far above the default).
  const engine = opts.engine ?? defaultOrbEngine();
  let orb: Orb;
  if (engine === 'wasm' && orbKernels && grey.width * grey.height <= ORB_WASM_MAX_PIXELS)
    orb = (g, max) => orbWasm(orbKernels, g, max).features;
  else {
    const { cv } = await loadOpenCv();
    orb = (g, max) => orbOpenCv(cv, g, max);
  }
  if (!wide) return orb(grey, opts.maxKeypoints);
  // A wide image's keypoints are found tile by tile, each tile keeping its own strongest: ORB over the
  // whole image keeps the strongest of all, and a textured picture then takes them from a smoother one
  // beside it. Measured on the collage benchmark (npm run bench:match): 84% recall with 1,000 keypoints
  // over the whole collage, 92% with 500 in each half; same keypoint count, so same memory and query cost.
  const tiles = tilesOf(grey.width, grey.height);
  const budget = Math.min(opts.maxKeypoints, Math.floor(MAX_KEYPOINTS_PER_IMAGE / tiles.length));
  const points: number[] = [];
  const descriptors: Uint8Array[] = [];
  for (const t of tiles) {
    const f = orb(cropGrey(grey, t.outer), budget);
    for (let i = 0; i < featureCount(f); i++) {
      const x = (f.points[2 * i] as number) + t.outer.x;
      const y = (f.points[2 * i + 1] as number) + t.outer.y;
      // Keypoints in the margin belong to the neighbouring tile, which finds them itself.
      if (x < t.core.x || x >= t.core.x + t.core.width || y < t.core.y || y >= t.core.y + t.core.height)
        continue;
      points.push(x, y);
      descriptors.push(f.descriptors.subarray(i * DESCRIPTOR_BYTES, (i + 1) * DESCRIPTOR_BYTES));
    }
  }
  const all = new Uint8Array(descriptors.length * DESCRIPTOR_BYTES);
  descriptors.forEach((d, i) => all.set(d, i * DESCRIPTOR_BYTES));
  return { width: grey.width, height: grey.height, points: Float32Array.from(points), descriptors: all };
}

interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * Tiles along the long side, each about 4:3 or longer (two for a 2:1 to 3.3:1 image, as two photos side
 * by side make), with a margin read but not kept.
 */
function tilesOf(w: number, h: number): Array<{ core: Rect; outer: Rect }> {
  const long = Math.max(w, h);
  const short = Math.min(w, h);
  const n = Math.max(1, Math.min(4, Math.round(long / short / (4 / 3))));
  const out: Array<{ core: Rect; outer: Rect }> = [];
  for (let k = 0; k < n; k++) {
    const a = Math.round((k * long) / n);
    const b = Math.round(((k + 1) * long) / n);
    const oa = Math.max(0, a - TILE_MARGIN);
    const ob = Math.min(long, b + TILE_MARGIN);
    out.push(
      w >= h
        ? { core: { x: a, y: 0, width: b - a, height: h }, outer: { x: oa, y: 0, width: ob - oa, height: h } }
        : {
            core: { x: 0, y: a, width: w, height: b - a },
            outer: { x: 0, y: oa, width: w, height: ob - oa },
          },
    );
  }
  return out;
}

function cropGrey(g: { data: Uint8Array; width: number }, r: Rect) {
  const out = new Uint8Array(r.width * r.height);
  for (let y = 0; y < r.height; y++) {
    const from = (r.y + y) * g.width + r.x;
    out.set(g.data.subarray(from, from + r.width), y * r.width);
  }
  return { data: out, width: r.width, height: r.height };
}

type Grey = { data: Uint8Array; width: number; height: number };
type Orb = (grey: Grey, max: number) => ImageFeatures;

/** OpenCV.js's ORB on one grey image (the reference; FEATURE_ORB=opencv). */
export function orbOpenCv(
  cv: Cv,
  grey: { data: Uint8Array; width: number; height: number },
  max: number,
): ImageFeatures {
  const img = new cv.Mat(grey.height, grey.width, cv.CV_8UC1);
  const mask = new cv.Mat();
  const kp = new cv.KeyPointVector();
  const des = new cv.Mat();
  // Default ORB (8 levels, scale 1.2, FAST 20): the pyramid covers the 0.5-2x scale changes of crops
  // and screenshots seen at other sizes.
  const orb = new cv.ORB(max);
  try {
    img.data.set(grey.data);
    orb.detectAndCompute(img, mask, kp, des);
    const n = Math.min(kp.size(), des.rows);
    const points = new Float32Array(n * 2);
    for (let i = 0; i < n; i++) {
      const { pt } = kp.get(i);
      points[2 * i] = pt.x;
      points[2 * i + 1] = pt.y;
    }
    const descriptors = n ? Uint8Array.from(des.data.subarray(0, n * DESCRIPTOR_BYTES)) : new Uint8Array(0);
    return { width: grey.width, height: grey.height, points, descriptors };
  } finally {
    orb.delete();
    img.delete();
    mask.delete();
    kp.delete();
    des.delete();
  }
}

// Our ORB (wasm/orb.ts, built by scripts/build-wasm.ts).

interface OrbKernels {
  memory: { buffer: ArrayBuffer };
  reset(): void;
  alloc(bytes: number): number;
  pyramid(img: number, w: number, h: number): number;
  detect(levels: number, nfeatures: number, threshold: number): number;
  keypoints(): number;
  blur(records: number, n: number): number;
  describe(records: number, n: number, out: number): void;
}

const orbKernels = loadKernels<OrbKernels>(ORB_WASM_BASE64, 'orb');

/** Whether our ORB runs here (WebAssembly SIMD): for benchmarks and tests. */
export const orbWasmAvailable = orbKernels !== null;

/** FAST's threshold: OpenCV's default, which the stored descriptors were made with. */
const FAST_THRESHOLD = 20;
/** Bytes per keypoint record wasm/orb.ts writes. */
const RECORD = 32;

/** One keypoint as wasm/orb.ts finds it (as OpenCV's KeyPoint, with its position in its level). */
export interface OrbKeypoint {
  x: number;
  y: number;
  /** Degrees, as OpenCV's KeyPoint.angle. */
  angle: number;
  /** Harris response. */
  response: number;
  level: number;
  levelX: number;
  levelY: number;
}

/**
 * Our ORB on one grey image, with the keypoints' details (for tests); `given` computes the descriptors of
 * those keypoints instead of finding them (to compare the descriptor with OpenCV's on the same keypoints).
 */
export function orbWasm(
  k: OrbKernels,
  grey: Grey,
  max: number,
  given?: OrbKeypoint[],
): { features: ImageFeatures; keypoints: OrbKeypoint[] } {
  const { width: w, height: h } = grey;
  const none = {
    features: { width: w, height: h, points: new Float32Array(0), descriptors: new Uint8Array(0) },
    keypoints: [],
  };
  if (w * h > ORB_WASM_MAX_PIXELS || max < 1) return none;
  k.reset();
  const img = k.alloc(w * h);
  if (!img) return none;
  new Uint8Array(k.memory.buffer, img, w * h).set(grey.data.subarray(0, w * h));
  const levels = k.pyramid(img, w, h);
  let n: number;
  let recs: number;
  if (given) {
    n = given.length;
    recs = k.alloc(n * RECORD);
    if (!recs) return none;
    const f = new Float32Array(k.memory.buffer, recs, n * 8);
    const i = new Int32Array(k.memory.buffer, recs, n * 8);
    given.forEach((p, j) => {
      f.set([p.x, p.y, p.angle, p.response], j * 8);
      i.set([p.level, p.levelX, p.levelY, 0], j * 8 + 4);
    });
  } else {
    n = k.detect(levels, max, FAST_THRESHOLD);
    recs = k.keypoints();
  }
  const f = new Float32Array(k.memory.buffer, recs, n * 8).slice();
  const i = new Int32Array(f.buffer);
  const keypoints: OrbKeypoint[] = [];
  const points = new Float32Array(n * 2);
  for (let j = 0; j < n; j++) {
    const o = j * 8;
    const level = i[o + 4] as number;
    points[2 * j] = f[o] as number;
    points[2 * j + 1] = f[o + 1] as number;
    keypoints.push({
      x: f[o] as number,
      y: f[o + 1] as number,
      angle: f[o + 2] as number,
      response: f[o + 3] as number,
      level,
      levelX: i[o + 5] as number,
      levelY: i[o + 6] as number,
    });
  }
  const out = n ? k.alloc(n * DESCRIPTOR_BYTES) : 0;
  if (n && (!out || !k.blur(recs, n))) return none;
  if (n) k.describe(recs, n, out);
  const descriptors = n
    ? new Uint8Array(k.memory.buffer, out, n * DESCRIPTOR_BYTES).slice()
    : new Uint8Array(0);
  return { features: { width: w, height: h, points, descriptors }, keypoints };
}

/** Our ORB's kernels, or null where WebAssembly SIMD is missing (tests and benchmarks). */
export const orbWasmKernels = (): OrbKernels | null => orbKernels;

/** Compact binary form for Redis: 6-byte header, points as 1/16 px uint16, then the descriptors. */
export function encodeFeatures(f: ImageFeatures): Buffer {
  const n = featureCount(f);
  const out = Buffer.alloc(7 + n * 4 + n * DESCRIPTOR_BYTES);
  out[0] = 1; // format version
  out.writeUInt16LE(f.width, 1);
  out.writeUInt16LE(f.height, 3);
  out.writeUInt16LE(n, 5);
  for (let i = 0; i < n * 2; i++) out.writeUInt16LE(Math.round((f.points[i] as number) * 16), 7 + i * 2);
  out.set(f.descriptors.subarray(0, n * DESCRIPTOR_BYTES), 7 + n * 4);
  return out;
}

export function decodeFeatures(b: Buffer): ImageFeatures | null {
  if (b.length < 7 || b[0] !== 1) return null;
  const n = b.readUInt16LE(5);
  if (b.length !== 7 + n * 4 + n * DESCRIPTOR_BYTES) return null;
  const points = new Float32Array(n * 2);
  for (let i = 0; i < n * 2; i++) points[i] = b.readUInt16LE(7 + i * 2) / 16;
  return {
    width: b.readUInt16LE(1),
    height: b.readUInt16LE(3),
    points,
    descriptors: Uint8Array.from(b.subarray(7 + n * 4)),
  };
}
