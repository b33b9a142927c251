// How strongly a JPEG was compressed, from its quantization tables.
//
// The IJG tables: libjpeg (and libjpeg-turbo, mozjpeg in its libjpeg mode, Pillow, sharp/libvips, GIMP's
// default, ImageMagick, most platforms) writes the example tables of ITU T.81 Annex K scaled by one factor
// derived from the "quality" 1-100 (jcparam.c jpeg_quality_scaling + jpeg_add_quant_table):
//   scale = q < 50 ? floor(5000 / q) : 200 - 2q;  entry = clamp(floor((base * scale + 50) / 100), 1, 255)
// (255 is the 8-bit "baseline" clamp that every common encoder applies). A file is `standard` when its
// luminance table (and chrominance table, if any) equals that formula at one quality: then that quality is
// exact. Any other table is `custom`: cameras, Photoshop and some phone encoders write their own.
//
// The estimate we report matches ImageMagick's `%Q` (the project's test truth, imagemagick-truth.json),
// re-derived, not copied: ImageMagick (coders/jpeg.c, JPEGSetImageQuality) sums every entry of every
// table defined (`sum`) and adds four probe entries (`probe`: luminance [0][2] and [6][5], chrominance
// [0][0] and [7][7] in natural order, or only the two luminance ones for one table). It walks the
// qualities from 1 up and stops at the first quality whose IJG tables have both figures no larger than
// the file's (i.e. the file is at least as coarse); the answer is that quality, but only if the file's
// figures are both no larger than its (a tie) or the quality is 51 or more ("approximate"). Otherwise
// it reports 0 (unknown). ImageMagick's two reference arrays are exactly these figures computed from the
// IJG formula above (checked for all 100 qualities), so we compute them here instead of storing them.
import type { QuantTable } from './structure.js';

/** ITU T.81 Annex K.1, luminance, natural order. */
export const IJG_LUMA = [
  16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22,
  29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92, 49, 64, 78, 87, 103,
  121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
];
/** ITU T.81 Annex K.2, chrominance, natural order. */
export const IJG_CHROMA = [
  17,
  18,
  24,
  47,
  99,
  99,
  99,
  99,
  18,
  21,
  26,
  66,
  99,
  99,
  99,
  99,
  24,
  26,
  56,
  99,
  99,
  99,
  99,
  99,
  47,
  66,
  99,
  99,
  99,
  99,
  99,
  99,
  ...new Array<number>(32).fill(99),
];

/** libjpeg's table for `base` at `quality` (1-100), 8-bit baseline clamp. */
export function ijgTable(base: readonly number[], quality: number): number[] {
  const q = Math.min(100, Math.max(1, Math.round(quality)));
  const scale = q < 50 ? Math.floor(5000 / q) : 200 - 2 * q;
  return base.map((v) => Math.min(255, Math.max(1, Math.floor((v * scale + 50) / 100))));
}

const sumOf = (t: readonly number[]) => t.reduce((a, b) => a + b, 0);

// The reference figures, per quality 1..100 (index q - 1), for two tables and for one.
const REF_TWO = Array.from({ length: 100 }, (_, i) => {
  const l = ijgTable(IJG_LUMA, i + 1);
  const c = ijgTable(IJG_CHROMA, i + 1);
  return { probe: (l[2] ?? 0) + (l[53] ?? 0) + (c[0] ?? 0) + (c[63] ?? 0), sum: sumOf(l) + sumOf(c) };
});
const REF_ONE = Array.from({ length: 100 }, (_, i) => {
  const l = ijgTable(IJG_LUMA, i + 1);
  return { probe: (l[2] ?? 0) + (l[53] ?? 0), sum: sumOf(l) };
});

export interface QualityEstimate {
  /** ImageMagick-compatible estimate 1-100, null when it cannot say (its 0). */
  estimate: number | null;
  /** Whether the estimate rests on figures equal to a quality's ("exact") or only the nearest. */
  exact: boolean;
  /** `standard`: IJG tables at one quality; `custom`: other tables; `none`: no tables to judge. */
  tables: 'standard' | 'custom' | 'none';
  /** The quality whose IJG tables the file's tables equal, for `standard` tables. */
  standardQuality: number | null;
}

/** Quality of a JPEG from its quantization tables (by slot id 0-3, as a decoder holds them). */
export function estimateQuality(tables: readonly QuantTable[]): QualityEstimate {
  const t0 = tables.find((t) => t.id === 0)?.values;
  const t1 = tables.find((t) => t.id === 1)?.values;
  if (!t0) return { estimate: null, exact: false, tables: 'none', standardQuality: null };
  const sum = tables.reduce((a, t) => a + sumOf(t.values), 0);
  const probe = (t0[2] ?? 0) + (t0[53] ?? 0) + (t1 ? (t1[0] ?? 0) + (t1[63] ?? 0) : 0);
  const ref = t1 ? REF_TWO : REF_ONE;
  let estimate: number | null = null;
  let exact = false;
  for (let i = 0; i < 100; i++) {
    const r = ref[i] as { probe: number; sum: number };
    if (probe < r.probe && sum < r.sum) continue;
    exact = probe <= r.probe && sum <= r.sum;
    if (exact || i >= 50) estimate = i + 1;
    break;
  }
  const standardQuality = matchStandard(t0, t1);
  return {
    estimate,
    exact,
    tables: standardQuality === null ? 'custom' : 'standard',
    standardQuality,
  };
}

/**
 * The quality at which libjpeg writes exactly these tables, or null. Luminance alone for greyscale; a
 * chrominance table must match at the same quality. Other tables (a third for CMYK) are not compared.
 */
function matchStandard(t0: readonly number[], t1: readonly number[] | undefined): number | null {
  // The luminance table's DC step narrows the search; compare whole tables only for candidates.
  for (let q = 100; q >= 1; q--) {
    const l = ijgTable(IJG_LUMA, q);
    if (l[0] !== t0[0] || !l.every((v, k) => v === t0[k])) continue;
    if (t1 && !ijgTable(IJG_CHROMA, q).every((v, k) => v === t1[k])) continue;
    return q;
  }
  return null;
}
