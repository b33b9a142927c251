import { readFileSync } from 'node:fs';
import { crc32, deflateSync } from 'node:zlib';
import sharp from 'sharp';
import t, { type Test } from 'tap';
import { Value } from 'typebox/value';
import { DecodeInfo } from '../../../schemas/hashes.js';
import { isMediaError } from '../../../src/errors.js';
import {
  configureHeicDecode,
  decodeForHashing,
  decodeInfo,
  exifOrientation,
  hashDecodeSide,
  heicDecodeStats,
  stopHeicThread,
  type DecodeOptions,
} from '../../../src/pipeline/analyze/decode.js';
import { hammingHex } from '../../../src/similarity/hamming.js';
import { computeHashes } from '../../../src/pipeline/analyze/hashes.js';
import { pdqFromRgb } from '../../../src/pipeline/analyze/pdq.js';
import { cpuMs } from '../../helpers/cpu.js';

const FIXTURES = new URL('../../fixtures/', import.meta.url);
const fixture = (name: string) => readFileSync(new URL(name, FIXTURES));
const OPTS: DecodeOptions = { maxPixels: 100_000_000 };

interface PdqTruth {
  pdq: string;
  oriented?: PdqTruth;
}
const pdqTruth = (
  JSON.parse(readFileSync(new URL('pdq-truth.json', FIXTURES), 'utf8')) as {
    images: Record<string, PdqTruth>;
  }
).images;
const truthPdq = (name: string) => {
  const e = pdqTruth[name] as PdqTruth;
  return (e.oriented ?? e).pdq;
};

/** The MediaError code a decode fails with ('decoded' when it does not fail). */
async function failure(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'decoded';
  } catch (err) {
    return isMediaError(err) ? err.code : `not a MediaError: ${String(err)}`;
  }
}

t.test('zero bytes: empty_file', async (t) => {
  t.equal(await failure(decodeForHashing(Buffer.alloc(0), OPTS)), 'empty_file', 'empty buffer');
});

t.test('truncated JPEG: image_truncated', async (t) => {
  const jpeg = fixture('pdq/dih/bridge-1-original.jpg');
  t.equal(
    await failure(decodeForHashing(jpeg.subarray(0, jpeg.length >> 1), OPTS)),
    'image_truncated',
    'half a JPEG',
  );
  t.equal(
    await failure(decodeForHashing(jpeg.subarray(0, 2000), OPTS)),
    'image_truncated',
    'JPEG headers only',
  );
  const png = fixture('pdq/modes/P.png');
  t.equal(
    await failure(decodeForHashing(png.subarray(0, png.length >> 1), OPTS)),
    'image_truncated',
    'half a PNG',
  );
});

t.test('undecodable and unsupported input', async (t) => {
  t.equal(
    await failure(decodeForHashing(Buffer.from('not an image, just words'), OPTS)),
    'decode_failed',
    'text',
  );
  const svg = Buffer.from(
    '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>',
  );
  t.equal(await failure(decodeForHashing(svg, OPTS)), 'unsupported_format', 'SVG');
});

// A PNG whose IHDR declares 40000x40000 RGB (4.8 GB of pixels) followed by a token IDAT: it must be refused
// from the header, before the decoder allocates anything.
function hugePng(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8 bits, RGB, deflate, adaptive filtering, no interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.alloc(64))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

t.test('a PNG declaring 40000x40000: too_many_pixels, without allocating', async (t) => {
  const before = process.memoryUsage().rss;
  const { value: code, ms } = await cpuMs(() => failure(decodeForHashing(hugePng(40000, 40000), OPTS)));
  t.equal(code, 'too_many_pixels', '40000x40000 PNG');
  const grown = (process.memoryUsage().rss - before) / 2 ** 20;
  t.ok(ms < 2000, `refused after ${ms.toFixed(0)} ms of CPU`);
  t.ok(grown < 100, `RSS grew by ${grown.toFixed(0)} MB`);
  // The limit is the caller's.
  t.equal(
    await failure(decodeForHashing(hugePng(300, 200), { maxPixels: 50_000 })),
    'too_many_pixels',
    '300x200, limit 50k',
  );
});

t.test('a 1x1 image decodes and hashes (degenerate)', async (t) => {
  const d = await decodeForHashing(fixture('exifr/png/png_with_exif_and_gps.png'), OPTS);
  t.match(d, {
    width: 1,
    height: 1,
    sourceWidth: 1,
    sourceHeight: 1,
    decoder: 'sharp',
    firstFrameOnly: false,
  });
  t.equal(d.data.length, 3);
  const h = computeHashes(d);
  t.equal(h.pdq.quality, 0);
  t.equal(h.pdq.hash, '0'.repeat(64));
});

t.test('shrink on load: long side 1024, never enlarged, 3 channels', async (t) => {
  const bridge = await decodeForHashing(fixture('pdq/dih/bridge-1-original.jpg'), OPTS);
  t.match(bridge, { width: 1024, height: 643, sourceWidth: 1600, sourceHeight: 1004 });
  t.equal(bridge.data.length, bridge.width * bridge.height * 3);
  // A 12 MP JPEG is read at libjpeg's 1/4 scale (1008 px) and hashed at long side / 5.
  const big = await decodeForHashing(fixture('pdq/exif-rotn/exif-rotn-1.jpg'), OPTS);
  t.match(big, { width: 806, height: 605, sourceWidth: 4032, sourceHeight: 3024 });
  t.equal(big.data.length, big.width * big.height * 3);
  const png = await decodeForHashing(
    await sharp(fixture('pdq/exif-rotn/exif-rotn-1.jpg'))
      .resize(4032, 3024)
      .png({ compressionLevel: 0 })
      .toBuffer(),
    OPTS,
  );
  t.match(png, { width: 1024, height: 768 }, 'other formats: 1024 px');
  const small = await decodeForHashing(fixture('pdq/misc/wee.jpg'), OPTS);
  t.match(small, { width: 34, height: 42 });
  const full = await decodeForHashing(fixture('pdq/dih/bridge-1-original.jpg'), {
    ...OPTS,
    maxSide: Infinity,
  });
  t.match(full, { width: 1600, height: 1004 });
});

t.test('JPEG hash side: the coarsest libjpeg scale that keeps 800 px', async (t) => {
  t.equal(hashDecodeSide('jpeg', 1600, 1004), 1024, 'small: as any format');
  t.equal(hashDecodeSide('jpeg', 2272, 1704), 1024, '1/2 would leave 757 px: full decode, 1024 px');
  t.equal(hashDecodeSide('jpeg', 2700, 1800), 900, '1/2 scale, long side / 3');
  t.equal(hashDecodeSide('jpeg', 3264, 2448), 1024, '1/2 scale, at most 1024 px');
  t.equal(hashDecodeSide('jpeg', 3024, 4032), 806, '1/4 scale, long side / 5');
  t.equal(hashDecodeSide('jpeg', 6000, 4000), 1024, '1/4 scale, at most 1024 px');
  t.equal(hashDecodeSide('jpeg', 8000, 6000), 888, '1/8 scale, long side / 9');
  t.equal(hashDecodeSide('png', 8000, 6000), 1024, 'not JPEG: 1024 px');
});

t.test('EXIF orientation is applied, and can be left out', async (t) => {
  const upright = await decodeForHashing(fixture('exif-samples/jpg/orientation/landscape_1.jpg'), OPTS);
  const reference = pdqFromRgb(upright.data, upright.width, upright.height).hash;
  for (let n = 1; n <= 8; n++) {
    const bytes = fixture(`exif-samples/jpg/orientation/landscape_${n}.jpg`);
    const d = await decodeForHashing(bytes, OPTS);
    t.match(d, { orientation: n, rotatedForHashing: n !== 1, width: 600, height: 450 }, `landscape_${n}`);
    const bits = hammingHex(pdqFromRgb(d.data, d.width, d.height).hash, reference);
    t.ok(bits <= 16, `landscape_${n}: ${bits} bits from landscape_1 once oriented`);
    const stored = await decodeForHashing(bytes, { ...OPTS, applyOrientation: false });
    t.match(stored, { rotatedForHashing: false, width: n >= 5 ? 450 : 600 }, `landscape_${n} as stored`);
  }
});

t.test('animated GIF: the first frame is hashed, and flagged', async (t) => {
  const w = 128;
  const h = 96;
  const frame = (invert: boolean) => {
    const rgb = Buffer.alloc(w * h * 3);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const v = Math.round(127 + 60 * Math.sin(x / 7) + 50 * Math.cos(y / 5 + x / 31));
        rgb.fill(invert ? 255 - v : v, (y * w + x) * 3, (y * w + x) * 3 + 3);
      }
    }
    return sharp(rgb, { raw: { width: w, height: h, channels: 3 } })
      .png()
      .toBuffer();
  };
  const [first, second] = await Promise.all([frame(false), frame(true)]);
  const gif = await sharp([first, second, first], { join: { animated: true } })
    .gif()
    .toBuffer();
  const d = await decodeForHashing(gif, OPTS);
  t.match(d, { format: 'gif', firstFrameOnly: true, width: w, height: h, sourceHeight: h, decoder: 'sharp' });
  t.equal(decodeInfo(d).first_frame_only, true);
  const ours = pdqFromRgb(d.data, d.width, d.height).hash;
  const pdqOf = async (png: Buffer) => {
    const f = await decodeForHashing(png, OPTS);
    return pdqFromRgb(f.data, f.width, f.height).hash;
  };
  const toFirst = hammingHex(ours, await pdqOf(first));
  const toSecond = hammingHex(ours, await pdqOf(second));
  t.ok(toFirst <= 8, `${toFirst} bits from the first frame`);
  t.ok(toSecond > 128, `${toSecond} bits from the second (inverted) frame`);
  const still = await decodeForHashing(first, OPTS);
  t.equal(still.firstFrameOnly, false, 'a still image is not flagged');
});

t.test('HEVC HEIC goes through heic-decode, oriented once', async (t) => {
  const cases = [
    // EXIF says 6, but the container's irot already turned the pixels: portrait, not rotated again.
    { name: 'exif-samples/heic/mobile/iphone_13_pro_max.HEIC', orientation: 6, size: [3024, 4032] },
    { name: 'exif-samples/heic/IMG_5195.HEIC', orientation: null, size: [2566, 3313] },
    { name: 'exifr/heic-iphone7.heic', orientation: 1, size: [4032, 3024] },
  ];
  for (const c of cases) {
    const d = await decodeForHashing(fixture(c.name), OPTS);
    t.match(
      d,
      {
        decoder: 'heic-decode',
        format: 'heif',
        orientation: c.orientation,
        rotatedForHashing: false,
        sourceWidth: c.size[0],
        sourceHeight: c.size[1],
      },
      c.name,
    );
    t.equal(
      d.width > d.height,
      (c.size[0] as number) > (c.size[1] as number),
      `${c.name}: same aspect as the container`,
    );
    const bits = hammingHex(pdqFromRgb(d.data, d.width, d.height).hash, truthPdq(c.name));
    t.ok(bits <= 12, `${c.name}: PDQ ${bits} bits from the reference (measured 2-12)`);
  }
});

// ---------------------------------------------------------------------------------------------
// heic-decode runs in a worker thread (heic-thread.ts): bounded, and never blocking the event loop.

/** 2566x3313 (8.5 MP), the smallest HEVC HEIC of the fixtures. */
const HEIC = 'exif-samples/heic/IMG_5195.HEIC';

/**
 * The decode's outcome and the share of its wall time the event loop was busy (Node's event-loop utilization):
 * near 1 when the decode holds the loop, low when it runs in a thread, on a quiet or a loaded machine alike,
 * where the longest gap between timer ticks grows with the machine's load and says little.
 */
async function withLoopUse<T>(fn: () => Promise<T>): Promise<{ result: T; utilization: number }> {
  const before = performance.eventLoopUtilization();
  const result = await fn();
  return { result, utilization: performance.eventLoopUtilization(before).utilization };
}

/** Flips the payload of the HEVC parameter sets of the given NAL type in every hvcC box (lengths kept). */
function corruptParameterSets(heic: Buffer, nalType: number): Buffer {
  const out = Buffer.from(heic);
  let flipped = 0;
  for (let box = out.indexOf('hvcC', 0, 'latin1'); box >= 0; box = out.indexOf('hvcC', box + 4, 'latin1')) {
    let at = box + 4 + 22; // after the box type, the 22 bytes of HEVCDecoderConfigurationRecord
    const arrays = out[at++] as number;
    for (let a = 0; a < arrays; a++) {
      const type = (out[at++] as number) & 0x3f;
      const count = out.readUInt16BE(at);
      at += 2;
      for (let n = 0; n < count; n++) {
        const length = out.readUInt16BE(at);
        at += 2;
        if (type === nalType) {
          for (let i = at + 2; i < at + length; i++) out[i] = (out[i] as number) ^ 0xff; // NAL header kept
          flipped++;
        }
        at += length;
      }
    }
  }
  if (flipped === 0) throw new Error(`no NAL unit of type ${nalType} in an hvcC box`);
  return out;
}

t.test('HEIC decodes off the main thread: the event loop keeps ticking', async (t) => {
  const { result, utilization } = await withLoopUse(() => decodeForHashing(fixture(HEIC), OPTS));
  t.match(result, { decoder: 'heic-decode', sourceWidth: 2566, sourceHeight: 3313 });
  t.equal(heicDecodeStats().threadRunning, true, 'the thread is kept for the next decode (~70 MB of wasm)');
  // On the main thread the same decode held the loop for 1 s or more: a utilization near 1.
  t.ok(utilization < 0.5, `the event loop was busy ${(utilization * 100).toFixed(0)}% of the decode`);
});

t.test('a corrupt HEIC: a MediaError, nothing printed, and the next one is decoded', async (t) => {
  const heic = fixture(HEIC);
  const printed: unknown[][] = [];
  const saved = { log: console.log, error: console.error, warn: console.warn, info: console.info };
  const spy = (...args: unknown[]) => void printed.push(args);
  Object.assign(console, { log: spy, error: spy, warn: spy, info: spy });
  let err: unknown;
  try {
    // A broken SPS (its bytes flipped): the container reads fine, libheif's HEVC decoder gives up.
    await decodeForHashing(corruptParameterSets(heic, 33), OPTS);
  } catch (e) {
    err = e;
  } finally {
    Object.assign(console, saved);
  }
  t.ok(isMediaError(err), 'a MediaError');
  t.match(err, {
    code: 'decode_failed',
    message: /^HEIC could not be decoded \(HEIF processing error; .*Decoder plugin generated an error/,
  });
  t.same(printed, [], "libheif's console output stays in the thread (its message is in the error)");

  // Bytes flipped in the middle of the coded data: libde265 conceals the damage (a garbled picture,
  // measured) or fails; either way an answer from a new thread, not a crash.
  const flipped = Buffer.from(heic);
  for (let i = heic.length >> 1; i < (heic.length >> 1) + 4096; i++)
    flipped[i] = (flipped[i] as number) ^ 0xff;
  const outcome = await failure(decodeForHashing(flipped, OPTS));
  t.ok(['decoded', 'decode_failed', 'image_truncated'].includes(outcome), `middle bytes flipped: ${outcome}`);
});

/** A request that a working thread answers quickly: libheif parses the file, then fails on its SPS. */
async function probeNewThread(t: Test) {
  const started = heicDecodeStats().threadsStarted;
  t.match(
    await decodeForHashing(corruptParameterSets(fixture(HEIC), 33), OPTS).catch((err: unknown) => err),
    { code: 'decode_failed', message: /HEIF processing error/ },
    'a new thread answers the next request',
  );
  t.equal(heicDecodeStats().threadsStarted, started + 1, 'a new thread');
}

t.test('a HEIC decode over the time limit: decode_failed, and the thread is replaced', async (t) => {
  const before = heicDecodeStats();
  configureHeicDecode({ timeoutMs: 50 });
  let err: unknown;
  try {
    await decodeForHashing(fixture(HEIC), OPTS);
  } catch (e) {
    err = e;
  } finally {
    configureHeicDecode();
  }
  t.match(err, { code: 'decode_failed', message: 'HEIC decode took too long' });
  t.equal(heicDecodeStats().timeouts, before.timeouts + 1);
  t.equal(heicDecodeStats().threadRunning, false, 'the thread was ended');
  await probeNewThread(t);
});

t.test('a crash in the thread is a MediaError, not an uncaught exception', async (t) => {
  await stopHeicThread();
  // A V8 heap too small to load libheif: the thread dies of ERR_WORKER_OUT_OF_MEMORY.
  configureHeicDecode({ maxOldGenerationSizeMb: 1 });
  const before = heicDecodeStats();
  let err: unknown;
  try {
    await decodeForHashing(fixture(HEIC), OPTS);
  } catch (e) {
    err = e;
  } finally {
    configureHeicDecode();
  }
  t.ok(isMediaError(err), 'a MediaError');
  t.match(err, { code: 'decode_failed', message: /^HEIC could not be decoded \(the HEIC decoder/ });
  t.equal(heicDecodeStats().crashes, before.crashes + 1);
  await probeNewThread(t);
});

t.test('the HEIC thread is reused, and replaced once its wasm memory is large', async (t) => {
  await stopHeicThread();
  const first = heicDecodeStats();
  configureHeicDecode({ maxWasmMb: 32 });
  try {
    // Two at once: they take turns on one thread, kept while the second waits, ended after it.
    const both = await Promise.all([
      decodeForHashing(fixture(HEIC), OPTS),
      decodeForHashing(fixture(HEIC), OPTS),
    ]);
    t.same(
      both.map((d) => d.decoder),
      ['heic-decode', 'heic-decode'],
    );
  } finally {
    configureHeicDecode();
  }
  const after = heicDecodeStats();
  t.equal(after.decodes, first.decodes + 2);
  t.equal(after.threadsStarted, first.threadsStarted + 1, 'one thread for both decodes');
  t.equal(after.threadRunning, false, 'ended after the last one left its wasm memory above 32 MB');
});

t.test('HEIC with more pixels than allowed: refused before the thread decodes', async (t) => {
  const before = heicDecodeStats().decodes;
  t.equal(
    await failure(decodeForHashing(fixture(HEIC), { maxPixels: 5_000_000 })),
    'too_many_pixels',
    '2566x3313 with a 5 MP limit',
  );
  t.equal(heicDecodeStats().decodes, before, 'no decode');
});

t.test('AVIF decodes with sharp', async (t) => {
  const name = 'exifr/avif/Irvine_CA.avif';
  const d = await decodeForHashing(fixture(name), OPTS);
  t.match(d, { decoder: 'sharp', format: 'heif', width: 480, height: 640, rotatedForHashing: false });
  const bits = hammingHex(pdqFromRgb(d.data, d.width, d.height).hash, truthPdq(name));
  t.ok(bits <= 12, `PDQ ${bits} bits from the reference (measured 4)`);
});

t.test('CMYK, palette, alpha and 1-bit images', async (t) => {
  // The bridge photo saved by Pillow in other modes. CMYK: libvips converts through its built-in CMYK
  // profile, the reference's ImageMagick with the naive formula, hence the larger distance (measured 12).
  const measured: Record<string, number> = {
    'pdq/modes/CMYK.jpg': 12,
    'pdq/modes/1.png': 8,
    'pdq/modes/LA.png': 4,
    'pdq/modes/P.png': 4,
    'pdq/modes/PA.webp': 4,
  };
  for (const [name, was] of Object.entries(measured)) {
    const d = await decodeForHashing(fixture(name), OPTS);
    t.match(d, { width: 1024, height: 643, decoder: 'sharp' }, name);
    t.equal(d.data.length, d.width * d.height * 3, `${name}: RGB`);
    const bits = hammingHex(pdqFromRgb(d.data, d.width, d.height).hash, truthPdq(name));
    t.ok(bits <= 12, `${name}: PDQ ${bits} bits from the reference (measured ${was})`);
  }
});

t.test('decodeInfo fits the DecodeInfo schema', async (t) => {
  const d = await decodeForHashing(fixture('exif-samples/jpg/orientation/landscape_6.jpg'), OPTS);
  const info = decodeInfo(d);
  t.same(info, {
    orientation: 6,
    rotated_for_hashing: true,
    decoder: 'sharp',
    first_frame_only: false,
    hashed_width: 600,
    hashed_height: 450,
  });
  t.ok(Value.Check(DecodeInfo, info));
  t.notOk(Value.Check(DecodeInfo, { ...info, extra: 1 }), 'additional properties are refused');
});

t.test('exifOrientation reads IFD0 in either byte order', async (t) => {
  const tiff = (le: boolean, value: number) => {
    const b = Buffer.alloc(8 + 2 + 12 + 4);
    b.write(le ? 'II' : 'MM', 0, 'latin1');
    const u16 = (v: number, at: number) => (le ? b.writeUInt16LE(v, at) : b.writeUInt16BE(v, at));
    const u32 = (v: number, at: number) => (le ? b.writeUInt32LE(v, at) : b.writeUInt32BE(v, at));
    u16(42, 2);
    u32(8, 4);
    u16(1, 8); // one entry
    u16(0x0112, 10);
    u16(3, 12); // SHORT
    u32(1, 14);
    u16(value, 18);
    return b;
  };
  t.equal(exifOrientation(tiff(true, 6)), 6);
  t.equal(exifOrientation(tiff(false, 8)), 8);
  t.equal(exifOrientation(Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiff(false, 3)])), 3);
  t.equal(exifOrientation(tiff(true, 9)), null, 'out of range');
  t.equal(exifOrientation(Buffer.from('garbage')), null);
  t.equal(exifOrientation(undefined), null);
});
