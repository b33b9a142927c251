// The video analysis on the reference implementation's sample clips: per-frame PDQ against the reference
// vPDQ hashes (frame-number aligned: the reference hashed every frame, we hash 1 per second plus scene
// cuts), and the matching the issue asks for, with our own hashes, plain and cropped to the content region.
import { readFileSync } from 'node:fs';
import t from 'tap';
import { hammingHex } from '../../../src/similarity/hamming.js';
import { analyzeVideo, type VideoAnalysisResult } from '../../../src/pipeline/video/analyze.js';
import { compareVpdq, parseVpdq } from '../../../src/similarity/vpdq.js';
import { VIDEO_OPTIONS } from './helpers.js';

const VIDEO = new URL('../../fixtures/video/', import.meta.url);
const CLIPS = [
  'chair-22-sd-grey-bar',
  'chair-orig-22-sd-bar',
  'doorknob-hd-no-bar',
  'pattern-hd-no-bar',
  'pattern-sd-grey-bar',
  'pattern-sd-with-small-logo-bar',
  'test-padded-dimensions',
] as const;
type Clip = (typeof CLIPS)[number];

const results = new Map<Clip, VideoAnalysisResult>();
t.before(async () => {
  for (const clip of CLIPS) {
    const bytes = readFileSync(new URL(`${clip}.mp4`, VIDEO));
    results.set(clip, await analyzeVideo(bytes, '0'.repeat(64), VIDEO_OPTIONS, null));
  }
});
const got = (clip: Clip) => results.get(clip) as VideoAnalysisResult;
const lines = (v: string[]) => parseVpdq(v.join('\n')).frames;
const reference = (name: string) =>
  parseVpdq(readFileSync(new URL(`vpdq-reference/${name}.txt`, VIDEO), 'utf8')).frames;

// Bounds per clip (median, max) on the frames both compute. Decoders differ slightly (the reference
// used its own libav build; this is Debian's ffmpeg 5.1), and HD frames are hashed at 1024 px here, at
// full size by the reference. test-padded-dimensions sits further off (12-24 bits measured): its
// 1080x1080 stream is coded with padding and the two decoders disagree on the edge rows/columns.
const BOUNDS: Record<Clip, [number, number]> = {
  'chair-22-sd-grey-bar': [2, 8],
  'chair-orig-22-sd-bar': [2, 8],
  'doorknob-hd-no-bar': [6, 14],
  'pattern-hd-no-bar': [6, 14],
  'pattern-sd-grey-bar': [2, 8],
  'pattern-sd-with-small-logo-bar': [4, 8],
  'test-padded-dimensions': [20, 31],
};

t.test('per-frame PDQ against the reference vPDQ, frame-number aligned', async (t) => {
  const summary: Record<string, { frames: number; median: number; max: number }> = {};
  for (const clip of CLIPS) {
    const ref = new Map(reference(clip).map((f) => [f.frame, f]));
    const d = got(clip)
      .frames.map((f) => {
        const r = ref.get(f.frame);
        t.ok(r, `${clip}: frame ${f.frame} is in the reference`);
        if (r)
          t.ok(Math.abs(r.timestamp - f.timestamp) < 0.0015, `${clip}: frame ${f.frame} at the same time`);
        return r ? hammingHex(r.pdq, f.pdq) : 256;
      })
      .sort((a, b) => a - b);
    const median = d[(d.length - 1) >> 1] as number;
    const max = d[d.length - 1] as number;
    summary[clip] = { frames: d.length, median, max };
    const [m, x] = BOUNDS[clip];
    t.ok(median <= m, `${clip}: median ${median} <= ${m}`);
    t.ok(max <= x, `${clip}: max ${max} <= ${x}`);
  }
  t.comment(JSON.stringify(summary));
});

t.test('every frame, as the reference hashes them', async (t) => {
  const bytes = readFileSync(new URL('pattern-sd-grey-bar.mp4', VIDEO));
  const all = await analyzeVideo(
    bytes,
    '0'.repeat(64),
    { ...VIDEO_OPTIONS, mode: 'all', maxFrames: 1000 },
    null,
  );
  const ref = reference('pattern-sd-grey-bar');
  t.equal(all.frames.length, ref.length, 'as many frames as the reference');
  t.same(
    all.frames.map((f) => f.frame),
    ref.map((f) => f.frame),
    'the same frame numbers',
  );
  const d = all.frames
    .map((f, i) => hammingHex(f.pdq, (ref[i] as { pdq: string }).pdq))
    .sort((a, b) => a - b);
  t.comment(`all ${d.length} frames: median ${d[(d.length - 1) >> 1]}, max ${d[d.length - 1]}`);
  t.ok((d[(d.length - 1) >> 1] as number) <= 2);
  t.ok((d[d.length - 1] as number) <= 12);
  t.equal(all.video.decoder.sampling, 'all');
});

t.test('sampling: one frame per second (plus scene cuts), vPDQ lines in the reference format', async (t) => {
  const chair = got('chair-orig-22-sd-bar');
  t.equal(chair.video.frames_hashed, 23, '22.4 s: frames at 0..22 s');
  t.equal(chair.video.decoder.sampling, '1fps+scene>0.4');
  t.equal(chair.video.decoder.hashed_width, 480);
  t.equal(chair.video.decoder.hashed_height, 720);
  t.match(chair.video.vpdq[1], /^30,\d{1,3},[0-9a-f]{64},1\.000$/);
  const hd = got('pattern-hd-no-bar');
  t.equal(hd.video.decoder.hashed_height, 1024, 'HD frames hashed at 1024 px on the long side');
  t.equal(hd.video.decoder.hashed_width, 576);
  t.equal(hd.video.decoder.ffmpeg !== null && hd.video.decoder.ffprobe !== null, true, 'versions reported');
});

t.test('matching with our own hashes: plain vPDQ', async (t) => {
  const plain = (a: Clip, b: Clip) => compareVpdq(lines(got(a).video.vpdq), lines(got(b).video.vpdq));
  const chairs = plain('chair-22-sd-grey-bar', 'chair-orig-22-sd-bar');
  t.equal(chairs.query_match_percent, 100);
  t.equal(chairs.compared_match_percent, 100);
  const patterns = plain('pattern-sd-grey-bar', 'pattern-sd-with-small-logo-bar');
  t.equal(patterns.query_match_percent, 100);
  t.equal(patterns.compared_match_percent, 100);
  for (const [a, b] of [
    ['chair-22-sd-grey-bar', 'pattern-sd-grey-bar'],
    ['chair-orig-22-sd-bar', 'pattern-sd-with-small-logo-bar'],
    ['chair-orig-22-sd-bar', 'pattern-hd-no-bar'],
    ['doorknob-hd-no-bar', 'chair-orig-22-sd-bar'],
  ] as const) {
    const r = plain(a, b);
    t.equal(r.query_match_percent, 0, `${a} vs ${b}: 0%`);
    t.notOk(r.match);
  }
  for (const sd of ['pattern-sd-grey-bar', 'pattern-sd-with-small-logo-bar'] as const) {
    const r = plain('pattern-hd-no-bar', sd);
    t.equal(r.query_match_percent, 0, `HD vs ${sd}: 0% under plain vPDQ (the bars)`);
    t.notOk(r.match);
  }
});

t.test(
  'content region: bars found on the SD copies, and the letterboxed copies then match the HD clip',
  async (t) => {
    for (const sd of [
      'pattern-sd-grey-bar',
      'pattern-sd-with-small-logo-bar',
      'chair-orig-22-sd-bar',
    ] as const) {
      const region = got(sd).video.content_region;
      t.ok(region, `${sd}: a region`);
      t.equal(region?.kind, 'letterbox');
      // 480x720 with bars left and right: a 9:16 picture 405 px wide would fill 720 px of height.
      t.equal(region?.height, 720);
      t.ok(region && region.width >= 405 && region.width <= 420, `${sd}: picture about 405-420 px wide`);
      t.equal(got(sd).video.content_vpdq.length, got(sd).video.vpdq.length);
    }
    t.equal(got('pattern-hd-no-bar').video.content_region, null, 'no bars on the HD clip');
    const content = (c: Clip) =>
      lines(got(c).video.content_vpdq.length ? got(c).video.content_vpdq : got(c).video.vpdq);
    const figures: Record<string, number> = {};
    for (const sd of ['pattern-sd-grey-bar', 'pattern-sd-with-small-logo-bar'] as const) {
      const r = compareVpdq(content('pattern-hd-no-bar'), content(sd));
      figures[sd] = r.query_match_percent;
      t.ok(r.match, `HD vs ${sd}: a match once the bars are cropped (${r.query_match_percent}%)`);
      t.ok(r.query_match_percent >= 80);
    }
    // Cropping must not create false matches.
    t.equal(
      compareVpdq(content('chair-orig-22-sd-bar'), content('pattern-sd-grey-bar')).query_match_percent,
      0,
    );
    t.equal(
      compareVpdq(content('chair-orig-22-sd-bar'), content('pattern-hd-no-bar')).query_match_percent,
      0,
    );
    t.comment(`content-region vPDQ, HD vs letterboxed SD: ${JSON.stringify(figures)}`);
  },
);

t.test('keyframes: distinct scenes of quality 50+, at most VIDEO_KEYFRAMES', async (t) => {
  for (const clip of CLIPS) {
    const k = got(clip).video.keyframes;
    t.ok(k.length >= 1 && k.length <= VIDEO_OPTIONS.keyframes, `${clip}: ${k.length} keyframes`);
    for (let i = 0; i < k.length; i++) {
      for (let j = 0; j < i; j++) {
        const a = k[i]?.content_pdq ?? k[i]?.pdq ?? '';
        const b = k[j]?.content_pdq ?? k[j]?.pdq ?? '';
        t.ok(hammingHex(a, b) > 64, `${clip}: keyframes ${j} and ${i} are distinct`);
      }
    }
    t.equal(k[0]?.frame, 0);
    t.equal(k[0]?.dihedral.length, 8);
  }
});
