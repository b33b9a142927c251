// Videos through the whole pipeline and memory as production assembles them (createPipeline,
// createMemory; real Redis, own key prefix): an X
// post's video resolved to its MP4, analyzed, remembered; later videos matching it by vPDQ (plain and
// cropped to the content region), a photo seen before appearing as a keyframe, and the signals
// `recycled`, `creation_time_predates_post`. Every host is a local server.
import { Redis } from 'ioredis';
import pino from 'pino';
import { readFileSync } from 'node:fs';
import t from 'tap';
import type { Report } from '../../../schemas/report.js';
import { keys } from '../../../src/keys.js';
import { createMemory } from '../../../src/memory/memory.js';
import { syndicationToken } from '../../../src/pipeline/resolve/x.js';
import type { ThumbnailStore } from '../../../src/services/thumbnails.js';
import { REDIS_URL, removePrefix, testConfig } from '../../helpers/app.js';
import { testPipeline } from '../../helpers/pipeline.js';
import { fixture, json, startWorld } from '../resolve/world.js';
import { generateClip, remux } from './helpers.js';

const VIDEO_ID = '1719999999999999001';
const VIDEO = new URL('../../fixtures/video/', import.meta.url);
const clip = (name: string) => readFileSync(new URL(`${name}.mp4`, VIDEO));
const log = pino({ level: 'silent' });

t.test('videos end to end: X video post, vPDQ matches both ways, keyframes against photos', async (t) => {
  const config = testConfig();
  const redis = new Redis(REDIS_URL);
  const memory = await createMemory({ config, redis, keys: keys(config.keyPrefix), log });
  t.teardown(async () => {
    await memory.close();
    redis.disconnect();
    await removePrefix(config.keyPrefix);
  });
  const banks = memory.banks;
  const thumbs = new Map<string, Buffer>();
  const thumbnails: ThumbnailStore = {
    image: async () => 'stored',
    keyframe: async (id, webp) => void thumbs.set(id, webp),
  };

  // The X post's video: the colour chair clip, with the creation time a phone would have written in 2020.
  const xVideo = remux(clip('chair-orig-22-sd-bar'), ['-metadata', 'creation_time=2020-06-01T08:00:00Z']);
  // A photo: frame 0 of the doorknob clip, as a PNG.
  const doorknobPhoto = generateClip(
    ['-i', new URL('doorknob-hd-no-bar.mp4', VIDEO).pathname, '-frames:v', '1', '-update', '1'],
    'png',
  );
  const served: Record<string, Buffer> = {
    '/ext_tw_video/1719999999000000000/pu/vid/1280x720/HiGh.mp4': xVideo,
    '/chair-grey.mp4': clip('chair-22-sd-grey-bar'),
    '/pattern-sd.mp4': clip('pattern-sd-grey-bar'),
    '/pattern-hd.mp4': clip('pattern-hd-no-bar'),
    '/doorknob.png': doorknobPhoto,
    '/doorknob.mp4': clip('doorknob-hd-no-bar'),
  };
  const w = await startWorld(t, {
    'cdn.syndication.twimg.com': {
      '/tweet-result': (q, u, r) =>
        u.searchParams.get('token') === syndicationToken(VIDEO_ID)
          ? json(fixture('x/syndication-video.json'))(q, u, r)
          : json({}, 404)(q, u, r),
    },
    'x.com': {
      '*': (_q, _u, r) => r.writeHead(200, { 'content-type': 'text/html' }).end('<title>X</title>'),
    },
    'video.twimg.com': {
      '*': (_q, u, r) => {
        const body = served[u.pathname];
        if (!body) return r.writeHead(404).end();
        r.writeHead(200, { 'content-type': 'video/mp4' }).end(body);
      },
    },
    'media.example': {
      '*': (_q, u, r) => {
        const body = served[u.pathname];
        if (!body) return r.writeHead(404).end();
        r.writeHead(200, { 'content-type': u.pathname.endsWith('.png') ? 'image/png' : 'video/mp4' }).end(
          body,
        );
      },
    },
  });

  const pipeline = testPipeline({ fetcher: w.deps.fetcher, endpoints: w.endpoints, memory, thumbnails });
  const check = (checkId: string, url: string): Promise<Report> =>
    pipeline.check({ checkId, org: 'newsroom', targets: [{ url, input: url }] });

  // 1. The X post: its video (the highest-bitrate MP4 variant) is analyzed.
  const first = await check('chk_x', `https://x.com/example_witness/status/${VIDEO_ID}`);
  const item = first.media[0];
  t.equal(first.media.length, 1);
  t.match(item, { status: 'ok', format: 'mp4', width: 480, height: 720 });
  t.ok(item?.source_url.endsWith('/1280x720/HiGh.mp4?tag=12'), 'the best variant');
  t.equal(item?.video?.frames_hashed, 23);
  t.equal(item?.video?.metadata.creation_time, '2020-06-01T08:00:00.000Z');
  t.equal(item?.video?.keyframes[0]?.thumbnail?.length, 64, 'keyframe thumbnails kept');
  t.ok(thumbs.has(item?.sha256 ?? ''), 'the video has a thumbnail under its own sha256');
  const signals1 = item?.provenance?.signals.map((s) => s.code) ?? [];
  t.ok(signals1.includes('creation_time_predates_post'), 'created 2020, posted 2023-11-02');
  t.ok(signals1.includes('metadata_stripped'));
  t.ok(
    item?.provenance?.timeline.some((e) => e.kind === 'video_created' && e.strength === 'weak'),
    'creation time on the timeline, weak',
  );
  t.ok(typeof item?.timings_ms.video_decode === 'number' && typeof item?.timings_ms.video_hash === 'number');

  // A bank video, from the reference implementation's own vPDQ file of the grey chair clip.
  const bank = await banks.create('newsroom', { name: 'debunked', kind: 'debunked' });
  const refLines = readFileSync(new URL('vpdq-reference/chair-22-sd-grey-bar.txt', VIDEO), 'utf8')
    .trim()
    .split('\n');
  const entryId = await banks.addVideoEntry(
    bank,
    {
      label: 'chair clip',
      verdict: 'old footage',
      source_url: null,
      first_published: '2019-01-01T00:00:00Z',
    },
    { lines: refLines, minQuality: config.video.vpdq.minQuality },
  );

  // 2. The grey copy of the same clip, later, by direct URL: a vPDQ match with the post's date -> recycled.
  const grey = (await check('chk_grey', `${w.base('media.example')}/chair-grey.mp4`)).media[0];
  const bm = grey?.provenance?.matches.find((m) => m.source === 'bank');
  t.match(bm, { hash: 'vpdq', bank: { entry_id: entryId, label: 'chair clip', kind: 'debunked' } });
  t.ok(
    (bm?.video?.query_match_percent ?? 0) >= 80,
    `our frames vs the reference's: ${bm?.video?.query_match_percent}%`,
  );
  t.ok(grey?.provenance?.signals.some((s) => s.code === 'bank_match' && s.severity === 'high'));
  const vm = grey?.provenance?.matches.find((m) => m.hash === 'vpdq' && m.source === 'seen');
  t.match(vm, {
    kind: 'near_duplicate',
    source: 'seen',
    sha256: item?.sha256,
    posted_at: '2023-11-02T06:45:00.000Z',
    video: { method: 'vpdq', query_match_percent: 100, compared_match_percent: 100 },
  });
  t.ok(grey?.provenance?.signals.some((s) => s.code === 'recycled' && /video was seen/.test(s.message)));

  // 3. Letterboxed SD pattern, then the HD clip: matched only through the content region.
  await check('chk_sd', `${w.base('media.example')}/pattern-sd.mp4`);
  const hd = (await check('chk_hd', `${w.base('media.example')}/pattern-hd.mp4`)).media[0];
  const hm = hd?.provenance?.matches.find((m) => m.hash === 'vpdq');
  t.match(hm, {
    video: { method: 'vpdq_content_region', query_match_percent: 100, plain_query_match_percent: 0 },
  });
  t.notOk(
    hd?.provenance?.matches.some((m) => m.sha256 === item?.sha256),
    'no chair match for the pattern',
  );

  // 4. A photo seen before that appears as a frame of a later video.
  const photo = (await check('chk_photo', `${w.base('media.example')}/doorknob.png`)).media[0];
  t.equal(photo?.status, 'ok');
  const door = (await check('chk_door', `${w.base('media.example')}/doorknob.mp4`)).media[0];
  const fm = door?.provenance?.matches.find((m) => m.sha256 === photo?.sha256);
  t.match(fm, { kind: 'near_duplicate', hash: 'pdq', source: 'seen', frame: { frame: 0, timestamp: 0 } });
  t.ok((fm?.distance ?? 99) <= 31, `keyframe within ${fm?.distance} bits of the photo`);

  // 4b. The other way: a still taken from the X video (first seen in step 1) is checked as a photo. The
  // video's keyframes went into the image index when it was remembered, so the still finds the video.
  const keyframe = item?.video?.keyframes[0];
  if (!keyframe) throw new Error('the X video has keyframes');
  served['/still.png'] = generateClip(
    ['-ss', String(keyframe.timestamp), '-i', new URL('chair-orig-22-sd-bar.mp4', VIDEO).pathname].concat([
      '-frames:v',
      '1',
      '-update',
      '1',
    ]),
    'png',
  );
  const still = (await check('chk_still', `${w.base('media.example')}/still.png`)).media[0];
  t.equal(still?.status, 'ok');
  const sm = still?.provenance?.matches.find((m) => m.sha256 === item?.sha256);
  t.match(sm, {
    kind: 'near_duplicate',
    hash: 'pdq',
    source: 'seen',
    match_frame: { frame: keyframe.frame, timestamp: keyframe.timestamp },
    post_url: /example_witness\/status/,
  });
  t.ok((sm?.distance ?? 99) <= 31, `the still within ${sm?.distance} bits of the keyframe`);
  // Posted in 2023 (the syndication fixture): long before this check.
  t.match(still?.provenance?.signals, [
    { code: 'recycled', message: /seen \d+ \w+ before this check, as a frame \d+\.\d s into a video/ },
  ]);

  // 5. The same file again: an exact match, and its sighting counted.
  const again = (await check('chk_again', `${w.base('media.example')}/chair-grey.mp4`)).media[0];
  t.ok(again?.provenance?.matches.some((m) => m.kind === 'exact' && m.sha256 === grey?.sha256));
  t.notOk(
    again?.provenance?.matches.some((m) => m.hash === 'vpdq' && m.sha256 === grey?.sha256),
    'a video is not its own vPDQ match',
  );
  const x2 = (await check('chk_x2', `https://x.com/example_witness/status/${VIDEO_ID}`)).media[0];
  t.notOk(
    x2?.provenance?.matches.some((m) => m.match_frame),
    'nor are its own keyframes, kept in the image index',
  );
});

t.test('without ffmpeg: video items fail with video_tools_missing, the check goes on', async (t) => {
  const w = await startWorld(t, {
    'media.example': {
      '/v.mp4': (_q, _u, r) =>
        r.writeHead(200, { 'content-type': 'video/mp4' }).end(clip('test-padded-dimensions')),
    },
  });
  const report = await testPipeline(
    { fetcher: w.deps.fetcher, endpoints: w.endpoints },
    { VIDEO_FFMPEG_PATH: 'ffmpeg-missing-for-test' },
  ).check({
    checkId: 'chk_nofff',
    org: 'o',
    targets: [{ url: `${w.base('media.example')}/v.mp4`, input: 'v.mp4' }],
  });
  t.match(report.media[0], { status: 'error', format: 'mp4', error: { code: 'video_tools_missing' } });
});
