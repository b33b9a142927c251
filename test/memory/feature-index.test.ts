// The feature index against a real Redis: a crop finds its original, another instance (another process)
// sees what the first added, removals and the time scope take effect, and unrelated photos stay apart.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import sharp from 'sharp';
import t, { type Test } from 'tap';
import {
  createFeatureIndex,
  descriptorWords,
  hammingWords,
  type FeatureIndexOptions,
} from '../../src/memory/feature-index.js';
import { keys } from '../../src/keys.js';
import { decodeForHashing } from '../../src/pipeline/analyze/decode.js';
import { extractFeatures, type ImageFeatures } from '../../src/similarity/features/orb.js';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const fixture = (p: string) => readFileSync(new URL(`../fixtures/${p}`, import.meta.url));
const BRIDGE = fixture('pdq/dih/bridge-1-original.jpg');
const DESK = fixture('pdq/exif-rotn/exif-rotn-1.jpg');
const DESK_3 = fixture('pdq/exif-rotn/exif-rotn-3.jpg');

async function features(bytes: Buffer): Promise<ImageFeatures> {
  const d = await decodeForHashing(bytes, { maxPixels: 100_000_000 });
  return extractFeatures(
    { data: d.data, width: d.width, height: d.height, channels: 3 },
    { side: 512, maxKeypoints: 500 },
  );
}

async function setup(t: Test) {
  const prefix = `fstest_feat_${process.pid}_${randomBytes(4).toString('hex')}`;
  const k = keys(prefix);
  const redis = new Redis(REDIS_URL);
  let clock = Date.now();
  const open = (extra: Partial<FeatureIndexOptions> = {}) =>
    createFeatureIndex({
      redis,
      keys: k,
      scopeDays: 30,
      minVotes: 8,
      maxCandidates: 5,
      voteDistance: 40,
      verify: { minInliers: 20, minInlierRatio: 0.4, minAgreement: 0.65, ratio: 0.8, maxDistance: 64 },
      now: () => clock,
      ...extra,
    });
  t.teardown(async () => {
    const found = await redis.keys(`${prefix}:*`);
    if (found.length) await redis.del(...found);
    redis.disconnect();
  });
  return { redis, k, open, advance: (ms: number) => (clock += ms) };
}

const crop = async (bytes: Buffer) => {
  const m = await sharp(bytes).metadata();
  const w = m.width ?? 0;
  const h = m.height ?? 0;
  return sharp(bytes)
    .extract({ left: Math.round(w * 0.15), top: 0, width: Math.round(w * 0.85), height: Math.round(h * 0.8) })
    .jpeg({ quality: 75 })
    .toBuffer();
};

t.test('a crop finds its original, with the overlap; another instance sees it through Redis', async (t) => {
  const { redis, k, open } = await setup(t);
  const a = open();
  await a.add('m:bridge', await features(BRIDGE));
  await a.add('m:desk', await features(DESK));
  const query = await features(await crop(BRIDGE));
  const [hit, ...rest] = await a.query(query);
  t.match(hit, { id: 'm:bridge' });
  t.ok(hit && hit.inliers >= 20 && Math.abs(hit.coverage - 0.68) < 0.07, `coverage ${hit?.coverage}`);
  t.same(rest, [], 'nothing else');

  const b = open();
  t.equal(b.stats().images, 0, 'a new process starts empty');
  t.match(await b.query(query), [{ id: 'm:bridge' }], 'and loads what is in Redis on its first query');
  t.equal(b.stats().images, 2);
  t.ok((await redis.getBuffer(k.features('m:bridge')))?.length, 'descriptors are stored in Redis');
  t.ok((await redis.ttl(k.features('m:bridge'))) > 29 * 86400, 'expiring with the scope');

  t.same(await a.query(query, { exclude: new Set(['m:bridge']) }), [], 'exclude leaves the image out');
  t.ok(a.has('m:bridge') && b.has('m:bridge'), 'both processes hold it');
  t.notOk(a.has('m:other'));
});

t.test('another shot of the same desk and an unrelated photo are not found', async (t) => {
  const { open } = await setup(t);
  const a = open();
  await a.add('m:bridge', await features(BRIDGE));
  await a.add('m:desk1', await features(DESK));
  t.same(await a.query(await features(DESK_3)), []);
});

t.test('removals and the time scope take effect in every instance', async (t) => {
  const { redis, k, open, advance } = await setup(t);
  const a = open({ scopeDays: 1 });
  const b = open({ scopeDays: 1 });
  const f = await features(BRIDGE);
  await a.add('m:bridge', f);
  t.equal((await b.query(f)).length, 1);
  await a.remove('m:bridge');
  t.equal((await a.query(f)).length, 0, 'gone where removed');
  // The other instance learns of removals at its next full reconcile (every minute).
  advance(61_000);
  t.equal((await b.query(f)).length, 0, 'gone in the other instance after its reconcile');
  t.equal(await redis.exists(k.features('m:bridge')), 0);

  await a.add('m:bridge', f);
  t.equal((await b.query(f)).length, 1);
  advance(86_400_000 + 1000);
  t.equal((await a.query(f)).length, 0, 'out of scope after a day');
  t.equal((await b.query(f)).length, 0);
  t.equal(a.stats().images, 0, 'and dropped from memory');
});

t.test('an image with no keypoints is not stored and queries find nothing', async (t) => {
  const { redis, k, open } = await setup(t);
  const a = open();
  const empty = { width: 10, height: 10, points: new Float32Array(0), descriptors: new Uint8Array(0) };
  await a.add('m:flat', empty);
  t.equal(await redis.exists(k.features('m:flat')), 0);
  t.same(await a.query(empty), []);
});

t.test(
  'FEATURE_INDEX_MAX_IMAGES: a process holds the newest images only, the oldest dropped first',
  async (t) => {
    const { open, advance } = await setup(t);
    const a = open({ maxImages: 2 });
    await a.add('m:bridge', await features(BRIDGE));
    advance(1000);
    await a.add('m:desk', await features(DESK));
    t.equal(a.stats().images, 2);
    advance(1000);
    await a.add('m:desk3', await features(DESK_3));
    t.equal(a.stats().images, 2, 'the bound holds');
    t.notOk(a.has('m:bridge'), 'the oldest went');
    t.ok(a.has('m:desk') && a.has('m:desk3'));
    // What users lose: a crop of a dropped image is no longer found by features (its hashes still are).
    const query = await features(await crop(BRIDGE));
    t.same(await a.query(query), [], 'a crop of the dropped image is not found by features');
    t.notOk(a.has('m:bridge'), 'and a query does not load it back');

    // Another process with the same bound loads the same newest two, not the oldest.
    const b = open({ maxImages: 2 });
    await b.query(query);
    t.equal(b.stats().images, 2);
    t.notOk(b.has('m:bridge'));
    t.ok(b.has('m:desk') && b.has('m:desk3'));

    // Without the bound the crop is found: the bound, not the query, made the difference.
    const c = open();
    t.match(await c.query(query), [{ id: 'm:bridge' }]);
  },
);

t.test('the vote distance a word at a time is the byte-wise Hamming distance', async (t) => {
  // The reference: bit by bit.
  const bits = (a: Uint8Array, b: Uint8Array) => {
    let n = 0;
    for (let i = 0; i < 32; i++) for (let v = (a[i] as number) ^ (b[i] as number); v; v >>= 1) n += v & 1;
    return n;
  };
  const pairs = 2000;
  // Descriptors at every distance: random ones (~128 bits apart), and copies with a few bits flipped.
  const a = randomBytes(32 * pairs);
  const b = Buffer.from(a);
  for (let p = 0; p < pairs; p++) {
    if (p % 2) randomBytes(32).copy(b, p * 32);
    else for (let f = 0; f < p % 64; f++) b[p * 32 + ((p * 7 + f * 13) % 32)]! ^= 1 << (f % 8);
  }
  // An unaligned copy too (a descriptor buffer at an odd offset is copied into words).
  const odd = Buffer.alloc(32 * pairs + 1);
  b.copy(odd, 1);
  const wa = descriptorWords(new Uint8Array(a.buffer, a.byteOffset, a.length));
  const wb = descriptorWords(new Uint8Array(odd.buffer, odd.byteOffset + 1, b.length));
  let wrong = 0;
  let near = 0;
  for (let p = 0; p < pairs; p++) {
    const d = bits(a.subarray(p * 32, p * 32 + 32), b.subarray(p * 32, p * 32 + 32));
    if (d <= 40) near++;
    if (hammingWords(wa, p * 8, wb, p * 8, 256) !== d) wrong++;
    // With a limit: at most the limit exactly when the distance is.
    if (hammingWords(wa, p * 8, wb, p * 8, 40) <= 40 !== d <= 40) wrong++;
  }
  t.equal(wrong, 0, `${pairs} pairs, ${near} within 40 bits`);
  t.ok(near > 100 && near < pairs - 100, 'both sides of the vote distance are tried');
});
