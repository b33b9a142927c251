// Finds the metadata blocks of a file, whatever its format: exifr reads JPEG and TIFF directly; for PNG,
// WebP, HEIF/AVIF and GIF our walkers extract the payloads and exifr parses only the bare EXIF. The result
// also says what could not be read, so that a failed read is never mistaken for a stripped file.
import type { ContainerBlocks } from './blocks.js';
import { type ExifrReading, readWithExifr } from './exif-reader.js';
import { walkGif } from './gif.js';
import { walkHeif } from './heif.js';
import { iccDescription } from './icc.js';
import { walkJpegHeader } from './jpeg.js';
import { walkPng } from './png.js';
import { findTiffFaults, guardTiff, type TiffFault } from './tiff-guard.js';
import { walkWebp } from './webp.js';

export interface Sources {
  exif: ExifrReading | null;
  /** An EXIF block exists (even if exifr could read nothing from it). */
  exifFound: boolean;
  xmp: string[];
  icc: { description: string | null } | null;
  warnings: string[];
  /** Nothing could be read at all: the reason. */
  unreadable: string | null;
  /** Part of the file could not be read, so metadata may be missing: the reason. */
  incomplete: string | null;
}

const WALKERS = new Map<string, (bytes: Buffer) => ContainerBlocks>([
  ['png', walkPng],
  ['webp', walkWebp],
  ['heif', walkHeif],
  ['heic', walkHeif],
  ['avif', walkHeif],
  ['gif', walkGif],
]);

const TIFF_MAGIC = ['49492a00', '4d4d002a'];
const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** What a reading that failed as a whole says: nothing, and why. */
export const failed = (reason: string): Sources => ({
  exif: null,
  exifFound: false,
  xmp: [],
  icc: null,
  warnings: [],
  unreadable: reason,
  incomplete: null,
});

/** exifr on a JPEG or TIFF, after defusing IFD entries that would make it allocate huge arrays. */
async function readJpegOrTiff(bytes: Buffer, format: 'jpeg' | 'tiff'): Promise<Sources> {
  const warnings: string[] = [];
  let incomplete: string | null = null;
  let faults: TiffFault[];
  // A TIFF file is itself the EXIF/TIFF structure; a JPEG has one if it has an APP1 "Exif" segment.
  let exifFound = true;
  if (format === 'jpeg') {
    const header = walkJpegHeader(bytes);
    if (header.error?.startsWith('not a JPEG')) return failed(header.error);
    incomplete = header.error;
    exifFound = header.exif.length > 0;
    faults = header.exif.flatMap(([start, end]) =>
      findTiffFaults(bytes.subarray(start, end)).map((f) => ({ ...f, countAt: start + f.countAt })),
    );
    for (const at of header.strangeApp1)
      warnings.push(`JPEG APP1 segment at byte ${at} is neither EXIF nor XMP`);
    if (header.strangeApp1.length > 0) incomplete ??= 'a JPEG APP1 metadata segment is damaged';
  } else {
    if (!TIFF_MAGIC.includes(bytes.toString('hex', 0, 4))) return failed('not a TIFF file (bad header)');
    faults = findTiffFaults(bytes);
  }
  warnings.push(...faults.map((f) => `EXIF ${f.message} (truncated or corrupt): not read`));
  if (faults.length > 0) incomplete ??= 'some EXIF values lie beyond the end of their block';
  let exif: ExifrReading;
  try {
    exif = await readWithExifr(guardTiff(bytes, faults));
  } catch (err) {
    return failed(`${format.toUpperCase()} metadata unreadable: ${message(err)}`);
  }
  return { exif, exifFound, xmp: exif.xmp, icc: exif.icc, warnings, unreadable: null, incomplete };
}

async function readContainer(bytes: Buffer, walk: (bytes: Buffer) => ContainerBlocks): Promise<Sources> {
  const blocks = walk(bytes);
  if (blocks.unreadable !== null) return failed(blocks.unreadable);
  const sources: Sources = {
    exif: null,
    exifFound: blocks.exif !== null,
    xmp: blocks.xmp,
    icc: blocks.icc === null ? null : { description: iccDescription(blocks.icc) },
    warnings: [...blocks.warnings],
    unreadable: null,
    incomplete: blocks.incomplete,
  };
  if (blocks.exif !== null) {
    const faults = findTiffFaults(blocks.exif);
    sources.warnings.push(...faults.map((f) => `EXIF ${f.message} (truncated or corrupt): not read`));
    if (faults.length > 0) sources.incomplete ??= 'some EXIF values lie beyond the end of their block';
    try {
      sources.exif = await readWithExifr(guardTiff(blocks.exif, faults));
    } catch (err) {
      sources.incomplete ??= `EXIF block unreadable: ${message(err)}`;
    }
  }
  return sources;
}

/** `format` is the sniffed format name: jpeg, png, webp, tiff, heif, heic, avif or gif. */
export async function readSources(bytes: Buffer, format: string): Promise<Sources> {
  const name = format.toLowerCase();
  if (name === 'jpeg' || name === 'jpg') return withExifErrors(await readJpegOrTiff(bytes, 'jpeg'));
  if (name === 'tiff' || name === 'tif') return withExifErrors(await readJpegOrTiff(bytes, 'tiff'));
  const walk = WALKERS.get(name);
  if (!walk) return failed(`metadata of ${JSON.stringify(format.slice(0, 20))} files is not read`);
  return withExifErrors(await readContainer(bytes, walk));
}

/** exifr's own complaints become warnings; if they left it with nothing, the EXIF counts as unread. */
function withExifErrors(sources: Sources): Sources {
  const errors = sources.exif?.errors ?? [];
  if (errors.length === 0) return sources;
  const warnings = [...sources.warnings, ...errors.map((e) => `EXIF partly unreadable: ${e}`)];
  const readNothing =
    sources.exifFound && sources.exif?.ifd0 === undefined && sources.exif?.exif === undefined;
  const incomplete = sources.incomplete ?? (readNothing ? `EXIF unreadable: ${errors[0]}` : null);
  return { ...sources, warnings, incomplete };
}
