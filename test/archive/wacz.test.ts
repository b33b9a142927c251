// The evidence archive of a check, end to end through the pipeline: a stand-in Mastodon post with two
// photos and a video -> every exchange recorded -> WACZ -> the directory store -> read back and verified
// with an independent reader (test/helpers/wacz-reader.ts): every digest, every index entry, and every
// byte the stand-in served.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import pino from 'pino';
import t, { type Test } from 'tap';
import { archiveCheck, SOFTWARE } from '../../src/archive/archive-check.js';
import { createDirectoryStore } from '../../src/archive/store.js';
import { createWarcRecorder } from '../../src/archive/warc-recorder.js';
import { createSafeFetcher, type SafeFetcher } from '../../src/net/safe-fetch.js';
import type { ResolverEndpoints } from '../../src/pipeline/resolve/types.js';
import { testPipeline } from '../helpers/pipeline.js';
import { fixture as image } from '../helpers/images.js';
import { verifyWacz } from '../helpers/wacz-reader.js';
import { fixture, json, redirect, startWorld, type Route } from '../pipeline/resolve/world.js';

const log = pino({ level: 'silent' });
const STATUS_ID = '112233445566778899';
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function tempDir(t: Test) {
  const dir = await mkdtemp(join(tmpdir(), 'firstseen-archive-test-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** The production pipeline, with the stand-in world's hosts and fetcher. */
const pipeline = (w: { endpoints: ResolverEndpoints }, fetcher: SafeFetcher) =>
  testPipeline({ fetcher, endpoints: w.endpoints });

t.test('a post with two photos and a video: a WACZ that verifies and holds every fetched byte', async (t) => {
  const photo1 = image('exif-samples/jpg/gps/DSCN0010.jpg');
  const photo2 = image('exif-samples/jpg/Canon_40D.jpg');
  const video = await readFile(new URL('../fixtures/video/pattern-sd-grey-bar.mp4', import.meta.url));
  const status = JSON.parse(fixture('mastodon/status-media.json').toString('utf8')) as Record<
    string,
    unknown
  >;
  const files = 'https://files.social.example/media_attachments/files';
  status.media_attachments = [
    { id: '1', type: 'image', url: `${files}/1/original/a.jpeg`, preview_url: null, meta: {} },
    { id: '2', type: 'image', url: `${files}/2/original/b.jpeg`, preview_url: null, meta: {} },
    { id: '3', type: 'video', url: `${files}/3/original/c.mp4`, preview_url: null, meta: {} },
  ];
  const served = new Map<string, Buffer>();
  const serve =
    (bytes: Buffer, type: string): Route =>
    (req, url, res) => {
      served.set(url.pathname, bytes);
      res.writeHead(200, { 'content-type': type, 'content-length': bytes.length, 'x-served-by': 'stand-in' });
      res.end(bytes);
    };
  let filesBase = '';
  const w = await startWorld(t, {
    'social.example': {
      [`/api/v1/statuses/${STATUS_ID}`]: json(status),
    },
    'files.social.example': {
      // The first photo sits behind a redirect, as CDNs do: both hops are evidence.
      '/media_attachments/files/1/original/a.jpeg': (q, u, r) =>
        redirect(`${filesBase}/media_attachments/files/1/original/a-v2.jpeg`, 302)(q, u, r),
      '/media_attachments/files/1/original/a-v2.jpeg': serve(photo1, 'image/jpeg'),
      '/media_attachments/files/2/original/b.jpeg': serve(photo2, 'image/jpeg'),
      // Chunked, no content-length: the archive must not claim a chunked body it stores de-chunked.
      '/media_attachments/files/3/original/c.mp4': (req, url, res) => {
        served.set(url.pathname, video);
        res.writeHead(200, { 'content-type': 'video/mp4' });
        res.write(video.subarray(0, 1000));
        res.end(video.subarray(1000));
      },
    },
  });
  filesBase = w.base('files.social.example');
  const dir = await tempDir(t);
  const store = createDirectoryStore(dir, 30);
  const recorder = await createWarcRecorder({
    checkId: 'chk_wacz',
    maxBytes: 64 << 20,
    software: SOFTWARE,
    log,
  });
  const report = await pipeline(w, w.deps.fetcher).check({
    checkId: 'chk_wacz',
    org: 'newsroom-a',
    targets: [{ url: `https://social.example/@beispiel/${STATUS_ID}`, input: 'post' }],
    recorder,
  });
  t.equal(report.media.length, 3, 'two photos and a video');
  t.same(
    report.media.map((m) => m.status),
    ['ok', 'ok', 'ok'],
  );
  const summary = await archiveCheck({ recorder, store, org: 'newsroom-a', report });
  t.equal(summary.url, '/v1/checks/chk_wacz/archive.wacz');
  t.equal(summary.timestamp, null, 'no authority configured');
  t.equal(
    summary.payload_bytes,
    photo1.length + photo2.length + video.length + Buffer.byteLength(JSON.stringify(status)),
  );

  const stored = await store.get('newsroom-a', 'chk_wacz');
  t.ok(stored, 'kept in the store');
  const file = await buffer(stored!.stream);
  t.equal(file.length, summary.bytes);
  t.equal(sha(file), summary.sha256);
  t.equal(await store.get('newsroom-b', 'chk_wacz'), null, 'not under another organization');

  const wacz = await verifyWacz(file);
  t.equal(wacz.datapackage.wacz_version, '1.1.1');
  t.equal(`sha256:${sha(wacz.entries.get('datapackage.json')!.data)}`, summary.datapackage_hash);

  const responses = wacz.records.filter((r) => r.headers.get('warc-type') === 'response');
  const requests = wacz.records.filter((r) => r.headers.get('warc-type') === 'request');
  const byPath = new Map(responses.map((r) => [new URL(r.headers.get('warc-target-uri')!).pathname, r]));
  // Every byte the stand-in served is in the archive, exactly.
  t.equal(served.size, 3);
  for (const [path, bytes] of served) {
    const r = byPath.get(path);
    t.ok(r, `${path} archived`);
    t.ok(r!.payload.equals(bytes), `${path}: the payload is the served bytes`);
    t.notOk(r!.headers.has('warc-truncated'));
  }
  const api = byPath.get(`/api/v1/statuses/${STATUS_ID}`);
  t.same(JSON.parse(api!.payload.toString('utf8')), status, 'the platform API answer');
  t.match(api!.httpHead, /^HTTP\/1\.1 200 OK\r\n/);
  t.match(api!.httpHead, /content-type: application\/json/i);
  const hop = byPath.get('/media_attachments/files/1/original/a.jpeg');
  t.match(hop!.httpHead, /^HTTP\/1\.1 302 /, 'the redirect hop');
  t.match(hop!.httpHead, /location: .*a-v2\.jpeg/i);
  t.equal(hop!.headers.get('warc-truncated'), 'length', 'its body was not read, and the record says so');
  const videoRecord = byPath.get('/media_attachments/files/3/original/c.mp4')!;
  t.notMatch(videoRecord.httpHead, /^transfer-encoding/im, 'no chunked claim on a de-chunked body');
  t.match(videoRecord.httpHead, /x-archive-orig-transfer-encoding: chunked/i);

  // Requests: one per response, with the headers sent, pointing at their response.
  t.equal(requests.length, responses.length);
  const ids = new Set(responses.map((r) => r.headers.get('warc-record-id')));
  for (const q of requests) {
    t.ok(ids.has(q.headers.get('warc-concurrent-to')), 'request points at its response');
    t.match(q.httpHead, /^GET \S+ HTTP\/1\.1\r\n/);
    t.match(q.httpHead, /user-agent: firstseen-test/i);
  }
  t.same(w.undeclared, []);
  // The index lists each response once; the page list starts with what was checked.
  t.equal(wacz.cdxj.length, responses.length);
  t.same(
    wacz.cdxj.map((e) => e.fields.url).sort(),
    responses.map((r) => r.headers.get('warc-target-uri')).sort(),
  );
  t.ok(wacz.pages.some((p) => p.url.includes(`/api/v1/statuses/`) === false && p.url.includes('files')));
});

t.test('hostile sizes: the archive never holds more than the fetch caps let in', async (t) => {
  const cap = 200_000;
  const big = Buffer.alloc(cap * 3, 7);
  const fits = Buffer.alloc(cap - 10, 9);
  const w = await startWorld(t, {
    'media.example': {
      // Declares its size: refused before reading.
      '/declared.jpg': (_q, _u, r) =>
        r.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': big.length }).end(big),
      // Sends more than it declares nothing about: cut off at the cap.
      '/endless.jpg': (_q, _u, r) => {
        r.writeHead(200, { 'content-type': 'image/jpeg' });
        r.write(big);
        r.end(big);
      },
      '/a.jpg': (_q, _u, r) => r.writeHead(200, { 'content-type': 'image/jpeg' }).end(fits),
      '/b.jpg': (_q, _u, r) => r.writeHead(200, { 'content-type': 'image/jpeg' }).end(fits),
      '/c.jpg': (_q, _u, r) => r.writeHead(200, { 'content-type': 'image/jpeg' }).end(fits),
    },
  });
  const fetcher = createSafeFetcher({
    maxBytes: cap,
    connectTimeoutMs: 1000,
    timeoutMs: 30_000, // a hang guard: nothing here waits for a timeout
    maxRedirects: 5,
    userAgent: 'firstseen-test',
    allowLoopback: true,
    allowedNetworks: [],
  });
  t.teardown(() => fetcher.close());
  // The check's budget holds two of the three files that fit the per-file cap.
  const budget = 2 * fits.length + 5;
  const recorder = await createWarcRecorder({
    checkId: 'chk_big',
    maxBytes: budget,
    software: SOFTWARE,
    log,
  });
  const urls = ['declared', 'endless', 'a', 'b', 'c'].map((n) => `https://media.example/${n}.jpg`);
  const report = await pipeline(w, fetcher).check({
    checkId: 'chk_big',
    org: 'o',
    targets: urls.map((url) => ({ url, input: url })),
    recorder,
  });
  t.same(report.media.map((m) => m.error?.code ?? 'ok').slice(0, 2), ['too_large', 'too_large']);
  const dir = await tempDir(t);
  const store = createDirectoryStore(dir, 0);
  const summary = await archiveCheck({ recorder, store, org: 'o', report });
  t.ok(summary.payload_bytes <= budget, `bodies kept ${summary.payload_bytes} <= ${budget}`);
  const file = await buffer((await store.get('o', 'chk_big'))!.stream);
  const wacz = await verifyWacz(file);
  const responses = wacz.records.filter((r) => r.headers.get('warc-type') === 'response');
  t.equal(responses.length, 5, 'every exchange has its record');
  const kept = responses.filter((r) => r.payload.length > 0);
  t.equal(kept.length, 2, 'two bodies within the budget');
  for (const r of responses.filter((r) => r.payload.length === 0))
    t.equal(r.headers.get('warc-truncated'), 'length', `${r.headers.get('warc-target-uri')}: said to be cut`);
  // Headers and framing on top of the bodies: a few KB per record, never another body.
  t.ok(file.length < budget + 16_384, `archive ${file.length} bytes for a budget of ${budget}`);
});

t.test('an uploaded original is in the archive as a resource record', async (t) => {
  const photo = image('exif-samples/jpg/Canon_40D.jpg');
  const w = await startWorld(t, {});
  const recorder = await createWarcRecorder({
    checkId: 'chk_up',
    maxBytes: 1 << 24,
    software: SOFTWARE,
    log,
  });
  const report = await pipeline(w, w.deps.fetcher).check({
    checkId: 'chk_up',
    org: 'o',
    targets: [{ url: `upload:${sha(photo)}`, input: 'upload' }],
    uploads: async (s) => (s === sha(photo) ? photo : null),
    recorder,
  });
  t.equal(report.media[0]?.status, 'ok');
  const dir = await tempDir(t);
  const store = createDirectoryStore(dir, 0);
  await archiveCheck({ recorder, store, org: 'o', report });
  const wacz = await verifyWacz(await buffer((await store.get('o', 'chk_up'))!.stream));
  const resource = wacz.records.find((r) => r.headers.get('warc-type') === 'resource');
  t.equal(resource?.headers.get('warc-target-uri'), `upload:${sha(photo)}`);
  t.ok(resource?.payload.equals(photo), 'the original bytes');
});

t.test('text is deflated in the WARC, media bytes are stored as they are, and both verify', async (t) => {
  // 300 KB of an API answer (compresses well) and 300 KB that does not compress (as JPEG data).
  const text = Buffer.from(
    JSON.stringify(Array.from({ length: 3000 }, (_, i) => ({ id: i, text: `post number ${i}` }))),
  );
  const noise = randomBytes(300_000);
  const recorder = await createWarcRecorder({
    checkId: 'chk_gz',
    maxBytes: 1 << 24,
    software: SOFTWARE,
    log,
  });
  const exchange = (url: string, type: string, body: Buffer) =>
    recorder.exchange({
      method: 'POST',
      url,
      requestHeaders: { 'content-type': 'application/json' },
      requestBody: '{"q":1}',
      date: new Date(),
      status: 200,
      statusText: 'OK',
      responseHeaders: { 'content-type': type },
      body,
    });
  exchange('https://api.example/answer', 'application/json', text);
  exchange('https://media.example/noise.jpg', 'image/jpeg', noise);
  const dir = await tempDir(t);
  const store = createDirectoryStore(dir, 0);
  const report = {
    check_id: 'chk_gz',
    targets: [{ url: 'https://api.example/answer' }],
    posts: [],
    media: [],
  } as unknown as Parameters<typeof archiveCheck>[0]['report'];
  const summary = await archiveCheck({ recorder, store, org: 'o', report });
  const file = await buffer((await store.get('o', 'chk_gz'))!.stream);
  t.equal(sha(file), summary.sha256);
  const wacz = await verifyWacz(file);
  const payloads = wacz.records
    .filter((r) => r.headers.get('warc-type') === 'response')
    .map((r) => r.payload);
  t.ok(payloads[0]?.equals(text) && payloads[1]?.equals(noise), 'both bodies, exactly');
  const requests = wacz.records.filter((r) => r.headers.get('warc-type') === 'request');
  t.same(
    requests.map((r) => r.payload.toString()),
    ['{"q":1}', '{"q":1}'],
    'request bodies (their block digests verified above)',
  );
  for (const r of requests)
    t.equal(r.headers.get('warc-payload-digest'), `sha256:${sha(Buffer.from('{"q":1}'))}`);
  const warcBytes = wacz.entries.get('archive/data.warc.gz')!.data.length;
  // The text shrinks to a fraction; the noise is kept with a few bytes of framing per 64 KB.
  t.ok(warcBytes < noise.length + text.length / 3, `WARC of ${warcBytes} bytes`);
  t.ok(warcBytes > noise.length, 'the noise is all there');
});
