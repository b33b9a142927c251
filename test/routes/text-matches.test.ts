// The text memory through the app as production builds it, posts served by a stand-in of X's
// syndication API: the same words posted later by another account get `text_seen_before` and a
// `kind: text` match; an imported fact-check whose claim is worded like a later post is in that post's
// report; one organization's private words (an uploaded screenshot's, its own fact-check bank's
// claims) are never matched for another.
import type { IncomingMessage, ServerResponse } from 'node:http';
import t from 'tap';
import { AUTH, buildTestServer, keyFor, submit, waitForCheck } from '../helpers/app.js';
import { startMediaServer } from '../helpers/media-server.js';
import { claimReview, dataFeed } from '../helpers/schema-org.js';
import { postScreenshot, POST_TEXTS } from '../helpers/text-images.js';
import { tesseractInfo } from '../../src/pipeline/ocr/tesseract.js';

type App = Awaited<ReturnType<typeof buildTestServer>>['app'];
type Headers = Record<string, string>;

const WORDS =
  'The mayor announced that all schools in the city will close tomorrow because of the coming storm';

interface Tweet {
  handle: string;
  text: string;
  at: string;
  photo: string;
  /** The id of the tweet this one quotes (a quote tweet). */
  quotes?: string;
}

/** A stand-in of cdn.syndication.twimg.com answering the tweets of `tweets` by id; photos from the media server. */
function syndication(tweets: Record<string, Tweet>, base: () => string) {
  return (req: IncomingMessage, res: ServerResponse) => {
    const id = new URL(req.url ?? '/', 'http://x').searchParams.get('id') ?? '';
    const tw = tweets[id];
    if (!tw) return res.writeHead(404, { 'content-type': 'application/json' }).end('{}');
    const json = (id: string, tw: Tweet) => ({
      __typename: 'Tweet',
      id_str: id,
      lang: 'en',
      created_at: tw.at,
      text: tw.text,
      user: { id_str: `u_${tw.handle}`, name: tw.handle, screen_name: tw.handle },
      mediaDetails: [
        {
          type: 'photo',
          media_url_https: `${base()}/${tw.photo}`,
          original_info: { width: 640, height: 480 },
        },
      ],
    });
    // Syndication answers a quote tweet with the tweet it quotes inside, as `quoted_tweet`.
    const quoted = tw.quotes ? tweets[tw.quotes] : undefined;
    res.writeHead(200, { 'content-type': 'application/json' }).end(
      JSON.stringify({
        ...json(id, tw),
        ...(quoted && tw.quotes && { quoted_tweet: json(tw.quotes, quoted) }),
      }),
    );
  };
}

async function checked(app: App, url: string, headers: Headers = AUTH) {
  const res = await submit(app, { url }, headers);
  if (res.statusCode !== 202) throw new Error(`${res.statusCode} ${res.body}`);
  const done = await waitForCheck(app, res.json().id as string, 30000, headers);
  if (done.status !== 'done') throw new Error(`check ${done.status}`);
  return done.report;
}

// One app for the whole file (each test its own organizations and post ids): OCR on, for the last test.
let base = '';
const tweets: Record<string, Tweet> = {};
const media = await startMediaServer(t, { '/tweet-result': syndication(tweets, () => base) });
base = media.base;
const { app } = await buildTestServer(t, {
  X_SYNDICATION_BASE_URL: media.base,
  FXTWITTER_BASE_URL: '',
  OCR_ENABLED: 'true',
});

t.test('the same words posted later by someone else: text_seen_before and a kind: text match', async (t) => {
  tweets['1001'] = {
    handle: 'alice',
    text: `${WORDS}. Stay safe! https://t.co/aaa`,
    at: '2024-03-01T08:00:00.000Z',
    photo: 'exif-samples/jpg/gps/DSCN0010.jpg',
  };
  tweets['2002'] = {
    handle: 'bob',
    text: `BREAKING: ${WORDS.toUpperCase()} https://t.co/bbb`,
    at: '2024-03-04T08:00:00.000Z',
    photo: 'pdq/dih/bridge-1-original.jpg',
  };
  const first = await checked(app, 'https://x.com/alice/status/1001');
  t.notOk(first.posts[0].text_matches, 'nothing seen before the first post');
  const later = await checked(app, 'https://x.com/bob/status/2002');
  const [post] = later.posts;
  t.match(post.text_matches, [
    {
      kind: 'text',
      source: 'seen',
      hash: 'words',
      post_url: 'https://x.com/alice/status/1001',
      posted_at: '2024-03-01T08:00:00.000Z',
      sha256: null,
      text: { of: 'post', matched: 'post', author: '@alice', platform: 'x' },
    },
  ]);
  t.ok(post.text_matches[0].text.share >= 0.9, `share ${post.text_matches[0].text.share}`);
  const item = later.media[0];
  t.equal(item.status, 'ok');
  t.notOk(
    item.provenance.matches.some((m: { kind: string }) => m.kind !== 'text'),
    'a different picture: no picture match',
  );
  t.match(item.provenance.matches, [{ kind: 'text', post_url: 'https://x.com/alice/status/1001' }]);
  const signal = item.provenance.signals.find((s: { code: string }) => s.code === 'text_seen_before');
  t.match(signal, {
    severity: 'medium',
    message:
      /^The same words as this post were seen 3 days before the post in a post by @alice \(https:\/\/x\.com\/alice\/status\/1001\): \d+% of the words in common\.$/,
  });
  t.notOk(
    item.provenance.signals.some((s: { code: string }) => s.code === 'recycled'),
    'words in common do not make the picture recycled',
  );

  // The first post checked again: its own text is no match, and its author's earlier words are not news.
  const again = await checked(
    app,
    'https://x.com/alice/status/1001',
    await keyFor(app, 'newsroom-f', ['admin']),
  );
  t.notOk(
    again.posts[0].text_matches?.some((m: { post_url: string }) => m.post_url.endsWith('/1001')),
    'a post never matches itself',
  );
  t.notOk(again.media[0].provenance.signals.some((s: { code: string }) => s.code === 'text_seen_before'));
  const page = await app.inject({
    method: 'GET',
    url: `/v1/checks/${later.check_id}`,
    headers: { ...AUTH, accept: 'text/html' },
  });
  t.match(page.body, /have \d+% of their words in common/, 'the report page shows the text match');
});

t.test('an imported fact-check whose claim is worded like a later post is in its report', async (t) => {
  const a = await keyFor(app, 'newsroom-a', ['admin']);
  const b = await keyFor(app, 'newsroom-b', ['admin']);
  const claim = 'Video shows the dam on the Dnipro river collapsing after an earthquake last night';
  const feed = dataFeed([
    [
      claimReview({ url: 'https://factcheck.example/dam', claim, rating: 'False' }),
      claimReview({
        url: 'https://factcheck.example/dam-ru',
        claim: 'Видео показывает обрушение плотины на Днепре после землетрясения прошлой ночью',
        rating: 'False',
      }),
    ],
  ]);
  // A's own fact-check bank (not shared): its claims are A's.
  const imported = await app.inject({
    method: 'POST',
    url: '/v1/fact-checks/import',
    headers: a,
    payload: feed,
  });
  t.equal(imported.statusCode, 200, imported.body);
  tweets['3003'] = {
    handle: 'carol',
    text: `😱 video shows the dam on the Dnipro river collapsing after an earthquake last night!! RT`,
    at: '2024-06-01T10:00:00.000Z',
    photo: 'exif-samples/jpg/gps/DSCN0010.jpg',
  };
  const report = await checked(app, 'https://x.com/carol/status/3003', a);
  t.match(report.posts[0].fact_checks, [
    {
      claim,
      rating: 'False',
      url: 'https://factcheck.example/dam',
      publisher: { name: 'Example Fact Check' },
      source: 'memory',
      match: { kind: 'text', hash: 'words', sha256: null, of: 'post' },
    },
  ]);
  t.equal(
    report.posts[0].fact_checks.length,
    1,
    'the Russian claim, the same in another language, is not matched',
  );
  t.ok(report.posts[0].fact_checks[0].match.share >= 0.9);
  const signal = report.media[0].provenance.signals.find(
    (s: { code: string }) => s.code === 'already_fact_checked',
  );
  t.match(signal, {
    severity: 'high',
    message:
      /^Example Fact Check rated a claim worded like this post “False” on 2 May 2024 \(\d+% of the words in common, same language\)\.$/,
  });

  const forB = await checked(app, 'https://x.com/carol/status/3003', b);
  t.notOk(forB.posts[0].fact_checks, 'another organization does not meet A’s own fact-checks');
  t.notOk(forB.media[0].provenance.signals.some((s: { code: string }) => s.code === 'already_fact_checked'));
});

t.test(
  'a quote tweet: the claim worded like the quoted tweet’s text is found, marked as the quoted post’s',
  async (t) => {
    const a = await keyFor(app, 'newsroom-q', ['admin']);
    const claim = 'Photo shows sharks swimming on the flooded motorway after the hurricane in Florida';
    const imported = await app.inject({
      method: 'POST',
      url: '/v1/fact-checks/import',
      headers: a,
      payload: dataFeed([
        [
          claimReview({
            url: 'https://factcheck.example/sharks',
            claim,
            date: '2024-10-10',
            rating: 'Altered',
          }),
        ],
      ]),
    });
    t.equal(imported.statusCode, 200, imported.body);
    tweets['5006'] = {
      handle: 'frank',
      text: 'Sharks swimming on the flooded motorway after the hurricane in Florida!! photo shows it all',
      at: '2024-10-09T10:00:00.000Z',
      photo: 'exif-samples/jpg/gps/DSCN0010.jpg',
    };
    // The quote tweet's own words say nothing of the claim.
    tweets['5007'] = {
      handle: 'gina',
      text: 'Is this for real? Can anyone confirm before I share it with my family',
      at: '2024-10-10T10:00:00.000Z',
      photo: 'pdq/dih/bridge-1-original.jpg',
      quotes: '5006',
    };
    const report = await checked(app, 'https://x.com/gina/status/5007', a);
    const [post] = report.posts;
    t.equal(post.quoted?.url, 'https://x.com/frank/status/5006', 'the resolver read the quoted tweet');
    t.match(post.fact_checks, [
      {
        claim,
        rating: 'Altered',
        source: 'memory',
        match: { kind: 'text', hash: 'words', of: 'quoted' },
      },
    ]);
    t.equal(post.fact_checks.length, 1);
    const signal = report.media[0].provenance.signals.find(
      (s: { code: string }) => s.code === 'already_fact_checked',
    );
    t.match(
      signal?.message,
      /^Example Fact Check rated a claim worded like the post this one quotes “Altered”/,
    );

    // The quoted tweet checked on its own: the same fact-check, as its own words.
    const quoted = await checked(app, 'https://x.com/frank/status/5006', a);
    t.match(quoted.posts[0].fact_checks, [{ claim, match: { kind: 'text', of: 'post' } }]);

    const page = await app.inject({
      method: 'GET',
      url: `/v1/checks/${report.check_id}`,
      headers: { ...a, accept: 'text/html' },
    });
    t.match(page.body, /Already fact-checked: a claim worded like the post it quotes/);
    t.match(page.body, /worded like the text of the post this one quotes/);
  },
);

const skip = (await tesseractInfo('tesseract')) ? false : 'tesseract is not installed';

t.test('words read in an uploaded screenshot are its uploader’s only', { skip }, async (t) => {
  const a = await keyFor(app, 'newsroom-d', ['admin']);
  const b = await keyFor(app, 'newsroom-e', ['admin']);
  const shot = await postScreenshot('eng', 0);
  const up = await app.inject({
    method: 'POST',
    url: '/v1/checks/upload?filename=tip.png',
    headers: { ...a, 'content-type': 'image/png' },
    payload: shot.png,
  });
  t.equal(up.statusCode, 202, up.body);
  const uploaded = await waitForCheck(app, up.json().id as string, 60000, a);
  t.equal(uploaded.report.media[0].text?.status, 'read', 'the screenshot was read');
  // The post the screenshot shows, checked later by each organization.
  tweets['4004'] = {
    handle: 'dave',
    text: POST_TEXTS.eng[0] as string,
    at: '2030-01-01T00:00:00.000Z',
    photo: 'exif-samples/jpg/gps/DSCN0010.jpg',
  };
  const forB = await checked(app, 'https://x.com/dave/status/4004', b);
  t.notOk(forB.posts[0].text_matches, 'B is not told of A’s upload');
  t.notMatch(JSON.stringify(forB), /upload:|tip\.png|newsroom-d/);
  const forA = await checked(app, 'https://x.com/dave/status/4004', a);
  t.match(
    forA.posts[0].text_matches,
    [{ kind: 'text', text: { of: 'post', matched: 'image' }, sha256: uploaded.report.media[0].sha256 }],
    'A meets the words of its own upload',
  );
});
