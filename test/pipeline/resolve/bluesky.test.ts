// Bluesky through the public AppView: images, a video with a quoted post, handle resolution when the
// AppView cannot resolve a handle itself, and missing posts.
import t from 'tap';
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

t.test('a video with a quoted post (recordWithMedia); a handle the AppView cannot resolve', async (t) => {
  const w = await startWorld(t, {
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
    ],
  );
  t.equal(post.language, 'fr');
  t.equal(post.sensitive, true, 'labelled graphic-media');
  const [video] = post.media;
  t.equal(video?.type, 'video');
  t.match(video?.url, /\/bafkreivideoblob\/playlist\.m3u8$/);
  t.match(video?.poster_url, /\/thumbnail\.jpg$/);
  t.equal(video?.alt_text, 'Dashcam footage of the crossing');
  t.same(
    video?.variants?.map((v) => v.content_type),
    ['application/x-mpegURL'],
  );
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
