// One sentence on how a JPEG was made: the measured facts first, then what they are consistent with, only
// where the evidence is clear. Each rule below rests on facts the parser measured; none guesses a brand.
//
// What the rules rest on:
// - libjpeg and everything built on it (libjpeg-turbo, mozjpeg's default, Pillow, sharp/libvips, GIMP,
//   ImageMagick, and the platform pipelines that use them) write the IJG tables scaled to one quality
//   (`standard`). Many cameras tune their own tables (`custom`: the Canon EOS, iPhone and Reconyx fixtures here),
//   but not all: Nikon Coolpix (quality 84 and 87), Kodak DC240 (90) and Android phones (95-96) in the test
//   fixtures write IJG tables too. So standard tables alone never say "re-encoded"; standard tables with no
//   camera EXIF do say the file was written by libjpeg-type software and not kept as a camera wrote it.
// - Progressive coding and optimized Huffman tables are choices of the software that wrote the file;
//   cameras write baseline files with the standard Huffman tables (every unedited camera fixture here does).
// - APP14 "Adobe" with custom tables is how Adobe's own JPEG code (Photoshop, Lightroom export) writes.
import type { QualityEstimate } from './quality.js';
import type { JpegStructure } from './structure.js';

export interface EncoderContext {
  /** EXIF tags only a capture device writes are present (metadata.camera_exif). */
  cameraExif: boolean;
  /** EXIF Make and Model, when present. */
  camera: string | null;
}

export function subsamplingOf(s: JpegStructure): string | null {
  const c = s.frame?.components;
  if (!c || c.length === 0) return null;
  if (c.length === 1) return 'grayscale';
  const [y, cb, cr] = c;
  if (c.length !== 3 || !y || !cb || !cr || cb.h !== cr.h || cb.v !== cr.v) return 'other';
  if (y.h % cb.h !== 0 || y.v % cb.v !== 0) return 'other';
  const key = `${y.h / cb.h}x${y.v / cb.v}`;
  const names: Record<string, string> = {
    '1x1': '4:4:4',
    '2x1': '4:2:2',
    '2x2': '4:2:0',
    '1x2': '4:4:0',
    '4x1': '4:1:1',
  };
  return names[key] ?? 'other';
}

// ITU T.81 Annex K.3 code counts (BITS) of the four example tables.
const STANDARD_BITS = [
  [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0],
  [0, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0],
  [0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 0x7d],
  [0, 2, 1, 2, 4, 4, 3, 4, 7, 5, 4, 4, 0, 1, 2, 0x77],
].map((b) => b.join(','));

/** `standard` when every Huffman table has the code counts of an Annex K table (symbols then follow). */
export function huffmanKind(s: JpegStructure): 'standard' | 'optimized' | 'none' {
  if (s.huffmanTables.length === 0) return 'none';
  return s.huffmanTables.every((t) => STANDARD_BITS.includes(t.counts.join(','))) ? 'standard' : 'optimized';
}

export function encoderSignature(s: JpegStructure, q: QualityEstimate, ctx: EncoderContext): string {
  const facts: string[] = [];
  if (q.tables === 'standard') facts.push(`standard libjpeg (IJG) tables at quality ${q.standardQuality}`);
  else if (q.tables === 'custom') {
    facts.push(`custom quantization tables${q.estimate ? ` (nearest IJG quality ${q.estimate})` : ''}`);
  } else facts.push('no quantization tables');
  const sub = subsamplingOf(s);
  if (sub) facts.push(sub === 'grayscale' ? 'greyscale' : `${sub} chroma`);
  if (s.frame) facts.push(s.frame.process);
  const huffman = huffmanKind(s);
  if (huffman === 'optimized') facts.push('optimized Huffman tables');
  const exif = s.markers.has('exif');
  facts.push(
    ctx.cameraExif
      ? `camera EXIF${ctx.camera ? ` (${ctx.camera})` : ''}`
      : exif
        ? 'EXIF without camera tags'
        : 'no EXIF',
  );
  if (s.markers.has('adobe')) facts.push('an APP14 Adobe segment');
  const said = facts.join(', ');
  const sentence = (end: string) => `${said[0]?.toUpperCase()}${said.slice(1)}: ${end}.`;

  if (q.tables === 'standard' && !ctx.cameraExif) {
    return sentence('consistent with a re-encode by a platform, an app or an editor built on libjpeg');
  }
  if (q.tables === 'custom' && s.markers.has('adobe')) {
    return sentence('consistent with a save by Adobe software (its own tables and APP14 segment)');
  }
  if (q.tables === 'custom' && ctx.cameraExif && s.frame?.process === 'baseline' && huffman === 'standard') {
    return sentence(
      'consistent with the file as a camera wrote it (tables of its own, camera EXIF, baseline)',
    );
  }
  if (q.tables === 'standard' && ctx.cameraExif) {
    return sentence(
      'libjpeg tables with camera EXIF: written by a device that uses libjpeg, or re-saved by software that kept the EXIF',
    );
  }
  return sentence('no clear encoder signature');
}
