// A record's stored gzip member made by hand (src/archive/warc-recorder.ts, storedGzip): zlib reads it back
// as the parts joined, whatever their sizes and wherever the 64 KB deflate blocks cut them. And which
// bodies get one (gzipLevel).
import { randomBytes } from 'node:crypto';
import { constants, gunzipSync } from 'node:zlib';
import t from 'tap';
import { gzipLevel, storedGzip } from '../../src/archive/warc-recorder.js';

t.test('parts of any size, across block boundaries: one gzip member holding them joined', async (t) => {
  const cases: [string, Buffer[]][] = [
    ['nothing', []],
    ['an empty part', [Buffer.alloc(0)]],
    ['a few bytes', [Buffer.from('WARC/1.1\r\n'), Buffer.from('\r\n')]],
    ['exactly one block', [randomBytes(65_535)]],
    ['one byte more', [randomBytes(65_535), randomBytes(1)]],
    [
      'a record: headers, an empty head, a body of several blocks, the end',
      [randomBytes(300), Buffer.from('\r\n'), Buffer.alloc(0), randomBytes(200_001), Buffer.from('\r\n\r\n')],
    ],
  ];
  for (const [name, parts] of cases) {
    const member = Buffer.concat(storedGzip(parts));
    const joined = Buffer.concat(parts);
    t.ok(gunzipSync(member).equals(joined), name);
    // Stored: 10 bytes of header, 5 per block of at most 65,535 bytes, 8 of trailer.
    t.equal(member.length, 18 + joined.length + 5 * Math.max(1, Math.ceil(joined.length / 65_535)), name);
  }
});

t.test('bytes in shared memory (as downloads are read) are framed where they are', async (t) => {
  const body = Buffer.from(new SharedArrayBuffer(100_000));
  randomBytes(100_000).copy(body);
  const pieces = storedGzip([Buffer.from('head\r\n'), body]);
  t.ok(
    pieces.some((p) => p.buffer === body.buffer),
    'slices of the body itself, not a copy',
  );
  t.ok(gunzipSync(Buffer.concat(pieces)).equals(Buffer.concat([Buffer.from('head\r\n'), body])));
});

t.test('which bodies are deflated: by their format, else by a sample', async (t) => {
  const zeros = (n: number) => Buffer.alloc(n);
  const signed = (head: string | number[], n = 100_000) => {
    const b = zeros(n); // compresses to nothing: only the signature says "stored"
    Buffer.from(head as string).copy(b);
    return b;
  };
  const riff = Buffer.concat([Buffer.from('RIFF'), zeros(4), Buffer.from('WEBP')]);
  t.equal(gzipLevel(signed([0xff, 0xd8, 0xff, 0xe0])), constants.Z_NO_COMPRESSION, 'JPEG: stored');
  t.equal(gzipLevel(signed([...riff])), constants.Z_NO_COMPRESSION, 'WebP: stored');
  t.equal(gzipLevel(signed('\0\0\0\x18ftypmp42')), constants.Z_NO_COMPRESSION, 'MP4: stored');
  t.equal(gzipLevel(signed('\x89PNG\r\n\x1a\n')), constants.Z_BEST_SPEED, 'a PNG that compresses: deflated');
  t.equal(gzipLevel(zeros(100_000)), constants.Z_BEST_SPEED, 'anything else that compresses: deflated');
  t.equal(gzipLevel(randomBytes(100_000)), constants.Z_NO_COMPRESSION, 'anything that does not: stored');
  t.equal(gzipLevel(signed([0xff, 0xd8, 0xff], 1000)), constants.Z_BEST_SPEED, 'small bodies: deflated');
  t.equal(gzipLevel(null), constants.Z_BEST_SPEED, 'headers only: deflated');
});
