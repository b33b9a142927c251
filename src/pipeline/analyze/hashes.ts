// Every hash of one image, from the one decoded buffer (decode.ts): PDQ for matching against
// industry hash lists and across rotations/flips, the 64-bit imagehash trio for agreeing with the
// Python scripts fact-checkers already run.
import type { Hashes } from '../../../schemas/hashes.js';
import type { DecodedImage } from './decode.js';
import { imageHashesFromRgb } from './imagehash.js';
import { pdqFromRgb } from './pdq.js';

export function computeHashes(decoded: Pick<DecodedImage, 'data' | 'width' | 'height'>): Hashes {
  const { data, width, height } = decoded;
  return { pdq: pdqFromRgb(data, width, height), ...imageHashesFromRgb(data, width, height) };
}
