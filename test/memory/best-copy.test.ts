// Ranking copies of one picture as a fact-checker would: the whole picture over a framed or cropped one
// whatever its size, then pixels, camera metadata, JPEG quality, the earliest sighting; and the copy
// facts a media record keeps, read back as written.
import t from 'tap';
import type { CopyFacts } from '../../schemas/best-copy.js';
import { bestCopyOf, bestCopySignal, compareCopies } from '../../src/memory/best-copy.js';
import { decodeCopy, encodeCopy } from '../../src/memory/media-store.js';

const copy = (over: Partial<CopyFacts>): CopyFacts => ({
  this: false,
  sha256: 'a'.repeat(64),
  width: 1000,
  height: 750,
  jpeg_quality: 85,
  camera_exif: false,
  camera: null,
  captured_at: null,
  framing: 'whole',
  first_seen_at: '2022-01-04T10:00:00.000Z',
  first_seen_url: 'https://example.org/a.jpg',
  ...over,
});

t.test('the order of the criteria', async (t) => {
  const big = copy({ sha256: 'b'.repeat(64), width: 4000, height: 3000 });
  t.ok(
    compareCopies(copy({ width: 800, height: 600 }), copy({ ...big, framing: 'framed' })) < 0,
    'whole beats a framed, larger copy',
  );
  t.ok(
    compareCopies(copy({ width: 800, height: 600 }), copy({ ...big, framing: 'cropped' })) < 0,
    'and a cropped one',
  );
  t.ok(compareCopies(big, copy({ camera_exif: true })) < 0, 'pixels before camera metadata');
  t.ok(
    compareCopies(copy({ width: 1010, camera_exif: true }), copy({ jpeg_quality: 98 })) < 0,
    'within 2% of pixels, camera metadata decides',
  );
  t.ok(compareCopies(copy({ jpeg_quality: 90 }), copy({ jpeg_quality: 80 })) < 0, 'then quality');
  t.equal(
    compareCopies(
      copy({ jpeg_quality: 86, first_seen_at: '2023-01-01T00:00:00Z' }),
      copy({ jpeg_quality: 85 }),
    ),
    1,
    'a quality 1 higher is no better: the earlier one wins',
  );
  t.ok(
    compareCopies(copy({ this: true, sha256: 'f'.repeat(64) }), copy({})) < 0,
    'a full tie keeps this copy',
  );
});

t.test('the best copy and its sentence', async (t) => {
  const mine = copy({
    this: true,
    width: 320,
    height: 240,
    jpeg_quality: 60,
    first_seen_at: '2022-02-01T00:00:00Z',
  });
  const original = copy({
    sha256: 'c'.repeat(64),
    width: 4000,
    height: 3000,
    jpeg_quality: 95,
    camera_exif: true,
    camera: 'Canon EOS 5D',
    first_seen_at: '2022-01-04T10:00:00.000Z',
    first_seen_url: 'https://example.org/orig.jpg',
  });
  const best = bestCopyOf([mine, original]);
  t.match(best, {
    this_one: false,
    reasons: ['more_pixels', 'camera_metadata', 'less_compressed', 'earlier'],
    known: 2,
    copies: [{ sha256: original.sha256 }, { this: true }],
    summary:
      'The copy first seen on 4 Jan 2022 at https://example.org/orig.jpg (4000x3000, camera EXIF (Canon EOS 5D), JPEG quality 95) is closer to the original than this one (320x240, no camera EXIF, JPEG quality 60): larger, with the camera metadata this one lacks, less compressed and seen earlier.',
  });
  t.match(bestCopySignal(best), { code: 'not_the_best_copy', severity: 'medium', message: best.summary });
  const twin = bestCopyOf([
    { ...original, this: true, sha256: 'd'.repeat(64), first_seen_at: '2023-01-01T00:00:00Z' },
    original,
  ]);
  t.match(twin, { this_one: false, reasons: ['earlier'] }, 'the same copy seen earlier ranks first');
  t.equal(bestCopySignal(twin), null, 'but is no closer to the original: no signal');
  const mineFirst = bestCopyOf([original, { ...mine, width: 5000, height: 4000, camera_exif: true }]);
  t.match(mineFirst, { this_one: true, reasons: [], copies: [{ this: true }] });
  // Eleven copies: ten listed, this one among them even when it ranks last.
  const many = bestCopyOf([
    { ...mine, width: 10, height: 10 },
    ...Array.from({ length: 10 }, (_, i) => copy({ sha256: String(i).repeat(64) })),
  ]);
  t.equal(many.copies.length, 10);
  t.equal(many.known, 11);
  t.ok(many.copies.at(-1)?.this, 'this copy stays in the list');
});

t.test('copy facts round-trip through their compact field', async (t) => {
  const facts = {
    width: 640,
    height: 480,
    jpeg_quality: 96,
    camera_exif: true,
    camera: 'NIKON E950',
    region: null,
  };
  t.equal(encodeCopy(facts), '[640,480,96,"NIKON E950",""]');
  t.same(decodeCopy(encodeCopy(facts)), facts);
  const stripped = {
    width: 320,
    height: 240,
    jpeg_quality: null,
    camera_exif: false,
    camera: null,
    region: 'border' as const,
  };
  t.same(decodeCopy(encodeCopy(stripped)), stripped);
  t.same(
    decodeCopy(encodeCopy({ ...facts, camera: null })),
    { ...facts, camera: null },
    'camera EXIF without a name',
  );
  t.equal(decodeCopy('not json'), null);
  t.equal(decodeCopy(undefined), null, 'a record from before copy facts were kept');
});
