// Reddit through the post's JSON: a gallery in order, an i.redd.it image, share links, restrictions.
import t from 'tap';
import { resolveTarget } from '../../../src/pipeline/resolve/index.js';
import { expectError, expectPost } from './check-schema.js';
import { fixture, html, json, redirect, startWorld } from './world.js';

t.test('a gallery: items in gallery_data order, &amp; unescaped, captions, animated items', async (t) => {
  const w = await startWorld(t, {
    'www.reddit.com': { '/comments/1b2c3d4.json': json(fixture('reddit/gallery.json')) },
  });
  const post = expectPost(
    t,
    await resolveTarget(
      'https://www.reddit.com/r/ExampleNews/comments/1b2c3d4/photos_from_the_protest/',
      w.deps,
    ),
  );
  t.equal(post.platform, 'reddit');
  t.equal(post.id, '1b2c3d4');
  t.equal(
    post.url,
    'https://www.reddit.com/r/ExampleNews/comments/1b2c3d4/photos_from_the_protest_downtown_the_police_line/',
  );
  t.same(post.author, {
    handle: 'example_photographer',
    id: 't2_abc123',
    url: 'https://www.reddit.com/user/example_photographer/',
  });
  t.equal(post.posted_at, '2024-02-27T11:00:00.000Z');
  t.equal(post.text, 'Photos from the protest downtown & the police line');
  t.same(post.media, [
    {
      type: 'photo',
      url: 'https://preview.redd.it/zzz333.jpg?width=1920&format=pjpg&auto=webp&s=123456',
      width: 1920,
      height: 1080,
      alt_text: 'The police line at 3pm',
    },
    {
      type: 'photo',
      url: 'https://preview.redd.it/aaa111.jpg?width=4000&format=pjpg&auto=webp&s=abcdef',
      width: 4000,
      height: 3000,
    },
    {
      type: 'gif',
      url: 'https://preview.redd.it/ggg777.gif?format=mp4&s=789',
      width: 480,
      height: 270,
      alt_text: 'Flag waving, looped',
      variants: [
        { url: 'https://preview.redd.it/ggg777.gif?format=mp4&s=789', content_type: 'video/mp4' },
        { url: 'https://i.redd.it/ggg777.gif', content_type: 'image/gif' },
      ],
    },
  ]);
  t.match(post.metadata_note, /Reddit strips EXIF/);
});

t.test('an i.redd.it image post from redd.it/<id>, old.reddit.com and a share link', async (t) => {
  let reddit = '';
  const w = await startWorld(t, {
    'www.reddit.com': {
      '/comments/9x8y7z.json': json(fixture('reddit/image.json')),
      '/r/pics/s/AbCdEf123': (q, u, r) =>
        redirect(`${reddit}/r/pics/comments/9x8y7z/storm_cell/?share_id=x`)(q, u, r),
    },
  });
  reddit = w.base('www.reddit.com');
  for (const url of [
    'https://redd.it/9x8y7z',
    'https://old.reddit.com/r/pics/comments/9x8y7z/storm_cell_over_the_lake_last_night/',
    'https://www.reddit.com/r/pics/s/AbCdEf123',
  ]) {
    const post = expectPost(t, await resolveTarget(url, w.deps));
    t.same(
      post.media,
      [{ type: 'photo', url: 'https://i.redd.it/abcd1234efgh.jpeg', width: 3024, height: 4032 }],
      url,
    );
  }
  t.same(w.undeclared, []);
});

t.test('age-restricted, private, missing and removed posts', async (t) => {
  let reddit = '';
  const removed = JSON.parse(fixture('reddit/image.json').toString());
  removed[0].data.children[0].data.removed_by_category = 'moderator';
  const w = await startWorld(t, {
    'www.reddit.com': {
      '/comments/nsfw01.json': (q, u, r) =>
        redirect(`${reddit}/over18?dest=https%3A%2F%2Fwww.reddit.com%2Fcomments%2Fnsfw01.json`, 302)(q, u, r),
      '/over18': (_q, _u, r) =>
        r.writeHead(200, { 'content-type': 'text/html' }).end('<html>Are you over 18?</html>'),
      '/comments/priv01.json': json({ reason: 'private', message: 'Forbidden', error: 403 }, 403),
      '/comments/gone01.json': json({ message: 'Not Found', error: 404 }, 404),
      '/comments/rmvd01.json': json(removed),
      '/comments/block1.json': html('<html>You have been blocked by network security.</html>', 403),
    },
  });
  reddit = w.base('www.reddit.com');
  expectError(
    t,
    await resolveTarget('https://www.reddit.com/r/x/comments/nsfw01/', w.deps),
    'post_age_restricted',
  );
  expectError(
    t,
    await resolveTarget('https://www.reddit.com/r/x/comments/priv01/', w.deps),
    'post_protected',
  );
  expectError(
    t,
    await resolveTarget('https://www.reddit.com/r/x/comments/gone01/', w.deps),
    'post_not_found',
  );
  const r = expectError(
    t,
    await resolveTarget('https://www.reddit.com/r/x/comments/rmvd01/', w.deps),
    'post_deleted',
  );
  t.match(r.message, /moderator/);
  const blocked = expectError(
    t,
    await resolveTarget('https://www.reddit.com/r/x/comments/block1/', w.deps),
    'http_error',
  );
  t.equal(blocked.http_status, 403, 'Reddit refusing us is not a private post');
  expectError(t, await resolveTarget('https://www.reddit.com/r/pics/', w.deps), 'unsupported_url');
});
