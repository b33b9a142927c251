// The double-compression set of issue 20, made from real photos: each photo is shrunk (which wipes the
// traces of its own JPEG history) to 768x512, then saved at q95/q90/q80 and saved again at q75/q70/q60
// either as decoded (`aligned`: the second save on the first one's 8x8 grid) or after a crop of 3 px from
// the left and 5 from the top (`shifted`: off the grid), plus single saves at the same final qualities.
// The same set at another size (LARGE_SIZE, from LARGE_SOURCES) shows what more blocks give.
// Used by test/long/jpeg-double-compression.test.ts and bench/forensics.ts.
import sharp from 'sharp';
import { fixture } from './images.js';

/** Camera and phone photos of the fixtures, of varied content. */
export const DOUBLE_SOURCES = [
  'exif-samples/jpg/hdr/canon_hdr_YES.jpg',
  'exif-samples/jpg/hdr/iphone_hdr_YES.jpg',
  'exif-samples/jpg/mobile/HMD_Nokia_8.3_5G.jpg',
  'exif-samples/jpg/Reconyx_HC500_Hyperfire.jpg',
  'exifr/IMG_20180725_163423.jpg',
  'exif-samples/jpg/exif-org/nikon-e950.jpg',
  'exif-samples/jpg/gps/DSCN0021.jpg',
  'exifr/canon-dslr.jpg',
];
/**
 * The set at 2304x1536 (3.5 MP: the fine-detail reading's whole budget, ENERGY_MAX_BLOCKS) is made from the
 * photos that are larger than that, so that every picture is shrunk, as at 768x512 (four of DOUBLE_SOURCES
 * would be enlarged, 1.1x to 3.6x, and an enlarged JPEG was saved before): the four of DOUBLE_SOURCES that
 * are, and three other camera photos of the fixtures.
 */
export const LARGE_SIZE = { width: 2304, height: 1536 };
export const LARGE_SOURCES = [
  'exif-samples/jpg/hdr/iphone_hdr_YES.jpg',
  'exif-samples/jpg/mobile/HMD_Nokia_8.3_5G.jpg',
  'exifr/IMG_20180725_163423.jpg',
  'exifr/canon-dslr.jpg',
  'exifr/issue-metadata-extractor-152.jpg',
  'exifr/iptc-mess.jpg',
  'pdq/exif-rotn/exif-rotn-1.jpg',
];
export const FIRST_QUALITIES = [95, 90, 80];
/** The crop between the two saves of a `shifted` sample, in pixels from the left and the top. */
export const SHIFT_CROP = { left: 3, top: 5 };
/**
 * Where the first save's 8x8 grid lies in a `shifted` sample, as the off-grid readings name it (pixels from
 * the left and top of the second save's picture): (5, 3).
 */
export const SHIFTED_GRID = { dx: (8 - (SHIFT_CROP.left % 8)) % 8, dy: (8 - (SHIFT_CROP.top % 8)) % 8 };
export const SECOND_QUALITIES = [75, 70, 60];

export interface DoubleSample {
  source: string;
  kind: 'single' | 'aligned' | 'shifted';
  /** First save's quality (null for single saves). */
  q1: number | null;
  q2: number;
  jpeg: Buffer;
}

/**
 * The set for `sources` at `size` (the crop between the saves is 3 x 5 px at any size); singles come from
 * two framings of each photo (more negatives, same photos): the whole `size`, and 1/12 narrower.
 */
export async function doubleCompressionSet(
  sources = DOUBLE_SOURCES,
  size = { width: 768, height: 512 },
): Promise<DoubleSample[]> {
  const out: DoubleSample[] = [];
  const { width, height } = size;
  for (const source of sources) {
    const photo = fixture(source);
    const framings = await Promise.all(
      (['centre', 'north'] as const).map((position, i) =>
        sharp(photo)
          .rotate()
          .resize(width - Math.round(width / 12) * i, height, { fit: 'cover', position })
          .raw()
          .toBuffer({ resolveWithObject: true }),
      ),
    );
    const raw = (i: number) => {
      const f = framings[i] as (typeof framings)[number];
      return sharp(f.data, { raw: f.info });
    };
    for (const q2 of SECOND_QUALITIES) {
      for (const i of [0, 1]) {
        out.push({
          source,
          kind: 'single',
          q1: null,
          q2,
          jpeg: await raw(i).jpeg({ quality: q2 }).toBuffer(),
        });
      }
    }
    for (const q1 of FIRST_QUALITIES) {
      const first = await raw(0).jpeg({ quality: q1 }).toBuffer();
      for (const q2 of SECOND_QUALITIES) {
        out.push({
          source,
          kind: 'aligned',
          q1,
          q2,
          jpeg: await sharp(first).jpeg({ quality: q2 }).toBuffer(),
        });
        const shifted = await sharp(first)
          .extract({
            left: SHIFT_CROP.left,
            top: SHIFT_CROP.top,
            width: width - SHIFT_CROP.left,
            height: height - SHIFT_CROP.top,
          })
          .jpeg({ quality: q2 })
          .toBuffer();
        out.push({ source, kind: 'shifted', q1, q2, jpeg: shifted });
      }
    }
  }
  return out;
}

/**
 * One photo of the set (an iPhone photo, shrunk to 768x512) saved twice off the grid as the set does (at
 * `q1`, then cropped 3 px from the left and 5 from the top and saved at `q2`), and saved once at `q2`: the
 * pair the unit tests of each reading start from.
 */
export async function shiftedPair(q1: number, q2: number): Promise<{ twice: Buffer; once: Buffer }> {
  const { data, info } = await sharp(fixture('exif-samples/jpg/hdr/iphone_hdr_YES.jpg'))
    .rotate()
    .resize(768, 512, { fit: 'cover' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  const raw = () => sharp(data, { raw: info });
  const first = await raw().jpeg({ quality: q1 }).toBuffer();
  const twice = await sharp(first)
    .extract({ left: 3, top: 5, width: 765, height: 507 })
    .jpeg({ quality: q2 })
    .toBuffer();
  return { twice, once: await raw().jpeg({ quality: q2 }).toBuffer() };
}
