// An earlier JPEG save on another 8x8 grid (a crop by a few pixels between two saves): searched in the
// decoded pixels, after the integer periodicity idea of Bianchi & Piva ("Detection of nonaligned double
// JPEG compression based on integer periodicity maps", IEEE TIFS 7(2), 2012). Written from the paper's
// idea, not from its (GPL, Matlab) code.
//
// The idea: the first save rounded every block's DC coefficient (8 x the block's mean, less 1024) to a
// multiple of its step a, on ITS grid. For the grid shift (dx, dy) of that save, the DC terms of the
// decoded picture still cluster around multiples of a, blurred by the second save's error; on any other
// shift they are spread evenly. So for each of the 7 x 7 shifts off the file's own grid and each
// candidate step a, the statistic z = |sum exp(2 pi i DC / a)|^2 / n is about Exp(1) when there is no
// such clustering (single save), and grows with n when there is.
//
// What it can and cannot see (measured on the issue-20 set, 768x512 photos, crop 3 px left, 5 px top;
// load average ~10 on 2 cores, so only the figures, not times, are from that run):
// - q80 -> q75 (a = 6 under b = 8): z at the true shift 4.5 to 18.7, 3 of 8 over the threshold;
// - q80 -> q70, q80 -> q60, and every q90/q95 first save: z at the true shift under 5.1, as noise. The
//   reason is arithmetic, not tuning: the second save's error on the first grid's DC terms has a spread
//   sigma of about 2.3 (measured from the z above), and the clustering left is exp(-2 pi^2 sigma^2 / a^2):
//   0.055 for a = 6 (z ~ n x 0.055^2 ~ 15 on 5000 blocks), 0.01 for a = 6 under b = 10, and 1e-5 for the
//   steps 2-3 of quality 90-95. Higher AC terms have larger first steps but lose more to the second save
//   (their values also crowd near zero, which biases the statistic): they were not found to help.
// - single saves (48): the largest z over all shifts and steps 9.8, under the threshold below.
// Tried on the AC terms, the paper's own setting (issue 20, 5 December 2026, not taken; the candidate-grid
// reading below is bench/double-lattice.ts, the rest scratch runs on the sets' decoded planes): the q90/q95 first saves off the grid are what the issue still
// misses, and their lattice is in the AC terms. On a grid (dx, dy), each block's AC terms X_t (orthonormal
// DCT of the decoded pixels) scored against the IJG steps a_t of a candidate first quality with a kernel
// matched to the second save's error (spread s in DCT units): S = sum_t sum_{m=1..3} rho_tm cos(2 pi m X_t
// / a_t), rho_tm = exp(-2 pi^2 m^2 s^2 / a_t^2) (a train of Gaussians at the multiples of a_t; terms with
// steps under ~7 weigh nothing at s = 2.5). Null from the picture itself: the file's own save leaves a
// mirror-symmetric pattern (double-energy.ts), so the block at (dx, dy) and the blocks of the same index at
// (8 - dx, dy), (dx, 8 - dy), (8 - dx, 8 - dy) are exchangeable on a single save; z = mean over the blocks
// of S(dx, dy) less the mirrors' mean, over its standard error. The crop's grid is (5, 3).
// - 768x512, all 63 offsets, the largest z the decision: q90 lattice, s = 2.5: z at (5, 3) median 3.0 for
//   q90 first saves, 0.9 for q95; the 48 single saves' largest 4.3, over which 6/24 q90 first saves (5 at
//   (5, 3)) and 0/24 q95, 13/24 q80; with the readings in use (q90 6/24) 9/24 q90, at a threshold set on
//   those 48 themselves. The first harmonic alone on all terms with steps >= 2: medians 2.3 and 0.6, 3/24
//   q90. q95's own lattice (steps 1-10): q95 first saves median 0.2, noise; s = 1.5 or 3.5: no better. The
//   same orbit test on double-energy.ts' clipped fine-detail magnitudes: q80 21/24 (as now), q90 2/24.
// - On one candidate grid (bench/double-lattice.ts), the fine-detail reading's best offset with both axes readable (right for 16/21
//   q90 and 2/21 q95 first saves at 2304x1536), so one test instead of 63: single saves' largest z 3.7
//   (768x512) and 4.2 (2304x1536). Threshold 5: 768x512 q90 2/24, q95 0/24, nothing the readings in use
//   miss (off the grid 30/72 either way); 2304x1536 q90 12/21, q95 2/21, q80 17/21, with the readings in
//   use 36 -> 37/63 (one q90 first save), single saves 2/42 either way. Its z summed with the fine-detail
//   z (over sqrt 2), at the single saves' largest: +1 q90 at 768x512, +3 q90 and +1 q95 at 2304x1536 (to
//   16/21 and 5/21), on a threshold with no margin. Its cost in JavaScript (4 grids, 38 terms, a table
//   look-up per term): 45-57 CPU ms per 768x512 plane, 416-504 per 2304x1536 (load 12-16), more than the whole
//   estimate there, for one file in 63: not taken. Taken later in another form (6 December 2026): the same
//   score on the fine-detail terms, as tile means through double-energy.ts' mirror test over all offsets
//   and in WebAssembly (its lattice reading): +2/24 and +1/21 q90 first saves at its threshold.
// Why: the second save's error on the first grid's coefficients has a spread of ~2.5 (the fit above); the
// clustering a step a keeps is exp(-2 pi^2 s^2 / a^2): 0.29 for q95's largest steps (10), under 0.01 for
// most of them (2-6), and q90's 7-24 sit in the fine-detail terms the first save mostly set to zero,
// which is what double-energy.ts already reads. More blocks are what helps (z grows with their root).
// What it excludes, and why:
// - shifts with dx = 0 or dy = 0: a block shifted along one axis only keeps most of the file's own
//   blocks, whose DC terms are multiples of the file's step b; single saves showed z up to 70 there;
// - blocks that are nearly flat (variance under MIN_VARIANCE) or touch 0 or 255: their DC terms repeat
//   the same values at every shift (a white sky gave z in the thousands);
// - steps a >= b or dividing b: an earlier save at lower quality (a >= b) is not the case this looks
//   for, and a step dividing b clusters on the file's own multiples of b.

/** Blocks whose pixel variance is under this (grey levels squared) are left out (see above). */
export const MIN_VARIANCE = 2;
/**
 * The decision threshold is ln(tests) + THRESHOLD_MARGIN: with z ~ Exp(1) under a single save, the chance
 * that the largest of `tests` values passes it is about exp(-5) = 0.7% per image.
 */
const THRESHOLD_MARGIN = 5;
/** z this far over the threshold gives confidence 1. */
const STRONG_MARGIN = 10;
/** Fewer usable blocks than this on a shift and it is not tested. */
const MIN_USED = 500;

export interface ShiftedGridEvidence {
  /** The largest z over shifts and steps. */
  z: number;
  /** The threshold it was compared with. */
  threshold: number;
  detected: boolean;
  /** Confidence in [0, 1]: how far z is past the threshold. */
  confidence: number;
  /** The grid shift (pixels from the left and top of the decoded picture) and DC step of the best fit. */
  dx: number;
  dy: number;
  step: number;
}

/**
 * Looks for an earlier save on another grid in the 8-bit luminance `plane` (`w` x `h`), whose own DC
 * step is `dcStep`. Cost: two integral images, then 49 shifts x (w h / 64) blocks x the candidate steps,
 * each a table look-up (no trigonometry in the loop).
 */
export function shiftedGridEvidence(
  plane: Uint8Array,
  w: number,
  h: number,
  dcStep: number,
): ShiftedGridEvidence {
  const none: ShiftedGridEvidence = {
    z: 0,
    threshold: Infinity,
    detected: false,
    confidence: 0,
    dx: 0,
    dy: 0,
    step: 0,
  };
  const steps: number[] = [];
  for (let a = 2; a < dcStep; a++) if (dcStep % a !== 0) steps.push(a);
  if (steps.length === 0 || w < 16 || h < 16) return none;
  // Integral images of the pixels, their squares and the saturated pixels (Float64: exact up to 2^53).
  const W = w + 1;
  const sum = new Float64Array(W * (h + 1));
  const sq = new Float64Array(W * (h + 1));
  const sat = new Float64Array(W * (h + 1));
  for (let y = 0; y < h; y++) {
    let r = 0;
    let r2 = 0;
    let rs = 0;
    for (let x = 0; x < w; x++) {
      const v = plane[y * w + x] as number;
      r += v;
      r2 += v * v;
      if (v === 0 || v === 255) rs++;
      const k = (y + 1) * W + x + 1;
      const up = y * W + x + 1;
      sum[k] = (sum[up] as number) + r;
      sq[k] = (sq[up] as number) + r2;
      sat[k] = (sat[up] as number) + rs;
    }
  }
  const box = (a: Float64Array, x0: number, y0: number): number =>
    (a[(y0 + 8) * W + x0 + 8] as number) -
    (a[y0 * W + x0 + 8] as number) -
    (a[(y0 + 8) * W + x0] as number) +
    (a[y0 * W + x0] as number);
  // DC = S / 8 - 1024 for a block of pixel sum S, so exp(2 pi i DC / a) depends on S mod 8a only.
  const tables = steps.map((a) => {
    const n = 8 * a;
    const c = new Float64Array(n);
    const s = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const phase = (2 * Math.PI * (i / 8 - 1024)) / a;
      c[i] = Math.cos(phase);
      s[i] = Math.sin(phase);
    }
    return { a, n, c, s };
  });
  const tests = 49 * steps.length;
  const threshold = Math.log(tests) + THRESHOLD_MARGIN;
  const sums = new Int32Array(Math.floor(w / 8) * Math.floor(h / 8));
  let best = { ...none, threshold };
  for (let dy = 1; dy < 8; dy++) {
    for (let dx = 1; dx < 8; dx++) {
      let n = 0;
      for (let y0 = dy; y0 + 8 <= h; y0 += 8) {
        for (let x0 = dx; x0 + 8 <= w; x0 += 8) {
          if (box(sat, x0, y0) > 0) continue;
          const s = box(sum, x0, y0);
          const variance = box(sq, x0, y0) / 64 - (s / 64) * (s / 64);
          if (variance < MIN_VARIANCE) continue;
          sums[n++] = s;
        }
      }
      if (n < MIN_USED) continue;
      for (const t of tables) {
        let re = 0;
        let im = 0;
        for (let i = 0; i < n; i++) {
          const k = (sums[i] as number) % t.n;
          re += t.c[k] as number;
          im += t.s[k] as number;
        }
        const z = (re * re + im * im) / n;
        if (z > best.z) best = { ...best, z, dx, dy, step: t.a };
      }
    }
  }
  const detected = best.z > threshold;
  return {
    ...best,
    z: Math.round(best.z * 10) / 10,
    threshold: Math.round(threshold * 10) / 10,
    detected,
    // At least 0.01 once past the threshold: a detection never reads as confidence 0.
    confidence: detected
      ? Math.max(0.01, Math.round(Math.min(1, (best.z - threshold) / STRONG_MARGIN) * 100) / 100)
      : 0,
  };
}
