// Telegram public channels through the web preview: a photo, an album item, a video, missing posts.
import t from 'tap';
import { resolveTarget } from '../../../src/pipeline/resolve/index.js';
import { expectError, expectPost } from './check-schema.js';
import { fixture, html, startWorld } from './world.js';

const page = html(fixture('telegram/channel-page.html'));
const embedError = html(
  '<html><body class="widget_frame_base"><div class="tgme_widget_message_error">Post not found</div></body></html>',
);

t.test('a photo post: text, time, author and the photo URL', async (t) => {
  const w = await startWorld(t, { 't.me': { '/s/examplefront/4412': page } });
  const post = expectPost(t, await resolveTarget('https://t.me/examplefront/4412', w.deps));
  t.equal(post.platform, 'telegram');
  t.equal(post.id, 'examplefront/4412');
  t.equal(post.url, 'https://t.me/examplefront/4412');
  t.same(post.author, {
    handle: 'examplefront',
    display_name: 'Example Front Channel',
    url: 'https://t.me/examplefront',
  });
  t.equal(post.posted_at, '2024-02-24T10:15:42.000Z');
  t.equal(
    post.text,
    'Column of vehicles seen near the bridge.\n\nLocation not yet verified & time unclear. Subscribe',
  );
  t.same(post.media, [{ type: 'photo', url: 'https://cdn4.telesco.pe/file/Ph0toAbCdEfGhIjKlMnOp.jpg' }]);
  t.match(post.metadata_note, /Telegram recompresses/);
  t.same(w.hits('t.me'), ['/s/examplefront/4412']);
});

t.test('an album item resolves to the album, pointing at the item; a video post', async (t) => {
  const w = await startWorld(t, { 't.me': { '*': page } });
  const album = expectPost(t, await resolveTarget('https://t.me/examplefront/4414', w.deps));
  t.equal(album.id, 'examplefront/4413');
  t.same(
    album.media.map((m) => m.url),
    ['https://cdn4.telesco.pe/file/AlBuMoNe.jpg', 'https://cdn4.telesco.pe/file/AlBuMtWo.jpg'],
  );
  t.equal(album.selected_media_index, 1);

  const video = expectPost(t, await resolveTarget('https://t.me/s/examplefront/4415', w.deps));
  t.same(video.media, [
    {
      type: 'video',
      url: 'https://cdn4.telesco.pe/file/ViDeOfIlE.mp4?token=abc123',
      poster_url: 'https://cdn4.telesco.pe/file/ViDeOtHuMb.jpg',
      variants: [
        { url: 'https://cdn4.telesco.pe/file/ViDeOfIlE.mp4?token=abc123', content_type: 'video/mp4' },
      ],
    },
  ]);
  t.equal(video.text, 'Video from the crossing.');
});

t.test('a message that is on neither page is post_not_found; private links are post_protected', async (t) => {
  const w = await startWorld(t, {
    't.me': { '/s/examplefront/999': page, '/examplefront/999': embedError },
  });
  const r = expectError(t, await resolveTarget('https://t.me/examplefront/999', w.deps), 'post_not_found');
  t.equal(r.message, 'Post not found');
  t.same(
    w.hits('t.me'),
    ['/s/examplefront/999', '/examplefront/999?embed=1&mode=tme'],
    'the page, then the widget',
  );
  expectError(t, await resolveTarget('https://t.me/c/1234567890/55', w.deps), 'post_protected');
  expectError(t, await resolveTarget('https://t.me/examplefront', w.deps), 'unsupported_url');
  t.same(w.undeclared, []);
});
