// The analysis stage: everything firstseen reads from one image's bytes. Decoded once (decode.ts) and
// every hash derived from that buffer; metadata and Content Credentials read from the bytes; the EXIF
// thumbnail compared with the picture. A pure function: no network, no store.
import type { ContentCredentials } from '../../../schemas/c2pa.js';
import type { DecodeInfo, Hashes } from '../../../schemas/hashes.js';
import type { Jpeg } from '../../../schemas/jpeg.js';
import type { Metadata } from '../../../schemas/metadata.js';
import type { ThumbnailComparison } from '../../../schemas/report.js';
import { isMediaError, MediaError } from '../../errors.js';
import { readContentCredentials } from './c2pa.js';
import { decodeForHashing, decodeInfo, type DecodedImage } from './decode.js';
import { hammingHex } from '../../similarity/hamming.js';
import { extractFeatures, type FeatureOptions, type ImageFeatures } from '../../similarity/features/orb.js';
import { computeHashes, cropRgb } from './hashes.js';
import { readJpegSection } from './jpeg/index.js';
import { readMetadata } from './metadata.js';
import { pdqFromRgb } from './pdq.js';
import { forensicViews, type ForensicViewImages } from './views.js';
import { timed } from '../timings.js';

export interface Analysis {
  decode?: DecodeInfo;
  hashes?: Hashes;
  metadata: Metadata;
  exif_thumbnail?: ThumbnailComparison;
  content_credentials: ContentCredentials;
  /** How a JPEG file was made (its structure and tables); JPEG files only. */
  jpeg?: Jpeg;
  /** Why the pixels could not be hashed; metadata and credentials are still reported. */
  error?: MediaError;
  /** ORB features for partial matching (of the content region when one was found); never in the report. */
  features?: ImageFeatures;
  /**
   * The decoded picture (RGB, upright, long side ≤ 1024), for a thumbnail without decoding again, and
   * `size`, the upright size the file declares (the picture's when not shrunk: OCR then reads these
   * pixels without asking the file for its size again); never in the report.
   */
  pixels?: Pick<DecodedImage, 'data' | 'width' | 'height'> & { size?: { width: number; height: number } };
  /** Error level and noise views (WebP) for the report page, or why none; only when asked (`views`). */
  views?: ForensicViewImages;
  timings_ms: Record<string, number>;
}

export interface AnalyzeOptions {
  maxInputPixels: number;
  /**
   * Estimate double compression for JPEGs (JPEG_DOUBLE_COMPRESSION). Off unless asked, as the service's
   * default: the estimate costs about as much as the decode itself (~60 CPU ms on a 12 MP JPEG).
   */
  jpegDoubleCompression?: boolean;
  /**
   * Extract local features too (only when a feature index will use them; with FEATURE_ORB=opencv, or
   * without WebAssembly SIMD, extraction loads OpenCV: ~150 MB).
   */
  features?: FeatureOptions | null;
  /** Make the forensic views (FORENSIC_VIEWS; views.ts): off by default, they cost a re-encode. */
  views?: boolean;
}

export async function analyzeImage(
  bytes: Buffer,
  probe: { mime: string; format: string },
  opts: AnalyzeOptions,
): Promise<Analysis> {
  const timings: Record<string, number> = {};
  // Metadata and credentials need no pixels: read them while the decoder works (it runs on libuv threads).
  const metadataP = timed(timings, 'metadata', () => readMetadata(bytes, probe.format));
  const c2paP = timed(timings, 'c2pa', () => readContentCredentials(bytes, probe.mime));
  let decode: DecodeInfo | undefined;
  let hashes: Hashes | undefined;
  let error: MediaError | undefined;
  let features: ImageFeatures | undefined;
  let pixels: Analysis['pixels'];
  let decodedImage: DecodedImage | undefined;
  try {
    const decoded = await timed(timings, 'decode', () =>
      decodeForHashing(bytes, { maxPixels: opts.maxInputPixels }),
    );
    decode = decodeInfo(decoded);
    decodedImage = decoded;
    pixels = { data: decoded.data, width: decoded.width, height: decoded.height, size: uprightSize(decoded) };
    const h = await timed(timings, 'hashes', async () => computeHashes(decoded));
    hashes = h;
    const featureOpts = opts.features;
    if (featureOpts) {
      // Partial matching is extra: a failure here must not cost the check its hashes.
      features = await timed(timings, 'features', () => imageFeatures(decoded, h, featureOpts)).catch(
        () => undefined,
      );
    }
  } catch (err) {
    error = isMediaError(err) ? err : new MediaError('decode_failed', (err as Error).message);
  }
  const [{ metadata, thumbnail }, content_credentials] = await Promise.all([metadataP, c2paP]);
  const exif_thumbnail = thumbnail && hashes ? await compareThumbnail(thumbnail, hashes, opts) : undefined;
  // The structure is read from the bytes in memory (well under a millisecond); it needs the metadata
  // stage's reading of the camera tags for its encoder sentence. The double-compression estimate decodes
  // at most ENERGY_MAX_BLOCKS luminance blocks, so its cost is bounded whatever the picture's size.
  const jpeg =
    probe.format === 'jpeg'
      ? await timed(timings, 'jpeg', async () => {
          const { make, model } = metadata.camera;
          const camera = [make, model].filter(Boolean).join(' ') || null;
          return readJpegSection(
            bytes,
            { cameraExif: metadata.camera_exif, camera },
            { doubleCompression: opts.jpegDoubleCompression ?? false },
          );
        })
      : undefined;
  // The views need the JPEG quality (the ELA re-save quality, and whether the file says anything at all).
  const views =
    opts.views && decodedImage
      ? await timed(timings, 'views', () => viewsOf(bytes, decodedImage, jpeg, opts.maxInputPixels))
      : undefined;
  return {
    ...(decode && { decode }),
    ...(hashes && { hashes }),
    metadata,
    ...(exif_thumbnail && { exif_thumbnail }),
    content_credentials,
    ...(jpeg && { jpeg }),
    ...(error && { error }),
    ...(features && { features }),
    ...(pixels && { pixels }),
    ...(views && { views }),
    timings_ms: timings,
  };
}

/**
 * The size the file declares, turned as its EXIF orientation turns it (5-8: a quarter turn), as sharp's
 * metadata of the bytes gives it; HEIF's container rotation is in that size already (libvips drops the tag).
 */
function uprightSize(d: DecodedImage): { width: number; height: number } {
  const turned = d.format !== 'heif' && (d.orientation ?? 1) >= 5;
  return turned
    ? { width: d.sourceHeight, height: d.sourceWidth }
    : { width: d.sourceWidth, height: d.sourceHeight };
}

function viewsOf(
  bytes: Buffer,
  d: DecodedImage,
  jpeg: Jpeg | undefined,
  maxPixels: number,
): Promise<ForensicViewImages> {
  // HEIF's container rotation is in its decoded pixels already (decode.ts): only EXIF rotation is undone.
  const orientation = d.rotatedForHashing ? d.orientation : null;
  return forensicViews({
    bytes,
    width: d.sourceWidth,
    height: d.sourceHeight,
    orientation,
    jpegQuality: jpeg ? (jpeg.standard_quality ?? jpeg.quality) : null,
    decoded: { data: d.data, width: d.width, height: d.height, rotated: d.rotatedForHashing },
    maxPixels,
  });
}

/** Features of the picture itself: a screenshot's text lines and buttons would only add noise. */
export function imageFeatures(
  decoded: Pick<DecodedImage, 'data' | 'width' | 'height'>,
  hashes: Hashes,
  opts: FeatureOptions,
): Promise<ImageFeatures> {
  const r = hashes.region;
  const pixels = r
    ? { data: cropRgb(decoded, r), width: r.width, height: r.height, channels: 3 }
    : { data: decoded.data, width: decoded.width, height: decoded.height, channels: 3 };
  return extractFeatures(pixels, opts);
}

/**
 * How far the camera's embedded thumbnail is from the picture. Cameras write the thumbnail with the
 * photo; editors often rewrite the picture but leave the thumbnail, so a large distance says the picture
 * was changed after capture. The thumbnail is stored unrotated, so it is compared with all 8 rotations
 * and flips of the picture's PDQ and the closest counts.
 */
async function compareThumbnail(
  thumbnail: Buffer,
  hashes: Hashes,
  opts: AnalyzeOptions,
): Promise<ThumbnailComparison | undefined> {
  try {
    const small = await decodeForHashing(thumbnail, {
      maxPixels: opts.maxInputPixels,
      applyOrientation: false,
    });
    const pdq = pdqFromRgb(small.data, small.width, small.height);
    const distance = Math.min(...hashes.pdq.dihedral.map((h) => hammingHex(h, pdq.hash)));
    return {
      width: small.width,
      height: small.height,
      pdq: pdq.hash,
      pdq_quality: pdq.quality,
      pdq_distance: distance,
    };
  } catch {
    return { width: null, height: null, pdq: null, pdq_quality: null, pdq_distance: null };
  }
}
