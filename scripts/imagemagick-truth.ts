// Records ImageMagick's JPEG quality estimate (`identify -format %Q`) for every JPEG under test/fixtures
// into test/fixtures/imagemagick-truth.json, the truth that test/pipeline/analyze/jpeg/quality.test.ts
// compares our estimate with (the tests never need ImageMagick). Also (re)makes test/fixtures/jpeg-quality/:
// small JPEGs saved by sharp (libjpeg-turbo's standard tables) at known qualities and settings, made from a
// fixture photo, so that the truth covers the whole quality range and not only what cameras write.
//
// Needs Debian's ImageMagick 6 (`apt-get install -y imagemagick`); /usr/bin/identify is named explicitly
// because /usr/local/bin may hold other tools of the same name. Run: `npx tsx scripts/imagemagick-truth.ts`.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import sharp from 'sharp';

const FIXTURES = new URL('../test/fixtures/', import.meta.url).pathname;
const IDENTIFY = '/usr/bin/identify';
const SOURCE = 'exif-samples/jpg/gps/DSCN0010.jpg';

/** The generated set: quality, chroma subsampling, progressive, optimized Huffman coding. */
const MADE: Array<{ q: number; sub: '4:2:0' | '4:4:4'; progressive: boolean; optimize: boolean }> = [
  { q: 5, sub: '4:2:0', progressive: false, optimize: false },
  { q: 20, sub: '4:2:0', progressive: false, optimize: false },
  { q: 35, sub: '4:2:0', progressive: false, optimize: true },
  { q: 50, sub: '4:2:0', progressive: false, optimize: false },
  { q: 62, sub: '4:4:4', progressive: false, optimize: false },
  { q: 75, sub: '4:2:0', progressive: true, optimize: true },
  { q: 85, sub: '4:2:0', progressive: false, optimize: true },
  { q: 92, sub: '4:4:4', progressive: true, optimize: true },
  { q: 97, sub: '4:2:0', progressive: false, optimize: false },
  { q: 100, sub: '4:4:4', progressive: false, optimize: false },
];

async function makeFixtures(): Promise<void> {
  const dir = join(FIXTURES, 'jpeg-quality');
  mkdirSync(dir, { recursive: true });
  const small = await sharp(join(FIXTURES, SOURCE)).resize(320).toBuffer();
  for (const m of MADE) {
    const name = `q${m.q}-${m.sub.replaceAll(':', '')}${m.progressive ? '-progressive' : ''}${m.optimize ? '-optimized' : ''}.jpg`;
    const out = await sharp(small)
      .jpeg({
        quality: m.q,
        chromaSubsampling: m.sub,
        progressive: m.progressive,
        optimiseCoding: m.optimize,
      })
      .toBuffer();
    writeFileSync(join(dir, name), out);
  }
  // Greyscale (one component): one quantization table.
  writeFileSync(
    join(dir, 'q80-grey.jpg'),
    await sharp(small).toColourspace('b-w').jpeg({ quality: 80, optimiseCoding: false }).toBuffer(),
  );
}

function jpegs(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) return jpegs(p);
      return /\.jpe?g$/i.test(name) ? [p] : [];
    });
}

await makeFixtures();
const truth: Record<string, number | null> = {};
for (const file of jpegs(FIXTURES)) {
  const rel = relative(FIXTURES, file);
  try {
    const out = execFileSync(IDENTIFY, ['-format', '%Q\n', `${file}[0]`], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const q = Number.parseInt(out.split('\n')[0] ?? '', 10);
    truth[rel] = Number.isFinite(q) ? q : null;
  } catch {
    truth[rel] = null; // ImageMagick could not read it
  }
}
writeFileSync(join(FIXTURES, 'imagemagick-truth.json'), `${JSON.stringify(truth, null, 2)}\n`);
const version = execFileSync(IDENTIFY, ['-version'], { encoding: 'utf8' }).split('\n')[0];
console.log(`${Object.keys(truth).length} JPEGs read by ${version}`);
