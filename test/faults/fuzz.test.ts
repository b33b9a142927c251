// Random mutations of real fixtures through the metadata reader, the C2PA reader and the whole image
// analysis, for a bounded time. Seeded and reproducible: the seed is printed, and
// `FUZZ_SEED=<seed> npx tap test/faults/fuzz.test.ts` replays the same inputs in the same order (a
// longer FUZZ_MS only adds inputs after them). A failing input is written to a temporary file whose path
// is in the failure message. Every reader promises never to throw; this holds them to it, and to time.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { Value } from 'typebox/value';
import { ContentCredentials } from '../../schemas/c2pa.js';
import { Metadata } from '../../schemas/metadata.js';
import { isMediaError } from '../../src/errors.js';
import { readContentCredentials } from '../../src/pipeline/analyze/c2pa.js';
import { stopHeicThread } from '../../src/pipeline/analyze/decode.js';
import { analyzeImage } from '../../src/pipeline/analyze/index.js';
import { readMetadata } from '../../src/pipeline/analyze/metadata.js';
import { probeMedia } from '../../src/pipeline/probe.js';
import { fixture } from '../helpers/images.js';
import { prng } from '../helpers/prng.js';

const SEED = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
/** Total time over the three targets; `npm run test:faults` sets a longer one. */
const BUDGET_MS = Number(process.env.FUZZ_MS ?? 15_000);
const MAX_PIXELS = 100_000_000;

t.comment(`fuzz seed ${SEED} (replay with FUZZ_SEED=${SEED}), budget ${BUDGET_MS} ms`);
t.teardown(() => stopHeicThread());

const INTERESTING = [0, 1, 0x7f, 0x80, 0xff, 0x7fff, 0xffff, 0x7fffffff, 0x80000000, 0xffffffff];

/**
 * One mutation of `input`, aimed at `[from, to)` (where the metadata or the manifest store lives):
 * byte flips, boundary integers written over lengths and offsets, cuts, and repeated or dropped slices.
 */
function mutate(input: Buffer, from: number, to: number, rnd: () => number): Buffer {
  const at = () => from + Math.floor(rnd() * Math.max(1, Math.min(to, input.length) - from));
  const b = Buffer.from(input);
  switch (Math.floor(rnd() * 6)) {
    case 0: {
      for (let k = 1 + Math.floor(rnd() * 16); k > 0; k--) b[at()] = Math.floor(rnd() * 256);
      return b;
    }
    case 1: {
      const p = Math.min(at(), b.length - 4);
      const v = INTERESTING[Math.floor(rnd() * INTERESTING.length)] as number;
      if (p < 0) return b;
      if (rnd() < 0.5) b.writeUInt32BE(v >>> 0, p);
      else b.writeUInt32LE(v >>> 0, p);
      return b;
    }
    case 2:
      return b.subarray(0, at());
    case 3: {
      const p = at();
      const len = Math.floor(rnd() * 512);
      return Buffer.concat([b.subarray(0, p), b.subarray(p, p + len), b.subarray(p)]);
    }
    case 4: {
      const p = at();
      return Buffer.concat([b.subarray(0, p), b.subarray(p + 1 + Math.floor(rnd() * 512))]);
    }
    default: {
      const p = at();
      const v = INTERESTING[Math.floor(rnd() * INTERESTING.length)] as number;
      if (p + 2 <= b.length) b.writeUInt16BE(v & 0xffff, p);
      return b;
    }
  }
}

let saved: string | null = null;
function keep(name: string, bytes: Buffer): string {
  saved ??= mkdtempSync(join(tmpdir(), 'firstseen-fuzz-'));
  const file = join(saved, name);
  writeFileSync(file, bytes);
  return file;
}

/** A call without an answer after this many times its CPU bound, in wall time, is a hang. */
const HANG_FACTOR = 8;

/** Runs `fn` on mutations of each input until the time share is spent; reports only failures. */
async function fuzz(
  t: Test,
  name: string,
  shareMs: number,
  inputs: Array<{ path: string; region: [number, number] }>,
  perCallMs: number,
  fn: (bytes: Buffer, path: string) => Promise<string | null>,
) {
  const rnd = prng(SEED ^ [...name].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7));
  const files = inputs.map((i) => ({ ...i, bytes: fixture(i.path) }));
  const end = performance.now() + shareMs;
  let runs = 0;
  let failures = 0;
  let slowest = 0;
  while (performance.now() < end && failures < 5) {
    const f = files[runs % files.length] as (typeof files)[number];
    const [from, to] = f.region;
    let bytes = mutate(f.bytes, from, to, rnd);
    if (rnd() < 0.3) bytes = mutate(bytes, from, to, rnd); // sometimes two at once
    // Slowness is judged on the CPU the call used (all the process's threads): a loaded machine stretches
    // wall time, not work. A call that gives no answer at all, working or waiting, is a hang after HANG_FACTOR
    // times the bound in wall time.
    const cpuBefore = process.cpuUsage();
    let problem: string | null;
    try {
      problem = await Promise.race([
        fn(bytes, f.path),
        new Promise<string>((r) =>
          setTimeout(
            () => r(`no answer within ${perCallMs * HANG_FACTOR} ms`),
            perCallMs * HANG_FACTOR,
          ).unref(),
        ),
      ]);
    } catch (err) {
      problem = `threw ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`;
    }
    const used = process.cpuUsage(cpuBefore);
    const ms = (used.user + used.system) / 1000;
    slowest = Math.max(slowest, ms);
    if (!problem && ms > perCallMs) problem = `took ${Math.round(ms)} ms of CPU (bound ${perCallMs} ms)`;
    if (problem) {
      failures++;
      const file = keep(`${name}-${runs}-${f.path.replace(/\W+/g, '_')}`, bytes);
      t.fail(`${name} #${runs} of ${f.path} (seed ${SEED}): ${problem}; input saved at ${file}`);
    }
    runs++;
  }
  t.ok(runs >= files.length, `${name}: ${runs} mutated inputs, slowest ${Math.round(slowest)} ms of CPU`);
  t.equal(failures, 0, `${name}: no throw, no hang, every answer fits its schema`);
}

const metadataInputs = [
  'exifr/iptc-agency-photographer-example.jpg',
  'exifr/door-knocker.jpg',
  'exif-samples/jpg/gps/DSCN0010.jpg',
  'c2pa/test_xmp.webp',
  'exifr/png/png_with_exif_and_gps.png',
  'exifr/avif/Irvine_CA.avif',
  'exifr/tif-with-iptc-icc-xmp.tif',
  'exifr/heic-iphone7.heic',
].map((path) => ({ path, region: [0, 65_536] as [number, number] }));

const FORMAT: Record<string, string> = {
  jpg: 'jpeg',
  webp: 'webp',
  png: 'png',
  avif: 'avif',
  tif: 'tiff',
  heic: 'heic',
};
const formatOf = (path: string) => FORMAT[path.split('.').pop() as string] as string;

t.test('metadata reader', async (t) => {
  await fuzz(t, 'metadata', BUDGET_MS * 0.35, metadataInputs, 2000, async (bytes, path) => {
    const { metadata } = await readMetadata(bytes, formatOf(path));
    return Value.Check(Metadata, metadata)
      ? null
      : `does not fit the schema: ${JSON.stringify([...Value.Errors(Metadata, metadata)].slice(0, 2))}`;
  });
});

/** Where the manifest store sits in each C2PA fixture (APP11 segments, the caBX chunk, the C2PA box). */
function storeRegion(bytes: Buffer): [number, number] {
  const at = bytes.indexOf('jumb', 0, 'latin1');
  return at < 0 ? [0, bytes.length] : [Math.max(0, at - 16), Math.min(bytes.length, at + 40_000)];
}

t.test('C2PA reader', async (t) => {
  const inputs = [
    'c2pa/CA.jpg',
    'c2pa/sample1.png',
    'c2pa/mars.webp',
    'c2pa/C_with_CAWG_data.jpg',
    'c2pa/ocsp.jpg',
  ].map((path) => ({ path, region: storeRegion(fixture(path)) }));
  const MIME: Record<string, string> = { jpeg: 'image/jpeg', png: 'image/png', webp: 'image/webp' };
  await fuzz(t, 'c2pa', BUDGET_MS * 0.35, inputs, 5000, async (bytes, path) => {
    const cc = await readContentCredentials(bytes, MIME[formatOf(path)] as string);
    return Value.Check(ContentCredentials, cc)
      ? null
      : `does not fit the schema: ${JSON.stringify([...Value.Errors(ContentCredentials, cc)].slice(0, 2))}`;
  });
});

t.test('the whole analysis (probe, decode, hashes, metadata, C2PA, thumbnail)', async (t) => {
  const inputs = [
    'exif-samples/jpg/gps/DSCN0010.jpg', // with an EXIF thumbnail
    'c2pa/CA.jpg',
    'exifr/png/png_with_exif_and_gps.png',
    'c2pa/test_xmp.webp',
    'pdq/misc/small.jpg',
  ].map((path) => ({ path, region: [0, 65_536] as [number, number] }));
  await fuzz(t, 'analyze', BUDGET_MS * 0.3, inputs, 10_000, async (bytes) => {
    let probe;
    try {
      probe = await probeMedia(bytes, null, MAX_PIXELS);
    } catch (err) {
      return isMediaError(err) ? null : `probe threw ${String(err)}`; // a clear code is the right answer
    }
    if (probe.kind !== 'image') return null;
    // Every reader, the double-compression estimate too (off by default, JPEG_DOUBLE_COMPRESSION).
    const a = await analyzeImage(bytes, probe, { maxInputPixels: MAX_PIXELS, jpegDoubleCompression: true });
    if (a.error && !isMediaError(a.error)) return `an error without a code: ${String(a.error)}`;
    if (!a.error && !a.hashes) return 'neither hashes nor an error';
    if (!Value.Check(Metadata, a.metadata)) return 'metadata does not fit the schema';
    if (!Value.Check(ContentCredentials, a.content_credentials)) return 'credentials do not fit the schema';
    return null;
  });
});
