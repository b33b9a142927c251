// Answers a resolver must survive: wrong types, hostile URLs, huge lists and strings, broken HTML.
// Whatever comes back, resolveTarget returns a valid resolution (never throws), lists are capped and
// no URL other than http(s) gets through.
import t from 'tap';
import { resolveTarget, type Resolution } from '../../../src/pipeline/resolve/index.js';
import { parseHtml, findAll, textOf, decodeEntities } from '../../../src/pipeline/resolve/html.js';
import { checkResolution } from './check-schema.js';
import { html, json, startWorld, type Route } from './world.js';

const photo = (k: number) => ({ type: 'photo', media_url_https: `https://pbs.twimg.com/media/P${k}.jpg` });
const long = 'A'.repeat(200_000);

const BODIES: unknown[] = [
  null,
  [],
  'text',
  42,
  {},
  { __typename: 'Tweet' },
  { __typename: 'Tweet', id_str: '1', mediaDetails: 'nope', user: [], text: 7 },
  {
    __typename: 'Tweet',
    id_str: '1',
    text: long,
    user: { screen_name: long, name: '\u202eevil\u0000' },
    mediaDetails: [
      null,
      1,
      { type: 'photo', media_url_https: 'javascript:alert(1)' },
      { type: 'video', video_info: { variants: [{ url: 'file:///etc/passwd', content_type: 'video/mp4' }] } },
      ...Array.from({ length: 500 }, (_, k) => photo(k)),
    ],
  },
  {
    thread: {
      $type: 'app.bsky.feed.defs#threadViewPost',
      post: {
        uri: 'at://x/app.bsky.feed.post/1',
        embed: { $type: 'app.bsky.embed.images#view', images: 'x' },
      },
    },
  },
  { thread: { post: { uri: 42 } } },
  {
    id: '1',
    account: null,
    media_attachments: [null, { type: 'image', url: 'data:image/png;base64,AA' }],
    content: { x: 1 },
  },
  [
    {
      data: {
        children: [
          {
            data: {
              id: 'abc',
              media_metadata: { a: null },
              gallery_data: { items: [{ media_id: 'a' }] },
              preview: 5,
            },
          },
        ],
      },
    },
  ],
];

const HTML_BODIES = [
  '<div class="tgme_widget_message" data-post="examplefront/1"><a class="tgme_widget_message_photo_wrap" style="background-image:url(\'javascript:alert(1)\')"></a>',
  '<'.repeat(10_000),
  '<div>'.repeat(50_000) + 'deep' + '</div>'.repeat(10),
  '<a href="x" <<<< data-post=examplefront/1 class=tgme_widget_message><time datetime="2024-13-45">',
  '<script>' + 'x'.repeat(100_000),
  '<!--' + '<div class="tgme_widget_message" data-post="examplefront/1">',
];

function check(t: Parameters<typeof checkResolution>[0], r: Resolution) {
  checkResolution(t, r);
  const urls = JSON.stringify(r).match(/"(url|poster_url)":"[^"]*"/g) ?? [];
  t.notOk(
    urls.some((u) => !/"(url|poster_url)":"https?:/.test(u)),
    'only http(s) URLs',
  );
  if (r.kind === 'post') t.ok(r.post.media.length <= 20, 'media capped');
}

t.test('broken JSON answers from every API', async (t) => {
  let k = 0;
  const next: Route = (req, url, res) => json(BODIES[k % BODIES.length] as object)(req, url, res);
  const w = await startWorld(t, {
    'cdn.syndication.twimg.com': { '*': next },
    'public.api.bsky.app': { '*': next },
    'social.example': { '*': next },
    'www.reddit.com': { '*': next },
  });
  for (k = 0; k < BODIES.length; k++) {
    for (const url of [
      'https://x.com/a/status/1',
      'https://bsky.app/profile/did:plc:abcdefghijklmnopqrstuvwx/post/3k',
      'https://social.example/@a/1',
      'https://www.reddit.com/comments/abc/',
    ]) {
      const r = await resolveTarget(url, w.deps);
      check(t, r);
    }
  }
  t.same(w.undeclared, []);
});

t.test('broken HTML from Telegram and web pages', async (t) => {
  let k = 0;
  const next: Route = (req, url, res) => html(HTML_BODIES[k % HTML_BODIES.length] as string)(req, url, res);
  const w = await startWorld(t, { 't.me': { '*': next }, 'page.example': { '*': next } });
  for (k = 0; k < HTML_BODIES.length; k++) {
    check(t, await resolveTarget('https://t.me/examplefront/1', w.deps));
    check(t, await resolveTarget('https://page.example/a', w.deps));
  }
});

t.test('the HTML reader', async (t) => {
  const root = parseHtml(
    '<p class="a b">one<br>two &amp; &#x1F600; &bogus; &#0;<script>var s = "</p><p class=a>";</script>' +
      "<img src=/x.jpg alt='q\"uote' WIDTH=10><P>three</p></div><title>T &lt;1&gt;</title>",
  );
  const ps = findAll(root, (el) => el.tag === 'p');
  t.equal(ps.length, 2, 'the <p> inside the script is text, not markup');
  t.equal(textOf(ps[0]!), 'one\ntwo & 😀 &bogus; \ufffd');
  const img = findAll(root, (el) => el.tag === 'img')[0];
  t.same(img?.attrs, { src: '/x.jpg', alt: 'q"uote', width: '10' });
  t.equal(textOf(findAll(root, (el) => el.tag === 'title')[0]!), 'T <1>');
  t.equal(decodeEntities('&mdash;&laquo;x&raquo;&#8217;'), '—«x»’');
  const imgs = (r: ReturnType<typeof parseHtml>) => findAll(r, (el) => el.tag === 'img').length;
  t.equal(imgs(parseHtml('<b></b>'.repeat(19_999) + '<img src=a.jpg>')), 1, 'up to the element cap');
  t.equal(
    imgs(parseHtml('<b></b>'.repeat(20_000) + '<img src=a.jpg>')),
    0,
    'past the element cap, the rest is ignored',
  );
  t.equal(imgs(parseHtml('<div>'.repeat(255) + '<img src=a.jpg>')), 1, 'up to the depth cap');
  const deep = parseHtml('<span>'.repeat(300_000) + '<img src=a.jpg>');
  t.equal(findAll(deep, () => true, 1e6).length, 256, 'past the depth cap, the rest is ignored');
  t.equal(imgs(deep), 0);
  const many = parseHtml(`<a ${Array.from({ length: 100 }, (_, k) => `a${k}=${k}`).join(' ')} a0=again>`);
  const attrs = findAll(many, (el) => el.tag === 'a')[0]?.attrs ?? {};
  t.equal(Object.keys(attrs).length, 64, 'attributes per element are capped');
  t.equal(attrs.a0, '0', 'the first of repeated attributes wins');
  const huge = parseHtml(`<meta content="${long}">`);
  t.equal(
    findAll(huge, (el) => el.tag === 'meta')[0]?.attrs.content?.length,
    16_384,
    'attribute values are capped',
  );
});
