// Agreement with ExifTool 12.57 (test/fixtures/exiftool-truth.json: `exiftool -j -G1 -n` of every fixture).
// Every entry is compared field by field. A disagreement must either be fixed or listed in EXCEPTIONS with
// its reason; the test fails on an unlisted disagreement, and on a listed one that no longer disagrees
// (so the list stays honest).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { fileTypeFromBuffer } from 'file-type';
import sharp from 'sharp';
import t from 'tap';
import { extractMetadata, type Metadata } from '../../../src/pipeline/analyze/metadata.js';

const FIXTURES = fileURLToPath(new URL('../../fixtures/', import.meta.url));
type Tool = Record<string, unknown>;
const truth = JSON.parse(readFileSync(`${FIXTURES}exiftool-truth.json`, 'utf8')) as Record<string, Tool>;

interface Seen {
  metadata: Metadata;
  size: string | null;
}

/**
 * ExifTool's JSON prints numeric-looking strings ("8.3") as numbers: compare those numerically. It also
 * keeps tags whose value is blank ("" or spaces), which the report, by design, gives as null.
 */
function sameText(actual: string | null, expected: unknown): boolean {
  if (expected === undefined || (typeof expected === 'string' && expected.trim() === ''))
    return actual === null;
  if (typeof expected === 'number') return actual !== null && Number(actual) === expected;
  return actual === expected;
}

const count = (value: unknown) => (value === undefined ? 0 : Array.isArray(value) ? value.length : 1);

interface Field {
  expected(tool: Tool): unknown;
  actual(seen: Seen): unknown;
  same(actual: unknown, expected: unknown): boolean;
}

const text = (tag: string, read: (m: Metadata) => string | null | undefined): Field => ({
  expected: (tool) => tool[tag],
  actual: ({ metadata }) => read(metadata) ?? null,
  same: (actual, expected) => sameText(actual as string | null, expected),
});

const number = (tag: string, read: (m: Metadata) => number | null | undefined): Field => ({
  expected: (tool) => tool[tag] ?? null,
  actual: ({ metadata }) => read(metadata) ?? null,
  same: (actual, expected) =>
    actual === null || expected === null
      ? actual === expected
      : Math.abs(Number(actual) - Number(expected)) <= 1e-6,
});

/** An IPTC-IIM dataset: ExifTool's IPTC group is IIM only, so a field we took from XMP does not count. */
const iim = (tag: string, field: 'by_line' | 'caption' | 'credit' | 'city' | 'keywords'): Field => ({
  expected: (tool) => {
    const value = tool[tag];
    return value === undefined
      ? null
      : field === 'keywords'
        ? [value].flat().map(String)
        : [value].flat().map(String).join('; ');
  },
  actual: ({ metadata: { iptc } }) => (iptc && !iptc.fields_from_xmp.includes(field) ? iptc[field] : null),
  // No keywords: ExifTool has no tag, we have an empty list.
  same: (actual, expected) =>
    field === 'keywords'
      ? JSON.stringify(actual ?? []) === JSON.stringify(expected ?? [])
      : sameText(actual as string | null, expected ?? undefined),
});

/** Our ISO 8601 in ExifTool's "YYYY:MM:DD HH:MM:SS[.ss][+zz:zz|Z]" spelling. */
const exiftoolDate = (iso: string | null | undefined) =>
  iso ? iso.replace(/^(\d{4})-(\d{2})-(\d{2})T/, '$1:$2:$3 ') : null;

const FIELDS: Record<string, Field> = {
  make: text('IFD0:Make', (m) => m.camera.make),
  model: text('IFD0:Model', (m) => m.camera.model),
  lens_model: text('ExifIFD:LensModel', (m) => m.camera.lens_model),
  body_serial: text('ExifIFD:SerialNumber', (m) => m.camera.body_serial),
  software: text('IFD0:Software', (m) => m.software),
  artist: text('IFD0:Artist', (m) => m.artist),
  copyright: text('IFD0:Copyright', (m) => m.copyright),
  date_time_original: text('ExifIFD:DateTimeOriginal', (m) => m.times.date_time_original?.raw),
  // ExifTool combines DateTimeOriginal with SubSecTimeOriginal and OffsetTimeOriginal only when one exists.
  date_time_original_full: text('Composite:SubSecDateTimeOriginal', ({ times: { date_time_original: d } }) =>
    d?.time_zone || d?.iso?.includes('.') ? exiftoolDate(d.iso) : null,
  ),
  gps_date_time: text('Composite:GPSDateTime', (m) => exiftoolDate(m.times.gps?.iso)),
  gps: {
    expected: (tool) =>
      tool['Composite:GPSLatitude'] === undefined
        ? null
        : [tool['Composite:GPSLatitude'], tool['Composite:GPSLongitude']],
    actual: ({ metadata }) => (metadata.gps ? [metadata.gps.latitude, metadata.gps.longitude] : null),
    same: (actual, expected) => {
      if (actual === null || expected === null) return actual === expected;
      const [a, e] = [actual as number[], expected as number[]];
      return Math.abs(a[0]! - e[0]!) <= 1e-6 && Math.abs(a[1]! - e[1]!) <= 1e-6;
    },
  },
  gps_altitude: number('Composite:GPSAltitude', (m) => m.gps?.altitude_m),
  gps_image_direction: number('GPS:GPSImgDirection', (m) => m.gps?.image_direction),
  orientation: number('IFD0:Orientation', (m) => m.orientation),
  // ExifTool flattens xmpMM:History into one list per field; HistoryAction has one entry per step.
  history_length: {
    expected: (tool) => count(tool['XMP-xmpMM:HistoryAction']),
    actual: ({ metadata }) => metadata.xmp?.history_total ?? 0,
    same: (actual, expected) => actual === expected,
  },
  creator_tool: text('XMP-xmp:CreatorTool', (m) => m.xmp?.creator_tool),
  document_id: text('XMP-xmpMM:DocumentID', (m) => m.xmp?.document_id),
  instance_id: text('XMP-xmpMM:InstanceID', (m) => m.xmp?.instance_id),
  by_line: iim('IPTC:By-line', 'by_line'),
  caption: iim('IPTC:Caption-Abstract', 'caption'),
  credit: iim('IPTC:Credit', 'credit'),
  city: iim('IPTC:City', 'city'),
  keywords: iim('IPTC:Keywords', 'keywords'),
  icc_profile: text('ICC_Profile:ProfileDescription', (m) => m.icc_profile),
  // A zero-length thumbnail is no thumbnail (present: false, bytes: null).
  thumbnail_bytes: {
    expected: (tool) => (Number(tool['IFD1:ThumbnailLength'] ?? 0) > 0 ? tool['IFD1:ThumbnailLength'] : null),
    actual: ({ metadata }) => metadata.thumbnail.bytes,
    same: (actual, expected) => actual === expected,
  },
  // The pixel size the pipeline reports comes from sharp (src/pipeline/probe.ts); ExifTool's is the stored
  // size before any EXIF or HEIF rotation.
  image_size: {
    expected: (tool) => tool['Composite:ImageSize'] ?? null,
    actual: ({ size }) => size,
    same: (actual, expected) => actual === expected,
  },
};

/** `file|field` -> why we disagree with ExifTool. Keep it minimal and every reason specific. */
const EXCEPTIONS: Record<string, string> = {
  // Not a metadata disagreement: the HEIF container rotates this photo (irot), and libheif inside sharp
  // reports the displayed size (3024x4032) where ExifTool reports the coded size (ispe, 4032x3024).
  'exif-samples/heic/mobile/iphone_13_pro_max.HEIC|image_size': 'sharp gives the size after HEIF rotation',
  // The Photoshop IPTC resource (8BIM 0x0404) declares 0 bytes, yet IIM datasets (Credit "Eric", City
  // "Warszawa") follow it. exifr (and so the report) reads them; ExifTool honours the size and shows none.
  'exifr/broken1.jpg|credit': 'IIM datasets after a 0-byte IPTC resource: read by exifr, not by ExifTool',
  'exifr/broken1.jpg|city': 'IIM datasets after a 0-byte IPTC resource: read by exifr, not by ExifTool',
  // GPSAltitude without GPSAltitudeRef: EXIF gives the ref a default of 0 (above sea level), so the report
  // shows the altitude as positive; ExifTool's Composite:GPSAltitude requires the ref and shows nothing.
  'exif-samples/jpg/tests/87_OSError.jpg|gps_altitude': 'no GPSAltitudeRef: we apply the EXIF default (0)',
  'exifr/sidecar/IMG_5910.jpg|gps_altitude': 'no GPSAltitudeRef: we apply the EXIF default (0)',
};

async function read(file: string): Promise<Seen> {
  const bytes = readFileSync(FIXTURES + file);
  const type = await fileTypeFromBuffer(bytes);
  const format = ({ jpg: 'jpeg', tif: 'tiff' } as Record<string, string>)[type!.ext] ?? type!.ext;
  const metadata = await extractMetadata(bytes, format);
  const size = await sharp(bytes)
    .metadata()
    .then((m) => `${m.width} ${m.height}`)
    .catch(() => null);
  return { metadata, size };
}

t.test('every ExifTool reading agrees, or is a listed exception', async (t) => {
  const files = Object.keys(truth);
  t.ok(files.length >= 58, 'the truth file lists every fixture');
  const seen = new Map(await Promise.all(files.map(async (file) => [file, await read(file)] as const)));
  const unlisted: string[] = [];
  const fixed: string[] = [];
  const summary = Object.fromEntries(
    Object.keys(FIELDS).map((f) => [f, { compared: 0, agree: 0, withValue: 0, exceptions: 0 }]),
  );
  for (const file of files) {
    for (const [name, field] of Object.entries(FIELDS)) {
      const expected = field.expected(truth[file]!);
      const actual = field.actual(seen.get(file)!);
      const key = `${file}|${name}`;
      const agree = field.same(actual, expected);
      summary[name]!.compared++;
      // Agreements on an actual value, not on "neither has it".
      const hasValue =
        expected !== null &&
        expected !== undefined &&
        expected !== 0 &&
        !(typeof expected === 'string' && expected.trim() === '');
      if (agree && hasValue) summary[name]!.withValue++;
      if (agree) summary[name]!.agree++;
      else if (key in EXCEPTIONS) summary[name]!.exceptions++;
      else unlisted.push(`${key}: ExifTool ${JSON.stringify(expected)}, we ${JSON.stringify(actual)}`);
      if (agree && key in EXCEPTIONS) fixed.push(key);
    }
  }
  const unknown = Object.keys(EXCEPTIONS).filter((key) => {
    const [file, field] = key.split('|');
    return !(file! in truth) || !(field! in FIELDS);
  });
  t.same(unlisted, [], 'no unlisted disagreement with ExifTool');
  t.same(fixed, [], 'every listed exception still disagrees (remove the ones that were fixed)');
  t.same(unknown, [], 'every listed exception names a fixture and a field');
  const total = Object.values(summary).reduce((s, f) => ({
    compared: s.compared + f.compared,
    agree: s.agree + f.agree,
    withValue: s.withValue + f.withValue,
    exceptions: s.exceptions + f.exceptions,
  }));
  t.comment(`ExifTool agreement over ${files.length} files (agree = same value, or both without one):`);
  for (const [name, s] of Object.entries({ ...summary, all: total }))
    t.comment(
      `  ${name.padEnd(24)} compared ${s.compared}, agree ${s.agree} (${s.withValue} on a value), ` +
        `listed exceptions ${s.exceptions}`,
    );
});
