// Fact-check articles: the ClaimReview and MediaReview JSON-LD of a page, read as Google's fact-check
// markup guide and schema.org write them (in @graph, in arrays, nested, with full-IRI types), with the
// pictures they name first in the page's media and the posts they name resolved; and hostile JSON-LD
// (deep nesting, huge arrays, wrong types, script-breaking strings) read within bounds.
import t from 'tap';
import { MAX_BLOCK_CHARS, readReviews, reviewsIn } from '../../../src/pipeline/resolve/claim-review.js';
import { HTML_MAX_BYTES } from '../../../src/pipeline/resolve/http.js';
import { resolveTarget } from '../../../src/pipeline/resolve/index.js';
import { syndicationToken } from '../../../src/pipeline/resolve/x.js';
import { factChecksSection } from '../../../src/views/fact-checks.js';
import { withoutStall } from '../../helpers/event-loop.js';
import { checkResolution } from './check-schema.js';
import { fixture, html, json, startWorld, type Route } from './world.js';

const TWEET = '1498765432101234567';
const syndication: Route = (req, url, res) => {
  const id = url.searchParams.get('id') ?? '';
  if (id === TWEET && url.searchParams.get('token') === syndicationToken(id))
    return json(fixture('x/syndication-one-photo.json'))(req, url, res);
  json({}, 404)(req, url, res);
};
const ARTICLE = 'https://factcheck.example/2022/01/07/weapons-depot-photo';

t.test(
  'a fact-check article: its reviews, the pictures they name first, the posts they name resolved',
  async (t) => {
    const w = await startWorld(t, {
      'factcheck.example': { '/2022/01/07/weapons-depot-photo': html(fixture('web/fact-check.html')) },
      'cdn.syndication.twimg.com': { '/tweet-result': syndication },
    });
    const r = await resolveTarget(ARTICLE, w.deps);
    checkResolution(t, r);
    if (r.kind !== 'page') throw new Error(JSON.stringify(r));
    t.same(r.page.reviews, [
      {
        type: 'ClaimReview',
        url: ARTICLE,
        title: 'Photo of protesters at a weapons depot is from 2016, not this week',
        claim: 'Photo shows protesters raiding weapons from a National Security Committee building this week',
        rating: 'Missing context',
        publisher: { name: 'Example Fact Check', site: 'https://factcheck.example/' },
        reviewed_at: '2022-01-07T00:00:00.000Z',
        language: 'en',
        item_urls: [`https://twitter.com/someone/status/${TWEET}`, 'https://archive.example/page/2016/depot'],
        media_urls: ['https://factcheck.example/images/viral-copy.jpg'],
      },
      {
        type: 'MediaReview',
        url: `${ARTICLE}#media`,
        title: null,
        claim: null,
        rating: 'OriginalMediaContent',
        publisher: { name: 'Example Fact Check', site: null },
        reviewed_at: '2022-01-07T10:15:00.000Z',
        language: null,
        item_urls: [],
        media_urls: [
          'https://factcheck.example/images/viral-copy.jpg',
          'https://archive.example/photos/2016/depot-original.jpg',
        ],
      },
    ]);
    t.same(
      r.page.media.map((m) => [m.origin, m.url]),
      [
        ['claim_review', 'https://factcheck.example/images/viral-copy.jpg'],
        ['claim_review', 'https://archive.example/photos/2016/depot-original.jpg'],
        ['og:image', 'https://factcheck.example/images/stamped-share.jpg'],
        ['img', 'https://factcheck.example/images/author-avatar.jpg'],
      ],
      'the reviewed pictures first, then the share image, then the body',
    );
    t.same(
      r.page.embedded_posts.map((p) => p.id),
      [TWEET],
      'the post where the claim appeared is resolved like an embedded one',
    );
    t.match(r.page.embedded_failures, [{ url: 'https://archive.example/page/2016/depot' }]);
  },
);

t.test('the shapes fact-check pages write', async (t) => {
  const page = 'https://fc.example/a';
  const one = (node: object) => readReviews([JSON.stringify(node)], page);
  t.match(one({ '@type': 'ClaimReview', reviewRating: { name: 'False' } }), [{ rating: 'False', url: page }]);
  t.match(
    one({ '@type': ['NewsArticle', 'schema:ClaimReview'], reviewRating: [{ alternateName: 'Fake' }] }),
    [{ type: 'ClaimReview', rating: 'Fake' }],
  );
  t.match(
    one({
      '@type': 'NewsArticle',
      review: { '@type': 'ClaimReview', claimReviewed: 'nested in an article' },
    }),
    [{ claim: 'nested in an article' }],
    'a review nested in the article',
  );
  t.match(one({ '@type': 'ClaimReview', publisher: { name: 'Publisher only' } }), [
    { publisher: { name: 'Publisher only' } },
  ]);
  t.match(
    one({ '@type': 'ClaimReview', inLanguage: { '@type': 'Language', name: 'French', alternateName: 'fr' } }),
    [{ language: 'French' }],
  );
  t.same(one({ '@type': 'Article' }), [], 'no review, nothing');
  t.same(readReviews(['{not json', ''], page), [], 'broken blocks are skipped');
  t.equal(
    readReviews(
      [
        JSON.stringify({ '@type': 'ClaimReview', url: page, claimReviewed: 'x' }),
        JSON.stringify({ '@type': 'ClaimReview', url: page, claimReviewed: 'x' }),
      ],
      page,
    ).length,
    1,
    'the same review written twice counts once',
  );
});

t.test('hostile JSON-LD: wrong types, script-breaking strings, deep nesting, huge arrays', async (t) => {
  const page = 'https://fc.example/a';
  const [wrong] = readReviews(
    [
      JSON.stringify({
        '@type': 'ClaimReview',
        url: 'javascript:alert(1)',
        claimReviewed: { text: 'an object, not text' },
        reviewRating: 5,
        author: ['just a string'],
        datePublished: 'tomorrow-ish',
        itemReviewed: {
          appearance: [{ url: 'file:///etc/passwd' }, 42, null, { contentUrl: 'ftp://x/y.jpg' }],
        },
        image: { url: 'data:image/png;base64,AAAA' },
      }),
    ],
    page,
  );
  t.same(
    wrong,
    {
      type: 'ClaimReview',
      url: page,
      title: null,
      claim: null,
      rating: null,
      publisher: { name: 'just a string', site: null },
      reviewed_at: null,
      language: null,
      item_urls: [],
      media_urls: [],
    },
    'values of the wrong type or scheme are left out, never thrown on (an author as text is its name)',
  );

  const evil = '</script><script>alert(1)</script><img src=x onerror=alert(2)>';
  const [review] = readReviews(
    [JSON.stringify({ '@type': 'ClaimReview', claimReviewed: evil, headline: evil, author: { name: evil } })],
    page,
  );
  if (!review) throw new Error('no review read');
  t.equal(review.claim, evil, 'kept as text');
  const shown = String(
    factChecksSection([
      {
        ...review,
        match: { kind: 'exact', hash: 'sha256', distance: 0, sha256: null },
        source: 'memory',
        bank: { id: 'bank_1', name: evil, publisher: 'default', entry_id: 'e1' },
      },
    ]),
  );
  t.notOk(/<script|<img/i.test(shown), 'and escaped on the report page');

  const deep = `${'['.repeat(MAX_BLOCK_CHARS / 2 - 1)}${']'.repeat(MAX_BLOCK_CHARS / 2 - 1)}`;
  t.same(readReviews([deep], page), [], 'nesting to the block cap: nothing, no throw');
  let nested: object = { '@type': 'ClaimReview', claimReviewed: 'too deep' };
  for (let i = 0; i < 40; i++) nested = { child: nested };
  t.same(reviewsIn(nested, page), [], 'a review nested deeper than the walk goes is not read');

  const many = JSON.stringify(
    Array.from({ length: 20_000 }, (_, i) => ({ '@type': 'ClaimReview', claimReviewed: `claim ${i}` })),
  );
  t.ok(many.length > MAX_BLOCK_CHARS, 'a block over the cap');
  t.same(readReviews([many], page), [], 'is skipped before it is parsed');
  const capped = JSON.stringify(
    Array.from({ length: 5_000 }, (_, i) => ({ '@type': 'ClaimReview', claimReviewed: `claim ${i}` })),
  );
  t.equal(readReviews([capped], page).length, 10, 'at most 10 reviews per page');
  const urls = Array.from({ length: 5_000 }, (_, i) => ({ contentUrl: `https://img.example/${i}.jpg` }));
  const [wide] = readReviews(
    [JSON.stringify({ '@type': 'MediaReview', itemReviewed: { mediaItemAppearance: urls } })],
    page,
  );
  t.equal(wide?.media_urls.length, 10, 'at most 10 URLs per review');
});

t.test('JSON-LD at the page cap holds the event loop under 200 ms', async (t) => {
  // The worst the reader walks: blocks at the cap, each an array of small objects none of which is a
  // review (so the walk visits its whole node budget), as many as fit in a page.
  const unit = '{"@type":"Thing","a":{"b":{"c":[1,2,3]}}},';
  const block = `[${unit.repeat(Math.floor((MAX_BLOCK_CHARS - 2) / unit.length)).slice(0, -1)}]`;
  const blocks = Math.floor(HTML_MAX_BYTES / (block.length + 50));
  const page = `<html><head>${`<script type="application/ld+json">${block}</script>`.repeat(blocks)}</head><body></body></html>`;
  const w = await startWorld(t, { 'fc.example': { '/flood': html(page) } });
  const r = await withoutStall(t, `${blocks} JSON-LD blocks of ${block.length} characters`, () =>
    resolveTarget('https://fc.example/flood', w.deps),
  );
  t.equal(r.kind, 'page');
  t.equal(r.kind === 'page' && r.page.reviews, undefined, 'and finds no review in them');
});
