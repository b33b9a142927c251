// Bluesky through the public AppView: images, a video with a quoted post, handle resolution when the
// AppView cannot resolve a handle itself, and missing posts.
import { readFileSync } from 'node:fs';
import t from 'tap';
import { SOFTWARE } from '../../../src/archive/archive-check.js';
import { createWarcRecorder } from '../../../src/archive/warc-recorder.js';
import { testPipeline } from '../../helpers/pipeline.js';
import { resolveTarget } from '../../../src/pipeline/resolve/index.js';
import { expectError, expectPost } from './check-schema.js';
import { fixture, json, startWorld, type Route } from './world.js';

const DID = 'did:plc:abcdefghijklmnopqrstuvwx';
const DID2 = 'did:plc:zyxwvutsrqponmlkjihgfedc';

/** getPostThread answering by the at:// URI it is asked for. */
const thread =
  (byUri: Record<string, Route>): Route =>
  (req, url, res) => {
    if (url.searchParams.get('depth') !== '0') {
      res.writeHead(400, { 'content-type': 'application/json' });
      return res.end('{"error":"InvalidRequest","message":"depth expected"}');
    }
    const route = byUri[url.searchParams.get('uri') ?? ''];
    if (route) return route(req, url, res);
    json(fixture('bluesky/thread-not-found.json'), 400)(req, url, res);
  };

t.test('a post with two images, addressed by handle', async (t) => {
  const w = await startWorld(t, {
    'public.api.bsky.app': {
      '/xrpc/app.bsky.feed.getPostThread': thread({
        'at://example-witness.bsky.social/app.bsky.feed.post/3kabcdefghi2x': json(
          fixture('bluesky/thread-images.json'),
        ),
      }),
    },
  });
  const post = expectPost(
    t,
    await resolveTarget('https://bsky.app/profile/example-witness.bsky.social/post/3kabcdefghi2x', w.deps),
  );
  t.equal(post.platform, 'bluesky');
  t.equal(post.id, `at://${DID}/app.bsky.feed.post/3kabcdefghi2x`, 'the id is the at:// URI with the DID');
  t.equal(post.url, 'https://bsky.app/profile/example-witness.bsky.social/post/3kabcdefghi2x');
  t.same(post.author, {
    handle: 'example-witness.bsky.social',
    display_name: 'Example Witness',
    id: DID,
    url: 'https://bsky.app/profile/example-witness.bsky.social',
  });
  t.equal(post.posted_at, '2024-08-12T21:14:05.123Z');
  t.equal(post.language, 'en');
  t.equal(post.text, 'Smoke visible from the north road, 9pm');
  t.same(post.media, [
    {
      type: 'photo',
      url: `https://cdn.bsky.app/img/feed_fullsize/plain/${DID}/bafkreiimageone@jpeg`,
      alt_text: 'Smoke over the ridge at dusk',
    },
    { type: 'photo', url: `https://cdn.bsky.app/img/feed_fullsize/plain/${DID}/bafkreiimagetwo@jpeg` },
  ]);
  t.notOk(post.sensitive);
  t.match(post.metadata_note, /Bluesky strips EXIF/);
  t.same(w.undeclared, []);
});

/** A DID document as the PLC directory serves it, naming the account's PDS. */
const didDocument = (did: string, pds: string) =>
  json({
    '@context': ['https://www.w3.org/ns/did/v1'],
    id: did,
    alsoKnownAs: ['at://example-news.bsky.social'],
    service: [{ id: '#atproto_pds', type: 'AtprotoPersonalDataServer', serviceEndpoint: pds }],
  });

t.test('a video with a quoted post (recordWithMedia); a handle the AppView cannot resolve', async (t) => {
  const w = await startWorld(t, {
    'plc.directory': { [`/${DID2}`]: didDocument(DID2, 'https://morel.us-east.host.bsky.network') },
    'public.api.bsky.app': {
      '/xrpc/app.bsky.feed.getPostThread': thread({
        'at://example-news.bsky.social/app.bsky.feed.post/3lvideopost22': json(
          { error: 'InvalidRequest', message: 'Unable to resolve handle' },
          400,
        ),
        [`at://${DID2}/app.bsky.feed.post/3lvideopost22`]: json(fixture('bluesky/thread-video.json')),
      }),
      '/xrpc/com.atproto.identity.resolveHandle': (req, url, res) =>
        url.searchParams.get('handle') === 'example-news.bsky.social'
          ? json({ did: DID2 })(req, url, res)
          : json({ error: 'InvalidRequest', message: 'Unable to resolve handle' }, 400)(req, url, res),
    },
  });
  const post = expectPost(
    t,
    await resolveTarget('https://bsky.app/profile/example-news.bsky.social/post/3lvideopost22', w.deps),
  );
  t.same(
    post.trail.map((s) => [s.endpoint, s.http_status]),
    [
      ['input', undefined],
      ['bluesky_appview', 400],
      ['bluesky_resolve_handle', 200],
      ['bluesky_appview', 200],
      ['bluesky_did_document', 200],
    ],
  );
  t.equal(post.language, 'fr');
  t.equal(post.sensitive, true, 'labelled graphic-media');
  const [video] = post.media;
  t.equal(video?.type, 'video');
  t.equal(
    video?.url,
    `https://morel.us-east.host.bsky.network/xrpc/com.atproto.sync.getBlob?did=${encodeURIComponent(DID2)}&cid=bafkreivideoblob`,
    'the original blob from the author’s PDS',
  );
  t.match(video?.poster_url, /\/thumbnail\.jpg$/);
  t.equal(video?.alt_text, 'Dashcam footage of the crossing');
  t.same(
    video?.variants?.map((v) => v.content_type),
    ['video/mp4', 'application/x-mpegURL'],
    'the playlist stays as a variant',
  );
  t.same(w.undeclared, []);
  t.equal(post.quoted?.id, `at://${DID}/app.bsky.feed.post/3kabcdefghi2x`);
  t.equal(post.quoted?.author.handle, 'example-witness.bsky.social');
  t.equal(post.quoted?.text, 'Smoke visible from the north road, 9pm');
  t.equal(post.quoted?.media.length, 1);
});

t.test('a DID in the URL; a missing post; a profile link', async (t) => {
  const w = await startWorld(t, {
    'public.api.bsky.app': {
      '/xrpc/app.bsky.feed.getPostThread': thread({
        [`at://${DID}/app.bsky.feed.post/3kabcdefghi2x`]: json(fixture('bluesky/thread-images.json')),
        [`at://${DID}/app.bsky.feed.post/3kblocked0000`]: json({
          thread: {
            $type: 'app.bsky.feed.defs#blockedPost',
            uri: `at://${DID}/app.bsky.feed.post/3kblocked0000`,
            blocked: true,
          },
        }),
      }),
    },
  });
  const post = expectPost(
    t,
    await resolveTarget(`https://bsky.app/profile/${DID}/post/3kabcdefghi2x`, w.deps),
  );
  t.equal(post.media.length, 2);
  const missing = expectError(
    t,
    await resolveTarget(`https://bsky.app/profile/${DID}/post/3kdeleted0000`, w.deps),
    'post_not_found',
  );
  t.match(missing.message, /Post not found/);
  expectError(
    t,
    await resolveTarget(`https://bsky.app/profile/${DID}/post/3kblocked0000`, w.deps),
    'post_protected',
  );
  expectError(t, await resolveTarget(`https://bsky.app/profile/${DID}`, w.deps), 'unsupported_url');
  t.same(w.undeclared, []);
});

t.test('the video blob is fetched from the PDS and read as a video, and archived', async (t) => {
  const mp4 = readFileSync(new URL('../../fixtures/video/pattern-sd-grey-bar.mp4', import.meta.url));
  const w = await startWorld(t, {
    'public.api.bsky.app': {
      '/xrpc/app.bsky.feed.getPostThread': thread({
        [`at://${DID2}/app.bsky.feed.post/3lvideopost22`]: json(fixture('bluesky/thread-video.json')),
      }),
    },
    'plc.directory': { [`/${DID2}`]: didDocument(DID2, 'https://pds.example') },
    'pds.example': {
      '/xrpc/com.atproto.sync.getBlob': (_req, url, res) =>
        url.searchParams.get('did') === DID2 && url.searchParams.get('cid') === 'bafkreivideoblob'
          ? res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': mp4.length }).end(mp4)
          : res.writeHead(404).end(),
    },
    // The quoted post's image.
    'cdn.bsky.app': { '*': (_q, _u, r) => r.writeHead(404).end() },
  });
  const recorder = await createWarcRecorder({
    checkId: 'chk_bsky',
    maxBytes: 1 << 24,
    software: SOFTWARE,
    log: w.deps.log,
  });
  const report = await testPipeline({
    fetcher: w.deps.fetcher,
    endpoints: w.endpoints,
    log: w.deps.log,
  }).check({
    checkId: 'chk_bsky',
    org: 'o',
    targets: [{ url: `https://bsky.app/profile/${DID2}/post/3lvideopost22`, input: 'x' }],
    recorder,
  });
  const item = report.media.find((m) => m.source_url.includes('getBlob'));
  t.equal(item?.status, 'ok', 'no longer not_media');
  t.equal(item?.mime, 'video/mp4');
  t.equal(item?.bytes, mp4.length);
  const warc = await recorder.finish();
  t.teardown(() => warc.remove());
  t.ok(
    warc.cdxj.some((line) => line.includes('com.atproto.sync.getblob') || line.includes('getBlob')),
    'the blob is in the archive index',
  );
  t.same(w.undeclared, []);
});

t.test('a DID document without a PDS: the playlist, as before', async (t) => {
  const w = await startWorld(t, {
    'public.api.bsky.app': {
      '/xrpc/app.bsky.feed.getPostThread': thread({
        [`at://${DID2}/app.bsky.feed.post/3lvideopost22`]: json(fixture('bluesky/thread-video.json')),
      }),
    },
    'plc.directory': { '*': json({ message: 'DID not registered' }, 404) },
  });
  const post = expectPost(
    t,
    await resolveTarget(`https://bsky.app/profile/${DID2}/post/3lvideopost22`, w.deps),
  );
  t.match(post.media[0]?.url, /\/bafkreivideoblob\/playlist\.m3u8$/);
  t.same(w.undeclared, []);
});
