// The analysis memo (src/services/analysis-memo.ts) through the pipeline as production assembles it, with
// the memory on the real Redis (own prefix): a file checked a third time is not analyzed again and its
// report reads the same; the memo's features still find a crop; an upload's memo is its organization's
// own; changed settings and a damaged memo read nothing.
import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import sharp from 'sharp';
import type { Test } from 'tap';
import t from 'tap';
import type { MediaItem, Report } from '../../schemas/report.js';
import { keys } from '../../src/keys.js';
import { analyzeImage } from '../../src/pipeline/analyze/index.js';
import type { AnalysisPool } from '../../src/pipeline/analyze/pool.js';
import { createAnalysisMemo } from '../../src/services/analysis-memo.js';
import type { MemoValue } from '../../src/pipeline/process-check.js';
import { REDIS_URL, testConfig } from '../helpers/app.js';
import { fixture, partialCrop } from '../helpers/images.js';
import { testMemory } from '../helpers/memory.js';
import { testPipeline } from '../helpers/pipeline.js';
import { startWorld } from './resolve/world.js';

// A camera JPEG with EXIF, GPS and an embedded thumbnail: most of what the analysis reads.
const PHOTO = fixture('exif-samples/jpg/gps/DSCN0010.jpg');
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
/** The start of an MP4 (an `ftyp` box, brand isom): what the probe sniffs as a video. */
const MP4_HEADER = Buffer.concat([
  Buffer.from([0, 0, 0, 0x18]),
  Buffer.from('ftypisom'),
  Buffer.from([0, 0, 2, 0]),
  Buffer.from('isomiso2'),
  Buffer.alloc(64),
]);

async function setup(t: Test, settings: unknown = { v: 'test' }) {
  const config = testConfig();
  const { memory } = await testMemory(t, config);
  const redis = new Redis(REDIS_URL);
  t.teardown(() => redis.disconnect());
  const k = keys(config.keyPrefix);
  const calls: string[] = [];
  // The analysis as the pool runs it, counted by the file analyzed.
  const analysis = {
    analyze: (bytes, probe, opts) => {
      calls.push(sha(bytes));
      return analyzeImage(bytes, probe, opts);
    },
  } as Pick<AnalysisPool, 'analyze'> as AnalysisPool;
  const crop = await partialCrop(PHOTO);
  const w = await startWorld(t, {
    'img.example': {
      '/photo.jpg': (_q, _u, r) => r.writeHead(200, { 'content-type': 'image/jpeg' }).end(PHOTO),
      '/again.jpg': (_q, _u, r) => r.writeHead(200, { 'content-type': 'image/png' }).end(PHOTO),
      '/crop.jpg': (_q, _u, r) => r.writeHead(200, { 'content-type': 'image/jpeg' }).end(crop),
      '/clip.mp4': (_q, _u, r) => r.writeHead(200, { 'content-type': 'video/mp4' }).end(MP4_HEADER),
      '/notes.txt': (_q, _u, r) => r.writeHead(200, { 'content-type': 'image/jpeg' }).end('not a picture'),
    },
  });
  const memoFor = (s: unknown) =>
    createAnalysisMemo<MemoValue>({ redis, keys: k, ttlSeconds: 600, settings: s });
  const pipeline = (s: unknown = settings) =>
    testPipeline({ fetcher: w.deps.fetcher, memory, analysis, analysisMemo: memoFor(s) });
  const check = (id: string, path: string, org = 'org_a', s?: unknown): Promise<Report> =>
    pipeline(s).check({
      checkId: id,
      org,
      targets: [{ url: `${w.base('img.example')}${path}`, input: path }],
    });
  const upload = (id: string, org: string, bytes: Buffer): Promise<Report> =>
    pipeline().check({
      checkId: id,
      org,
      targets: [{ url: `upload:${sha(bytes)}`, input: 'upload' }],
      uploads: async (s) => (s === sha(bytes) ? bytes : null),
    });
  /** Keys of the memos kept for `bytes` in `scope` (`public`, or `org:<org>` for uploads). */
  const memoKeys = (scope: string, bytes: Buffer) => redis.keys(`${k.analysisMemo(scope, sha(bytes), '')}*`);
  return { calls, check, upload, redis, memoKeys, crop };
}

/** What the analysis read from the bytes, as the report shows it (matches and timings aside). */
function readFromBytes(item: MediaItem | undefined) {
  if (!item) return null;
  const { mime, format, width, height, decode, hashes, metadata, exif_thumbnail, content_credentials, jpeg } =
    item;
  return { mime, format, width, height, decode, hashes, metadata, exif_thumbnail, content_credentials, jpeg };
}

t.test('a file checked a third time is not analyzed again, and its report reads the same', async (t) => {
  const { calls, check, crop } = await setup(t);
  // A crop seen first: the photo's local features find it (a `partial` match), also from the memo.
  await check('chk_crop', '/crop.jpg');
  const first = await check('chk_1', '/photo.jpg');
  const second = await check('chk_2', '/photo.jpg');
  t.equal(calls.filter((c) => c === sha(PHOTO)).length, 2, 'the first two checks analyze the file');
  const third = await check('chk_3', '/photo.jpg');
  // Another URL, another Content-Type (a wrong one): the same bytes.
  const fourth = await check('chk_4', '/again.jpg');
  t.equal(calls.filter((c) => c === sha(PHOTO)).length, 2, 'the third and fourth are not analyzed');
  const [one, two, three, four] = [first, second, third, fourth].map((r) => r.media[0]);
  t.equal(three?.status, 'ok');
  t.ok(readFromBytes(one)?.metadata?.gps, 'the photo has GPS: the memo has something to carry');
  // The second check's reading is the memo's (content_credentials.validation.duration_ms included: the
  // time that reading took; the first check's differs by its own timing only).
  t.same(readFromBytes(three), readFromBytes(two), 'the third report reads what the second read');
  t.same(readFromBytes(four), readFromBytes(two), 'so does the fourth');
  const untimed = (i: MediaItem | undefined) =>
    JSON.parse(JSON.stringify(readFromBytes(i), (k, v: unknown) => (k === 'duration_ms' ? 0 : v))) as unknown;
  t.same(untimed(three), untimed(one), 'and what the first read, timings aside');
  t.ok(three?.timings_ms.memo !== undefined && three?.timings_ms.decode === undefined, 'read from the memo');
  t.ok(two?.timings_ms.decode !== undefined, 'the second decoded');
  // What the server declared is the check's own, never the memo's.
  t.match(four, { declared_mime: 'image/png', mime: 'image/jpeg', mime_mismatch: true });
  t.match(three, { declared_mime: 'image/jpeg', mime_mismatch: false });
  // Matches are computed afresh: the crop by the memo's features, as the second check found it.
  const partial = (i: MediaItem | undefined) =>
    (i?.provenance?.matches ?? []).filter((m) => m.kind === 'partial').map((m) => m.sha256);
  t.same(partial(two), [sha(crop)], 'the second check finds the crop by local features');
  t.same(partial(three), [sha(crop)], 'so does the third, with the features kept');
  t.match(
    (three?.provenance?.matches ?? []).filter((m) => m.kind === 'exact'),
    [{ sha256: sha(PHOTO), hash: 'sha256' }],
    'and the earlier sighting of the very file',
  );
});

t.test("an uploaded file's memo is its organization's own", async (t) => {
  const { calls, upload, memoKeys } = await setup(t);
  const bytes = await sharp(PHOTO).resize(400).jpeg({ quality: 80 }).toBuffer();
  for (const id of ['chk_u1', 'chk_u2', 'chk_u3']) await upload(id, 'org_a', bytes);
  t.equal(calls.length, 2, 'org_a: analyzed twice, then read from its memo');
  const kept = await memoKeys('org:org_a', bytes);
  t.equal(kept.length, 1, "kept under org_a's scope");
  t.same(await memoKeys('public', bytes), [], 'not for everyone');
  const other = await upload('chk_b1', 'org_b', bytes);
  t.equal(other.media[0]?.status, 'ok');
  t.equal(calls.length, 3, "org_b's upload of the same bytes is analyzed: nothing of org_a's is read");
  t.notOk(other.media[0]?.timings_ms.memo === undefined, 'org_b looked for its own memo');
});

t.test('a memo read is kept longer: a picture still checked keeps it', async (t) => {
  const { calls, check, redis, memoKeys } = await setup(t);
  await check('chk_1', '/photo.jpg');
  await check('chk_2', '/photo.jpg');
  const [key] = await memoKeys('public', PHOTO);
  t.ok(key, 'kept by the second check');
  await redis.expire(key as string, 5);
  await check('chk_3', '/photo.jpg');
  t.equal(calls.length, 2, 'the third read it');
  t.ok((await redis.ttl(key as string)) > 500, 'and kept it for the whole TTL again (600 s here)');
});

t.test('other analysis settings read no memo', async (t) => {
  const { calls, check } = await setup(t, { v: 'one' });
  await check('chk_1', '/photo.jpg');
  await check('chk_2', '/photo.jpg');
  await check('chk_3', '/photo.jpg');
  t.equal(calls.length, 2);
  await check('chk_4', '/photo.jpg', 'org_a', { v: 'two' });
  t.equal(calls.length, 3, 'analyzed again under other settings');
});

t.test('a damaged memo is not trusted: the file is analyzed', async (t) => {
  const { calls, check, redis, memoKeys } = await setup(t);
  await check('chk_1', '/photo.jpg');
  await check('chk_2', '/photo.jpg');
  const [key] = await memoKeys('public', PHOTO);
  t.ok(key, 'the second check kept a memo');
  // Features cut short (a write torn by a crash, or another version's layout).
  await redis.hset(key as string, 'd', Buffer.alloc(7));
  const r = await check('chk_3', '/photo.jpg');
  t.equal(r.media[0]?.status, 'ok');
  t.equal(calls.length, 3, 'analyzed again');
  // And a field of another layout beside it: the memo written again holds none of what was there.
  await redis.hset(key as string, 'a', '{not json', 'x', 'another layout');
  const r2 = await check('chk_4', '/photo.jpg');
  t.equal(r2.media[0]?.status, 'ok');
  t.equal(calls.length, 4, 'analyzed again');
  t.same((await redis.hkeys(key as string)).sort(), ['a', 'd', 'p', 'w'], 'and the memo written anew, whole');
  await check('chk_5', '/photo.jpg');
  t.equal(calls.length, 4, 'which the next check reads');
});

t.test('only images read the memo: a video or a file that is no media never has one', async (t) => {
  const { check } = await setup(t);
  for (const id of ['chk_v1', 'chk_v2', 'chk_v3']) {
    const item = (await check(id, '/clip.mp4')).media[0];
    t.equal(item?.mime, 'video/mp4', 'sniffed as a video');
    t.equal(item?.timings_ms.memo, undefined, `${id}: no memo read`);
    t.ok(item?.timings_ms.probe !== undefined, 'probed');
  }
  const text = (await check('chk_t1', '/notes.txt')).media[0];
  t.equal(text?.error?.code, 'not_media');
  t.equal(text?.timings_ms.memo, undefined, 'no memo read for a file that is no media');
});
