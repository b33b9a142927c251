// One decode per image, shared by every hash: EXIF-oriented RGB pixels, shrunk on load.
//
// Size: the long side is brought down to 1024 px (never enlarged). JPEG and WebP shrink while
// decoding, so a 12 MP photo costs a fraction of a full decode, and PDQ from a >= 1024 px decode stays
// within ~2 bits (median) of the full-size hash, against 8 bits from 512 px (measured with Meta's
// reference hasher). The 64-bit hashes are computed from the same buffer.
//
// Colour: the embedded ICC profile is ignored because the reference tools we must agree with (Meta's
// PDQ hasher, Pillow under imagehash) hash the stored values; CMYK has no stored RGB, so it goes
// through libvips' built-in CMYK profile. Greyscale is expanded to RGB, 16-bit reduced to 8, and alpha
// dropped (the references ignore it too).
//
// Orientation: EXIF Orientation is applied so that the hashes describe the image as people see it.
// HEIF/AVIF are the exception: their container (irot/imir) already rotates the pixels when decoded, and
// the EXIF tag inside is informative only; applying it too would rotate twice.
//
// HEIC coded with HEVC cannot be decoded by sharp's prebuilt libvips (AV1-coded AVIF can): those go to
// `heic-decode` (libheif compiled to wasm, about 1 s for 12 MP, synchronous: run analysis off the main
// thread). heic-decode has no pixel limit of its own, so the header's size is checked first.
import { createRequire } from 'node:module';
import sharp, { type Sharp } from 'sharp';
import type { DecodeInfo } from '../../../schemas/hashes.js';
import { MEDIA_ERROR_CODES, MediaError, isMediaError, type MediaErrorCode } from '../../errors.js';

// ---------------------------------------------------------------------------------------------
// sharp settings, process-wide: set here and nowhere else.

export interface SharpSettings {
  /** libvips threads per image. */
  concurrency: number;
}

export const DEFAULT_SHARP_SETTINGS: SharpSettings = { concurrency: 1 };

/**
 * Applies firstseen's sharp settings. Runs once with the defaults when this module loads; a worker may
 * call it again with values from its configuration.
 *  - cache off: every image is decoded once and dropped, so libvips' operation cache would only keep
 *    pixels of images we will not see again (and grow with worker concurrency);
 *  - concurrency 1: parallelism comes from analysing several media items at once (worker concurrency
 *    over libuv's thread pool); more libvips threads per image would only oversubscribe the cores.
 */
export function configureSharp(settings: Partial<SharpSettings> = {}): void {
  const { concurrency } = { ...DEFAULT_SHARP_SETTINGS, ...settings };
  sharp.cache(false);
  sharp.concurrency(concurrency);
}
configureSharp();

/**
 * 'error' fails on truncated or corrupt pixel data but lets through libjpeg's warnings (stray bytes
 * after the image, odd markers), which real camera and messaging-app files trigger and which do not
 * spoil the picture. Invalid metadata always fails.
 */
const FAIL_ON = 'error' as const;

/** Long side of the buffer the hashes are computed from, for images larger than that. */
export const HASH_DECODE_SIDE = 1024;

/** Formats we hash. Vector and document formats (SVG, PDF) would be rendered, not decoded: refused. */
const RASTER_FORMATS = new Set(['jpeg', 'png', 'webp', 'gif', 'tiff', 'heif']);

// ---------------------------------------------------------------------------------------------

export type ImageDecoder = DecodeInfo['decoder'];

export interface DecodedImage {
  /** RGB, 3 bytes per pixel, rows top to bottom, no padding: `width * height * 3` bytes. */
  data: Buffer;
  width: number;
  height: number;
  /** Size of the full frame as the decoder delivers it, before EXIF rotation and shrinking. */
  sourceWidth: number;
  sourceHeight: number;
  /** EXIF Orientation tag as stored (1-8), null when absent or invalid. */
  orientation: number | null;
  /** Pixels were rotated/flipped by `orientation` before hashing. */
  rotatedForHashing: boolean;
  decoder: ImageDecoder;
  /** The file holds several frames or pages (animation, multi-page TIFF, HEIF collection): one was used. */
  firstFrameOnly: boolean;
  /** Format as sharp names it (jpeg, png, webp, gif, tiff, heif). */
  format: string;
}

export interface DecodeOptions {
  /** Largest width x height accepted; larger images fail with `too_many_pixels` before any allocation. */
  maxPixels: number;
  /**
   * Apply the EXIF orientation (default true). False hashes the stored pixels, as Pillow and imagehash do
   * when a script does not call `ImageOps.exif_transpose`.
   */
  applyOrientation?: boolean;
  /** Long side to shrink to (default HASH_DECODE_SIDE; Infinity: full size); never enlarges. */
  maxSide?: number;
}

export async function decodeForHashing(bytes: Buffer, opts: DecodeOptions): Promise<DecodedImage> {
  if (bytes.length === 0) throw new MediaError('empty_file');
  const maxSide = opts.maxSide ?? HASH_DECODE_SIDE;
  try {
    const meta = await sharp(bytes, { failOn: FAIL_ON, limitInputPixels: opts.maxPixels }).metadata();
    if (!RASTER_FORMATS.has(meta.format)) {
      throw new MediaError('unsupported_format', `${meta.format} images are not hashed`);
    }
    if (meta.width * meta.height > opts.maxPixels) {
      throw new MediaError(
        'too_many_pixels',
        `The image declares ${meta.width}x${meta.height} pixels, more than the ${opts.maxPixels} allowed`,
      );
    }
    const heif = meta.format === 'heif';
    // libvips drops the tag for HEIF (it has applied the container's rotation); read it for the report.
    const orientation = heif ? exifOrientation(meta.exif) : validOrientation(meta.orientation);
    const rotate = (opts.applyOrientation ?? true) && !heif && orientation !== null && orientation !== 1;
    const common = {
      sourceWidth: meta.width,
      sourceHeight: meta.height,
      orientation,
      rotatedForHashing: rotate,
      firstFrameOnly: (meta.pages ?? 1) > 1,
      format: meta.format,
    };
    if (heif && meta.compression === 'hevc') {
      const rgba = await decodeHevc(bytes, meta.pages ?? 1, meta.pagePrimary ?? 0);
      const input = sharp(rgba.data, {
        raw: { width: rgba.width, height: rgba.height, channels: 4 },
        limitInputPixels: opts.maxPixels,
      });
      return { ...(await shrinkToRgb(input, maxSide)), ...common, decoder: 'heic-decode' };
    }
    const input = sharp(bytes, {
      failOn: FAIL_ON,
      limitInputPixels: opts.maxPixels,
      autoOrient: rotate,
      ignoreIcc: true,
      pages: 1,
    });
    return { ...(await shrinkToRgb(input, maxSide)), ...common, decoder: 'sharp' };
  } catch (err) {
    throw toMediaError(err);
  }
}

/** The decode facts a report shows. */
export function decodeInfo(image: DecodedImage): DecodeInfo {
  return {
    orientation: image.orientation,
    rotated_for_hashing: image.rotatedForHashing,
    decoder: image.decoder,
    first_frame_only: image.firstFrameOnly,
    hashed_width: image.width,
    hashed_height: image.height,
  };
}

async function shrinkToRgb(
  input: Sharp,
  maxSide: number,
): Promise<{ data: Buffer; width: number; height: number }> {
  // Alpha is dropped after the resize (sharp's order); resampling premultiplied keeps transparent
  // pixels from bleeding their hidden colour into visible ones.
  const sized = Number.isFinite(maxSide)
    ? input.resize({ width: maxSide, height: maxSide, fit: 'inside', withoutEnlargement: true })
    : input;
  const { data, info } = await sized
    .removeAlpha()
    .toColourspace('srgb')
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new Error(`Expected 3 channels after decoding, got ${info.channels}`);
  return { data, width: info.width, height: info.height };
}

// ---------------------------------------------------------------------------------------------
// HEVC HEIC through heic-decode (CommonJS, untyped: typed here by what its README documents).

interface HeicPixels {
  width: number;
  height: number;
  /** RGBA, 4 bytes per pixel. */
  data: Uint8ClampedArray;
}
interface HeicDecode {
  (input: { buffer: Uint8Array }): Promise<HeicPixels>;
  all(input: {
    buffer: Uint8Array;
  }): Promise<Array<{ width: number; height: number; decode(): Promise<HeicPixels> }> & { dispose(): void }>;
}

let heicDecode: HeicDecode | undefined;

// Loaded on first use: the wasm libheif is large and most images are not HEIC.
function loadHeicDecode(): HeicDecode {
  heicDecode ??= createRequire(import.meta.url)('heic-decode') as HeicDecode;
  return heicDecode;
}

async function decodeHevc(
  bytes: Buffer,
  pages: number,
  primary: number,
): Promise<{ data: Buffer; width: number; height: number }> {
  const decode = loadHeicDecode();
  let pixels: HeicPixels;
  try {
    if (pages > 1 && primary > 0) {
      // heic-decode's one-image call takes the first top-level image; libvips and libheif list them
      // in the same order, so the primary one is at libvips' `pagePrimary`.
      const images = await decode.all({ buffer: bytes });
      try {
        const image = images[primary] ?? images[0];
        if (!image) throw new Error('HEIF image not found');
        pixels = await image.decode();
      } finally {
        images.dispose();
      }
    } else {
      pixels = await decode({ buffer: bytes });
    }
  } catch (err) {
    throw new MediaError('decode_failed', `HEIC could not be decoded (${firstLine(err)})`, { cause: err });
  }
  const { width, height, data } = pixels;
  if (data.length !== width * height * 4)
    throw new MediaError('decode_failed', 'HEIC decoder returned no pixels');
  return { data: Buffer.from(data.buffer, data.byteOffset, data.byteLength), width, height };
}

// ---------------------------------------------------------------------------------------------

function validOrientation(value: number | undefined): number | null {
  return value !== undefined && Number.isInteger(value) && value >= 1 && value <= 8 ? value : null;
}

/** Orientation (tag 0x0112) from IFD0 of a raw EXIF block, with or without the "Exif\0\0" prefix. */
export function exifOrientation(exif: Buffer | undefined): number | null {
  if (!exif) return null;
  const tiff = exif.subarray(0, 6).toString('latin1') === 'Exif\0\0' ? 6 : 0;
  if (exif.length < tiff + 8) return null;
  const order = exif.toString('latin1', tiff, tiff + 2);
  if (order !== 'II' && order !== 'MM') return null;
  const le = order === 'II';
  const u16 = (at: number) => (le ? exif.readUInt16LE(at) : exif.readUInt16BE(at));
  const u32 = (at: number) => (le ? exif.readUInt32LE(at) : exif.readUInt32BE(at));
  const ifd0 = tiff + u32(tiff + 4);
  if (ifd0 + 2 > exif.length) return null;
  const entries = u16(ifd0);
  for (let i = 0; i < entries; i++) {
    const entry = ifd0 + 2 + i * 12;
    if (entry + 12 > exif.length) break;
    if (u16(entry) === 0x0112) return validOrientation(u16(entry + 8));
  }
  return null;
}

// libvips' messages, by what they mean for the user.
const TOO_MANY_PIXELS = /pixel limit/i;
const TRUNCATED =
  /premature end|unexpected end|end of (file|data|stream)|truncated|read error|corrupt header|bad seek|unable to parse|out of data|not enough data/i;

function toMediaError(err: unknown): MediaError {
  if (isMediaError(err)) return err;
  const message = err instanceof Error ? err.message : String(err);
  let code: MediaErrorCode = 'decode_failed';
  if (TOO_MANY_PIXELS.test(message)) code = 'too_many_pixels';
  else if (/buffer is empty/i.test(message)) code = 'empty_file';
  else if (TRUNCATED.test(message)) code = 'image_truncated';
  return new MediaError(code, `${MEDIA_ERROR_CODES[code]} (${firstLine(err)})`, { cause: err });
}

function firstLine(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return (message.split('\n')[0] ?? '').slice(0, 200);
}
