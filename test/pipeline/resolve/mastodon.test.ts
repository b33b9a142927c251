// Mastodon: any host with a status-shaped URL is asked its API; a host without the API is a web page.
import t from 'tap';
import { resolveTarget } from '../../../src/pipeline/resolve/index.js';
import { expectError, expectPost } from './check-schema.js';
import { fixture, html, json, startWorld } from './world.js';

const ID = '112233445566778899';

t.test('a status with a photo and a gifv, from /@user/<id> and /users/<user>/statuses/<id>', async (t) => {
  const w = await startWorld(t, {
    'social.example': { [`/api/v1/statuses/${ID}`]: json(fixture('mastodon/status-media.json')) },
  });
  for (const url of [
    `https://social.example/@beispiel/${ID}`,
    `https://social.example/users/beispiel/statuses/${ID}`,
    `https://social.example/@beispiel/${ID}/embed`,
  ]) {
    const post = expectPost(t, await resolveTarget(url, w.deps));
    t.equal(post.platform, 'mastodon');
    t.equal(post.id, ID);
    t.equal(post.url, `https://social.example/@beispiel/${ID}`);
    t.same(post.author, {
      handle: 'beispiel@social.example',
      display_name: 'Beispiel Reporterin',
      id: '109876543210',
      url: 'https://social.example/@beispiel',
    });
    t.equal(post.posted_at, '2024-04-03T14:22:10.000Z');
    t.equal(post.language, 'de');
    t.equal(
      post.text,
      'Brücke bei Nacht, heute 21 Uhr.\nZweites Bild: gleiche Stelle & andere Richtung.\n#Hochwasser',
      'HTML content as text',
    );
    t.same(post.media[0], {
      type: 'photo',
      url: 'https://files.social.example/media_attachments/files/112/233/445/500/000/001/original/8f3a2b1c.jpeg',
      width: 3024,
      height: 4032,
      alt_text: 'Die Brücke bei Nacht, Wasser bis zur Kante',
    });
    t.equal(post.media[1]?.type, 'gif');
    t.match(post.media[1]?.poster_url, /small\/9a8b7c6d\.png$/);
    t.match(post.metadata_note, /Mastodon strips EXIF/);
  }
  t.same(w.hits('social.example'), Array(3).fill(`/api/v1/statuses/${ID}`));
});

t.test('a boost carries the boosted status; missing and private statuses', async (t) => {
  const original = JSON.parse(fixture('mastodon/status-media.json').toString());
  const boost = {
    ...original,
    id: '112233445566770000',
    url: undefined,
    uri: 'https://other.example/users/booster/statuses/112233445566770000/activity',
    content: '',
    media_attachments: [],
    account: {
      ...original.account,
      id: '5',
      acct: 'booster@other.example',
      display_name: 'Booster',
      url: 'https://other.example/@booster',
    },
    reblog: original,
  };
  const w = await startWorld(t, {
    'social.example': {
      '/api/v1/statuses/112233445566770000': json(boost),
      '/api/v1/statuses/1': json({ error: 'Record not found' }, 404),
      '/api/v1/statuses/2': json({ error: 'This action is not allowed' }, 403),
    },
  });
  const post = expectPost(
    t,
    await resolveTarget('https://social.example/@booster@other.example/112233445566770000', w.deps),
  );
  t.equal(post.author.handle, 'booster@other.example');
  t.same(post.media, []);
  t.equal(post.reposted?.id, ID);
  t.equal(post.reposted?.media.length, 2);
  const missing = expectError(
    t,
    await resolveTarget('https://social.example/@a/1', w.deps),
    'post_not_found',
  );
  t.equal(missing.message, 'Record not found');
  expectError(t, await resolveTarget('https://social.example/@a/2', w.deps), 'post_protected');
});

t.test('a site with a status-shaped path but no Mastodon API is read as a web page', async (t) => {
  const w = await startWorld(t, {
    'blog.example': {
      '/@writer/12345': html(
        '<html><head><meta property="og:title" content="A blog post"><meta property="og:image" content="/cover.jpg"></head></html>',
      ),
    },
  });
  const r = await resolveTarget('https://blog.example/@writer/12345', w.deps);
  if (r.kind !== 'page') throw new Error(JSON.stringify(r));
  t.equal(r.page.title, 'A blog post');
  t.equal(r.page.media[0]?.url, 'https://blog.example/cover.jpg');
  t.same(
    r.page.trail.map((s) => [s.endpoint, s.http_status]),
    [
      ['input', undefined],
      ['mastodon_api', 404],
      ['web_page', 200],
    ],
  );
});
