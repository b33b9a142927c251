// A screenshot's author looked up on Bluesky (src/pipeline/screenshot/author-feed.ts), against the AppView
// played by a local server: which handles are Bluesky's, the pages read (bounded, reposts left out), the
// answers cached in Redis (an unknown account too; a failure not), and the tracing that asks the platform
// only when no post seen is the one shown. The words are given as OCR lines: no tesseract needed here
// (test/pipeline/screenshot/bluesky-trace.test.ts renders and reads a real screenshot).
import { Redis } from 'ioredis';
import t, { type Test } from 'tap';
import { keys } from '../../../src/keys.js';
import { findInText } from '../../../src/pipeline/ocr/found.js';
import { xScreenName } from '../../../src/pipeline/resolve/x.js';
import {
  authorFeedCacheKey,
  blueskyHandle,
  xTimelineCacheKey,
  postsOnPlatform,
  type AuthorFeedDeps,
} from '../../../src/pipeline/screenshot/author-feed.js';
import { readPost } from '../../../src/pipeline/screenshot/read-post.js';
import { traceScreenshot, type TracedPost } from '../../../src/pipeline/screenshot/trace.js';
import { createRedisCache } from '../../../src/services/ttl-cache.js';
import { REDIS_URL, removePrefix, testConfig } from '../../helpers/app.js';
import { authorFeedRoute, feedPost, type FeedAuthor } from '../../helpers/bluesky-feed.js';
import { timelineTweet, xTimelineRoute, type XAccount } from '../../helpers/x-timeline.js';
import { reading } from '../../helpers/ocr.js';
import { json, startWorld, type World } from '../resolve/world.js';

/** Readings of the given lines at confidence 92. */
const reading92 = (lines: string[]) => reading(lines, 92);

const WITNESS: FeedAuthor = {
  did: 'did:plc:abcdefghijklmnopqrstuvwx',
  handle: 'example-witness.bsky.social',
  displayName: 'Example Witness',
};
const OTHER: FeedAuthor = { did: 'did:plc:zyxwvutsrqponmlkjihgfedc', handle: 'someone-else.bsky.social' };
const SHOWN = 'Smoke visible from the north road tonight, fire crews are still on their way from the city';
/** The witness's feed, newest first: 250 posts, the one the screenshot shows the 160th, a repost at the top. */
const FEED = [
  feedPost(OTHER, '3kotherpost1', SHOWN, '2024-08-13T08:00:00.000Z', WITNESS),
  ...Array.from({ length: 250 }, (_, i) =>
    feedPost(
      WITNESS,
      `3kpost${String(i).padStart(5, '0')}`,
      i === 160 ? SHOWN : `Note number ${i} about the weather and the roads in the valley today`,
      new Date(Date.UTC(2024, 7, 12, 21) - i * 3_600_000).toISOString(),
    ),
  ),
];

t.test('which handles are Bluesky’s', async (t) => {
  t.equal(blueskyHandle('Example-Witness.bsky.social'), 'example-witness.bsky.social');
  t.equal(blueskyHandle('@nytimes.com'), 'nytimes.com', 'a custom domain');
  t.equal(blueskyHandle('example-witness.bsky.socia1'), 'example-witness.bsky.social', 'OCR’s 1 for l');
  t.equal(blueskyHandle('example-witness.bsky.soclal'), 'example-witness.bsky.social');
  t.equal(blueskyHandle('example_osint'), null, 'an X handle');
  t.equal(blueskyHandle('jonas@mastodon.social'), null, 'a Mastodon account');
  t.equal(blueskyHandle('under_score.bsky.social'), null, 'no _ in a Bluesky handle');
  t.equal(blueskyHandle('printer.local'), null, 'a TLD atproto refuses');
  t.equal(blueskyHandle('name.123'), null, 'a numeric TLD');
});

t.test('@handles as read: domain handles keep their hyphens, others stop at one', async (t) => {
  t.same(findInText('Example Witness @example-witness.bsky.social · 2h').handles, [
    '@example-witness.bsky.social',
  ]);
  t.same(findInText('@example_osint-9:12 and @jonas@mastodon.social.').handles, [
    '@example_osint',
    '@jonas@mastodon.social',
  ]);
  t.same(findInText('mail me at a@b.example.com').handles, [], 'an e-mail address is not a handle');
});

const SCREENSHOT = reading92([
  'Example Witness',
  '@example-witness.bsky.social · 3h',
  'Smoke visible from the north road tonight, fire',
  'crews are still on their way from the city',
  'August 12, 2024 at 8:00 PM',
]);

async function feedWorld(t: Test, asked: URLSearchParams[]) {
  return startWorld(t, {
    'public.api.bsky.app': {
      '/xrpc/app.bsky.feed.getAuthorFeed': authorFeedRoute({ [WITNESS.handle]: FEED }, asked),
    },
  });
}

function depsOf(w: World, cache: AuthorFeedDeps['cache'], pages = 2, pageSize = 100): AuthorFeedDeps {
  return { ...w.deps, cache, options: { pages, pageSize, cacheSeconds: 600 } };
}

async function redisCache(t: Test) {
  const config = testConfig();
  const redis = new Redis(REDIS_URL);
  t.teardown(async () => {
    redis.disconnect();
    await removePrefix(config.keyPrefix, config.redis);
  });
  return { cache: createRedisCache(redis, keys(config.keyPrefix)), redis, config };
}

t.test('the author’s recent posts: bounded pages, reposts left out, cached', async (t) => {
  const asked: URLSearchParams[] = [];
  const w = await feedWorld(t, asked);
  const { cache } = await redisCache(t);

  const posts = await postsOnPlatform('example-witness.bsky.social', depsOf(w, cache));
  t.equal(asked.length, 2, 'two pages asked, as configured');
  t.same(
    asked.map((q) => [q.get('actor'), q.get('limit'), q.get('cursor')]),
    [
      ['example-witness.bsky.social', '100', null],
      ['example-witness.bsky.social', '100', '100'],
    ],
    'the handle as actor, the page size as limit, the cursor followed',
  );
  t.equal(posts.length, 199, 'the 200 first items less the repost');
  t.notOk(
    posts.some((p) => p.handle !== WITNESS.handle),
    'a repost of another account’s post is not the author’s',
  );
  const shown = posts.find((p) => p.text === SHOWN);
  t.same(shown, {
    platform: 'bluesky',
    id: `at://${WITNESS.did}/app.bsky.feed.post/3kpost00160`,
    url: 'https://bsky.app/profile/example-witness.bsky.social/post/3kpost00160',
    handle: 'example-witness.bsky.social',
    display_name: 'Example Witness',
    posted_at: '2024-08-06T05:00:00.000Z',
    text: SHOWN,
  });

  // The same author again (as OCR misread it): from the cache, nothing asked.
  const again = await postsOnPlatform('Example-Witness.bsky.socia1', depsOf(w, cache));
  t.equal(asked.length, 2, 'answered from the cache');
  t.same(again, posts);

  // One page of 50: a lookup of other bounds is its own (not served the larger answer).
  const small = await postsOnPlatform('example-witness.bsky.social', depsOf(w, cache, 1, 50));
  t.equal(asked.length, 3);
  t.equal(small.length, 49);
  t.equal(asked[2]?.get('limit'), '50');

  // Handles that are no Bluesky handle are not asked of Bluesky (an X one goes to X, here not configured).
  const noX = { ...depsOf(w, cache), endpoints: { ...w.endpoints, xTimeline: '' } };
  t.same(await postsOnPlatform('example_osint', noX), []);
  t.same(await postsOnPlatform('jonas@mastodon.social', depsOf(w, cache)), [], 'no lookup for Mastodon');
  t.equal(asked.length, 3);
  t.same(w.undeclared, []);
});

t.test('an unknown account is cached as such; a failure is not cached', async (t) => {
  const asked: URLSearchParams[] = [];
  let failing = true;
  const w = await startWorld(t, {
    'public.api.bsky.app': {
      '/xrpc/app.bsky.feed.getAuthorFeed': (req, url, res) => {
        if (url.searchParams.get('actor') === 'flaky.bsky.social' && failing) {
          asked.push(url.searchParams);
          return json({ error: 'InternalServerError' }, 500)(req, url, res);
        }
        authorFeedRoute({ 'flaky.bsky.social': FEED.slice(1, 11) }, asked)(req, url, res);
      },
    },
  });
  const { cache, redis, config } = await redisCache(t);
  const deps = depsOf(w, cache);

  t.same(await postsOnPlatform('nobody-here.bsky.social', deps), []);
  t.same(await postsOnPlatform('nobody-here.bsky.social', deps), []);
  t.equal(asked.length, 1, 'the answer that there is no such account is kept');
  const key = keys(config.keyPrefix).cache(authorFeedCacheKey('nobody-here.bsky.social', deps.options));
  const ttl = await redis.ttl(key);
  t.ok(ttl > 0 && ttl <= 600, 'kept briefly');

  await t.rejects(postsOnPlatform('flaky.bsky.social', deps), /HTTP 500/);
  failing = false;
  t.equal((await postsOnPlatform('flaky.bsky.social', deps)).length, 10, 'asked again after a failure');
  t.equal(asked.length, 3);
});

t.test('tracing: the platform is asked only when no post seen is the one shown', async (t) => {
  const asked: URLSearchParams[] = [];
  const w = await feedWorld(t, asked);
  const deps = depsOf(w, null);
  const platform = (handle: string) => postsOnPlatform(handle, deps);
  t.match(readPost(SCREENSHOT, null), {
    handle: 'example-witness.bsky.social',
    display_name: 'Example Witness',
    time: '8:00 PM',
    date: 'August 12, 2024',
  });

  // Nothing seen: found on Bluesky.
  const found = await traceScreenshot(SCREENSHOT, null, { seen: async () => [], platform });
  t.equal(asked.length, 2);
  t.match(found?.screenshot, {
    platform: 'bluesky',
    url: 'https://bsky.app/profile/example-witness.bsky.social/post/3kpost00160',
    author: { handle: 'example-witness.bsky.social', display_name: 'Example Witness' },
    posted_at: '2024-08-06T05:00:00.000Z',
    source: 'platform',
    text_matches: true,
    date_agrees: false,
  });
  t.equal(found?.post.text, SHOWN);

  // Seen before: the platform is not asked.
  const seen: TracedPost = { ...(found?.post as TracedPost) };
  const fromMemory = await traceScreenshot(SCREENSHOT, null, { seen: async () => [seen], platform });
  t.equal(asked.length, 2, 'not asked');
  t.equal(fromMemory?.screenshot.source, 'seen');

  // Seen posts by the author, none the one shown: asked (the cacheless deps ask again).
  const other = {
    ...seen,
    id: 'x',
    url: 'https://bsky.app/profile/x/post/y',
    text: 'Something else entirely, about the harbour and the boats',
  };
  const byPlatform = await traceScreenshot(SCREENSHOT, null, { seen: async () => [other], platform });
  t.equal(asked.length, 4);
  t.equal(byPlatform?.screenshot.source, 'platform');

  // A post by the author that is not in their recent posts: nothing.
  const unknown = reading92([
    'Example Witness',
    '@example-witness.bsky.social · 3h',
    'The bridge on the east road has reopened after',
    'the storm, traffic is moving again in both directions',
    'August 12, 2024 at 8:00 PM',
  ]);
  t.equal(await traceScreenshot(unknown, null, { seen: async () => [], platform }), null);
  t.same(w.undeclared, []);
});

// ---- X: the embedded timeline ----

const OSINT: XAccount = { screen_name: 'Example_OSINT', name: 'Example OSINT', id_str: '1200000001' };
const RETWEETED: XAccount = { screen_name: 'someone_else', name: 'Someone Else', id_str: '1200000002' };
const X_SHOWN =
  'Convoy of trucks seen crossing the river bridge at dawn, heading north toward the border crossing';
/** The account's timeline, newest first: 20 tweets, the one shown the 12th, a retweet at the top. */
const X_TIMELINE = [
  timelineTweet(OSINT, '1823000000000000099', X_SHOWN, new Date(Date.UTC(2024, 7, 13, 8)), RETWEETED),
  ...Array.from({ length: 20 }, (_, i) =>
    timelineTweet(
      OSINT,
      String(1823000000000000050n - BigInt(i)),
      i === 11 ? X_SHOWN : `Weather note ${i}: rain in the valley, the mountain pass is closed until noon`,
      new Date(Date.UTC(2024, 7, 12, 21, 14, 5) - i * 3_600_000),
    ),
  ),
];
const X_SCREENSHOT = reading92([
  'Example OSINT',
  '@Example_OSINT',
  'Convoy of trucks seen crossing the river bridge at',
  'dawn, heading north toward the border crossing',
  '10:14 AM · Aug 12, 2024',
]);

t.test('which handles are X screen names', async (t) => {
  t.equal(xScreenName('@Example_OSINT'), 'Example_OSINT');
  t.equal(xScreenName('example_osint'), 'example_osint');
  t.equal(xScreenName('@a_name_far_too_long'), null, 'at most 15 characters');
  t.equal(xScreenName('example-witness.bsky.social'), null, 'a Bluesky handle');
  t.equal(xScreenName('jonas@mastodon.social'), null, 'a Mastodon account');
});

t.test(
  'an X author’s newest posts: one page, retweets left out, cached; an unknown account too',
  async (t) => {
    const asked: string[] = [];
    const w = await startWorld(t, {
      'syndication.twitter.com': { '*': xTimelineRoute({ Example_OSINT: X_TIMELINE }, asked) },
    });
    const { cache, redis, config } = await redisCache(t);
    const deps = depsOf(w, cache);

    const posts = await postsOnPlatform('@example_osint', deps);
    t.same(asked, ['example_osint'], 'one request, the name as read');
    t.same(w.hits('syndication.twitter.com'), [
      '/srv/timeline-profile/screen-name/example_osint?showReplies=true',
    ]);
    t.equal(posts.length, 20, 'the retweet of another account’s post is left out');
    t.same(
      posts.find((p) => p.text === X_SHOWN),
      {
        platform: 'x',
        id: '1823000000000000039',
        url: 'https://x.com/Example_OSINT/status/1823000000000000039',
        handle: 'Example_OSINT',
        display_name: 'Example OSINT',
        posted_at: '2024-08-12T10:14:05.000Z',
        text: X_SHOWN,
      },
      'the tweet in the post schema, its date read from X’s format',
    );

    t.same(await postsOnPlatform('EXAMPLE_OSINT', deps), posts, 'the same account in other case');
    t.equal(asked.length, 1, 'answered from the cache');

    t.same(await postsOnPlatform('@nobody_here', deps), []);
    t.same(await postsOnPlatform('@nobody_here', deps), []);
    t.equal(asked.length, 2, 'the answer that X shows no such account is kept');
    const ttl = await redis.ttl(keys(config.keyPrefix).cache(xTimelineCacheKey('nobody_here')));
    t.ok(ttl > 0 && ttl <= 600, 'kept briefly');
    t.same(w.undeclared, []);
  },
);

t.test('an X page without a timeline, or an error, is a failed lookup (not cached)', async (t) => {
  let answer: 'broken' | 'error' | 'ok' = 'broken';
  const w = await startWorld(t, {
    'syndication.twitter.com': {
      '*': (req, url, res) => {
        if (answer === 'broken') {
          res.writeHead(200, { 'content-type': 'text/html' });
          return res.end('<html><body>Something went wrong</body></html>');
        }
        if (answer === 'error') return json({}, 503)(req, url, res);
        xTimelineRoute({ Example_OSINT: X_TIMELINE })(req, url, res);
      },
    },
  });
  const { cache } = await redisCache(t);
  const deps = depsOf(w, cache);
  await t.rejects(postsOnPlatform('Example_OSINT', deps), /no timeline/);
  answer = 'error';
  await t.rejects(postsOnPlatform('Example_OSINT', deps), /HTTP 503/);
  answer = 'ok';
  t.equal((await postsOnPlatform('Example_OSINT', deps)).length, 20, 'asked again after the failures');
});

t.test('a screenshot of an X post never seen: traced to it on X; one word changed: told', async (t) => {
  const asked: string[] = [];
  const w = await startWorld(t, {
    'syndication.twitter.com': { '*': xTimelineRoute({ Example_OSINT: X_TIMELINE }, asked) },
  });
  const deps = depsOf(w, null);
  const platform = (handle: string) => postsOnPlatform(handle, deps);
  const found = await traceScreenshot(X_SCREENSHOT, null, { seen: async () => [], platform });
  t.match(found?.screenshot, {
    platform: 'x',
    url: 'https://x.com/Example_OSINT/status/1823000000000000039',
    post_id: '1823000000000000039',
    author: { handle: 'Example_OSINT', display_name: 'Example OSINT' },
    posted_at: '2024-08-12T10:14:05.000Z',
    source: 'platform',
    text_matches: true,
    date_agrees: true,
  });

  const edited = reading92([
    'Example OSINT',
    '@Example_OSINT',
    'Convoy of tanks seen crossing the river bridge at',
    'dawn, heading north toward the border crossing',
    '10:14 AM · Aug 12, 2024',
  ]);
  const changed = await traceScreenshot(edited, null, { seen: async () => [], platform });
  t.equal(changed?.screenshot.url, found?.screenshot.url, 'the same post');
  t.equal(changed?.screenshot.text_matches, false);
  t.match(changed?.screenshot.differences, [{ post: 'trucks', screenshot: 'tanks' }]);
  t.same(asked, ['Example_OSINT', 'Example_OSINT'], 'no cache here: asked each time');
  t.same(w.undeclared, []);
});
