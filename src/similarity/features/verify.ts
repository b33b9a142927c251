// Geometric check of a candidate found by descriptor votes: match descriptors (2 nearest, ratio test), let
// RANSAC on a homography pick consistent correspondences, then require a similarity (scale, rotation,
// shift) to hold for enough of them within 2 px. Crops, frames, screenshots and collages are similarities
// of the original with sub-pixel keypoint noise; two photos of one scene from nearby points (the desk
// photos in the benchmark) fit a homography with many inliers but a similarity only loosely (parallax).
// Mirrored copies are left to PDQ's dihedral hashes.
import { loadOpenCv, type Cv } from './opencv.js';
import { DESCRIPTOR_BYTES, featureCount, type ImageFeatures } from './orb.js';

export interface VerifyOptions {
  /** RANSAC inliers needed to call it the same picture. */
  minInliers: number;
  /** Lowe ratio between best and second-best descriptor distance. */
  ratio: number;
  /** Largest descriptor distance (of 256 bits) a correspondence may have. */
  maxDistance: number;
  /**
   * Share of the ratio-test correspondences the similarity must explain. A copy: 0.5-1.0 (measured);
   * another shot of the same desk: 0.14-0.29 even when 20-odd points happen to fit.
   */
  minInlierRatio: number;
  /**
   * Least inlier share plus density (see `Verified.density`). Measured: crops, collages and resized copies
   * 0.69 and up; another shot of the same desk, even shrunk into a collage where its parallax falls below
   * 2 px, at most 0.58.
   */
  minAgreement: number;
}

export interface Verified {
  inliers: number;
  /** Correspondences that passed the ratio test (inliers are a subset). */
  matches: number;
  /** Share of the correspondences inside the overlap that the similarity explains. */
  explained: number;
  /** Median distance (px, in the matched image's feature copy) between inliers and where H puts them. */
  error: number;
  /**
   * Inliers per keypoint in the overlap (the fewer of the two images' keypoints that fall where the two
   * overlap): most of a copy's keypoints there agree; few of another shot's do.
   */
  density: number;
  /** Share (0-1) of the matched image's area this image shows. */
  coverage: number;
  /** Share (0-1) of this image's area the matched picture takes up. */
  share: number;
  /** The part of the matched image this image shows, as fractions of its width and height. */
  region: { x: number; y: number; width: number; height: number };
}

type Pt = [number, number];

export async function verifyPair(
  query: ImageFeatures,
  cand: ImageFeatures,
  opts: VerifyOptions,
): Promise<Verified | null> {
  const { cv } = await loadOpenCv();
  return verifyWith(cv, query, cand, opts);
}

/**
 * Checks each candidate against the query, in order. The memory is given one (the analysis pool's, which
 * runs it in a worker thread); without, it runs here with verifyInProcess.
 */
export type FeatureVerifier = (
  query: ImageFeatures,
  candidates: ImageFeatures[],
  opts: VerifyOptions,
) => Promise<Array<Verified | null>>;

export const verifyInProcess: FeatureVerifier = async (query, candidates, opts) => {
  const { cv } = await loadOpenCv();
  return candidates.map((cand) => verifyWith(cv, query, cand, opts));
};

export function verifyWith(
  cv: Cv,
  query: ImageFeatures,
  cand: ImageFeatures,
  opts: VerifyOptions,
): Verified | null {
  const nq = featureCount(query);
  const nc = featureCount(cand);
  if (nq < opts.minInliers || nc < opts.minInliers) return null;
  const src: number[] = [];
  const dst: number[] = [];
  const usedTrain = new Set<number>();
  for (const [q, best, bestD, secondD] of nearestTwo(query.descriptors, nq, cand.descriptors, nc)) {
    if (bestD > opts.maxDistance || bestD > opts.ratio * secondD) continue;
    // One keypoint of the candidate answers one query keypoint: repeated ones skew RANSAC.
    if (usedTrain.has(best)) continue;
    usedTrain.add(best);
    src.push(query.points[2 * q] as number, query.points[2 * q + 1] as number);
    dst.push(cand.points[2 * best] as number, cand.points[2 * best + 1] as number);
  }
  const matches = src.length / 2;
  // A homography needs 4 correspondences, whatever the configured minimum.
  if (matches < Math.max(4, opts.minInliers)) return null;
  const s = cv.matFromArray(matches, 1, cv.CV_32FC2, src);
  const d = cv.matFromArray(matches, 1, cv.CV_32FC2, dst);
  const mask = new cv.Mat();
  let H: number[] = [];
  let inliers = 0;
  const inlierIdx: number[] = [];
  try {
    // 4 px at <= 512 px: JPEG and resampling move ORB keypoints by 1-2 px.
    // 500 iterations, not 2000: a copy has half its correspondences or more right, found within a few
    // dozen draws; the rest only has to fail (measured 10-14 ms per candidate at 2000).
    // OpenCV throws (a bare wasm exception pointer) on degenerate input: no homography, no match.
    let h: ReturnType<Cv['findHomography']> | null = null;
    try {
      h = cv.findHomography(s, d, cv.RANSAC, 4, mask, 500, 0.995);
    } catch {
      h = null;
    }
    if (h?.rows === 3) H = Array.from(h.data64F);
    h?.delete();
    for (let i = 0; i < mask.rows; i++)
      if (mask.data[i]) {
        inliers++;
        inlierIdx.push(i);
      }
  } finally {
    s.delete();
    d.delete();
    mask.delete();
  }
  if (H.length !== 9 || inliers < opts.minInliers) return null;
  // The homography's RANSAC only picks candidates: its 8 degrees of freedom also fit two shots of one
  // scene. The copy test is a similarity (4 degrees) refitted on them that must hold within SIM_PX.
  let sim = fitSimilarity(src, dst, inlierIdx);
  for (let round = 0; round < 2 && sim; round++) {
    const close = closeTo(sim, src, dst, SIM_PX);
    if (close.length < opts.minInliers) return null;
    sim = fitSimilarity(src, dst, close);
    inlierIdx.length = 0;
    inlierIdx.push(...close);
  }
  if (!sim) return null;
  inliers = closeTo(sim, src, dst, SIM_PX).length;
  if (inliers < opts.minInliers) return null;
  const scale = Math.hypot(sim[0], sim[1]);
  if (!(scale > 1 / 8 && scale < 8)) return null;
  H = [sim[0], -sim[1], sim[2], sim[1], sim[0], sim[3], 0, 0, 1];
  // The share explained counts only correspondences inside the overlap: in a collage of two versions of
  // one picture, the other half's correspondences belong to another placement, not to a bad fit.
  let inOverlap = 0;
  for (let i = 0; i < matches; i++) {
    const [x, y] = apply(H, [src[2 * i] as number, src[2 * i + 1] as number]);
    if (x >= -SIM_PX && y >= -SIM_PX && x <= cand.width + SIM_PX && y <= cand.height + SIM_PX) inOverlap++;
  }
  const explained = inliers / Math.max(1, inOverlap);
  if (explained < opts.minInlierRatio) return null;
  const qRect = rect(query.width, query.height);
  const cRect = rect(cand.width, cand.height);
  const inCand = clip(
    qRect.map((p) => apply(H, p)),
    cand.width,
    cand.height,
  );
  const Hinv = invert(H);
  if (!Hinv) return null;
  const inQuery = clip(
    cRect.map((p) => apply(Hinv, p)),
    query.width,
    query.height,
  );
  if (inCand.length < 3 || inQuery.length < 3) return null;
  const xs = inCand.map((p) => p[0]);
  const ys = inCand.map((p) => p[1]);
  const bx0 = Math.min(...xs) / cand.width;
  const by0 = Math.min(...ys) / cand.height;
  const inside = (f: ImageFeatures, T: number[], w: number, h: number) => {
    let n = 0;
    for (let i = 0; i < f.points.length / 2; i++) {
      const [x, y] = apply(T, [f.points[2 * i] as number, f.points[2 * i + 1] as number]);
      if (x >= 0 && y >= 0 && x <= w && y <= h) n++;
    }
    return n;
  };
  const overlapKeypoints = Math.min(
    inside(query, H, cand.width, cand.height),
    inside(cand, Hinv, query.width, query.height),
  );
  const density = overlapKeypoints ? inliers / overlapKeypoints : 0;
  if (explained + density < opts.minAgreement) return null;
  const errors = inlierIdx
    .map((i) => {
      const [x, y] = apply(H, [src[2 * i] as number, src[2 * i + 1] as number]);
      return Math.hypot(x - (dst[2 * i] as number), y - (dst[2 * i + 1] as number));
    })
    .sort((a, b) => a - b);
  return {
    inliers,
    matches,
    explained: round3(explained),
    error: Math.round((errors[errors.length >> 1] ?? 0) * 100) / 100,
    density: round3(density),
    coverage: area(inCand) / (cand.width * cand.height),
    share: area(inQuery) / (query.width * query.height),
    region: {
      x: round3(bx0),
      y: round3(by0),
      width: round3(Math.max(...xs) / cand.width - bx0),
      height: round3(Math.max(...ys) / cand.height - by0),
    },
  };
}

const round3 = (v: number) => Math.round(v * 1000) / 1000;

const popcount32 = (v: number) => {
  v -= (v >>> 1) & 0x55555555;
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
};

/**
 * Brute-force two nearest neighbours by Hamming distance, in JS on 32-bit words: OpenCV's BFMatcher is no
 * faster here, and reading its match vectors back through embind cost more than the matching (measured:
 * 14 ms knnMatch + 3-36 ms reading, for 500 x 500).
 */
function* nearestTwo(
  q: Uint8Array,
  nq: number,
  c: Uint8Array,
  nc: number,
): Generator<[number, number, number, number]> {
  const W = DESCRIPTOR_BYTES / 4;
  const words = (b: Uint8Array) =>
    b.byteOffset % 4 === 0
      ? new Uint32Array(b.buffer, b.byteOffset, b.length / 4)
      : new Uint32Array(Uint8Array.from(b).buffer);
  const qw = words(q);
  const cw = words(c);
  for (let i = 0; i < nq; i++) {
    let best = -1;
    let bestD = 257;
    let secondD = 257;
    const qo = i * W;
    for (let j = 0; j < nc; j++) {
      const co = j * W;
      let d = 0;
      for (let k = 0; k < W && d < secondD; k++)
        d += popcount32(((qw[qo + k] as number) ^ (cw[co + k] as number)) >>> 0);
      if (d < bestD) {
        secondD = bestD;
        bestD = d;
        best = j;
      } else if (d < secondD) secondD = d;
    }
    if (best >= 0) yield [i, best, bestD, secondD];
  }
}

/** Largest distance (px in the matched image's feature copy) from the similarity for an inlier. */
const SIM_PX = 2;

/** Least-squares x' = a x - b y + tx, y' = b x + a y + ty over the chosen correspondences. */
function fitSimilarity(src: number[], dst: number[], idx: number[]): [number, number, number, number] | null {
  const n = idx.length;
  if (n < 2) return null;
  let mx = 0;
  let my = 0;
  let nx = 0;
  let ny = 0;
  for (const i of idx) {
    mx += src[2 * i] as number;
    my += src[2 * i + 1] as number;
    nx += dst[2 * i] as number;
    ny += dst[2 * i + 1] as number;
  }
  mx /= n;
  my /= n;
  nx /= n;
  ny /= n;
  let sxx = 0;
  let sab = 0;
  let sba = 0;
  for (const i of idx) {
    const x = (src[2 * i] as number) - mx;
    const y = (src[2 * i + 1] as number) - my;
    const u = (dst[2 * i] as number) - nx;
    const v = (dst[2 * i + 1] as number) - ny;
    sxx += x * x + y * y;
    sab += x * u + y * v;
    sba += x * v - y * u;
  }
  if (sxx < 1e-9) return null;
  const a = sab / sxx;
  const b = sba / sxx;
  return [a, b, nx - a * mx + b * my, ny - b * mx - a * my];
}

function closeTo(sim: [number, number, number, number], src: number[], dst: number[], px: number): number[] {
  const [a, b, tx, ty] = sim;
  const out: number[] = [];
  for (let i = 0; i < src.length / 2; i++) {
    const x = src[2 * i] as number;
    const y = src[2 * i + 1] as number;
    const dx = a * x - b * y + tx - (dst[2 * i] as number);
    const dy = b * x + a * y + ty - (dst[2 * i + 1] as number);
    if (dx * dx + dy * dy <= px * px) out.push(i);
  }
  return out;
}

const rect = (w: number, h: number): Pt[] => [
  [0, 0],
  [w, 0],
  [w, h],
  [0, h],
];

function apply(H: number[], [x, y]: Pt): Pt {
  const w = (H[6] as number) * x + (H[7] as number) * y + (H[8] as number);
  return [
    ((H[0] as number) * x + (H[1] as number) * y + (H[2] as number)) / w,
    ((H[3] as number) * x + (H[4] as number) * y + (H[5] as number)) / w,
  ];
}

function invert(m: number[]): number[] | null {
  const [a, b, c, d, e, f, g, h, i] = m as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const A = e * i - f * h;
  const B = -(d * i - f * g);
  const C = d * h - e * g;
  const det = a * A + b * B + c * C;
  if (Math.abs(det) < 1e-12) return null;
  return [
    A,
    -(b * i - c * h),
    b * f - c * e,
    B,
    a * i - c * g,
    -(a * f - c * d),
    C,
    -(a * h - b * g),
    a * e - b * d,
  ].map((v) => v / det);
}

/** Sutherland-Hodgman against the rectangle [0, w] x [0, h]. */
function clip(poly: Pt[], w: number, h: number): Pt[] {
  const edges: Array<[(p: Pt) => boolean, (p: Pt, q: Pt) => Pt]> = [
    [(p) => p[0] >= 0, (p, q) => lerp(p, q, (0 - p[0]) / (q[0] - p[0]))],
    [(p) => p[0] <= w, (p, q) => lerp(p, q, (w - p[0]) / (q[0] - p[0]))],
    [(p) => p[1] >= 0, (p, q) => lerp(p, q, (0 - p[1]) / (q[1] - p[1]))],
    [(p) => p[1] <= h, (p, q) => lerp(p, q, (h - p[1]) / (q[1] - p[1]))],
  ];
  let out = poly;
  for (const [inside, cut] of edges) {
    const input = out;
    out = [];
    for (let i = 0; i < input.length; i++) {
      const p = input[i] as Pt;
      const q = input[(i + 1) % input.length] as Pt;
      if (inside(q)) {
        if (!inside(p)) out.push(cut(p, q));
        out.push(q);
      } else if (inside(p)) out.push(cut(p, q));
    }
    if (!out.length) return [];
  }
  return out;
}

const lerp = (p: Pt, q: Pt, t: number): Pt => [p[0] + (q[0] - p[0]) * t, p[1] + (q[1] - p[1]) * t];

function area(poly: Pt[]): number {
  let s = 0;
  for (let i = 0; i < poly.length; i++) {
    const p = poly[i] as Pt;
    const q = poly[(i + 1) % poly.length] as Pt;
    s += p[0] * q[1] - q[0] * p[1];
  }
  return Math.abs(s) / 2;
}
