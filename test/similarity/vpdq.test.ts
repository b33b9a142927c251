// vPDQ text format and the reference matching algorithm, on the reference implementation's own hashes
// (test/fixtures/video/vpdq-reference/: every frame of each sample clip, written by the vPDQ C++ hasher).
import { readFileSync } from 'node:fs';
import t from 'tap';
import {
  compareVpdq,
  comparableFrames,
  formatVpdqLine,
  parseVpdq,
  REFERENCE_THRESHOLDS,
} from '../../src/similarity/vpdq.js';

const REF = new URL('../fixtures/video/vpdq-reference/', import.meta.url);
const reference = (name: string) => parseVpdq(readFileSync(new URL(`${name}.txt`, REF), 'utf8'));

t.test('the reference files parse completely, and print back byte for byte', async (t) => {
  for (const name of ['chair-22-sd-grey-bar', 'pattern-hd-no-bar', 'test-padded-dimensions']) {
    const text = readFileSync(new URL(`${name}.txt`, REF), 'utf8');
    const { frames, rejected } = parseVpdq(text);
    t.same(rejected, [], `${name}: no line rejected`);
    t.equal(frames.length, text.trim().split('\n').length, `${name}: one frame per line`);
    t.equal(frames.map(formatVpdqLine).join('\n'), text.trim(), `${name}: same text back`);
  }
});

t.test('bad lines are reported by number, comments and blank lines skipped', async (t) => {
  const ok = `0,100,${'a'.repeat(64)},0.000`;
  const { frames, rejected } = parseVpdq(
    ['# a comment', ok, '', 'nonsense', `1,101,${'b'.repeat(64)},0.033`, `2,90,${'c'.repeat(63)},0.1`].join(
      '\n',
    ),
  );
  t.equal(frames.length, 1);
  t.same(rejected, [4, 5, 6]);
});

t.test('dedupe before the quality filter, as the Python reference does', async (t) => {
  const h = (c: string) => c.repeat(64);
  const frames = [
    { frame: 0, quality: 100, pdq: h('a'), timestamp: 0 },
    { frame: 1, quality: 100, pdq: h('a'), timestamp: 0.03 },
    { frame: 2, quality: 10, pdq: h('b'), timestamp: 0.07 },
    { frame: 3, quality: 80, pdq: h('c'), timestamp: 0.1 },
  ];
  t.same(comparableFrames(frames, 50), [h('a'), h('c')]);
});

t.test('distance 31 is a frame match, 32 is not (inclusive, as python-threatexchange)', async (t) => {
  const zero = '0'.repeat(64);
  const bits = (n: number) => {
    // n low bits set, as hex
    const big = (1n << BigInt(n)) - 1n;
    return big.toString(16).padStart(64, '0');
  };
  const q = [{ frame: 0, quality: 100, pdq: zero, timestamp: 0 }];
  t.equal(compareVpdq(q, [{ frame: 0, quality: 100, pdq: bits(31), timestamp: 0 }]).query_match_percent, 100);
  t.equal(compareVpdq(q, [{ frame: 0, quality: 100, pdq: bits(32), timestamp: 0 }]).query_match_percent, 0);
  t.equal(
    compareVpdq(q, [{ frame: 0, quality: 49, pdq: zero, timestamp: 0 }]).match,
    false,
    'low quality never compared',
  );
});

t.test('matching with the reference hashes (every frame, full size)', async (t) => {
  const chairGrey = reference('chair-22-sd-grey-bar').frames;
  const chairOrig = reference('chair-orig-22-sd-bar').frames;
  const patternGrey = reference('pattern-sd-grey-bar').frames;
  const patternLogo = reference('pattern-sd-with-small-logo-bar').frames;
  const patternHd = reference('pattern-hd-no-bar').frames;

  const chairs = compareVpdq(chairGrey, chairOrig);
  t.equal(chairs.query_match_percent, 100, 'grey chair: 100% of its unique frames match the colour one');
  t.equal(chairs.compared_match_percent, 100, 'and the other way round');
  t.ok(chairs.match);

  // The issue (and FACTS.md) say 100%; the Python reference algorithm on these very hashes gives 99.5%:
  // one of the grey clip's 202 unique frames of quality 50+ (and one of the logo clip's 203) is more than
  // 31 bits from every frame of the other. Well above the 80% a match needs, so the verdict is the same.
  const patterns = compareVpdq(patternGrey, patternLogo);
  t.equal(patterns.query_match_percent, 99.5);
  t.equal(patterns.compared_match_percent, 99.51);
  t.ok(patterns.match, 'grey pattern matches the small-logo pattern');

  for (const [a, b] of [
    [chairGrey, patternGrey],
    [chairOrig, patternLogo],
    [chairGrey, patternHd],
  ] as const) {
    const r = compareVpdq(a, b);
    t.equal(r.query_match_percent, 0, 'chair vs pattern: 0%');
    t.equal(r.compared_match_percent, 0);
    t.notOk(r.match);
  }
  // Letterbox bars move every frame's PDQ: plain vPDQ misses the SD copies of the HD clip.
  for (const sd of [patternGrey, patternLogo]) {
    const r = compareVpdq(patternHd, sd);
    t.equal(r.query_match_percent, 0, 'HD pattern vs letterboxed SD: 0% under plain vPDQ');
    t.notOk(r.match);
  }
  t.same(REFERENCE_THRESHOLDS, {
    minQuality: 50,
    frameDistance: 31,
    queryMatchPercent: 80,
    comparedMatchPercent: 0,
  });
});

t.test('thresholds are configurable: a stricter compared share turns a one-sided match off', async (t) => {
  const long = reference('chair-22-sd-grey-bar').frames;
  const clip = long.filter((f) => f.timestamp < 5);
  const lenient = compareVpdq(clip, long);
  t.equal(lenient.query_match_percent, 100, 'the first 5 s are all in the whole clip');
  t.ok(
    lenient.compared_match_percent < 50,
    `whole clip only partly in the 5 s (${lenient.compared_match_percent}%)`,
  );
  t.ok(lenient.match, 'reference thresholds: query 80%, compared 0%');
  const strict = compareVpdq(clip, long, { ...REFERENCE_THRESHOLDS, comparedMatchPercent: 80 });
  t.notOk(strict.match);
});
