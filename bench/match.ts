// `npm run bench:match`: matching accuracy, not speed. From the real photo fixtures, copies are made with
// sharp the way images change as they travel (resized, recompressed, cropped, framed, watermarked, made
// grey, mirrored, rotated, screenshotted); originals and copies are hashed with the service's own code
// (decodeForHashing + computeHashes), and for each edit we report:
//   - recall: the copy matches its own original. PDQ: the smallest distance between any of the copy's 8
//     dihedral hashes and the original's hash is <= PDQ_MATCH_DISTANCE (what the index does); pHash:
//     distance <= PHASH_MATCH_DISTANCE, no dihedral variants. "service" applies the service's rule: PDQ,
//     or pHash when the copy's PDQ quality is below PDQ_MIN_QUALITY.
//   - FPR: the share of copies that match at least one OTHER original (every other original is a
//     distractor). The four phone photos of one desk in pdq/exif-rotn/ are different shots of the same
//     scene, a hard case: their matches with each other are also reported on their own.
// Whole-image hashes are expected to miss crops, borders and screenshots: those misses are the baseline
// the crops/screenshots issue will improve on. Every miss and false match is written to the JSON.
//
// Fixtures: exif-samples, exifr, c2pa (JPEG and PNG; HEIC skipped for speed), pdq/dih/bridge-1-original.jpg,
// pdq/exif-rotn/. Originals with PDQ quality below PDQ_MIN_QUALITY (near-flat) are counted, not used. The
// fixtures hold a few pictures several times (one C2PA test photo signed in six ways, one photo stored
// with each of the 8 EXIF orientations): one file per picture is kept (SAME_PICTURE below), and any other
// pair of originals that matches is printed, since it would count as a false match.
// Env: BENCH_MATCH_DUMP=<dir> also writes every copy there, to look at.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import sharp, { type Sharp } from 'sharp';
import { loadConfig } from '../src/config.js';
import { decodeForHashing } from '../src/pipeline/analyze/decode.js';
import { hammingHex } from '../src/pipeline/analyze/hamming.js';
import { computeHashes } from '../src/pipeline/analyze/hashes.js';
import type { Hashes } from '../schemas/hashes.js';
import { machine, ROOT, writeResult } from './lib.js';

const FIXTURES = resolve(ROOT, 'test', 'fixtures');
const DIRS = ['exif-samples', 'exifr', 'c2pa', 'pdq/exif-rotn'];
const FILES = ['pdq/dih/bridge-1-original.jpg'];
const DESK = 'pdq/exif-rotn/';
/** The same picture stored several times in the fixtures: the first file stands for the others. */
const SAME_PICTURE = [
  [
    'c2pa/CA.jpg',
    'c2pa/CACA.jpg',
    'c2pa/E-sig-CA.jpg',
    'c2pa/IMG_0003.jpg',
    'c2pa/XCA.jpg',
    'c2pa/sample1.png',
  ],
  ['c2pa/earth_apollo17.jpg', 'c2pa/update_manifest.jpg'],
  Array.from({ length: 8 }, (_, i) => `exif-samples/jpg/orientation/landscape_${i + 1}.jpg`),
];

const DUMP = process.env.BENCH_MATCH_DUMP;
const config = loadConfig({});
const { pdqMaxDistance: PDQ_MAX, phashMaxDistance: PHASH_MAX, minPdqQuality: MIN_QUALITY } = config.matching;

// ---------------------------------------------------------------------------------------------
// The edits. Each gets the original's pixels as displayed (EXIF orientation applied), full size.

interface Pixels {
  data: Buffer;
  width: number;
  height: number;
}
const pixels = (p: Pixels): Sharp =>
  sharp(p.data, { raw: { width: p.width, height: p.height, channels: 3 } });
const jpeg = (s: Sharp, quality = 85) => s.jpeg({ quality }).toBuffer();

/** Semi-transparent text across the middle, as agencies and meme pages stamp pictures. */
function watermarkSvg(width: number, height: number): string {
  const size = Math.max(6, Math.round(Math.min(width, height) * 0.1));
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
  <text x="50%" y="55%" text-anchor="middle" font-family="DejaVu Sans, sans-serif" font-weight="bold"
    font-size="${size}" fill="#ffffff" fill-opacity="0.6" stroke="#000000" stroke-opacity="0.35"
    stroke-width="${Math.max(1, Math.round(size / 20))}">© NEWSWIRE / J. Doe</text>
</svg>`;
}

const SCREEN = { width: 1080, height: 1920, photoWidth: 1000, maxPhotoHeight: 1250 };

/**
 * A phone screenshot of a post: white 1080x1920, an avatar and grey "text" bars above the photo, the
 * photo 1000 px wide (at most 1300 high) in the middle, more bars and an action row below. PNG.
 */
async function screenshot(p: Pixels): Promise<Buffer> {
  const scale = Math.min(SCREEN.photoWidth / p.width, SCREEN.maxPhotoHeight / p.height);
  const w = Math.round(p.width * scale);
  const h = Math.round(p.height * scale);
  const left = Math.round((SCREEN.width - w) / 2);
  const top = Math.round((SCREEN.height - h) / 2);
  const bar = (x: number, y: number, width: number, height: number, fill = '#c8c8c8') =>
    `<rect x="${x}" y="${y}" width="${width}" height="${height}" rx="${height / 2}" fill="${fill}"/>`;
  const above = [
    `<circle cx="90" cy="${top - 190}" r="45" fill="#9a9a9a"/>`,
    bar(155, top - 220, 300, 26, '#8a8a8a'),
    bar(155, top - 180, 220, 22),
    bar(40, top - 110, 980, 24),
    bar(40, top - 70, 760, 24),
  ];
  const below = [
    bar(40, top + h + 40, 940, 24),
    bar(40, top + h + 80, 620, 24),
    ...[0, 1, 2, 3].map((i) => bar(60 + i * 260, top + h + 150, 120, 30, '#b0b0b0')),
  ];
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${SCREEN.width}" height="${SCREEN.height}">
  <rect width="100%" height="100%" fill="#ffffff"/>
  <rect width="100%" height="90" fill="#f0f0f0"/>${[...above, ...below].join('')}
</svg>`;
  const photo = await pixels(p).resize(w, h).png().toBuffer();
  return sharp(Buffer.from(svg))
    .composite([{ input: photo, left, top }])
    .png()
    .toBuffer();
}

const TRANSFORMS: Array<{ name: string; what: string; make: (p: Pixels) => Promise<Buffer> }> = [
  { name: 'reencode', what: 'control: JPEG quality 85, nothing else', make: (p) => jpeg(pixels(p)) },
  {
    name: 'resize30',
    what: 'resized to 30% (JPEG q85)',
    make: (p) => jpeg(pixels(p).resize(Math.max(1, Math.round(p.width * 0.3)))),
  },
  { name: 'jpeg20', what: 'JPEG quality 20', make: (p) => jpeg(pixels(p), 20) },
  {
    name: 'crop10',
    what: '10% cut from every side (the central 80%)',
    make: (p) => {
      const left = Math.round(p.width * 0.1);
      const top = Math.round(p.height * 0.1);
      return jpeg(pixels(p).extract({ left, top, width: p.width - 2 * left, height: p.height - 2 * top }));
    },
  },
  {
    name: 'border3',
    what: 'white border, 3% of the long side, on every side',
    make: (p) => {
      const b = Math.max(1, Math.round(Math.max(p.width, p.height) * 0.03));
      return jpeg(pixels(p).extend({ top: b, bottom: b, left: b, right: b, background: '#ffffff' }));
    },
  },
  {
    name: 'watermark',
    what: 'semi-transparent text overlay (SVG), 10% of the short side high',
    make: (p) =>
      jpeg(pixels(p).composite([{ input: Buffer.from(watermarkSvg(p.width, p.height)), left: 0, top: 0 }])),
  },
  { name: 'greyscale', what: 'greyscale', make: (p) => jpeg(pixels(p).greyscale()) },
  { name: 'flip', what: 'mirrored (horizontal flip)', make: (p) => jpeg(pixels(p).flop()) },
  { name: 'rotate90', what: 'rotated 90 degrees clockwise', make: (p) => jpeg(pixels(p).rotate(90)) },
  {
    name: 'screenshot',
    what: 'screenshot: photo 1000 px wide in a 1080x1920 white frame with grey text bars (PNG)',
    make: screenshot,
  },
];

/** librsvg draws nothing for text without a font: make sure the watermark is really there. */
async function checkTextRenders(): Promise<void> {
  const { data } = await sharp(Buffer.from(watermarkSvg(600, 400)))
    .ensureAlpha()
    .extractChannel(3)
    .raw()
    .toBuffer({ resolveWithObject: true });
  const inked = data.reduce((n, a) => n + (a > 0 ? 1 : 0), 0);
  if (inked < 0.01 * data.length) throw new Error('The watermark text did not render (no font found?)');
}

// ---------------------------------------------------------------------------------------------

interface Original {
  file: string;
  pixels: Pixels;
  hashes: Hashes;
  desk: boolean;
}

function listFixtures(): string[] {
  const found = DIRS.flatMap((dir) =>
    readdirSync(resolve(FIXTURES, dir), { recursive: true, encoding: 'utf8' }).map((f) => `${dir}/${f}`),
  );
  return [...found, ...FILES].filter((f) => /\.(jpe?g|png)$/i.test(f)).sort();
}

async function hash(bytes: Buffer): Promise<Hashes> {
  return computeHashes(await decodeForHashing(bytes, { maxPixels: config.maxInputPixels }));
}

/** Smallest PDQ distance over the query's 8 dihedral hashes against a stored hash (the index's rule). */
const pdqDistance = (query: Hashes, stored: Hashes) =>
  Math.min(...query.pdq.dihedral.map((h) => hammingHex(h, stored.pdq.hash)));
const phashDistance = (query: Hashes, stored: Hashes) => hammingHex(query.phash, stored.phash);
/** The service's rule: PDQ unless the query's PDQ quality is too low, then pHash. */
const serviceMatch = (query: Hashes, stored: Hashes) =>
  query.pdq.quality >= MIN_QUALITY
    ? pdqDistance(query, stored) <= PDQ_MAX
    : phashDistance(query, stored) <= PHASH_MAX;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  if (!s.length) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}
const pct = (n: number, d: number) => (d ? Math.round((n / d) * 1000) / 10 : NaN);

interface CopyResult {
  original: string;
  bytes: number;
  width: number;
  height: number;
  quality: number;
  pdq: number;
  phash: number;
  pdqMatch: boolean;
  phashMatch: boolean;
  serviceMatch: boolean;
  /** Nearest other original by PDQ and by pHash. */
  nearestPdq: { file: string; distance: number };
  nearestPhash: { file: string; distance: number };
  /** Other originals it matches (false matches). */
  falsePdq: Array<{ file: string; distance: number }>;
  falsePhash: Array<{ file: string; distance: number }>;
  falseService: string[];
  /** For a desk photo's copy: the nearest other desk photo, PDQ and pHash (null for other copies). */
  nearestDeskPdq: number | null;
  nearestDeskPhash: number | null;
}

async function main() {
  const t0 = performance.now();
  await checkTextRenders();
  if (DUMP) mkdirSync(DUMP, { recursive: true });
  const all = listFixtures();
  const duplicates = new Map<string, string>();
  for (const group of SAME_PICTURE) for (const f of group.slice(1)) duplicates.set(f, group[0] as string);

  const originals: Original[] = [];
  const lowQuality: Array<{ file: string; quality: number }> = [];
  for (const file of all) {
    if (duplicates.has(file)) continue;
    const bytes = readFileSync(resolve(FIXTURES, file));
    const hashes = await hash(bytes);
    if (hashes.pdq.quality < MIN_QUALITY) {
      lowQuality.push({ file, quality: hashes.pdq.quality });
      continue;
    }
    // The picture as displayed, full size, colour values as stored (as the hasher reads them).
    const { data, info } = await sharp(bytes, { autoOrient: true, ignoreIcc: true, pages: 1 })
      .removeAlpha()
      .toColourspace('srgb')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`${file}: ${info.channels} channels`);
    originals.push({
      file,
      pixels: { data, width: info.width, height: info.height },
      hashes,
      desk: file.startsWith(DESK),
    });
  }
  console.log(
    `${all.length} fixture files: ${originals.length} originals, ${duplicates.size} copies of them already in the fixtures (set aside), ${lowQuality.length} near-flat (PDQ quality < ${MIN_QUALITY}, not used): ${lowQuality.map((l) => `${l.file} (${l.quality})`).join(', ')}`,
  );

  // Originals against each other: a match here is a false match before any edit.
  const originalPairs: Array<{ a: string; b: string; pdq: number; phash: number }> = [];
  let nearestPair = { a: '', b: '', pdq: Infinity };
  for (let i = 0; i < originals.length; i++)
    for (let j = i + 1; j < originals.length; j++) {
      const a = originals[i] as Original;
      const b = originals[j] as Original;
      const d = Math.min(pdqDistance(a.hashes, b.hashes), pdqDistance(b.hashes, a.hashes));
      const p = phashDistance(a.hashes, b.hashes);
      if (d < nearestPair.pdq) nearestPair = { a: a.file, b: b.file, pdq: d };
      if (d <= PDQ_MAX || p <= PHASH_MAX || (a.desk && b.desk))
        originalPairs.push({ a: a.file, b: b.file, pdq: d, phash: p });
    }
  console.log(
    `nearest two originals: ${nearestPair.a} and ${nearestPair.b}, PDQ ${nearestPair.pdq} bits (dihedral)`,
  );
  for (const p of originalPairs)
    console.log(
      `  ${p.a.startsWith(DESK) && p.b.startsWith(DESK) ? 'desk photos' : 'ORIGINALS MATCH'}: ${p.a} vs ${p.b}: PDQ ${p.pdq}, pHash ${p.phash}`,
    );

  // Copies.
  const results = new Map<string, CopyResult[]>(TRANSFORMS.map((t) => [t.name, []]));
  for (const o of originals) {
    const copies = await Promise.all(TRANSFORMS.map((t) => t.make(o.pixels)));
    for (const [k, t] of TRANSFORMS.entries()) {
      const bytes = copies[k] as Buffer;
      if (DUMP) {
        const name = `${o.file.replace(/[/.]/g, '_')}.${t.name}.${t.name === 'screenshot' ? 'png' : 'jpg'}`;
        writeFileSync(resolve(DUMP, name), bytes);
      }
      const decoded = await decodeForHashing(bytes, { maxPixels: config.maxInputPixels });
      const h = computeHashes(decoded);
      const others = originals.filter((x) => x !== o);
      const deskOthers = others.filter((x) => x.desk);
      const byPdq = others.map((x) => ({ file: x.file, distance: pdqDistance(h, x.hashes) }));
      const byPhash = others.map((x) => ({ file: x.file, distance: phashDistance(h, x.hashes) }));
      const nearest = (xs: Array<{ file: string; distance: number }>) =>
        xs.reduce((a, b) => (b.distance < a.distance ? b : a));
      const pdq = pdqDistance(h, o.hashes);
      const phash = phashDistance(h, o.hashes);
      results.get(t.name)?.push({
        original: o.file,
        bytes: bytes.length,
        width: decoded.sourceWidth,
        height: decoded.sourceHeight,
        quality: h.pdq.quality,
        pdq,
        phash,
        pdqMatch: pdq <= PDQ_MAX,
        phashMatch: phash <= PHASH_MAX,
        serviceMatch: serviceMatch(h, o.hashes),
        nearestPdq: nearest(byPdq),
        nearestPhash: nearest(byPhash),
        falsePdq: byPdq.filter((x) => x.distance <= PDQ_MAX),
        falsePhash: byPhash.filter((x) => x.distance <= PHASH_MAX),
        falseService: others.filter((x) => serviceMatch(h, x.hashes)).map((x) => x.file),
        nearestDeskPdq: o.desk ? Math.min(...deskOthers.map((x) => pdqDistance(h, x.hashes))) : null,
        nearestDeskPhash: o.desk ? Math.min(...deskOthers.map((x) => phashDistance(h, x.hashes))) : null,
      });
    }
  }

  // Summary per edit.
  const summary = TRANSFORMS.map((t) => {
    const rs = results.get(t.name) ?? [];
    const n = rs.length;
    const deskRs = rs.filter((r) => r.original.startsWith(DESK));
    const deskFalse = (r: CopyResult, list: Array<{ file: string }>) =>
      list.some((x) => x.file.startsWith(DESK)) && r.original.startsWith(DESK);
    return {
      transform: t.name,
      what: t.what,
      copies: n,
      pdq_recall: pct(rs.filter((r) => r.pdqMatch).length, n),
      pdq_fpr: pct(rs.filter((r) => r.falsePdq.length > 0).length, n),
      phash_recall: pct(rs.filter((r) => r.phashMatch).length, n),
      phash_fpr: pct(rs.filter((r) => r.falsePhash.length > 0).length, n),
      service_recall: pct(rs.filter((r) => r.serviceMatch).length, n),
      service_fpr: pct(rs.filter((r) => r.falseService.length > 0).length, n),
      low_quality_copies: rs.filter((r) => r.quality < MIN_QUALITY).length,
      median_pdq_distance: median(rs.map((r) => r.pdq)),
      median_phash_distance: median(rs.map((r) => r.phash)),
      max_pdq_distance: Math.max(...rs.map((r) => r.pdq)),
      median_nearest_other_pdq: median(rs.map((r) => r.nearestPdq.distance)),
      min_nearest_other_pdq: Math.min(...rs.map((r) => r.nearestPdq.distance)),
      median_nearest_other_phash: median(rs.map((r) => r.nearestPhash.distance)),
      min_nearest_other_phash: Math.min(...rs.map((r) => r.nearestPhash.distance)),
      desk: {
        copies: deskRs.length,
        pdq_recall: pct(deskRs.filter((r) => r.pdqMatch).length, deskRs.length),
        pdq_match_other_desk_photo: deskRs.filter((r) => deskFalse(r, r.falsePdq)).length,
        phash_match_other_desk_photo: deskRs.filter((r) => deskFalse(r, r.falsePhash)).length,
        min_pdq_to_other_desk_photo: Math.min(...deskRs.map((r) => r.nearestDeskPdq ?? Infinity)),
        min_phash_to_other_desk_photo: Math.min(...deskRs.map((r) => r.nearestDeskPhash ?? Infinity)),
      },
      misses_pdq: rs
        .filter((r) => !r.pdqMatch)
        .map((r) => ({ file: r.original, distance: r.pdq, quality: r.quality })),
      false_matches: rs
        .filter((r) => r.falsePdq.length || r.falsePhash.length)
        .map((r) => ({ copy_of: r.original, pdq: r.falsePdq, phash: r.falsePhash })),
    };
  });

  printTable(summary);
  console.log('\nPDQ misses per edit (original: distance, copy PDQ quality):');
  for (const s of summary)
    if (s.misses_pdq.length && s.misses_pdq.length < s.copies)
      console.log(
        `  ${s.transform}: ${s.misses_pdq.map((m) => `${m.file} ${m.distance} (q${m.quality})`).join('; ')}`,
      );
    else if (s.misses_pdq.length) console.log(`  ${s.transform}: all ${s.copies} missed`);
  console.log('\nFalse matches (copy of -> other original, distance):');
  let anyFalse = false;
  for (const s of summary)
    for (const f of s.false_matches) {
      anyFalse = true;
      const list = [
        ...f.pdq.map((x) => `PDQ ${x.file} ${x.distance}`),
        ...f.phash.map((x) => `pHash ${x.file} ${x.distance}`),
      ];
      console.log(`  ${s.transform}: ${f.copy_of} -> ${list.join(', ')}`);
    }
  if (!anyFalse) console.log('  none');
  const closest = (k: 'nearestPdq' | 'nearestPhash') =>
    [...results.entries()]
      .flatMap(([t, rs]) => rs.map((r) => ({ t, r, d: r[k].distance, other: r[k].file })))
      .reduce((a, b) => (b.d < a.d ? b : a));
  const cp = closest('nearestPdq');
  const ch = closest('nearestPhash');
  console.log(
    `  closest any copy came to another original: PDQ ${cp.d} bits (${cp.t} of ${cp.r.original} vs ${cp.other}), pHash ${ch.d} bits (${ch.t} of ${ch.r.original} vs ${ch.other})`,
  );
  console.log(
    '\nDesk photos (pdq/exif-rotn/, 4 shots of one scene): copies matching another shot of the desk',
  );
  for (const s of summary)
    console.log(
      `  ${s.transform.padEnd(11)} PDQ ${s.desk.pdq_match_other_desk_photo}/${s.desk.copies}, pHash ${s.desk.phash_match_other_desk_photo}/${s.desk.copies}; nearest other shot: PDQ ${s.desk.min_pdq_to_other_desk_photo}, pHash ${s.desk.min_phash_to_other_desk_photo}; own recall PDQ ${s.desk.pdq_recall}%`,
    );

  const seconds = Math.round((performance.now() - t0) / 100) / 10;
  const file = writeResult('match', {
    machine: machine(),
    thresholds: { pdq: PDQ_MAX, phash: PHASH_MAX, min_pdq_quality: MIN_QUALITY },
    originals: originals.map((o) => ({
      file: o.file,
      width: o.pixels.width,
      height: o.pixels.height,
      pdq_quality: o.hashes.pdq.quality,
    })),
    set_aside: { same_picture: Object.fromEntries(duplicates), low_quality: lowQuality },
    original_pairs: originalPairs,
    summary,
    // Per copy, compactly: its original, distances to it, PDQ quality, nearest other original.
    copies: Object.fromEntries(
      [...results].map(([t, rs]) => [
        t,
        rs.map((r) => ({
          of: r.original,
          pdq: r.pdq,
          phash: r.phash,
          quality: r.quality,
          nearest_other_pdq: r.nearestPdq.distance,
          nearest_other_phash: r.nearestPhash.distance,
        })),
      ]),
    ),
    seconds,
  });
  console.log(`\n${originals.length * TRANSFORMS.length} copies in ${seconds} s; wrote ${file}`);
}

function printTable(summary: Array<Record<string, unknown>>) {
  const cols: Array<[string, string]> = [
    ['transform', 'edit'],
    ['copies', 'n'],
    ['pdq_recall', 'PDQ recall %'],
    ['pdq_fpr', 'PDQ FPR %'],
    ['phash_recall', 'pHash recall %'],
    ['phash_fpr', 'pHash FPR %'],
    ['service_recall', 'service recall %'],
    ['median_pdq_distance', 'median PDQ d'],
    ['median_phash_distance', 'median pHash d'],
    ['median_nearest_other_pdq', 'nearest other PDQ (median)'],
    ['low_quality_copies', 'copies q<50'],
  ];
  const rows = summary.map((s) => cols.map(([k]) => String(s[k])));
  const widths = cols.map(([, h], i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join(' | ')} |`;
  console.log('\n' + line(cols.map(([, h]) => h)));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const r of rows) console.log(line(r));
}

await main();
