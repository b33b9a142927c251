// Web pages: Open Graph media, article body images (without icons, pixels, data: URIs and SVGs),
// embedded posts resolved one level deep and deduplicated, and direct media links.
import t from 'tap';
import { resolveTarget } from '../../../src/pipeline/resolve/index.js';
import { syndicationToken } from '../../../src/pipeline/resolve/x.js';
import { checkResolution, expectError } from './check-schema.js';
import { fixture, html, json, startWorld, type Route } from './world.js';

const DID = 'did:plc:abcdefghijklmnopqrstuvwx';
const SEED_ID = '1498765432101234567';

const syndication: Route = (req, url, res) => {
  const id = url.searchParams.get('id') ?? '';
  if (id === SEED_ID && url.searchParams.get('token') === syndicationToken(id))
    return json(fixture('x/syndication-one-photo.json'))(req, url, res);
  json({}, 404)(req, url, res);
};

t.test('a news article: og:image, body images, embedded tweet and Bluesky post', async (t) => {
  const w = await startWorld(t, {
    'news.example': { '/2022/03/rpg-photo': html(fixture('web/article.html')) },
    'cdn.syndication.twimg.com': { '/tweet-result': syndication },
    'public.api.bsky.app': {
      '/xrpc/app.bsky.feed.getPostThread': (req, url, res) =>
        url.searchParams.get('uri') === `at://${DID}/app.bsky.feed.post/3kabcdefghi2x`
          ? json(fixture('bluesky/thread-images.json'))(req, url, res)
          : json({ error: 'NotFound' }, 400)(req, url, res),
    },
  });
  const r = await resolveTarget('https://news.example/2022/03/rpg-photo', w.deps);
  checkResolution(t, r);
  if (r.kind !== 'page') throw new Error(JSON.stringify(r));
  const page = r.page;
  t.equal(page.title, 'What we know about the viral RPG photo', 'og:title over <title>');
  t.equal(page.site_name, 'Example Gazette');
  t.equal(page.canonical_url, 'https://news.example/2022/03/rpg-photo');
  t.equal(page.published_at, '2022-03-02T07:30:00.000Z');
  t.same(page.media, [
    {
      type: 'photo',
      url: 'https://cdn.news.example/images/rpg-lead-1200.jpg',
      origin: 'og:image',
      width: 1200,
      height: 630,
      alt_text: 'The photo as shared on social media',
    },
    {
      type: 'photo',
      url: 'https://news.example/images/rpg-crop-1600.jpg',
      alt_text: 'A crop of the photo showing the launcher',
      origin: 'img',
    },
    {
      type: 'photo',
      url: 'https://news.example/images/lazy-map.webp',
      alt_text: 'Map of the area',
      origin: 'img',
    },
  ]);
  t.same(
    page.embedded_posts.map((p) => [p.platform, p.id]),
    [
      ['x', SEED_ID],
      ['bluesky', `at://${DID}/app.bsky.feed.post/3kabcdefghi2x`],
    ],
    'each embedded post once, in page order',
  );
  t.equal(
    page.embedded_posts[0]?.media[0]?.url,
    'https://pbs.twimg.com/media/FMxAbCdWQAIh0sT?format=jpg&name=orig',
  );
  t.same(
    page.embedded_posts[0]?.trail.map((s) => s.endpoint),
    ['input', 'x_syndication'],
    'an embedded post has its own trail',
  );
  t.equal(
    page.embedded_posts[0]?.trail[0]?.url,
    `https://twitter.com/example_osint/status/${SEED_ID}`,
    'ref_src dropped',
  );
  t.same(page.embedded_failures, [
    {
      url: 'https://twitter.com/gone_account/status/1234567890123456789',
      code: 'post_not_found',
      message: 'X shows no post 1234567890123456789: deleted, never posted, or protected',
    },
  ]);
  t.same(
    page.trail.map((s) => s.endpoint),
    ['input', 'web_page'],
  );
  t.match(page.metadata_note, /re-encoded/);
  t.same(w.hits('cdn.syndication.twimg.com').length, 2, 'the tweet embedded twice is fetched once');
  t.same(w.undeclared, []);
});

t.test('an embedded page is not searched for further embeds', async (t) => {
  let inner = '';
  const w = await startWorld(t, {
    'outer.example': {
      '/': (q, u, r) =>
        html(
          `<html><body><blockquote class="mastodon-embed" data-embed-url="${inner}/@a/1/embed"></blockquote></body></html>`,
        )(q, u, r),
    },
    'inner.example': {
      '/api/v1/statuses/1': html('<html>not an API</html>'),
      '/@a/1': html(
        '<html><body><blockquote class="twitter-tweet"><a href="https://twitter.com/a/status/1">x</a></blockquote></body></html>',
      ),
    },
  });
  inner = w.base('inner.example');
  const r = await resolveTarget('https://outer.example/', w.deps);
  if (r.kind !== 'page') throw new Error(JSON.stringify(r));
  t.same(r.page.embedded_posts, [], 'the Mastodon-shaped link was a page: not a post');
  t.same(r.page.embedded_failures, []);
  t.same(w.undeclared, [], 'the tweet inside the inner page was never fetched');
});

t.test('direct media: by extension without fetching, by content type, by size', async (t) => {
  const big = Buffer.alloc(4 * 1024 * 1024, 1);
  const w = await startWorld(t, {
    'img.example': {
      '/render': (_q, _u, r) => r.writeHead(200, { 'content-type': 'image/webp' }).end(Buffer.from('RIFF')),
      '/huge': (_q, _u, r) =>
        r
          .writeHead(200, {
            'content-type': 'application/octet-stream',
            'content-length': String(big.length),
          })
          .end(big),
      '/gone': html('<html>gone</html>', 404),
    },
  });
  for (const url of ['https://img.example/photo.JPG', 'https://img.example/clip.mp4?x=1']) {
    const r = await resolveTarget(url, w.deps);
    t.same(r.kind === 'media' && r.url, url, url);
  }
  t.same(w.hits('img.example'), [], 'not fetched');
  const rendered = await resolveTarget('https://img.example/render', w.deps);
  t.equal(rendered.kind, 'media', 'image/* content type');
  const huge = await resolveTarget('https://img.example/huge', w.deps);
  t.equal(huge.kind, 'media', 'larger than any page: handed to the downloader');
  const gone = expectError(t, await resolveTarget('https://img.example/gone', w.deps), 'http_error');
  t.equal(gone.http_status, 404);
});

t.test('inputs that are not http(s) URLs', async (t) => {
  const w = await startWorld(t, {});
  expectError(t, await resolveTarget('not a url', w.deps), 'invalid_url');
  expectError(t, await resolveTarget('ftp://example.com/a.jpg', w.deps), 'unsupported_scheme');
  expectError(t, await resolveTarget('https://user:pw@example.com/', w.deps), 'invalid_url');
});
