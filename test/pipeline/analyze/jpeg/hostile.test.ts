// Hostile JPEGs (issue 20): wrong table counts, tables of zeros, thousands of segments, truncated scans,
// huge declared sizes, random damage. Each ends with a `jpeg` section that says what could not be read,
// within the event-loop bound (test/helpers/event-loop.ts), and the analysis stage never throws.
import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import t from 'tap';
import { JPEG_PROBLEM_CODES, Jpeg } from '../../../../schemas/jpeg.js';
import { analyzeImage } from '../../../../src/pipeline/analyze/index.js';
import { readJpegSection } from '../../../../src/pipeline/analyze/jpeg/index.js';
import { MAX_SEGMENTS } from '../../../../src/pipeline/analyze/jpeg/structure.js';
import { MAX_STALL_MS, measureStalls, withoutStall } from '../../../helpers/event-loop.js';
import { fixture } from '../../../helpers/images.js';
import { prng } from '../../../helpers/prng.js';

const NO_CAMERA = { cameraExif: false, camera: null };
const read = (b: Buffer) => readJpegSection(b, NO_CAMERA, { doubleCompression: true });
const seg = (marker: number, body: Buffer) => {
  const head = Buffer.alloc(4);
  head[0] = 0xff;
  head[1] = marker;
  head.writeUInt16BE(body.length + 2, 2);
  return Buffer.concat([head, body]);
};
const SOI = Buffer.from([0xff, 0xd8]);
const EOI = Buffer.from([0xff, 0xd9]);
const codes = (j: Jpeg) => j.problems.map((p) => p.code);

let base: Buffer;
t.before(async () => {
  base = await sharp(fixture('exifr/IMG_20180725_163423.jpg'))
    .resize(1024)
    .jpeg({ quality: 80, optimiseCoding: false })
    .toBuffer();
});

/** The segments of `base` with the one at marker `m` replaced by `body` (first one only). */
function replaceSegment(m: number, body: Buffer): Buffer {
  let i = 2;
  while (i < base.length) {
    const marker = base[i + 1] as number;
    const len = base.readUInt16BE(i + 2);
    if (marker === m) return Buffer.concat([base.subarray(0, i), seg(m, body), base.subarray(i + 2 + len)]);
    i += 2 + len;
  }
  throw new Error('no such segment');
}

t.test('wrong table counts and slots', async (t) => {
  const slot = await read(replaceSegment(0xdb, Buffer.concat([Buffer.from([0x05]), Buffer.alloc(64, 1)])));
  t.equal(slot.status, 'partial');
  t.ok(codes(slot).includes('bad_quant_table'), 'slot 5');
  const precision = await read(
    replaceSegment(0xdb, Buffer.concat([Buffer.from([0x30]), Buffer.alloc(64, 1)])),
  );
  t.ok(codes(precision).includes('bad_quant_table'), 'precision 3');
  const short = await read(replaceSegment(0xdb, Buffer.concat([Buffer.from([0x00]), Buffer.alloc(20, 1)])));
  t.ok(codes(short).includes('bad_quant_table'), 'cut short');
  const counts = Buffer.concat([Buffer.from([0x10]), Buffer.alloc(16, 255), Buffer.alloc(10)]);
  t.ok(codes(await read(replaceSegment(0xc4, counts))).includes('bad_huffman_table'), '4,080 Huffman codes');
  const frame = Buffer.from([8, 0, 16, 0, 16, 9]);
  t.ok(codes(await read(replaceSegment(0xc0, frame))).includes('bad_frame'), 'a frame of 9 components');
  const scan = await read(Buffer.concat([SOI, seg(0xda, Buffer.from([0]))]));
  t.equal(scan.status, 'unreadable');
});

t.test('tables of zeros: flagged, and no division by zero anywhere', async (t) => {
  const zeros = Buffer.concat([
    Buffer.from([0x00]),
    Buffer.alloc(64, 0),
    Buffer.from([0x01]),
    Buffer.alloc(64, 0),
  ]);
  const j = await read(replaceSegment(0xdb, zeros));
  t.ok(codes(j).includes('bad_quant_table'));
  t.equal(j.tables, 'custom');
  t.match(j.double_compression, { detected: false });
  t.doesNotThrow(() => JSON.stringify(j));
  t.notOk(JSON.stringify(j).includes('NaN') || JSON.stringify(j).includes('Infinity'));
});

t.test(`thousands of segments stop at ${MAX_SEGMENTS}`, async (t) => {
  const com = seg(0xfe, Buffer.from('x'));
  const many = Buffer.concat([SOI, ...new Array<Buffer>(200_000).fill(com), base.subarray(2)]);
  const j = await withoutStall(t, '200,000 COM segments (1.2 MB)', () => read(many));
  t.same(codes(j), ['too_many_segments']);
  t.equal(j.comments.length, 4, 'four comments kept');
  t.equal(j.segments.length, 40, 'the order list is capped');
});

t.test('truncated scans, and a file cut in its header', async (t) => {
  const cut = base.subarray(0, Math.floor(base.length / 3));
  const j = await withoutStall(t, 'a scan cut at a third', () => read(cut));
  t.equal(j.ends_with_eoi, false);
  t.equal(j.status, 'read', 'the header is whole');
  t.ok(j.double_compression, 'an estimate from the blocks there are, or why not');
  const header = await read(base.subarray(0, 300));
  t.ok(codes(header).includes('truncated'));
  t.ok((await read(Buffer.from([0xff, 0xd8]))).problems.length > 0, 'SOI alone');
  t.equal((await read(Buffer.from('not a jpeg'))).status, 'unreadable');
});

t.test('huge declared sizes are bounded by the block budget, not by the header', async (t) => {
  // 65535 x 65535 declared, then the real scan: the decoder stops at its budget (or refuses the width).
  const patch = (w: number, h: number) => {
    const b = Buffer.from(base);
    const at = b.indexOf(Buffer.from([0xff, 0xc0]));
    b.writeUInt16BE(h, at + 5);
    b.writeUInt16BE(w, at + 7);
    return b;
  };
  const huge = await withoutStall(t, '65535 x 65535 declared', () => read(patch(65535, 65535)));
  t.equal(huge.width, 65535);
  t.match(huge.double_compression, { status: 'not_estimated', caveat: /too wide/ });
  const tall = await withoutStall(t, '1024 x 65535 declared', () => read(patch(1024, 65535)));
  t.equal(tall.height, 65535);
  t.ok(tall.double_compression, 'decoded up to the budget or to the end of the data');
});

t.test('random damage: never throws, always a section, within the bound', async (t) => {
  const seed = Number(process.env.FUZZ_SEED ?? 20);
  const rnd = prng(seed);
  t.comment(`FUZZ_SEED=${seed}`);
  // Each damaged copy is its own piece of work: the bound is on each, as a worker meets them one at a time.
  let worst = 0;
  for (let n = 0; n < 200; n++) {
    const b = Buffer.from(base);
    const hits = 1 + Math.floor(rnd() * 20);
    const span = n % 2 ? Math.min(b.length, 700) : b.length; // the header half the time
    for (let k = 0; k < hits; k++) b[Math.floor(rnd() * span)] = Math.floor(rnd() * 256);
    const { result: j, stalls } = await measureStalls(() => read(b));
    worst = Math.max(worst, stalls.blockMs);
    if (!['read', 'partial', 'unreadable'].includes(j.status)) throw new Error(`status ${j.status}`);
  }
  t.comment(`200 damaged copies: longest block ${worst.toFixed(0)} ms of CPU`);
  t.ok(worst <= MAX_STALL_MS, `no damaged copy held the event loop over ${MAX_STALL_MS} ms`);
  t.pass('200 damaged files read');
});

t.test('the analysis stage keeps going on a hostile JPEG', async (t) => {
  const b = Buffer.concat([
    SOI,
    seg(0xdb, Buffer.alloc(10)),
    seg(0xc0, Buffer.from([8, 255, 255, 255, 255, 3])),
    EOI,
  ]);
  const a = await analyzeImage(b, { mime: 'image/jpeg', format: 'jpeg' }, { maxInputPixels: 50_000_000 });
  t.ok(a.error, `the pixels fail with a code: ${a.error?.code}`);
  t.ok(a.jpeg && a.jpeg.problems.length > 0, 'and the jpeg section says what could not be read');
  const opts = { maxInputPixels: 50_000_000 };
  const probe = { mime: 'image/jpeg', format: 'jpeg' };
  const on = await analyzeImage(base, probe, { ...opts, jpegDoubleCompression: true });
  t.match(on.jpeg?.double_compression, { status: 'estimated' }, 'JPEG_DOUBLE_COMPRESSION=true: estimated');
  t.ok(on.timings_ms.jpeg !== undefined, 'timed');
  // Off unless asked, as the service's default (config.ts): the library must not cost more than a check.
  const byDefault = await analyzeImage(base, probe, opts);
  t.equal(byDefault.jpeg?.double_compression, undefined, 'not estimated by default: the structure only');
  t.equal(byDefault.jpeg?.quality, 80);
  const off = await analyzeImage(base, probe, { ...opts, jpegDoubleCompression: false });
  t.equal(off.jpeg?.double_compression, undefined, 'JPEG_DOUBLE_COMPRESSION=false: the structure only');
  t.equal(off.jpeg?.quality, 80);
});

t.test('every problem code is in the schema and in the README', async (t) => {
  const readme = readFileSync(new URL('../../../../README.md', import.meta.url), 'utf8');
  const schemaCodes = JSON.stringify(Jpeg);
  for (const code of JPEG_PROBLEM_CODES) {
    t.match(readme, `| \`${code}\` |`, code);
    t.ok(schemaCodes.includes(`"${code}"`), `${code} in the schema`);
  }
});
