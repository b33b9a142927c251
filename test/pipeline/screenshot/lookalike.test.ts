// A screenshot whose @handle OCR read with a look-alike letter (`@m_all` for `@m_ali`, as bench:ocr's
// degraded screenshots gave) is still traced to its post: through the posts seen by handles that look
// like it (the post index's skeleton set, real Redis under this test's prefix), or by asking the platform
// for the handles one letter away, a bounded number of times. The text alone decides, and the report
// says the handle shown is not the author's.
import t from 'tap';
import type { ScreenshotOf } from '../../../schemas/screenshot.js';
import { handleSkeleton } from '../../../src/memory/post-index.js';
import { buildProvenance } from '../../../src/pipeline/provenance.js';
import {
  lookalikeHandles,
  MAX_LOOKALIKE_LOOKUPS,
  traceScreenshot,
  type TracedPost,
} from '../../../src/pipeline/screenshot/trace.js';
import { testConfig } from '../../helpers/app.js';
import { testMemory } from '../../helpers/memory.js';
import { reading } from '../../helpers/ocr.js';

const TEXT =
  'The old bridge over the river was closed this morning after cracks were found in two of its piers';
/** A screenshot of @m_ali's post, the handle read as @m_all. */
const SHOT = reading([
  'Mali Reporter',
  '@m_all · 3h',
  'The old bridge over the river was closed this',
  'morning after cracks were found in two of its piers',
]);
const POST: TracedPost = {
  platform: 'x',
  id: '1700000000000000001',
  url: 'https://x.com/m_ali/status/1700000000000000001',
  handle: 'm_ali',
  display_name: 'Mali Reporter',
  posted_at: '2024-03-03T08:00:00.000Z',
  text: TEXT,
};

t.test('look-alike handles: the skeleton and the handles one letter away', async (t) => {
  t.equal(handleSkeleton('@M_ALI'), handleSkeleton('m_all'));
  t.equal(handleSkeleton('p0lice_1nfo'), handleSkeleton('police_info'));
  t.equal(handleSkeleton('modern_news'), handleSkeleton('rnodem_news'));
  t.not(handleSkeleton('m_ali'), handleSkeleton('m_alt'), 't is not a look-alike of i');

  const near = lookalikeHandles('@m_all');
  t.ok(near.includes('m_ali'), 'the handle one letter away is among them');
  t.notOk(near.includes('m_all'), 'not the handle itself');
  t.ok(near.length <= MAX_LOOKALIKE_LOOKUPS);
  for (const h of near) t.equal(handleSkeleton(h), handleSkeleton('m_all'), `${h} looks like m_all`);
  t.same(lookalikeHandles('news_desk'), [], 'no look-alike letters: nothing to try');
  t.ok(lookalikeHandles('rnodem').includes('modem'), 'rn read for m');
  // A Bluesky handle varies in its name, never in its domain.
  for (const h of lookalikeHandles('example-witness.bsky.social')) t.match(h, /\.bsky\.social$/);
});

t.test('traced through a post seen by a look-alike handle', async (t) => {
  const asked: string[] = [];
  const traced = await traceScreenshot(SHOT, null, {
    seen: async (h) => (asked.push(`seen:${h}`), []),
    lookalike: async (h) => (asked.push(`like:${h}`), [POST]),
    platform: async (h) => (asked.push(`platform:${h}`), []),
  });
  t.same(asked, ['seen:m_all', 'like:m_all'], 'the platform is not asked');
  t.match(traced?.screenshot, {
    url: POST.url,
    author: { handle: 'm_ali' },
    source: 'seen',
    text_matches: true,
    read: { handle: 'm_all' },
  });

  // A look-alike account's other words are not the post shown.
  const other = { ...POST, text: 'Traffic is moving again on the ring road after the morning accident' };
  t.equal(await traceScreenshot(SHOT, null, { seen: async () => [], lookalike: async () => [other] }), null);
});

t.test('traced on the platform through a handle one letter away, asking a bounded number', async (t) => {
  const asked: string[] = [];
  const platform = async (h: string) => (asked.push(h), h === 'm_ali' ? [POST] : []);
  const traced = await traceScreenshot(SHOT, null, {
    seen: async () => [],
    lookalike: async () => [],
    platform,
  });
  t.equal(asked[0], 'm_all', 'the handle as read first');
  t.equal(asked.at(-1), 'm_ali');
  t.match(traced?.screenshot, { source: 'platform', author: { handle: 'm_ali' }, read: { handle: 'm_all' } });

  // An account with posts, none of them the one shown: the handle was read right; nothing else asked.
  asked.length = 0;
  const elsewhere = {
    ...POST,
    handle: 'm_all',
    text: 'Traffic is moving again on the ring road this morning',
  };
  const platformKnows = async (h: string) => (asked.push(h), h === 'm_all' ? [elsewhere] : [POST]);
  t.equal(await traceScreenshot(SHOT, null, { seen: async () => [], platform: platformKnows }), null);
  t.same(asked, ['m_all']);

  // A handle nobody has: the handle read and at most MAX_LOOKALIKE_LOOKUPS others, then nothing.
  asked.length = 0;
  const none = await traceScreenshot(SHOT, null, {
    seen: async () => [],
    platform: async (h) => (asked.push(h), []),
  });
  t.equal(none, null);
  t.ok(asked.length > 1 && asked.length <= 1 + MAX_LOOKALIKE_LOOKUPS, `${asked.length} asked`);
});

t.test('the post index finds posts by look-alike handles, by visibility', async (t) => {
  const config = testConfig();
  const { memory } = await testMemory(t, config);
  const a = memory.forCheck({ checkId: 'c1', org: 'newsroom-a' });
  const b = memory.forCheck({ checkId: 'c2', org: 'newsroom-b' });
  await a.posts.remember(
    {
      ...POST,
      posted_at: '2024-03-03T08:00:00.000Z',
      author: { handle: 'M_Ali', display_name: 'Mali Reporter' },
    },
    POST.url,
  );

  t.match(
    await b.posts.byLookalike('@m_all'),
    [{ url: POST.url, handle: 'm_ali' }],
    'another newsroom sees it',
  );
  t.same(await b.posts.byLookalike('m_ali'), [], 'not the handle’s own posts (byAuthor finds those)');
  t.same(await b.posts.byLookalike('m_alt'), []);
  t.same(await b.posts.byAuthor('m_all'), [], 'byAuthor stays exact');

  // A post newsroom A alone may see (reached through its upload) is A's, by look-alike too.
  const own = { ...POST, id: '1700000000000000002', url: 'https://x.com/m_a1i/status/1700000000000000002' };
  await a.posts.remember(
    { ...own, posted_at: '2024-03-04T08:00:00.000Z', author: { handle: 'm_a1i' } },
    'upload:abc',
  );
  t.same(
    (await b.posts.byLookalike('m_all')).map((p) => p.url),
    [POST.url],
    'not revealed to another newsroom',
  );
  t.same(
    (await a.posts.byLookalike('m_all')).map((p) => p.url),
    [own.url, POST.url],
    'shown to its own, newest first',
  );
});

t.test('the report says the handle shown is not the author’s', async (t) => {
  const screenshotOf: ScreenshotOf = {
    platform: 'x',
    url: POST.url,
    post_id: POST.id,
    author: { handle: 'm_ali', display_name: 'Mali Reporter' },
    posted_at: POST.posted_at,
    source: 'seen',
    text_matches: true,
    differences: [],
    words: { post: 19, matched: 19, cut_off: 0 },
    read: { handle: 'm_all', display_name: 'Mali Reporter', time: '3h', date: null, text: TEXT },
    date_agrees: null,
  };
  const signals = (read: string) =>
    buildProvenance({
      checkedAt: '2024-03-03T12:00:00.000Z',
      sourceUrl: 'upload:shot.png',
      screenshotOf: { ...screenshotOf, read: { ...screenshotOf.read, handle: read } },
      matches: [],
      thresholds: { recycledMarginHours: 24, thumbnailMismatchBits: 70, minPdqQuality: 50 },
    }).signals.find((s) => s.code === 'screenshot_of_post')?.message ?? '';
  t.match(signals('m_all'), /reads @m_all, not @m_ali: the letters look alike/);
  t.notMatch(signals('M_Ali'), /reads @/, 'the same handle in other capitals is the same handle');
});
