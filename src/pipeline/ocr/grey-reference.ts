// The reference grey.ts is held to: sharp's greyscale() of every 8-bit sRGB colour (all 16,777,216, as one
// 4096x4096 picture whose pixel i is the colour 0xRRGGBB = i). For scripts/grey-exceptions.ts (which
// writes the colours libvips rounds the other way) and test/pipeline/ocr/grey.test.ts (which checks them
// all); never used by a check.
import sharp from 'sharp';

export const ALL_COLOURS = 1 << 24;

/** Pixel i (0xRRGGBB) of the all-colours picture: its grey as libvips makes it. */
export async function libvipsGreyOfAllColours(): Promise<Buffer> {
  const all = Buffer.alloc(ALL_COLOURS * 3);
  for (let i = 0; i < ALL_COLOURS; i++) {
    all[i * 3] = i >> 16;
    all[i * 3 + 1] = (i >> 8) & 255;
    all[i * 3 + 2] = i & 255;
  }
  return sharp(all, { raw: { width: 4096, height: 4096, channels: 3 } })
    .greyscale()
    .toColourspace('b-w')
    .raw()
    .toBuffer();
}
