// The provenance of a video: its creation time on the timeline (weak evidence) and the
// `creation_time_predates_post` signal, with the same margin as the EXIF capture date of photos.
import t from 'tap';
import type { VideoMetadata } from '../../../schemas/video.js';
import { buildProvenance } from '../../../src/pipeline/provenance.js';
import { normalizeProbe } from '../../../src/pipeline/video/metadata.js';

const thresholds = { recycledMarginHours: 48, thumbnailMismatchBits: 80, minPdqQuality: 50 };
const video = (tags: Record<string, string>): VideoMetadata =>
  normalizeProbe({
    streams: [{ codec_type: 'video', codec_name: 'h264', width: 64, height: 64, avg_frame_rate: '30/1' }],
    format: { format_name: 'mov,mp4', duration: '1', tags },
  }).metadata;
const provenance = (v: VideoMetadata, postedAt: string) =>
  buildProvenance({
    checkedAt: '2026-01-01T00:00:00Z',
    sourceUrl: 'https://video.example/v.mp4',
    post: { url: 'https://x.com/a/status/1', posted_at: postedAt },
    video: v,
    matches: [],
    thresholds,
  });
const codes = (p: ReturnType<typeof buildProvenance>) => p.signals.map((s) => s.code);

t.test('created three days before the post: the signal, and a weak timeline event', async (t) => {
  const p = provenance(video({ creation_time: '2024-05-01T10:00:00.000000Z' }), '2024-05-04T10:00:00Z');
  t.ok(codes(p).includes('creation_time_predates_post'));
  t.match(p.signals.find((s) => s.code === 'creation_time_predates_post')?.message, /3 days before the post/);
  t.match(p.timeline[0], { kind: 'video_created', at: '2024-05-01T10:00:00.000Z', strength: 'weak' });
  t.equal(p.earliest?.kind, 'video_created');
});

t.test('within the margin, or no creation time: no signal', async (t) => {
  t.notOk(
    codes(provenance(video({ creation_time: '2024-05-03T11:00:00Z' }), '2024-05-04T10:00:00Z')).includes(
      'creation_time_predates_post',
    ),
  );
  const none = provenance(video({ creation_time: '1970-01-01T00:00:00Z' }), '2024-05-04T10:00:00Z');
  t.notOk(codes(none).includes('creation_time_predates_post'), 'a zero date is no date');
  t.ok(codes(none).includes('metadata_stripped'), 'only encoder facts: stripped');
});

t.test('a phone video: QuickTime creation date with its offset, and its location', async (t) => {
  const p = provenance(
    video({
      'com.apple.quicktime.creationdate': '2022-02-24T05:30:00+0200',
      'com.apple.quicktime.location.ISO6709': '+50.4501+030.5234/',
      'com.apple.quicktime.make': 'Apple',
    }),
    '2024-05-04T10:00:00Z',
  );
  t.ok(codes(p).includes('creation_time_predates_post'));
  t.ok(codes(p).includes('gps_present'));
  t.notOk(codes(p).includes('metadata_stripped'));
  t.equal(p.timeline[0]?.at, '2022-02-24T05:30:00+02:00');
});
