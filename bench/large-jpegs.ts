// The generated 12 MP JPEGs the analysis benchmarks time (bench:analyze, bench:analyze-threads): real
// photographs from the fixtures, upscaled to 4000x3000 and given grain, made the same on every run.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import sharp from 'sharp';
import type { Analysis, AnalyzeOptions } from '../src/pipeline/analyze/index.js';
import { sharedConcat } from '../src/bytes.js';
import { ROOT } from './lib.js';

const FIXTURES = resolve(ROOT, 'test', 'fixtures');

// Real photographs the 12 MP JPEGs are made from (upscaled, then textured with noise).
export const LARGE_SOURCES = [
  'exifr/IMG_20180725_163423.jpg',
  'exifr/canon-dslr.jpg',
  'exifr/iptc-mess.jpg',
  'exif-samples/jpg/gps/DSCN0010.jpg',
  'exif-samples/jpg/hdr/canon_hdr_YES.jpg',
  'exifr/door-knocker.jpg',
  'exif-samples/jpg/Reconyx_HC500_Hyperfire.jpg',
  'pdq/dih/bridge-1-original.jpg',
];

/** A fast deterministic PRNG (xorshift32), so the generated images are the same on every run. */
export function xorshift(seed: number) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return s >>> 0;
  };
}

/**
 * A 4000x3000 JPEG (quality 90, 4:2:0, baseline, as phones write them) from a real photograph: upscaled
 * to cover the frame, then given grain (mostly luminance, some colour) so that it is not the smooth,
 * highly compressible picture an upscale alone would be; its size lands near a real 12 MP phone photo's.
 * A little EXIF (camera, date) so the metadata reader has something to read; no embedded thumbnail.
 */
export async function makeLarge(source: string, seed: number): Promise<Buffer> {
  const W = 4000;
  const H = 3000;
  const { data } = await sharp(readFileSync(resolve(FIXTURES, source)))
    .autoOrient()
    .resize(W, H, { fit: 'cover', kernel: 'linear' }) // the grain hides the kernel; linear is quicker
    .removeAlpha()
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  // A clamped view: values written outside 0..255 saturate instead of wrapping.
  const px = new Uint8ClampedArray(data.buffer, data.byteOffset, data.length);
  const rand = xorshift(seed * 2654435761);
  for (let p = 0; p < px.length; p += 3) {
    const r = rand();
    // Luminance grain in [-16, 16] (sum of two uniforms: triangular), colour grain in [-3, 4] on R and B.
    const luma = ((r & 0xff) + ((r >>> 8) & 0xff)) / 16 - 16;
    px[p] = (px[p] as number) + luma + ((r >>> 16) & 7) - 3;
    px[p + 1] = (px[p + 1] as number) + luma;
    px[p + 2] = (px[p + 2] as number) + luma + ((r >>> 19) & 7) - 3;
  }
  return sharp(data, { raw: { width: W, height: H, channels: 3 } })
    .jpeg({ quality: 90 })
    .withExif({
      IFD0: {
        Make: 'firstseen',
        Model: 'bench 12 MP',
        Software: 'bench/analyze.ts',
        DateTime: '2024:05:01 12:00:00',
      },
    })
    .toBuffer();
}

/** The HEVC HEIC a worker-like analysis thread reads once (loading the HEIC decoder). */
const WORKER_HEIC = 'exif-samples/heic/IMG_5195.HEIC';

/**
 * Brings the thread behind `analyze` (an analysis pool's, as a check runs it) to the state a running
 * worker's thread is in: OpenCV.js loaded (one picture's features extracted with it, as a worker's thread
 * loads it for the geometric check of its first partial-match candidate) and the HEIC decoder (one HEVC
 * HEIC analyzed). Their heaps are what V8's collections of that thread have to mark (README, "Processes
 * and V8").
 */
export async function loadAsWorker(
  analyze: (
    bytes: Buffer,
    probe: { mime: string; format: string },
    opts: AnalyzeOptions,
  ) => Promise<Pick<Analysis, 'error'>>,
  jpeg: Buffer,
  opts: AnalyzeOptions,
): Promise<void> {
  if (opts.features)
    await analyze(
      jpeg,
      { mime: 'image/jpeg', format: 'jpeg' },
      { ...opts, features: { ...opts.features, engine: 'opencv' } },
    );
  const heic = readFileSync(resolve(FIXTURES, WORKER_HEIC));
  const r = await analyze(sharedConcat([heic], heic.length), { mime: 'image/heic', format: 'heif' }, opts);
  if (r.error) throw new Error(`${WORKER_HEIC}: ${r.error.code}`);
}
