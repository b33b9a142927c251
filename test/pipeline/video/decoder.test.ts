// The decoder runs as a bounded child process: hostile or broken files, slow decodes, runaway output
// and missing tools end as media errors of the item, never as a crash or a hang of the worker.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { analyzeVideo } from '../../../src/pipeline/video/analyze.js';
import { runBounded, ToolMissingError } from '../../../src/pipeline/video/run.js';
import { generateClip, VIDEO_OPTIONS } from './helpers.js';

const VIDEO = new URL('../../fixtures/video/', import.meta.url);
const sha = '1'.repeat(64);

t.test('a truncated file: the frames present are hashed; without its index, a stable error', async (t) => {
  const whole = readFileSync(new URL('pattern-sd-grey-bar.mp4', VIDEO));
  // This file has its index (moov) first: a cut-off download still decodes up to the cut.
  const part = await analyzeVideo(whole.subarray(0, 300_000), sha, VIDEO_OPTIONS, null);
  t.ok(
    part.video.frames_hashed > 0 && part.video.frames_hashed < 7,
    `${part.video.frames_hashed} of 7 frames`,
  );
  // ffmpeg's default MP4 puts the index last: cut that off and nothing says where the frames are.
  const moovLast = generateClip([
    '-f',
    'lavfi',
    '-i',
    'testsrc=size=320x240:rate=10',
    '-t',
    '3',
    '-c:v',
    'libx264',
    '-pix_fmt',
    'yuv420p',
  ]);
  await t.rejects(
    analyzeVideo(moovLast.subarray(0, Math.floor(moovLast.length * 0.8)), sha, VIDEO_OPTIONS, null),
    {
      code: 'video_unreadable',
    },
  );
});

t.test('garbage after a valid header: decode errors stay in the child', async (t) => {
  const whole = readFileSync(new URL('doorknob-hd-no-bar.mp4', VIDEO));
  const broken = Buffer.from(whole);
  // Overwrite most of the coded frames (mdat) with noise, keep the container intact.
  for (let i = 4000; i < broken.length - 20_000; i++) broken[i] = (i * 2654435761) >>> 24;
  try {
    const r = await analyzeVideo(broken, sha, VIDEO_OPTIONS, null);
    t.ok(r.video.frames_hashed >= 0, `decoded what it could (${r.video.frames_hashed} frames)`);
  } catch (err) {
    t.match(err, { code: /^video_(decode_failed|unreadable)$/ }, 'or failed with a stable code');
  }
});

t.test('a decode over its time limit is killed: video_timeout', async (t) => {
  const clip = generateClip([
    '-f',
    'lavfi',
    '-i',
    'testsrc2=size=1280x720:rate=30',
    '-t',
    '20',
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-pix_fmt',
    'yuv420p',
  ]);
  const t0 = Date.now();
  await t.rejects(
    analyzeVideo(clip, sha, { ...VIDEO_OPTIONS, timeoutMs: 1000, mode: 'all', maxFrames: 10_000 }, null),
    { code: 'video_timeout' },
  );
  t.ok(Date.now() - t0 < 15_000, 'returned soon after the limit');
});

t.test('a memory bound too small for the decoder fails in the child, not here', async (t) => {
  const clip = readFileSync(new URL('doorknob-hd-no-bar.mp4', VIDEO));
  await t.rejects(analyzeVideo(clip, sha, { ...VIDEO_OPTIONS, memoryMb: 40 }, null), {
    code: /^video_(unreadable|decode_failed)$/,
  });
  // And the process is fine afterwards.
  const ok = await analyzeVideo(clip, sha, VIDEO_OPTIONS, null);
  t.ok(ok.video.frames_hashed > 0);
});

t.test('the frame caps: VIDEO_MAX_FRAMES and VIDEO_MAX_SECONDS', async (t) => {
  const clip = readFileSync(new URL('chair-orig-22-sd-bar.mp4', VIDEO));
  const byFrames = await analyzeVideo(clip, sha, { ...VIDEO_OPTIONS, maxFrames: 5 }, null);
  t.equal(byFrames.video.frames_hashed, 5);
  t.equal(byFrames.video.decoder.truncated, true);
  const bySeconds = await analyzeVideo(clip, sha, { ...VIDEO_OPTIONS, maxSeconds: 3 }, null);
  t.ok(bySeconds.video.frames_hashed <= 4, `${bySeconds.video.frames_hashed} frames in 3 s`);
  t.equal(bySeconds.video.decoder.truncated, true);
});

t.test('tools missing: video_tools_missing, said plainly', async (t) => {
  const clip = readFileSync(new URL('test-padded-dimensions.mp4', VIDEO));
  await t.rejects(analyzeVideo(clip, sha, { ...VIDEO_OPTIONS, ffmpeg: 'ffmpeg-not-installed-here' }, null), {
    code: 'video_tools_missing',
    message: /ffmpeg-not-installed-here/,
  });
  await t.rejects(
    runBounded('no-such-program-xyz', [], { timeoutMs: 5000, memoryMb: 0, maxStdoutBytes: 10 }),
    ToolMissingError,
  );
});

t.test('output cap: a child writing more than allowed is killed', async (t) => {
  const r = await runBounded('yes', [], { timeoutMs: 10_000, memoryMb: 0, maxStdoutBytes: 100_000 });
  t.equal(r.killed, 'output_cap');
  t.ok(r.stdoutBytes >= 100_000);
});

t.test('WebM (VP8/VP9) and QuickTime decode like MP4', async (t) => {
  for (const [codec, ext] of [
    ['libvpx', 'webm'],
    ['libvpx-vp9', 'webm'],
    ['libx264', 'mov'],
  ] as const) {
    const clip = generateClip(
      ['-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=10', '-t', '2', '-c:v', codec, '-pix_fmt', 'yuv420p'],
      ext,
    );
    const r = await analyzeVideo(clip, sha, VIDEO_OPTIONS, null);
    t.equal(r.video.frames_hashed, 2, `${codec} in ${ext}: 2 frames`);
    t.ok((r.video.keyframes[0]?.quality ?? 0) >= 50, `${codec}: a detailed keyframe`);
  }
});

t.test(
  'a consumer that throws on the output: the child is killed and the error returned, no crash',
  async (t) => {
    const boom = new Error('consumer failed');
    await t.rejects(
      runBounded('yes', [], { timeoutMs: 10_000, memoryMb: 0, maxStdoutBytes: 1e9 }, () => {
        throw boom;
      }),
      boom,
    );
  },
);

t.test('a file that names other files or URLs (HLS playlist, concat script) is never followed', async (t) => {
  let requests = 0;
  const server = createServer((_req, res) => {
    requests++;
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => server.close());
  const { port } = server.address() as AddressInfo;
  const playlist = Buffer.from(
    `#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2.0,\nhttp://127.0.0.1:${port}/segment.ts\n#EXT-X-ENDLIST\n`,
  );
  await t.rejects(analyzeVideo(playlist, sha, VIDEO_OPTIONS, null), { code: 'video_unreadable' });
  const concat = Buffer.from(
    `ffconcat version 1.0\nfile '${new URL('pattern-sd-grey-bar.mp4', VIDEO).pathname}'\n`,
  );
  await t.rejects(analyzeVideo(concat, sha, VIDEO_OPTIONS, null), { code: 'video_unreadable' });
  t.equal(requests, 0, 'the decoder made no request');
});
