// A screenshot of a Bluesky post firstseen has never seen, traced through the pipeline as production
// assembles it (real Redis, own prefix; the AppView played by a local server): rendered, read by
// tesseract, its author's recent posts read from getAuthorFeed, and the post found is `screenshot_of`
// with `source: "platform"`; the next screenshot of it is traced from memory without asking again. A
// video showing the screenshot (a clip made by ffmpeg from it) is traced from its keyframe's words.
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import type { Report } from '../../../schemas/report.js';
import { tesseractInfo } from '../../../src/pipeline/ocr/tesseract.js';
import { screenshotSection } from '../../../src/views/screenshot.js';
import { lookalikeHandles } from '../../../src/pipeline/screenshot/trace.js';
import { testConfig } from '../../helpers/app.js';
import { authorFeedRoute, feedPost, type FeedAuthor } from '../../helpers/bluesky-feed.js';
import { testMemory } from '../../helpers/memory.js';
import { testPipeline } from '../../helpers/pipeline.js';
import { postScreenshot } from '../../helpers/text-images.js';
import { startWorld } from '../resolve/world.js';
import { generateClip } from '../video/helpers.js';

const skip = (await tesseractInfo('tesseract')) ? false : 'tesseract is not installed';

const WITNESS: FeedAuthor = {
  did: 'did:plc:abcdefghijklmnopqrstuvwx',
  handle: 'example-witness.bsky.social',
  displayName: 'Example Witness',
};
const TEXT =
  'Protesters seen guarding the weapons depot near the airport this morning, witnesses say. Can you spot the guy with the new RPG?';
const RKEY = '3kshownpost2x';
/** The witness's feed, newest first: the post shown is the 130th, on the second page of 100. */
const FEED = Array.from({ length: 150 }, (_, i) =>
  i === 130
    ? feedPost(WITNESS, RKEY, TEXT, '2024-08-12T21:14:05.123Z')
    : feedPost(
        WITNESS,
        `3kother${String(i).padStart(5, '0')}`,
        `Update ${i}: the road to the valley is open again and the buses run on the usual timetable`,
        new Date(Date.UTC(2024, 8, 1) - i * 3_600_000).toISOString(),
      ),
);
const AS_POSTED = {
  name: 'Example Witness',
  handle: WITNESS.handle,
  time: '9:14 PM',
  date: 'Aug 12, 2024',
};
const URL = `https://bsky.app/profile/example-witness.bsky.social/post/${RKEY}`;

/** A memory of its own, the Bluesky AppView stand-in serving the witness's feed (recording what it was asked), and a pipeline with OCR. */
async function setup(t: Test) {
  const config = testConfig();
  const { memory } = await testMemory(t, config);
  const asked: URLSearchParams[] = [];
  const w = await startWorld(t, {
    'public.api.bsky.app': {
      '/xrpc/app.bsky.feed.getAuthorFeed': authorFeedRoute({ [WITNESS.handle]: FEED }, asked),
    },
  });
  const pipeline = testPipeline(
    { fetcher: w.deps.fetcher, endpoints: w.endpoints, memory },
    { OCR_ENABLED: 'true' },
  );
  return { asked, w, pipeline };
}

t.test('a screenshot of a Bluesky post never seen: found among the author’s posts', { skip }, async (t) => {
  const { asked, w, pipeline } = await setup(t);
  let n = 0;
  const checkUpload = async (png: Buffer): Promise<Report> => {
    const sha = createHash('sha256').update(png).digest('hex');
    return pipeline.check({
      checkId: `chk_bsky_${++n}`,
      org: 'newsroom-b',
      targets: [{ input: 'upload:shot.png', url: `upload:${sha}` }],
      uploads: async (s) => (s === sha ? png : null),
    });
  };

  // First a screenshot with one word changed: nothing seen by this author, so Bluesky is asked.
  const edited = await postScreenshot('eng', 0, { text: TEXT.replace('guarding', 'raiding'), ...AS_POSTED });
  const changed = (await checkUpload(edited.png)).media[0];
  t.equal(changed?.text?.status, 'read');
  t.equal(asked.length, 2, 'two pages of the author’s posts read');
  t.equal(asked[0]?.get('actor'), WITNESS.handle, 'the handle as read is the actor');
  t.match(changed?.screenshot_of, {
    platform: 'bluesky',
    url: URL,
    post_id: `at://${WITNESS.did}/app.bsky.feed.post/${RKEY}`,
    author: { handle: WITNESS.handle, display_name: 'Example Witness' },
    posted_at: '2024-08-12T21:14:05.123Z',
    source: 'platform',
    text_matches: false,
    differences: [{ screenshot: 'raiding', post: 'guarding' }],
    read: { handle: WITNESS.handle },
    date_agrees: true,
  });
  const signals = changed?.provenance?.signals ?? [];
  t.match(
    signals.find((s) => s.code === 'screenshot_of_post')?.message,
    [
      'The image is a screenshot of the post by @example-witness.bsky.social on 12 Aug 2024',
      `(${URL}), found among @example-witness.bsky.social’s recent posts on Bluesky.`,
    ].join(' '),
  );
  t.match(
    signals.find((s) => s.code === 'screenshot_text_differs'),
    {
      severity: 'high',
      message: /“raiding” where the post says “guarding”/,
    },
  );
  t.match(
    screenshotSection(changed!.screenshot_of!).toString(),
    /found among the author’s recent posts on Bluesky/,
  );

  // The post found is remembered: the unedited screenshot is traced from memory, Bluesky not asked.
  const shot = await postScreenshot('eng', 0, { text: TEXT, ...AS_POSTED });
  const same = (await checkUpload(shot.png)).media[0];
  t.match(same?.screenshot_of, { url: URL, source: 'seen', text_matches: true, differences: [] });
  t.equal(asked.length, 2, 'not asked again');
  t.match(
    same?.provenance?.signals.find((s) => s.code === 'screenshot_of_post')?.message,
    /screenshot of the post by @example-witness\.bsky\.social on 12 Aug 2024 .*words are the post’s/,
  );
  t.notMatch(JSON.stringify(same?.provenance?.signals), /found among/);

  // A post by an account Bluesky does not know: asked, then the handles one look-alike letter away
  // (the handle may have been misread: trace.ts), nothing traced.
  const stranger = await postScreenshot('eng', 0, {
    ...AS_POSTED,
    name: 'Nobody Known',
    handle: 'nobody-known.bsky.social',
  });
  const none = (await checkUpload(stranger.png)).media[0];
  t.equal(none?.text?.status, 'read');
  t.same(
    asked.slice(2).map((q) => q.get('actor')),
    ['nobody-known.bsky.social', ...lookalikeHandles('nobody-known.bsky.social')],
  );
  t.same(lookalikeHandles('nobody-known.bsky.social'), [
    'nobody-kn0wn.bsky.social',
    'nob0dy-known.bsky.social',
    'n0body-known.bsky.social',
  ]);
  t.notOk(none?.screenshot_of, 'no screenshot_of');
  t.same(w.undeclared, [], 'no other host asked');
});

t.test('a video showing the screenshot: traced from its keyframe', { skip }, async (t) => {
  const { asked, pipeline } = await setup(t);
  // Two seconds of the screenshot, as a screen recording or a "video" made of a screenshot would be.
  const dir = mkdtempSync(join(tmpdir(), 'fs-shot-clip-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const png = join(dir, 'shot.png');
  writeFileSync(png, (await postScreenshot('eng', 0, { text: TEXT, ...AS_POSTED })).png);
  const clip = generateClip([
    '-loop',
    '1',
    '-i',
    png,
    '-t',
    '2',
    '-r',
    '10',
    '-vf',
    'scale=trunc(iw/2)*2:trunc(ih/2)*2',
    '-c:v',
    'libx264',
    '-pix_fmt',
    'yuv420p',
  ]);
  const sha = createHash('sha256').update(clip).digest('hex');
  const report = await pipeline.check({
    checkId: 'chk_bsky_clip',
    org: 'newsroom-b',
    targets: [{ input: 'upload:clip.mp4', url: `upload:${sha}` }],
    uploads: async (s) => (s === sha ? clip : null),
  });
  const item = report.media[0];
  t.ok(item?.video, 'analyzed as a video');
  t.equal(item?.text?.status, 'read');
  const kf = item?.video?.keyframes[0];
  t.match(item?.screenshot_of, {
    platform: 'bluesky',
    url: URL,
    source: 'platform',
    text_matches: true,
    timestamp: kf?.timestamp,
  });
  t.equal(asked.length, 2);
  t.match(
    item?.provenance?.signals.find((s) => s.code === 'screenshot_of_post')?.message,
    /^The video shows, \d+\.\d s in, a screenshot of the post by @example-witness\.bsky\.social on 12 Aug 2024/,
  );
  t.match(screenshotSection(item!.screenshot_of!).toString(), /the video shows it \d+\.\d s in/);
});
