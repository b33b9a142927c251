// Agreement with ImageMagick 6.9.11 (test/fixtures/imagemagick-truth.json: `identify -format %Q` of every
// JPEG fixture, recorded by scripts/imagemagick-truth.ts), and the standard-vs-custom reading of the tables.
import { readFileSync } from 'node:fs';
import t from 'tap';
import { readJpeg } from '../../../../src/pipeline/analyze/jpeg/index.js';
import {
  estimateQuality,
  ijgTable,
  IJG_CHROMA,
  IJG_LUMA,
} from '../../../../src/pipeline/analyze/jpeg/quality.js';
const FIXTURES = new URL('../../../fixtures/', import.meta.url).pathname;

const truth = JSON.parse(readFileSync(`${FIXTURES}imagemagick-truth.json`, 'utf8')) as Record<
  string,
  number | null
>;
const NO_CAMERA = { cameraExif: false, camera: null };

// Files whose tables are custom (not the IJG tables at any quality), checked by hand against the IJG
// formula: cameras (Canon, Apple, Sony, Panasonic, Reconyx), Photoshop/Lightroom (APP14 Adobe).
const CUSTOM = new Set([
  'c2pa/IMG_0003.jpg',
  'c2pa/earth_apollo17.jpg',
  'c2pa/ocsp.jpg',
  'c2pa/update_manifest.jpg',
  'exif-samples/jpg/Reconyx_HC500_Hyperfire.jpg',
  'exif-samples/jpg/exif-org/nikon-e950.jpg',
  'exif-samples/jpg/hdr/canon_hdr_YES.jpg',
  'exif-samples/jpg/hdr/iphone_hdr_YES.jpg',
  ...[1, 2, 3, 4, 5, 6, 7, 8].map((n) => `exif-samples/jpg/orientation/landscape_${n}.jpg`),
  'exif-samples/jpg/tests/28-hex_value.jpg',
  'exif-samples/jpg/tests/87_OSError.jpg',
  'exif-samples/jpg/xmp/BlueSquare.jpg',
  'exifr/canon-dslr.jpg',
  'exifr/iptc-agency-photographer-example.jpg',
  'exifr/iptc-mess.jpg',
  'exifr/iptc-staff-photographer-example.jpg',
  ...[2, 3, 4, 5, 6, 7, 8].map(
    (n) =>
      `pdq/dih/bridge-${n}-${['', '', 'rotate-90', 'rotate-180', 'rotate-270', 'flipx', 'flipy', 'flip-plus-1', 'flip-minus-1'][n]}.jpg`,
  ),
  'pdq/misc/wee.jpg',
]);

t.test('quality within 1 of ImageMagick on every JPEG fixture; custom tables flagged', async (t) => {
  const files = Object.keys(truth);
  t.ok(files.length >= 90, `${files.length} fixtures`);
  let standard = 0;
  for (const rel of files) {
    const im = truth[rel];
    const j = readJpeg(readFileSync(`${FIXTURES}${rel}`), NO_CAMERA).section;
    t.equal(j.status, 'read', `${rel}: read`);
    t.equal(j.tables, CUSTOM.has(rel) ? 'custom' : 'standard', `${rel}: ${j.tables} tables`);
    if (j.tables === 'standard') standard++;
    // Our estimate re-derives ImageMagick's (src/pipeline/analyze/jpeg/quality.ts), so it agrees exactly on
    // custom tables too; the bound (within 1) is asserted, and the exact figure reported.
    t.ok(
      im !== null && im !== undefined && Math.abs((j.quality ?? -99) - im) <= 1,
      `${rel}: ${j.quality} vs ImageMagick ${im}`,
    );
    // Where ImageMagick's figure is not libjpeg's quality: exif-samples DSCN0010/DSCN0021 (Nikon Coolpix)
    // hold the IJG tables at 84 and 87, plus a third table (a copy of the chrominance one) that ImageMagick
    // adds into its sum, which makes the file look coarser: 75 and 80. `quality` follows ImageMagick (the
    // truth here); `standard_quality` is the exact libjpeg quality, and it is what the signals use.
    if (j.tables === 'standard' && j.standard_quality !== im) {
      t.ok(
        j.quant_tables.length > 2,
        `${rel}: libjpeg quality ${j.standard_quality}, ImageMagick ${im}, ${j.quant_tables.length} tables`,
      );
    }
  }
  t.ok(standard >= 50, `${standard} fixtures with standard tables`);
});

t.test('the generated encoder set: quality, subsampling, process and Huffman tables as saved', async (t) => {
  for (const rel of Object.keys(truth).filter((r) => r.startsWith('jpeg-quality/'))) {
    const name = rel.slice('jpeg-quality/'.length);
    const j = readJpeg(readFileSync(`${FIXTURES}${rel}`), NO_CAMERA).section;
    t.equal(j.standard_quality, Number(/^q(\d+)/.exec(name)?.[1]), `${name}: quality`);
    t.equal(j.process, name.includes('progressive') ? 'progressive' : 'baseline', `${name}: process`);
    t.equal(
      j.huffman,
      name.includes('optimized') || name.includes('progressive') ? 'optimized' : 'standard',
      `${name}: Huffman`,
    );
    const sub = name.includes('grey') ? 'grayscale' : name.includes('444') ? '4:4:4' : '4:2:0';
    t.equal(j.subsampling, sub, `${name}: ${sub}`);
    t.equal(j.markers.exif, false);
    t.match(
      j.signature,
      /^Standard libjpeg \(IJG\) tables at quality \d+.*no EXIF: consistent with a re-encode/,
    );
  }
});

t.test('every libjpeg quality maps back to itself, for one table and for two', async (t) => {
  for (let q = 1; q <= 100; q++) {
    const two = estimateQuality([
      { id: 0, precision: 8, values: ijgTable(IJG_LUMA, q) },
      { id: 1, precision: 8, values: ijgTable(IJG_CHROMA, q) },
    ]);
    const one = estimateQuality([{ id: 0, precision: 8, values: ijgTable(IJG_LUMA, q) }]);
    // At the top and bottom of the scale several qualities give the same tables (all 1s at 100; all 255s
    // at 1-2 for chrominance): ImageMagick names the lowest, libjpeg's exact match the highest.
    t.ok(
      Math.abs((two.estimate ?? 0) - q) <= 1 && two.tables === 'standard',
      `two tables, q${q}: ${two.estimate}`,
    );
    t.ok(
      Math.abs((one.estimate ?? 0) - q) <= 1 && one.tables === 'standard',
      `one table, q${q}: ${one.estimate}`,
    );
  }
});

t.test('camera originals and Adobe saves get their sentences', async (t) => {
  const canon = readJpeg(readFileSync(`${FIXTURES}exifr/canon-dslr.jpg`), {
    cameraExif: true,
    camera: 'Canon EOS 550D',
  }).section;
  t.match(
    canon.signature,
    /Custom quantization tables .*camera EXIF \(Canon EOS 550D\): consistent with the file as a camera wrote it/,
  );
  const adobe = readJpeg(readFileSync(`${FIXTURES}exifr/iptc-mess.jpg`), NO_CAMERA).section;
  t.match(adobe.signature, /APP14 Adobe segment: consistent with a save by Adobe software/);
  const nikon = readJpeg(readFileSync(`${FIXTURES}exif-samples/jpg/gps/DSCN0010.jpg`), {
    cameraExif: true,
    camera: 'NIKON COOLPIX P6000',
  }).section;
  t.match(nikon.signature, /quality 84.*written by a device that uses libjpeg, or re-saved/);
  t.same(nikon.segments, ['APP1 Exif', 'APP1 XMP']);
});
