// The analysis thread pool (src/pipeline/analyze/pool.ts): what a worker's checks and the API's bank
// entries get from its threads is what the same functions give on the event loop; a bad image fails with
// the same code; a thread stopped mid-task leaves the pool working and the item failing with a code.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import sharp from 'sharp';
import t, { type Test } from 'tap';
import { sharedConcat } from '../../../src/bytes.js';
import { loadConfig } from '../../../src/config.js';
import { isMediaError } from '../../../src/errors.js';
import { decodeForHashing } from '../../../src/pipeline/analyze/decode.js';
import { computeHashes } from '../../../src/pipeline/analyze/hashes.js';
import { analyzeImage, imageFeatures, type Analysis } from '../../../src/pipeline/analyze/index.js';
import { createAnalysisPool, type AnalysisPool } from '../../../src/pipeline/analyze/pool.js';
import { forensicViews } from '../../../src/pipeline/analyze/views.js';
import { verifyInProcess } from '../../../src/similarity/features/verify.js';
import { FEATURE_MATCH } from '../../../src/memory/memory.js';
import { buildTestServer, testConfig } from '../../helpers/app.js';
import { blackPng, fixture } from '../../helpers/images.js';

const FEATURES = { side: 512, maxKeypoints: 500 };
const OPTS = { maxInputPixels: 100_000_000, features: FEATURES };
const PLAIN = { maxInputPixels: 100_000_000 };

/** The analysis without its timings (wall times differ run to run). */
const comparable = ({ timings_ms: _t, content_credentials, ...rest }: Analysis) => {
  const { duration_ms: _d, ...validation } = content_credentials.validation;
  return { ...rest, content_credentials: { ...content_credentials, validation } };
};

/** One pool for the tests that only compare answers: each new thread loads the modules (and OpenCV) again. */
const shared = createAnalysisPool({ threads: 1, maxQueue: 16, timeoutMs: 120_000 });
t.teardown(() => shared.close());

function newPool(t: Test, over: Partial<Parameters<typeof createAnalysisPool>[0]> = {}): AnalysisPool {
  const pool = createAnalysisPool({ threads: 2, maxQueue: 16, timeoutMs: 60_000, ...over });
  t.teardown(() => pool.close());
  return pool;
}

t.test('through the pool: the same analysis as on the event loop', async (t) => {
  const pool = shared;
  const png = await sharp(fixture('exif-samples/jpg/gps/DSCN0010.jpg')).resize(300).png().toBuffer();
  const cases = [
    {
      name: 'camera JPEG (EXIF, GPS, thumbnail)',
      bytes: fixture('exif-samples/jpg/gps/DSCN0010.jpg'),
      mime: 'image/jpeg',
      format: 'jpeg',
    },
    {
      name: 'JPEG with Content Credentials',
      bytes: fixture('c2pa/CA.jpg'),
      mime: 'image/jpeg',
      format: 'jpeg',
    },
    { name: 'PNG', bytes: png, mime: 'image/png', format: 'png' },
    {
      name: 'HEIC (its own decoder thread, started from a pool thread)',
      bytes: fixture('exifr/heic-iphone7.heic'),
      mime: 'image/heic',
      format: 'heif',
    },
  ];
  // At once, as a worker's concurrent checks ask: results matched to their requests.
  const [here, there] = await Promise.all([
    Promise.all(cases.map((c, i) => analyzeImage(c.bytes, c, i ? PLAIN : OPTS))),
    Promise.all(cases.map((c, i) => pool.analyze(c.bytes, c, i ? PLAIN : OPTS))),
  ]);
  cases.forEach((c, i) => {
    const a = here[i] as Analysis;
    const b = there[i] as Analysis;
    t.notOk(a.error, `${c.name}: analyzed`);
    t.ok(b.hashes?.pdq.hash, `${c.name}: hashed in a thread`);
    t.same(comparable(b), comparable(a), `${c.name}: the same analysis`);
    t.ok(Buffer.isBuffer(b.pixels?.data), `${c.name}: the pixels come back as a Buffer (for the thumbnail)`);
  });
  t.ok(
    there.some((a) => a.content_credentials.present),
    'credentials were read in the thread',
  );
  t.ok(
    (there[0]?.features?.points.length ?? 0) > 0,
    'features were extracted in the thread (asked for the first image)',
  );
  t.ok(cases[0]?.bytes.length, "the caller's bytes stay readable (a copy was moved to the thread)");

  // A download's bytes are in shared memory (safe-fetch reads into it): the threads read them where they
  // are, with the same results, and the caller's bytes are left as they were.
  const downloaded = cases.map((c) => sharedConcat([c.bytes], c.bytes.length));
  const inPlace = await Promise.all(cases.map((c, i) => pool.analyze(downloaded[i]!, c, i ? PLAIN : OPTS)));
  cases.forEach((c, i) => {
    t.same(comparable(inPlace[i] as Analysis), comparable(here[i] as Analysis), `${c.name}: shared memory`);
    t.ok(downloaded[i]!.equals(c.bytes), `${c.name}: the shared bytes are unchanged`);
  });
});

t.test(
  'forensic views come back from a thread as Buffers (the thumbnail store writes them as bytes)',
  async (t) => {
    const photo = fixture('exif-samples/jpg/gps/DSCN0010.jpg');
    const probe = { mime: 'image/jpeg', format: 'jpeg' };
    const viewsOn = { ...PLAIN, views: true };
    const [a, b] = await Promise.all([
      analyzeImage(photo, probe, viewsOn),
      shared.analyze(photo, probe, viewsOn),
    ]);
    t.ok(a.views?.ela && a.views.noise, 'made on the event loop');
    for (const kind of ['ela', 'noise'] as const) {
      const here = a.views?.[kind]?.webp;
      const there = b.views?.[kind]?.webp;
      t.ok(Buffer.isBuffer(there), `${kind}: a Buffer`);
      t.ok(here && there && Buffer.compare(here, there) === 0, `${kind}: the same bytes`);
    }
  },
);

t.test('views on demand: a file’s views from a thread, as on the event loop, as Buffers', async (t) => {
  const photo = fixture('exif-samples/jpg/gps/DSCN0010.jpg');
  const input = { width: 640, height: 480, orientation: null, jpegQuality: 84, maxPixels: 100_000_000 };
  const [here, there] = await Promise.all([
    forensicViews({ ...input, bytes: photo }),
    shared.views(photo, input),
  ]);
  t.equal(there.ela?.quality, 84);
  for (const kind of ['ela', 'noise'] as const) {
    const a = here[kind];
    const b = there[kind];
    t.ok(Buffer.isBuffer(b?.webp), `${kind}: a Buffer`);
    t.ok(a && b && Buffer.compare(a.webp, b.webp) === 0 && a.gain === b.gain, `${kind}: the same view`);
  }
  const tiny = await sharp(photo).resize(64, 48).jpeg().toBuffer();
  t.match(
    await shared.views(tiny, { ...input, width: 64, height: 48 }),
    { skipped: { code: 'too_small' } },
    'a reason, not an error',
  );
});

t.test('bank hashing and the geometric check give what they give on the event loop', async (t) => {
  const pool = shared;
  const photo = fixture('exif-samples/jpg/gps/DSCN0010.jpg');
  const decoded = await decodeForHashing(photo, { maxPixels: 100_000_000 });
  const hashes = computeHashes(decoded);
  t.same(await pool.hash(photo, 100_000_000), hashes, 'hashes');
  const crop = await sharp(photo).extract({ left: 100, top: 80, width: 400, height: 300 }).jpeg().toBuffer();
  const cropDecoded = await decodeForHashing(crop, { maxPixels: 100_000_000 });
  const query = await imageFeatures(cropDecoded, computeHashes(cropDecoded), FEATURES);
  const original = await imageFeatures(decoded, hashes, FEATURES);
  // A bank entry given as an image: its hashes and features from one decode in a thread.
  const entry = await pool.hashAndFeatures(photo, 100_000_000, FEATURES);
  t.same(entry.hashes, hashes, 'hashes with features');
  t.same(
    entry.features && {
      ...entry.features,
      points: [...entry.features.points],
      descriptors: Buffer.from(entry.features.descriptors),
    },
    { ...original, points: [...original.points], descriptors: Buffer.from(original.descriptors) },
    'the features the event loop extracts',
  );
  const other = await imageFeatures(
    await decodeForHashing(fixture('c2pa/CA.jpg'), { maxPixels: 100_000_000 }),
    computeHashes(await decodeForHashing(fixture('c2pa/CA.jpg'), { maxPixels: 100_000_000 })),
    FEATURES,
  );
  const opts = { minInliers: 12, minInlierRatio: 0.3, minAgreement: 0.6, ...FEATURE_MATCH };
  const expected = await verifyInProcess(query, [original, other], opts);
  t.ok(expected[0], 'the crop verifies against its original (in this thread)');
  t.same(await pool.verify(query, [original, other], opts), expected, 'the same answers from a thread');
});

t.test('a broken image: the code it gets on the event loop, and the pool goes on', async (t) => {
  const pool = shared;
  const photo = fixture('exif-samples/jpg/gps/DSCN0010.jpg');
  const broken = Buffer.concat([photo.subarray(0, 2000), Buffer.alloc(3000, 0xff)]);
  const probe = { mime: 'image/jpeg', format: 'jpeg' };
  const here = await analyzeImage(broken, probe, OPTS);
  const there = await pool.analyze(broken, probe, OPTS);
  t.ok(here.error, 'fails on the event loop');
  t.ok(isMediaError(there.error), 'a MediaError again once back from the thread');
  t.equal(there.error?.code, here.error?.code, `the same code (${here.error?.code})`);
  t.equal(there.error?.message, here.error?.message, 'and message');
  const hashError = await pool.hash(broken, 100_000_000).catch((e: unknown) => e);
  t.ok(isMediaError(hashError), 'a bank entry from it fails with a MediaError');
  t.ok((await pool.analyze(photo, probe, OPTS)).hashes, 'the next image is analyzed');
});

t.test('a thread that dies mid-task: analysis_failed, and the pool goes on with a new one', async (t) => {
  const pool = newPool(t, { threads: 1 });
  const photo = fixture('exif-samples/jpg/gps/DSCN0010.jpg');
  const probe = { mime: 'image/jpeg', format: 'jpeg' };
  t.ok((await pool.analyze(photo, probe, PLAIN)).hashes, 'a first image (the thread is up)');
  const started = pool.stats().threadsStarted;
  const slow = blackPng(8000, 8000); // 64 megapixels to inflate: not done before the thread is stopped
  const dying = pool.analyze(slow, { mime: 'image/png', format: 'png' }, PLAIN).catch((e: unknown) => e);
  // The task went to the idle thread at once (nothing queued); the thread is stopped right away, not after
  // a wait: on a quiet machine a black PNG of that size inflated in about 100 ms, which a wait could let
  // it finish (a race the test would lose on a fast machine).
  t.equal(pool.stats().queued, 0, 'the task is on the thread');
  const [thread] = pool.workers();
  await thread?.terminate(); // what a crash in native code or wasm looks like from here
  const err = await dying;
  t.ok(isMediaError(err) && err.code === 'analysis_failed', 'the item fails with analysis_failed', { err });
  t.ok((await pool.analyze(photo, probe, PLAIN)).hashes, 'the next image is analyzed');
  t.ok(pool.stats().threadsStarted > started, 'on a new thread');
});

t.test('an analysis over the time limit: its thread is stopped, the item fails with a code', async (t) => {
  const png = blackPng(8000, 8000);
  const probe = { mime: 'image/png', format: 'png' };
  const decode = () => sharp(png, { limitInputPixels: false }).raw().toBuffer();
  // The limit is an eighth of what this machine takes to inflate the picture alone: machines here differ
  // sixfold (about 100 ms on one, 620 on another; CI once beat a fixed 150 ms limit with the decode beside
  // it), so a fixed limit races the decode on a fast machine. A pool that waited for its thread's decode
  // would answer after the same decode run beside it; one that stops the thread answers long before.
  const start = performance.now();
  await decode();
  const limit = Math.max(20, Math.round((performance.now() - start) / 8));
  const pool = newPool(t, { threads: 1, timeoutMs: limit, eager: true });
  // A new thread loads its modules first (longer than such a limit under load): small pictures until one
  // is analyzed, so the limit below times the decode on a running thread, not the thread's start.
  const small = blackPng(32, 32);
  const untilAnalyzed = async () => {
    // Bounded by time, not tries: each try that times out takes one limit (20 ms on a fast machine),
    // and a thread starting under a loaded suite can take seconds.
    for (const end = performance.now() + 60_000; performance.now() < end;) {
      const analysis = await pool.analyze(small, probe, PLAIN).catch(() => null);
      if (analysis?.hashes) return true;
    }
    return false;
  };
  t.ok(await untilAnalyzed(), 'the thread is up');
  const started = pool.stats().threadsStarted;
  const [thread] = pool.workers();
  const stopped = pool.analyze(png, probe, PLAIN).catch((e: unknown) => e);
  t.equal(pool.stats().queued, 0, 'the task is on the thread');
  const beside = decode().then(() => 'the decode beside it' as const);
  const first = await Promise.race([stopped.then(() => 'the pool' as const), beside]);
  t.equal(
    first,
    'the pool',
    `the pool answered (limit ${limit} ms) without waiting for the decode to finish`,
  );
  const err = await stopped;
  t.ok(isMediaError(err) && err.code === 'analysis_failed', 'analysis_failed', { err });
  t.match((err as Error).message, new RegExp(`did not finish within ${limit} ms`));
  // A thread stopped inside native code (libvips) exits once that call returns: what matters here is that
  // the pool let it go and serves the next picture at once on another.
  t.notOk(thread && pool.workers().includes(thread), 'its thread is out of the pool');
  t.ok(await untilAnalyzed(), 'the next picture is analyzed');
  t.ok(pool.stats().threadsStarted > started, 'on a new thread');
  await beside;
});

t.test('the queue is bounded: one more waiting analysis fails with analysis_busy', async (t) => {
  const pool = newPool(t, { threads: 1, maxQueue: 1, timeoutMs: 150 });
  const slow = blackPng(4000, 4000);
  const probe = { mime: 'image/png', format: 'png' };
  const runs = [0, 1, 2].map(() =>
    pool.analyze(slow, probe, PLAIN).then(
      () => 'done',
      (e: unknown) => (isMediaError(e) ? e.code : String(e)),
    ),
  );
  const codes = await Promise.all(runs);
  t.equal(codes[2], 'analysis_busy', 'the third (one running, one waiting) is refused');
});

t.test('pool size and switch from the configuration', async (t) => {
  t.equal(testConfig({ ANALYZE_IN_THREADS: 'true', ANALYZE_THREADS: '3' }).analysis.threads, 3);
  t.equal(loadConfig({}).analysis.threads, availableParallelism(), 'default: one thread per core');
  t.equal(testConfig().analysis.threads, null, 'test services analyze on the event loop (helpers/app.ts)');
  t.equal(loadConfig({ ANALYZE_IN_THREADS: 'false' }).analysis.threads, null, 'off: the event loop');
  const pool = newPool(t, { threads: 3 });
  t.equal(pool.threads, 3);
});

/** Nice value of each thread of this process (Linux: field 19 of /proc/self/task/<tid>/stat). */
function niceByThread(): Map<number, number> {
  const out = new Map<number, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      // The thread's name (field 2) may hold spaces: count fields after its closing parenthesis.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(Number(tid), Number(fields[16]));
    } catch {
      // The thread ended while being listed.
    }
  }
  return out;
}

t.test(
  'the analysis threads run below the event loop (ANALYZE_NICE), the event loop keeps its priority',
  { skip: existsSync('/proc/thread-self') ? false : 'Linux only: no per-thread nice value here' },
  async (t) => {
    t.equal(loadConfig({}).analysis.nice, 10, 'default 10');
    t.equal(loadConfig({ ANALYZE_NICE: '0' }).analysis.nice, 0);
    t.throws(() => loadConfig({ ANALYZE_NICE: '20' }), 'above 19 is refused');
    const before = niceByThread();
    const own = before.get(process.pid);
    const pool = newPool(t, { threads: 2, nice: 13, eager: true });
    // A task on each thread: both have started and set their priority by then.
    const png = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#888' } })
      .png()
      .toBuffer();
    await Promise.all([pool.hash(png, 1e8), pool.hash(png, 1e8)]);
    const after = niceByThread();
    const started = [...after].filter(([tid]) => !before.has(tid));
    t.equal(started.filter(([, nice]) => nice === 13).length, 2, 'both pool threads at nice 13');
    t.equal(after.get(process.pid), own, 'the main thread (the event loop) is left as it was');
    const beforePlain = niceByThread();
    const plain = newPool(t, { threads: 1 });
    await plain.hash(png, 1e8);
    const fresh = [...niceByThread()].filter(([tid]) => !beforePlain.has(tid));
    t.ok(fresh.length >= 1, 'its thread started');
    t.ok(
      fresh.every(([, nice]) => nice === own),
      'nice absent: its thread at the event loop’s priority',
    );
  },
);

t.test('the service builds one pool, its workers use it, and closing the service closes it', async (t) => {
  const { app } = await buildTestServer(t, { ANALYZE_IN_THREADS: 'true', ANALYZE_THREADS: '1' });
  const pool = app.analysis;
  if (!pool) return t.fail('no pool');
  t.equal(pool.threads, 1);
  const photo = fixture('exif-samples/jpg/gps/DSCN0010.jpg');
  t.ok(await pool.hash(photo, 100_000_000), 'hashes through it');
  t.equal(pool.stats().running, 1, 'its thread runs');
  await app.close();
  t.equal(pool.stats().running, 0, 'closed with the service: no thread left');
  const err = await pool.hash(photo, 100_000_000).catch((e: unknown) => e);
  t.ok(err instanceof Error, 'and it takes no more work');
  const { app: off } = await buildTestServer(t, { ANALYZE_IN_THREADS: 'false' });
  t.equal(off.analysis, null, 'ANALYZE_IN_THREADS=false: no pool');
});
