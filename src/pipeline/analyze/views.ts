// Forensic views for the report page (issue 20 item 3): error level analysis (ELA) and a noise residual,
// as small greyscale pictures shown beside the image. They are evidence with limits, never a verdict:
// the page says how to read each and what it cannot show (InVID added warnings and an "inconclusive"
// label because such views mislead when shown bare).
//
// Both are made from the file's own pixels, at its own size, in its stored orientation, and only then
// reduced and turned upright for display. Measured on a fixture photo with a pasted region (640x480 to
// 4000x3000, saved once more at q60-q90): ELA at the file's size shows the pasted region at 1.3-6.8x the
// error of the rest when re-saved at the file's own quality; on the analysis' 1,024-px buffer (a
// resampled copy, off the file's 8x8 JPEG grid) every region re-saves with 30-100x more error and the
// map shows only texture (the pasted region at 0.1-0.2x the rest). So the analysis buffer is reused
// only when it is the file's own pixels (no shrink, no rotation), and the file is decoded again
// otherwise, up to VIEWS_MAX_PIXELS.
//
// - ELA: the pixels re-encoded as JPEG at one quality (the file's own estimated quality for a JPEG,
//   ELA_DEFAULT_QUALITY otherwise) and the absolute difference taken, the largest of the three channels,
//   averaged over each 8x8 block of the file's grid: regions last saved together re-save alike; a region
//   that went through different compression (pasted from elsewhere, retouched after the last-but-one
//   save) often differs. Uniform texture, edges, and flat or saturated areas differ too.
// - Noise residual: luminance minus its 3x3 median, absolute: the fine grain a camera sensor leaves,
//   which a pasted, smoothed, generated or heavily recompressed region often lacks or has in another
//   strength. Textured areas show bright whatever their history.
// Brightness is scaled per picture (the 99th percentile of the map to white, `gain` in the report): the
// views compare regions within one picture, never one picture with another.
import sharp from 'sharp';
import type { ForensicViewsSkip } from '../../../schemas/views.js';
import { SHARP_FAIL_ON } from '../../sharp-settings.js';

export interface RgbPixels {
  /** RGB, 3 bytes per pixel, no padding. */
  data: Buffer;
  width: number;
  height: number;
}

/** A greyscale map: 1 byte per pixel. */
export interface GreyMap {
  data: Buffer;
  width: number;
  height: number;
}

/** Longest side of a stored view (a 4.2 MP picture's noise map is 512 px). */
export const VIEW_SIDE = 640;
/** Largest picture the views are made of (its own pixels): 4.2 MP, the size platforms serve at most. */
export const VIEWS_MAX_PIXELS = 2048 * 2048;
/** Shorter side under which a picture has too few 8x8 blocks to compare regions. */
export const VIEWS_MIN_SIDE = 128;
/**
 * JPEG quality under which the views are not made. At quality 60 one of the two fixture photos measured
 * already showed its pasted region darker, not brighter (0.73x): coarse steps leave every region with
 * the same error. Below 60, the views say nothing.
 */
export const VIEWS_MIN_JPEG_QUALITY = 60;
/** ELA quality for files that are not JPEGs (PNG, WebP, …): no own quality to re-save at. */
export const ELA_DEFAULT_QUALITY = 90;
/** Most a map is brightened: a picture with almost no error stays dark rather than showing amplified rounding. */
const MAX_GAIN = 255;
const WEBP_QUALITY = 70;
/** Side of the cells the noise residual is averaged over. */
const NOISE_CELL = 4;

export interface ViewsInput {
  /** Stored size of the frame (before EXIF rotation). */
  width: number;
  height: number;
  /** The file's estimated JPEG quality; null when not a JPEG or not estimated. */
  jpegQuality: number | null;
}

/** Why no views are made of this picture, or null when they are. */
export function viewsSkip(input: ViewsInput): ForensicViewsSkip | null {
  const { width, height, jpegQuality } = input;
  if (Math.min(width, height) < VIEWS_MIN_SIDE) {
    return {
      code: 'too_small',
      reason: `The picture is ${width}x${height}: under ${VIEWS_MIN_SIDE} px on a side there are too few 8x8 blocks to compare one region with another.`,
    };
  }
  if (jpegQuality !== null && jpegQuality < VIEWS_MIN_JPEG_QUALITY) {
    return {
      code: 'low_quality',
      reason: `The file was saved at JPEG quality ${jpegQuality} (under ${VIEWS_MIN_JPEG_QUALITY}): such coarse compression leaves about the same error and noise everywhere, so the views cannot tell regions apart.`,
    };
  }
  if (width * height > VIEWS_MAX_PIXELS) {
    return {
      code: 'too_large',
      reason: `The picture has ${((width * height) / 1e6).toFixed(1)} MP: the views are made from the file’s own pixels, at most ${(VIEWS_MAX_PIXELS / 1e6).toFixed(1)} MP, to bound their cost. A smaller copy would show its own compression, not this file’s.`,
    };
  }
  return null;
}

/** The quality ELA re-saves at: the file's own for a JPEG, ELA_DEFAULT_QUALITY otherwise. */
export function elaQuality(jpegQuality: number | null): number {
  return jpegQuality === null ? ELA_DEFAULT_QUALITY : Math.min(100, Math.max(1, Math.round(jpegQuality)));
}

/**
 * Error levels per 8x8 block: the pixels re-saved as JPEG at `quality`, the absolute difference (the
 * largest of R, G, B) averaged over each block of the stored grid. Values are mean levels x 16, so that
 * fractions of a level survive in a byte (a mean error of 1 level reads 16). Size: ceil(w/8) x ceil(h/8).
 */
export async function errorLevels(p: RgbPixels, quality: number): Promise<GreyMap> {
  const { width: w, height: h, data } = p;
  const resaved = await sharp(data, { raw: { width: w, height: h, channels: 3 } })
    .jpeg({ quality, chromaSubsampling: '4:2:0' })
    .toBuffer();
  const again = await sharp(resaved, { failOn: SHARP_FAIL_ON }).raw().toBuffer();
  const bw = Math.ceil(w / 8);
  const bh = Math.ceil(h / 8);
  const sums = new Float64Array(bw * bh);
  for (let y = 0; y < h; y++) {
    const row = (y >> 3) * bw;
    for (let x = 0, i = y * w * 3; x < w; x++, i += 3) {
      const d = Math.max(
        Math.abs((data[i] as number) - (again[i] as number)),
        Math.abs((data[i + 1] as number) - (again[i + 1] as number)),
        Math.abs((data[i + 2] as number) - (again[i + 2] as number)),
      );
      const k = row + (x >> 3);
      sums[k] = (sums[k] as number) + d;
    }
  }
  const out = Buffer.alloc(bw * bh);
  for (let by = 0; by < bh; by++) {
    const rows = Math.min(8, h - by * 8);
    for (let bx = 0; bx < bw; bx++) {
      const n = rows * Math.min(8, w - bx * 8);
      out[by * bw + bx] = Math.min(255, Math.round(((sums[by * bw + bx] as number) / n) * 16));
    }
  }
  return { data: out, width: bw, height: bh };
}

/**
 * |luminance - its 3x3 median|, computed at the pixels' own size and averaged over each NOISE_CELL x
 * NOISE_CELL cell; values are mean levels x 4 (a photo's grain is a few levels). Size: ceil(w/4) x ceil(h/4).
 */
export function noiseResidual(p: RgbPixels): GreyMap {
  const { width: w, height: h, data } = p;
  // Luminance (BT.601 weights in 1/256), then the 3x3 median by hand: libvips' rank filter took 44 ms of
  // CPU for 1 MP, this 5-10. Each column's three values are sorted once (lo <= mid <= hi); the median
  // of the 3x3 is the median of (the largest lo, the median mid, the smallest hi) of its three
  // columns, an exact identity. Edges repeat the border pixels.
  const grey = new Uint8Array(w * h);
  for (let j = 0, i = 0; j < grey.length; j++, i += 3) {
    grey[j] = ((data[i] as number) * 77 + (data[i + 1] as number) * 150 + (data[i + 2] as number) * 29) >> 8;
  }
  const bw = Math.ceil(w / NOISE_CELL);
  const bh = Math.ceil(h / NOISE_CELL);
  const sums = new Float64Array(bw * bh);
  const lo = new Uint8Array(w);
  const mid = new Uint8Array(w);
  const hi = new Uint8Array(w);
  for (let y = 0; y < h; y++) {
    const up = (y > 0 ? y - 1 : y) * w;
    const at = y * w;
    const down = (y < h - 1 ? y + 1 : y) * w;
    for (let x = 0; x < w; x++) {
      let a = grey[up + x] as number;
      let b = grey[at + x] as number;
      let c = grey[down + x] as number;
      if (a > b) [a, b] = [b, a];
      if (b > c) [b, c] = [c, b];
      if (a > b) [a, b] = [b, a];
      lo[x] = a;
      mid[x] = b;
      hi[x] = c;
    }
    const row = Math.floor(y / NOISE_CELL) * bw;
    for (let x = 0; x < w; x++) {
      const l = x > 0 ? x - 1 : x;
      const r = x < w - 1 ? x + 1 : x;
      const maxLo = Math.max(lo[l] as number, lo[x] as number, lo[r] as number);
      const minHi = Math.min(hi[l] as number, hi[x] as number, hi[r] as number);
      const m0 = mid[l] as number;
      const m1 = mid[x] as number;
      const m2 = mid[r] as number;
      const medMid = Math.max(Math.min(m0, m1), Math.min(Math.max(m0, m1), m2));
      const median = Math.max(Math.min(maxLo, medMid), Math.min(Math.max(maxLo, medMid), minHi));
      const k = row + Math.floor(x / NOISE_CELL);
      sums[k] = (sums[k] as number) + Math.abs((grey[at + x] as number) - median);
    }
  }
  const out = Buffer.alloc(bw * bh);
  for (let by = 0; by < bh; by++) {
    const rows = Math.min(NOISE_CELL, h - by * NOISE_CELL);
    for (let bx = 0; bx < bw; bx++) {
      const n = rows * Math.min(NOISE_CELL, w - bx * NOISE_CELL);
      out[by * bw + bx] = Math.min(255, Math.round(((sums[by * bw + bx] as number) / n) * 4));
    }
  }
  return { data: out, width: bw, height: bh };
}

/** Mean of the map over `region` (in the map's own pixels): for tests and the benchmark. */
export function meanOver(
  map: GreyMap,
  region: { left: number; top: number; width: number; height: number },
): number {
  let sum = 0;
  let n = 0;
  for (let y = region.top; y < region.top + region.height; y++) {
    for (let x = region.left; x < region.left + region.width; x++) {
      sum += map.data[y * map.width + x] as number;
      n++;
    }
  }
  return n ? sum / n : 0;
}

/**
 * The map as a view: brightened so that its 99th percentile is white (at most MAX_GAIN times), turned
 * upright by the EXIF orientation, reduced to at most VIEW_SIDE px (never enlarged: one pixel per 8x8
 * block or 4x4 cell, which the page scales up; a few KB), WebP without metadata.
 */
export async function renderView(
  map: GreyMap,
  orientation: number | null,
): Promise<{ webp: Buffer; gain: number }> {
  const sorted = Uint8Array.from(map.data).sort();
  const p99 = sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] ?? 0;
  const gain = Math.min(MAX_GAIN, 255 / Math.max(1, p99));
  const bright = Buffer.alloc(map.data.length);
  for (let i = 0; i < bright.length; i++) {
    bright[i] = Math.min(255, Math.round((map.data[i] as number) * gain));
  }
  const upright = orient({ data: bright, width: map.width, height: map.height }, orientation);
  const webp = await sharp(upright.data, {
    raw: { width: upright.width, height: upright.height, channels: 1 },
  })
    .resize({ width: VIEW_SIDE, height: VIEW_SIDE, fit: 'inside', withoutEnlargement: true })
    .webp({ quality: WEBP_QUALITY })
    .toBuffer();
  return { webp, gain: Math.round(gain * 100) / 100 };
}

/**
 * A map in stored orientation turned as EXIF `orientation` (1-8) says the picture is shown. By hand on
 * the small map: the index arithmetic is plain, where chaining sharp's rotate and flip depends on the
 * order it applies them in.
 */
export function orient(map: GreyMap, orientation: number | null): GreyMap {
  const o = orientation ?? 1;
  if (o <= 1 || o > 8) return map;
  const { width: w, height: h, data } = map;
  const swap = o >= 5;
  const W = swap ? h : w;
  const H = swap ? w : h;
  const out = Buffer.alloc(data.length);
  for (let Y = 0; Y < H; Y++) {
    for (let X = 0; X < W; X++) {
      let x: number;
      let y: number;
      switch (o) {
        case 2:
          [x, y] = [w - 1 - X, Y];
          break;
        case 3:
          [x, y] = [w - 1 - X, h - 1 - Y];
          break;
        case 4:
          [x, y] = [X, h - 1 - Y];
          break;
        case 5:
          [x, y] = [Y, X];
          break;
        case 6:
          [x, y] = [Y, h - 1 - X];
          break;
        case 7:
          [x, y] = [w - 1 - Y, h - 1 - X];
          break;
        default:
          [x, y] = [w - 1 - Y, X];
          break; // 8
      }
      out[Y * W + X] = data[y * w + x] as number;
    }
  }
  return { data: out, width: W, height: H };
}

export interface ForensicViewImages {
  ela?: { webp: Buffer; quality: number; gain: number };
  noise?: { webp: Buffer; gain: number };
  skipped?: ForensicViewsSkip;
}

export interface ForensicViewsInput {
  bytes: Buffer;
  /** Stored size and EXIF orientation of the frame. */
  width: number;
  height: number;
  orientation: number | null;
  jpegQuality: number | null;
  /** The analysis' decode, reused when it holds the file's own pixels unrotated. */
  decoded?: (RgbPixels & { rotated: boolean }) | undefined;
  /** MAX_INPUT_PIXELS, for a decode of its own. */
  maxPixels: number;
}

/** What views of a file need besides its bytes when no analysis decoded it just now. */
export type OwnViewsInput = Omit<ForensicViewsInput, 'bytes' | 'decoded'>;

/**
 * ELA and noise views of one picture, or why there are none. Never throws for a bad image: a picture
 * that cannot be decoded again gets `skipped` with `not_decoded`.
 */
export async function forensicViews(input: ForensicViewsInput): Promise<ForensicViewImages> {
  const skip = viewsSkip(input);
  if (skip) return { skipped: skip };
  let pixels: RgbPixels;
  const d = input.decoded;
  if (d && !d.rotated && d.width === input.width && d.height === input.height) pixels = d;
  else {
    try {
      pixels = await ownPixels(input.bytes, Math.min(input.maxPixels, VIEWS_MAX_PIXELS));
    } catch {
      return {
        skipped: {
          code: 'not_decoded',
          reason: 'The file’s own pixels could not be decoded again at full size for the views.',
        },
      };
    }
  }
  const quality = elaQuality(input.jpegQuality);
  const ela = await renderView(await errorLevels(pixels, quality), input.orientation);
  const noise = await renderView(noiseResidual(pixels), input.orientation);
  return { ela: { ...ela, quality }, noise };
}

/** The stored pixels at full size, not rotated, stored colour values (no ICC), first frame. */
async function ownPixels(bytes: Buffer, maxPixels: number): Promise<RgbPixels> {
  const { data, info } = await sharp(bytes, {
    failOn: SHARP_FAIL_ON,
    limitInputPixels: maxPixels,
    ignoreIcc: true,
    pages: 1,
  })
    .removeAlpha()
    .toColourspace('srgb')
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new Error(`Expected 3 channels, got ${info.channels}`);
  return { data, width: info.width, height: info.height };
}
