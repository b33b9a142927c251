// Every hash of one image, from the one decoded buffer (decode.ts): PDQ for matching against
// industry hash lists and across rotations/flips, the 64-bit imagehash trio for agreeing with the
// Python scripts fact-checkers already run.
import type { Hashes } from '../../../schemas/hashes.js';
import type { DecodedImage } from './decode.js';
import { imageHashesFromRgb } from './imagehash.js';
import { pdqFromRgb } from './pdq.js';
import { findContentRegion, type ContentRegion } from './region.js';

export function computeHashes(
  decoded: Pick<DecodedImage, 'data' | 'width' | 'height'>,
  opts: { region?: boolean } = {},
): Hashes {
  const { data, width, height } = decoded;
  const hashes: Hashes = { pdq: pdqFromRgb(data, width, height), ...imageHashesFromRgb(data, width, height) };
  const region = opts.region === false ? null : findContentRegion({ data, width, height, channels: 3 });
  if (region) {
    const crop = cropRgb(decoded, region);
    hashes.region = { ...region, pdq: pdqFromRgb(crop, region.width, region.height) };
  }
  return hashes;
}

/** The region's RGB bytes, rows copied out of the full buffer. */
export function cropRgb(
  decoded: Pick<DecodedImage, 'data' | 'width'>,
  r: Omit<ContentRegion, 'kind'>,
): Buffer {
  const out = Buffer.allocUnsafe(r.width * r.height * 3);
  for (let y = 0; y < r.height; y++) {
    const from = ((r.y + y) * decoded.width + r.x) * 3;
    decoded.data.copy(out, y * r.width * 3, from, from + r.width * 3);
  }
  return out;
}
