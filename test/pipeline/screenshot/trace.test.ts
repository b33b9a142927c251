// A screenshot traced back to its post, through the pipeline as production assembles it (real Redis,
// own prefix; X's syndication API played by a local server): a stand-in X post is checked first, then a
// rendered screenshot of it is `screenshot_of` that post; the same screenshot with one word changed says
// `screenshot_text_differs`, naming the words; a screenshot of a post never seen traces to nothing; and
// a post another organization alone may see is not revealed.
import { createHash } from 'node:crypto';
import t from 'tap';
import type { Report } from '../../../schemas/report.js';
import { tesseractInfo } from '../../../src/pipeline/ocr/tesseract.js';
import { syndicationToken } from '../../../src/pipeline/resolve/x.js';
import { screenshotSection } from '../../../src/views/screenshot.js';
import { testConfig } from '../../helpers/app.js';
import { testPipeline } from '../../helpers/pipeline.js';
import { postScreenshot } from '../../helpers/text-images.js';
import { json, startWorld } from '../resolve/world.js';
import { testMemory } from '../../helpers/memory.js';

const skip = (await tesseractInfo('tesseract')) ? false : 'tesseract is not installed';

const POST_ID = '1479071234567890123';
const TEXT =
  'Protesters seen guarding the weapons depot near the airport this morning, witnesses say. Can you spot the guy with the new RPG?';
/** What X's syndication API answers for the stand-in post (written for this test; no media). */
const tweet = {
  __typename: 'Tweet',
  lang: 'en',
  created_at: '2022-01-06T09:12:45.000Z',
  display_text_range: [0, TEXT.length],
  entities: { hashtags: [], urls: [], user_mentions: [], symbols: [] },
  id_str: POST_ID,
  text: TEXT,
  user: { id_str: '1111111111111111111', name: 'Example OSINT', screen_name: 'example_osint' },
  isEdited: false,
};
const AS_POSTED = { name: 'Example OSINT', handle: 'example_osint', time: '9:12 AM', date: 'Jan 6, 2022' };

t.test('a screenshot of a post seen before: screenshot_of, and the words it changed', { skip }, async (t) => {
  const config = testConfig();
  const { memory } = await testMemory(t, config);
  const w = await startWorld(t, {
    'cdn.syndication.twimg.com': {
      '/tweet-result': (q, u, r) =>
        u.searchParams.get('token') === syndicationToken(POST_ID)
          ? json(tweet)(q, u, r)
          : json({}, 404)(q, u, r),
    },
  });
  const pipeline = testPipeline(
    { fetcher: w.deps.fetcher, endpoints: w.endpoints, memory },
    { OCR_ENABLED: 'true' },
  );
  const uploads = new Map<string, Buffer>();
  let n = 0;
  /** One check of an uploaded picture by `org`. */
  const checkUpload = async (png: Buffer, org: string): Promise<Report> => {
    const sha = createHash('sha256').update(png).digest('hex');
    uploads.set(sha, png);
    return pipeline.check({
      checkId: `chk_shot_${++n}`,
      org,
      targets: [{ input: 'upload:shot.png', url: `upload:${sha}` }],
      uploads: async (s) => uploads.get(s) ?? null,
    });
  };

  // The post, checked first by newsroom A.
  const first = await pipeline.check({
    checkId: 'chk_post',
    org: 'newsroom-a',
    targets: [{ input: 'post', url: `https://x.com/example_osint/status/${POST_ID}` }],
  });
  t.match(first.posts[0], { platform: 'x', id: POST_ID, text: TEXT });

  // A screenshot of it, checked by newsroom B: the post is public.
  const shot = await postScreenshot('eng', 0, { text: TEXT, ...AS_POSTED });
  const same = (await checkUpload(shot.png, 'newsroom-b')).media[0];
  t.equal(same?.text?.status, 'read');
  t.match(same?.screenshot_of, {
    platform: 'x',
    url: `https://x.com/example_osint/status/${POST_ID}`,
    post_id: POST_ID,
    author: { handle: 'example_osint', display_name: 'Example OSINT' },
    posted_at: '2022-01-06T09:12:45.000Z',
    text_matches: true,
    differences: [],
    read: { handle: 'example_osint', date: 'Jan 6, 2022', time: '9:12 AM' },
    date_agrees: true,
  });
  const signals = same?.provenance?.signals ?? [];
  t.match(
    signals.find((s) => s.code === 'screenshot_of_post'),
    {
      severity: 'info',
      message: /screenshot of the post by @example_osint on 6 Jan 2022 .*words are the post’s/,
    },
  );
  t.notOk(signals.some((s) => s.code === 'screenshot_text_differs'));

  // One word changed.
  const edited = await postScreenshot('eng', 0, { text: TEXT.replace('guarding', 'raiding'), ...AS_POSTED });
  const changed = (await checkUpload(edited.png, 'newsroom-b')).media[0];
  t.match(changed?.screenshot_of, {
    post_id: POST_ID,
    text_matches: false,
    differences: [{ screenshot: 'raiding', post: 'guarding' }],
  });
  t.equal(changed?.screenshot_of?.differences.length, 1, 'the one changed word, nothing else');
  t.same(
    changed?.provenance?.signals.find((s) => s.code === 'screenshot_text_differs'),
    {
      code: 'screenshot_text_differs',
      severity: 'high',
      message:
        'The screenshot’s text differs from the post by @example_osint on 6 Jan 2022: “raiding” where the post says “guarding”.',
    },
  );
  const html = screenshotSection(changed!.screenshot_of!).toString();
  t.match(html, 'raiding');
  t.match(html, `href="https://x.com/example_osint/status/${POST_ID}"`);

  // A post never seen, by the same author: nothing to trace it to.
  const unknown = await postScreenshot('eng', 0, {
    text: 'Flooding has closed the main road to the airport; drivers are asked to use the northern route instead.',
    ...AS_POSTED,
  });
  const none = (await checkUpload(unknown.png, 'newsroom-b')).media[0];
  t.equal(none?.text?.status, 'read');
  t.notOk(none?.screenshot_of, 'no screenshot_of');
  t.notOk(none?.provenance?.signals.some((s) => s.code.startsWith('screenshot_')));
});

t.test('another organization’s private post is not revealed', { skip }, async (t) => {
  const config = testConfig();
  const { memory } = await testMemory(t, config);
  // Checks resolve posts from public links only, so no check makes a private post today: this one is
  // remembered as a check of newsroom A's upload would remember it (the media store's rule).
  const post = {
    platform: 'x' as const,
    id: POST_ID,
    url: `https://x.com/example_osint/status/${POST_ID}`,
    author: { handle: 'example_osint', display_name: 'Example OSINT' },
    posted_at: '2022-01-06T09:12:45.000Z',
    text: TEXT,
  };
  await memory.forCheck({ checkId: 'chk_a', org: 'newsroom-a' }).posts.remember(post, 'upload:abc');
  t.equal(
    (await memory.forCheck({ checkId: 'c1', org: 'newsroom-a' }).posts.byAuthor('@Example_OSINT')).length,
    1,
  );
  t.same(await memory.forCheck({ checkId: 'c2', org: 'newsroom-b' }).posts.byAuthor('example_osint'), []);

  const pipeline = testPipeline(
    { fetcher: { get: () => Promise.reject(new Error('no network')) } as never, memory },
    { OCR_ENABLED: 'true' },
  );
  const shot = await postScreenshot('eng', 0, { text: TEXT, ...AS_POSTED });
  const sha = createHash('sha256').update(shot.png).digest('hex');
  const check = (org: string) =>
    pipeline.check({
      checkId: `chk_${org}`,
      org,
      targets: [{ input: 'upload:shot.png', url: `upload:${sha}` }],
      uploads: async () => shot.png,
    });
  const b = (await check('newsroom-b')).media[0];
  t.equal(b?.text?.status, 'read');
  t.notOk(b?.screenshot_of, 'B is not shown A’s post');
  t.notMatch(JSON.stringify(b), /example_osint\/status/);

  // Seen publicly once (any organization's check of its link), the post is everyone's.
  await memory.forCheck({ checkId: 'chk_c', org: 'newsroom-c' }).posts.remember(post, post.url);
  t.equal(
    (await memory.forCheck({ checkId: 'c3', org: 'newsroom-b' }).posts.byAuthor('example_osint')).length,
    1,
  );
});
