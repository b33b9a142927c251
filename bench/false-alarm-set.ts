// The held-out false-alarm set of the double-compression estimate (issue 20): single saves of real photos
// that are NOT in the generated sets the estimate's rules are tuned on (DOUBLE_SOURCES and LARGE_SOURCES of
// test/helpers/double-jpeg.ts, nor other copies of them such as pdq/exif-rotn-3/6/8), shrunk to several long
// sides (768-3000 px; never enlarged, nor kept at the photo's own size, which would be a second save on
// the photo's own grid) and saved once at q60-95; plus camera files as they are. Used by
// bench/forensics-false-alarms.ts (`npm run bench:forensics-false-alarms`).
import sharp from 'sharp';
import { fixture } from '../test/helpers/images.js';

/**
 * Eleven photos of the fixtures, each a different scene, none a source of the generated sets. The first
 * four were in a colleague's scratch false-alarm run of 5 December 2026 (/tmp, not committed) that the
 * aligned models' FIRST_SAVE_NOISE and the 27-term consistency rule were looked at against; the other
 * seven had not been read by the estimate's tuning at all (`unseen` below).
 */
export const HELD_OUT_SOURCES: Array<{ path: string; unseen: boolean }> = [
  { path: 'exif-samples/jpg/tests/28-hex_value.jpg', unseen: false }, // lighthouse, 1704x2272
  { path: 'exif-samples/jpg/tests/87_OSError.jpg', unseen: false }, // flats, 1488x2240
  { path: 'exifr/xmp-depth-map.jpg', unseen: false }, // flowers, 1536x2048
  { path: 'pdq/bridge-mods/aaa-orig.jpg', unseen: false }, // tree and bridge, 1600x1004
  { path: 'exifr/sidecar/IMG_5910.jpg', unseen: true }, // squirrel, 1394x930
  { path: 'exifr/issue-exifr-47.jpeg', unseen: true }, // old street photograph, 1280x969
  { path: 'exifr/issue-fast-exif-2.jpg', unseen: true }, // two runners, 1200x799
  { path: 'c2pa/CA.jpg', unseen: true }, // ribbons, 1024x683
  { path: 'c2pa/ocsp.jpg', unseen: true }, // Golden Gate bridge, 1000x700 (progressive)
  { path: 'exifr/broken1.jpg', unseen: true }, // palace, 600x900 (progressive)
  { path: 'exifr/door-knocker.jpg', unseen: true }, // door knocker, 800x533
];
/** Long sides tried; only those at most 0.97 of the photo's own (the generated sets shrink 800 to 768). */
export const HELD_OUT_SIZES = [768, 1024, 1280, 1600, 2048, 2560, 3000];
export const HELD_OUT_QUALITIES = [60, 65, 70, 75, 80, 85, 90, 95];

/**
 * Camera files as they came from the camera (no editor in their Software tag), baseline or progressive (a
 * progressive one is not estimated). Some are sources of the generated sets: their originals are not in
 * those sets (only shrunk copies are).
 */
export const CAMERA_ORIGINALS = [
  'exif-samples/jpg/exif-org/nikon-e950.jpg',
  'exif-samples/jpg/exif-org/kodak-dc240.jpg',
  'exif-samples/jpg/gps/DSCN0010.jpg',
  'exif-samples/jpg/gps/DSCN0021.jpg',
  'exif-samples/jpg/hdr/canon_hdr_YES.jpg',
  'exif-samples/jpg/hdr/iphone_hdr_YES.jpg',
  'exif-samples/jpg/mobile/HMD_Nokia_8.3_5G.jpg',
  'exif-samples/jpg/Reconyx_HC500_Hyperfire.jpg',
  'exif-samples/jpg/tests/87_OSError.jpg',
  'exifr/IMG_20180725_163423.jpg',
  'exifr/canon-dslr.jpg',
  'exifr/door-knocker.jpg',
  'exifr/issue-metadata-extractor-152.jpg',
  'exifr/xmp-depth-map.jpg',
  'pdq/exif-rotn/exif-rotn-1.jpg',
];
/**
 * Files as published after an editor (Software: Lightroom exports, Windows Photo Gallery): reported apart,
 * since a re-save by an editor IS a second compression (a Lightroom export from a raw file is not).
 */
export const EDITED_AS_THEY_ARE = [
  'c2pa/IMG_0003.jpg',
  'exif-samples/jpg/tests/28-hex_value.jpg',
  'exifr/iptc-mess.jpg',
  'exifr/issue-fast-exif-2.jpg',
  'exifr/sidecar/IMG_5910.jpg',
];

export interface HeldOutSample {
  source: string;
  /** 'shrunk' (a single save made here), 'camera' or 'edited' (the file as it is). */
  kind: 'shrunk' | 'camera' | 'edited';
  unseen: boolean;
  long: number;
  quality: number | null;
  jpeg: Buffer;
}

/** The shrunk single saves, then the files as they are. */
export async function heldOutSet(): Promise<HeldOutSample[]> {
  const out: HeldOutSample[] = [];
  for (const { path, unseen } of HELD_OUT_SOURCES) {
    const photo = fixture(path);
    const m = await sharp(photo).rotate().toBuffer({ resolveWithObject: true });
    const own = Math.max(m.info.width, m.info.height);
    for (const long of HELD_OUT_SIZES.filter((s) => s <= 0.97 * own)) {
      const { data, info } = await sharp(m.data)
        .resize(long, long, { fit: 'inside' })
        .raw()
        .toBuffer({ resolveWithObject: true });
      for (const quality of HELD_OUT_QUALITIES) {
        const jpeg = await sharp(data, { raw: info }).jpeg({ quality }).toBuffer();
        out.push({ source: path, kind: 'shrunk', unseen, long, quality, jpeg });
      }
    }
  }
  for (const [kind, list] of [
    ['camera', CAMERA_ORIGINALS],
    ['edited', EDITED_AS_THEY_ARE],
  ] as const) {
    for (const path of list) {
      const jpeg = fixture(path);
      const meta = await sharp(jpeg).metadata();
      const long = Math.max(meta.width ?? 0, meta.height ?? 0);
      out.push({ source: path, kind, unseen: false, long, quality: null, jpeg });
    }
  }
  return out;
}
