// X/Twitter: shorteners, status URLs on every host, syndication (primary), the FxTwitter-style
// fallback, tombstones, 404s and rate limits. Every host is a local server (see world.ts).
import t from 'tap';
import { targetsOf } from '../../../src/services/targets.js';
import { resolveTarget } from '../../../src/pipeline/resolve/index.js';
import { upgradeXPhoto } from '../../../src/pipeline/resolve/media-url.js';
import { parseStatusPath, syndicationToken } from '../../../src/pipeline/resolve/x.js';
import { expectError, expectPost } from './check-schema.js';
import { fixture, html, json, redirect, sequence, startWorld, type Route } from './world.js';

const SEED_ID = '1498765432101234567';
const FOUR_ID = '1800000000000000042';
const VIDEO_ID = '1719999999999999001';
const FX_ID = '1650000000000000777';

/** The syndication API: answers by id, and insists on the token embedded-tweet clients send. */
function syndication(byId: Record<string, Route>): Route {
  return (req, url, res) => {
    const id = url.searchParams.get('id') ?? '';
    if (url.searchParams.get('token') !== syndicationToken(id) || url.searchParams.get('lang') !== 'en') {
      res.writeHead(400, { 'content-type': 'application/json' });
      return res.end('{"error":"bad token"}');
    }
    const route = byId[id];
    if (route) return route(req, url, res);
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end('{}');
  };
}

const SYNDICATION = {
  [SEED_ID]: json(fixture('x/syndication-one-photo.json')),
  [FOUR_ID]: json(fixture('x/syndication-four-photos.json')),
  [VIDEO_ID]: json(fixture('x/syndication-video.json')),
};

t.test('the seed: pasted text with pic.twitter.com/… resolves to the photo at name=orig', async (t) => {
  let twitter = '';
  let x = '';
  const w = await startWorld(t, {
    // pic.twitter.com redirects to twitter.com/<user>/status/<id>/photo/1, which redirects to x.com.
    'pic.twitter.com': {
      '/Qusib5yzbm': (q, u, r) => redirect(`${twitter}/example_osint/status/${SEED_ID}/photo/1`)(q, u, r),
    },
    'twitter.com': { '*': (q, u, r) => redirect(`${x}${u.pathname}`)(q, u, r) },
    'x.com': {
      '*': html('<!doctype html><title>X</title><noscript>JavaScript is not available.</noscript>'),
    },
    'cdn.syndication.twimg.com': { '/tweet-result': syndication(SYNDICATION) },
  });
  twitter = w.base('twitter.com');
  x = w.base('x.com');

  const submitted = targetsOf({
    text: 'Ukrainian soldiers … spot the guy who nabbed himself a nice new RPG. pic.twitter.com/Qusib5yzbm',
  });
  t.ok(submitted.ok);
  const url = submitted.ok ? submitted.targets[0]?.url : undefined;
  t.equal(url, 'https://pic.twitter.com/Qusib5yzbm');

  const post = expectPost(t, await resolveTarget(url as string, w.deps));
  t.equal(post.platform, 'x');
  t.equal(post.id, SEED_ID);
  t.equal(post.url, `https://x.com/example_osint/status/${SEED_ID}`);
  t.same(post.author, {
    handle: 'example_osint',
    display_name: 'Example OSINT',
    id: '1111111111111111111',
    url: 'https://x.com/example_osint',
  });
  t.equal(post.posted_at, '2022-03-01T09:12:45.000Z');
  t.equal(post.language, 'en');
  t.match(post.text, /nabbed himself a nice new RPG/);
  t.same(post.media, [
    {
      type: 'photo',
      url: 'https://pbs.twimg.com/media/FMxAbCdWQAIh0sT?format=jpg&name=orig',
      width: 2048,
      height: 1536,
      alt_text: 'Soldiers by a roadside, one carrying a launcher tube',
    },
  ]);
  t.equal(post.selected_media_index, 0, '/photo/1 is the first item');
  t.match(post.metadata_note, /EXIF/);
  t.same(
    post.trail.map((s) => s.endpoint),
    ['input', 'shortener', 'x_syndication'],
  );
  t.equal(post.trail[1]?.url, 'https://pic.twitter.com/Qusib5yzbm', 'the trail keeps the URL as pasted');
  t.same(post.trail[1]?.redirects, [
    `${twitter}/example_osint/status/${SEED_ID}/photo/1`,
    `${x}/example_osint/status/${SEED_ID}/photo/1`,
  ]);
  t.equal(post.trail[2]?.http_status, 200);
  t.same(w.undeclared, [], 'no request left the local servers');
});

t.test(
  'status URLs on x.com, twitter.com and mobile.twitter.com; /photo/N keeps N; quoted tweet',
  async (t) => {
    const w = await startWorld(t, {
      'cdn.syndication.twimg.com': { '/tweet-result': syndication(SYNDICATION) },
    });
    for (const url of [
      `https://x.com/example_news/status/${FOUR_ID}/photo/3`,
      `https://mobile.twitter.com/example_news/status/${FOUR_ID}/photo/3`,
      `https://twitter.com/example_news/statuses/${FOUR_ID}/photo/3/`,
    ]) {
      const post = expectPost(t, await resolveTarget(url, w.deps));
      t.equal(post.selected_media_index, 2, url);
      t.equal(post.media.length, 4, 'every photo is listed');
      t.same(
        post.media.map((m) => m.url),
        [
          'https://pbs.twimg.com/media/GxPh0to1AAA?format=jpg&name=orig',
          'https://pbs.twimg.com/media/GxPh0to2BBB?format=jpg&name=orig',
          'https://pbs.twimg.com/media/GxPh0to3CCC?format=png&name=orig',
          'https://pbs.twimg.com/media/GxPh0to4DDD?format=jpg&name=orig',
        ],
      );
      t.equal(post.media[3]?.width, 4096);
      t.equal(post.media[0]?.alt_text, 'Photo 1 of the flooded street');
      t.notOk('alt_text' in (post.media[2] ?? {}), 'no alt text: no key');
      t.equal(post.quoted?.id, '1799999999999999999');
      t.equal(post.quoted?.author.handle, 'example_weather');
      t.equal(post.quoted?.media[0]?.url, 'https://pbs.twimg.com/media/GxWarnMapEEE?format=jpg&name=orig');
    }
    const plain = expectPost(t, await resolveTarget(`https://x.com/i/web/status/${FOUR_ID}`, w.deps));
    t.notOk('selected_media_index' in plain, 'no /photo/N: no selection');
  },
);

t.test(
  'a video: highest-bitrate MP4 as the media URL, every variant kept, poster at name=orig',
  async (t) => {
    const w = await startWorld(t, {
      'cdn.syndication.twimg.com': { '/tweet-result': syndication(SYNDICATION) },
    });
    const post = expectPost(
      t,
      await resolveTarget(`https://x.com/example_witness/status/${VIDEO_ID}/video/1`, w.deps),
    );
    t.equal(post.language, 'uk');
    t.equal(post.sensitive, true);
    const [video] = post.media;
    t.equal(video?.type, 'video');
    t.equal(
      video?.url,
      'https://video.twimg.com/ext_tw_video/1719999999000000000/pu/vid/1280x720/HiGh.mp4?tag=12',
    );
    t.equal(video?.width, 1280);
    t.equal(
      video?.poster_url,
      'https://pbs.twimg.com/ext_tw_video_thumb/1719999999000000000/pu/img/PoStErFrAmE?format=jpg&name=orig',
    );
    t.equal(video?.variants?.length, 4);
    t.same(video?.variants?.[0], {
      url: 'https://video.twimg.com/ext_tw_video/1719999999000000000/pu/pl/PlAyLiSt.m3u8?tag=12',
      content_type: 'application/x-mpegURL',
    });
    t.same(
      video?.variants?.map((v) => v.bitrate),
      [undefined, 256000, 2176000, 832000],
    );
  },
);

t.test('a tombstone is post_deleted, and the fallback is not asked', async (t) => {
  const w = await startWorld(t, {
    'cdn.syndication.twimg.com': {
      '/tweet-result': syndication({ '1600000000000000001': json(fixture('x/syndication-tombstone.json')) }),
    },
    'api.fxtwitter.com': { '*': json(fixture('x/fxtwitter-status.json')) },
  });
  const r = expectError(
    t,
    await resolveTarget('https://x.com/someone/status/1600000000000000001', w.deps),
    'post_deleted',
  );
  t.match(r.message, /deleted by the Post author/);
  t.equal(r.platform, 'x');
  t.same(w.hits('api.fxtwitter.com'), []);
});

t.test('tombstones that say protected or age-restricted', async (t) => {
  const tomb = (text: string) =>
    json({ __typename: 'TweetTombstone', tombstone: { text: { text, entities: [] } } });
  const w = await startWorld(t, {
    'cdn.syndication.twimg.com': {
      '/tweet-result': syndication({
        '1600000000000000002': tomb(
          "You're unable to view this Post because this account owner limits who can view their Posts.",
        ),
        '1600000000000000003': tomb(
          'Age-restricted adult content. This content might not be appropriate for people under 18 years old.',
        ),
      }),
    },
  });
  expectError(t, await resolveTarget('https://x.com/a/status/1600000000000000002', w.deps), 'post_protected');
  expectError(
    t,
    await resolveTarget('https://x.com/a/status/1600000000000000003', w.deps),
    'post_age_restricted',
  );
});

t.test('syndication 404 is post_not_found, with the status', async (t) => {
  const w = await startWorld(t, {
    'cdn.syndication.twimg.com': { '/tweet-result': syndication({}) },
    'api.fxtwitter.com': { '*': json(fixture('x/fxtwitter-status.json')) },
  });
  const r = expectError(
    t,
    await resolveTarget('https://twitter.com/a/status/1234567890123456789', w.deps),
    'post_not_found',
  );
  t.equal(r.http_status, 404);
  t.same(w.hits('api.fxtwitter.com'), [], 'a 404 settles it');
  t.same(
    r.trail.map((s) => [s.endpoint, s.http_status]),
    [
      ['input', undefined],
      ['x_syndication', 404],
    ],
  );
});

t.test('429 with Retry-After is waited out, then the answer is used', async (t) => {
  const w = await startWorld(t, {
    'cdn.syndication.twimg.com': {
      '/tweet-result': syndication({
        [SEED_ID]: sequence(
          json({ errors: [{ message: 'Rate limit exceeded' }] }, 429, { 'retry-after': '2' }),
          json(fixture('x/syndication-one-photo.json')),
        ),
      }),
    },
  });
  const post = expectPost(t, await resolveTarget(`https://x.com/example_osint/status/${SEED_ID}`, w.deps));
  t.equal(post.media.length, 1);
  t.same(w.sleeps, [2000], 'waited what Retry-After said');
  t.equal(w.hits('cdn.syndication.twimg.com').length, 2);
  t.same(
    post.trail.map((s) => s.http_status),
    [undefined, 429, 200],
  );
});

t.test('429 every time: bounded retries with backoff, then rate_limited', async (t) => {
  const w = await startWorld(t, {
    'cdn.syndication.twimg.com': { '/tweet-result': json({}, 429) },
  });
  const r = expectError(t, await resolveTarget(`https://x.com/a/status/${SEED_ID}`, w.deps), 'rate_limited');
  t.equal(r.http_status, 429);
  t.same(w.sleeps, [1000, 2000], 'backoff without Retry-After');
  t.equal(w.hits('cdn.syndication.twimg.com').length, 3, 'three tries, no more');
});

t.test('a Retry-After beyond the waiting budget gives up at once', async (t) => {
  const w = await startWorld(t, {
    'cdn.syndication.twimg.com': { '/tweet-result': json({}, 429, { 'retry-after': '120' }) },
  });
  expectError(t, await resolveTarget(`https://x.com/a/status/${SEED_ID}`, w.deps), 'rate_limited');
  t.same(w.sleeps, []);
  t.equal(w.hits('cdn.syndication.twimg.com').length, 1);
});

t.test('FxTwitter fallback when syndication fails or answers nothing', async (t) => {
  for (const failing of [json({ error: 'oops' }, 500), json({}), html('<html>maintenance</html>')]) {
    const w = await startWorld(t, {
      'cdn.syndication.twimg.com': { '/tweet-result': failing },
      'api.fxtwitter.com': { [`/status/${FX_ID}`]: json(fixture('x/fxtwitter-status.json')) },
    });
    const post = expectPost(
      t,
      await resolveTarget(`https://x.com/example_press/status/${FX_ID}/photo/1`, w.deps),
    );
    t.equal(post.author.handle, 'example_press');
    t.equal(post.author.id, '5555555555');
    t.equal(post.posted_at, '2023-04-21T08:30:00.000Z');
    t.same(post.media[0], {
      type: 'photo',
      url: 'https://pbs.twimg.com/media/FuPoRtSaTaaA?format=jpg&name=orig',
      width: 3000,
      height: 2000,
      alt_text: 'Satellite image of a harbour',
    });
    t.equal(post.media[1]?.type, 'gif');
    t.equal(post.media[1]?.url, 'https://video.twimg.com/tweet_video/FuGiFfIlE.mp4');
    t.equal(
      post.media[1]?.poster_url,
      'https://pbs.twimg.com/tweet_video_thumb/FuGiFfIlE?format=jpg&name=orig',
    );
    t.same(
      post.trail.map((s) => s.endpoint),
      ['input', 'x_syndication', 'fxtwitter'],
    );
  }
});

t.test('the fallback says private or missing; both failing reports the first failure', async (t) => {
  const w = await startWorld(t, {
    'cdn.syndication.twimg.com': { '/tweet-result': json({ error: 'oops' }, 503) },
    'api.fxtwitter.com': {
      '/status/1600000000000000010': json({ code: 401, message: 'PRIVATE_TWEET' }, 401),
      '/status/1600000000000000011': json({ code: 404, message: 'NOT_FOUND' }, 404),
      '/status/1600000000000000012': json({ code: 500, message: 'API_FAIL' }, 500),
    },
  });
  expectError(t, await resolveTarget('https://x.com/a/status/1600000000000000010', w.deps), 'post_protected');
  expectError(t, await resolveTarget('https://x.com/a/status/1600000000000000011', w.deps), 'post_not_found');
  const r = expectError(
    t,
    await resolveTarget('https://x.com/a/status/1600000000000000012', w.deps),
    'http_error',
  );
  t.equal(r.http_status, 503, 'the primary source’s failure');
});

t.test('a t.co link to an ordinary page is resolved as that page', async (t) => {
  let news = '';
  const w = await startWorld(t, {
    't.co': { '/AbCdEf1234': (q, u, r) => redirect(`${news}/story`)(q, u, r) },
    'news.example': {
      '/story': html('<html><head><meta property="og:title" content="A story"></head><body></body></html>'),
    },
  });
  news = w.base('news.example');
  const r = await resolveTarget('https://t.co/AbCdEf1234', w.deps);
  if (r.kind !== 'page') throw new Error(JSON.stringify(r));
  t.equal(r.page.title, 'A story');
  t.same(
    r.page.trail.map((s) => s.endpoint),
    ['input', 'shortener', 'web_page'],
  );
});

t.test('links to X that are not posts', async (t) => {
  const w = await startWorld(t, {});
  expectError(t, await resolveTarget('https://x.com/example_osint', w.deps), 'unsupported_url');
  expectError(t, await resolveTarget('https://twitter.com/search?q=rpg', w.deps), 'unsupported_url');
  t.same(w.undeclared, []);
});

t.test('pbs.twimg.com links are media, upgraded to the original size without fetching', async (t) => {
  const w = await startWorld(t, {});
  const r = await resolveTarget('https://pbs.twimg.com/media/FMxAbCdWQAIh0sT?format=jpg&name=small', w.deps);
  t.same(r.kind === 'media' && r.url, 'https://pbs.twimg.com/media/FMxAbCdWQAIh0sT?format=jpg&name=orig');
  t.same(w.undeclared, []);
});

t.test('pure helpers: token, status paths, photo upgrade', async (t) => {
  t.match(syndicationToken(SEED_ID), /^[0-9a-z]+$/);
  t.equal(
    syndicationToken(SEED_ID),
    ((Number(SEED_ID) / 1e15) * Math.PI).toString(36).replace(/(0+|\.)/g, ''),
  );
  t.same(parseStatusPath('/jack/status/20'), { id: '20' });
  t.same(parseStatusPath('/jack/status/20/photo/2'), { id: '20', selected: 1 });
  t.same(parseStatusPath('/i/web/status/20'), { id: '20' });
  t.equal(parseStatusPath('/jack/status/abc'), null);
  t.equal(parseStatusPath('/jack/likes'), null);
  t.equal(
    upgradeXPhoto('https://pbs.twimg.com/media/XXXX.jpg'),
    'https://pbs.twimg.com/media/XXXX?format=jpg&name=orig',
  );
  t.equal(
    upgradeXPhoto('https://pbs.twimg.com/media/XXXX?format=jpg&name=small'),
    'https://pbs.twimg.com/media/XXXX?format=jpg&name=orig',
  );
  t.equal(
    upgradeXPhoto('https://pbs.twimg.com/media/XXXX.png:large'),
    'https://pbs.twimg.com/media/XXXX?format=png&name=orig',
  );
  t.equal(
    upgradeXPhoto('https://pbs.twimg.com/profile_images/1/a_normal.jpg'),
    'https://pbs.twimg.com/profile_images/1/a_normal.jpg',
    'profile pictures are left alone',
  );
});
