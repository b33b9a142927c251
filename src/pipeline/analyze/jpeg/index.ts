// The `jpeg` section of a media item: structure, quality, encoder signature (and, when asked, the double
// compression estimate) of a JPEG, from the bytes already in memory. A pure function of the bytes and
// what the metadata stage found; it never throws on a malformed file.
import { setImmediate } from 'node:timers/promises';
import type { Jpeg } from '../../../../schemas/jpeg.js';
import {
  detectDoubleCompression,
  DOUBLE_MAX_BLOCKS,
  ENERGY_MAX_BLOCKS,
  type DoubleCompressionDetail,
} from './double-compression.js';
import { decodeLumaInSteps } from './entropy.js';
import { estimateQuality } from './quality.js';
import { encoderSignature, huffmanKind, subsamplingOf, type EncoderContext } from './signature.js';
import { readJpegStructure, type JpegStructure } from './structure.js';

export interface JpegReading {
  section: Jpeg;
  structure: JpegStructure;
}

/** Structure, tables and signature, and (with `doubleCompression`) the double-compression estimate. */
export async function readJpegSection(
  bytes: Buffer,
  ctx: EncoderContext,
  opts: { doubleCompression?: boolean } = {},
): Promise<Jpeg> {
  const { section, structure } = readJpeg(bytes, ctx);
  if (opts.doubleCompression && section.status !== 'unreadable') {
    section.double_compression = await readDoubleCompression(bytes, structure);
  }
  return section;
}

export function readJpeg(bytes: Buffer, ctx: EncoderContext): JpegReading {
  const s = readJpegStructure(bytes);
  const q = estimateQuality(s.quantTables);
  const problems = [...s.problems];
  if (s.frame && s.quantTables.length === 0 && s.frame.process !== 'lossless') {
    problems.push({ code: 'missing_tables', message: 'No quantization table before the image data' });
  }
  const unreadable = problems.some((p) => p.code === 'not_jpeg') || (!s.frame && s.quantTables.length === 0);
  const section: Jpeg = {
    status: unreadable ? 'unreadable' : problems.length ? 'partial' : 'read',
    process: s.frame?.process ?? null,
    width: s.frame?.width ?? null,
    height: s.frame?.height ?? null,
    components: s.frame?.components.length ?? null,
    subsampling: subsamplingOf(s),
    quality: q.estimate,
    quality_exact: q.exact,
    tables: q.tables,
    standard_quality: q.standardQuality,
    quant_tables: s.quantTables.map((t) => ({ id: t.id, precision: t.precision, values: t.values })),
    huffman: huffmanKind(s),
    restart_interval: s.restartInterval,
    segments: s.order,
    markers: {
      jfif: s.markers.has('jfif'),
      exif: s.markers.has('exif'),
      xmp: s.markers.has('xmp'),
      icc: s.markers.has('icc'),
      adobe: s.markers.has('adobe'),
      photoshop: s.markers.has('photoshop'),
      mpf: s.markers.has('mpf'),
      jumbf: s.markers.has('jumbf'),
      comment: s.markers.has('comment'),
    },
    comments: s.comments,
    ends_with_eoi: s.endsWithEoi,
    signature: unreadable ? 'The JPEG structure could not be read.' : encoderSignature(s, q, ctx),
    problems,
  };
  return { section, structure: s };
}

/**
 * The double-compression estimate of a JPEG whose structure was read: decodes at most ENERGY_MAX_BLOCKS
 * luminance blocks in one pass (the DC search uses the top DOUBLE_MAX_BLOCKS of them; a picture one
 * of whose MCU rows holds more is not estimated), letting the event loop run every ~8,192 blocks and
 * between the steps of the analysis.
 */
export async function readDoubleCompression(
  bytes: Buffer,
  s: JpegStructure,
): Promise<NonNullable<Jpeg['double_compression']>> {
  const {
    score: _score,
    grid: _grid,
    shifted: _shifted,
    energy: _energy,
    lattice: _lattice,
    ...result
  } = await readDoubleCompressionDetail(bytes, s);
  return result;
}

/**
 * readDoubleCompression with what each reading found (the aligned score, the grid offsets read): for the
 * benchmarks, which check the offset a shifted detection names against the crop they made.
 */
export async function readDoubleCompressionDetail(
  bytes: Buffer,
  s: JpegStructure,
): Promise<DoubleCompressionDetail> {
  const decoded = await decodeLumaInSteps(bytes, s, ENERGY_MAX_BLOCKS, DOUBLE_MAX_BLOCKS, DOUBLE_MAX_BLOCKS);
  if (!decoded.ok) {
    return {
      status: 'not_estimated',
      detected: false,
      confidence: 0,
      primary_quality: null,
      caveat: `Not estimated: ${decoded.reason}.`,
      score: 0,
      grid: null,
      shifted: null,
      energy: null,
      lattice: null,
    };
  }
  await setImmediate();
  return detectDoubleCompression(decoded.luma);
}
