// Container metadata through ffprobe: QuickTime device keys, ISO 6709 locations, rotation, creation time,
// encoder, and `metadata_status`. Clips are generated with ffmpeg (the reference clips carry none of it).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { normalizeProbe, parseIso6709, probeVideo } from '../../../src/pipeline/video/metadata.js';
import { generateClip, remux } from './helpers.js';

const probe = async (bytes: Buffer) => {
  const dir = mkdtempSync(join(tmpdir(), 'firstseen-probe-'));
  try {
    const file = join(dir, 'v');
    writeFileSync(file, bytes);
    return await probeVideo(file, { ffprobe: 'ffprobe', timeoutMs: 20_000, memoryMb: 1024 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

t.test(
  'an iPhone-style .mov: make, model, software, creation date with its offset, location, rotation',
  async (t) => {
    const base = generateClip(
      [
        '-f',
        'lavfi',
        '-i',
        'testsrc=size=320x240:rate=10',
        '-t',
        '2',
        '-metadata',
        'com.apple.quicktime.make=Apple',
        '-metadata',
        'com.apple.quicktime.model=iPhone 13 Pro',
        '-metadata',
        'com.apple.quicktime.software=16.4.1',
        '-metadata',
        'com.apple.quicktime.location.ISO6709=+48.8577+002.2950+035.000/',
        '-metadata',
        'com.apple.quicktime.creationdate=2023-05-01T12:00:00+0200',
        '-metadata',
        'creation_time=2023-05-01T10:00:05Z',
        '-movflags',
        'use_metadata_tags',
        '-c:v',
        'libx264',
        '-pix_fmt',
        'yuv420p',
      ],
      'mov',
    );
    const { metadata: m, stream } = await probe(base);
    t.equal(m.metadata_status, 'present');
    t.equal(m.make, 'Apple');
    t.equal(m.model, 'iPhone 13 Pro');
    t.equal(m.software, '16.4.1');
    t.equal(m.creation_time, '2023-05-01T12:00:00+02:00', 'the QuickTime date wins, offset kept');
    t.equal(m.creation_time_source, 'com.apple.quicktime.creationdate');
    t.match(m.location, {
      latitude: 48.8577,
      longitude: 2.295,
      altitude_m: 35,
      source: 'com.apple.quicktime.location.ISO6709',
    });
    t.match(m.location?.map_url, /^https:\/\/www\.openstreetmap\.org\/\?mlat=48\.857700&mlon=2\.295000/);
    t.equal(m.video_codec, 'h264');
    t.equal(m.audio_codec, null);
    t.equal(m.width, 320);
    t.equal(m.height, 240);
    t.equal(m.frame_rate, 10);
    t.equal(m.rotation, 0);
    t.match(m.encoder, /^Lavf/);
    t.equal(m.tags['com.apple.quicktime.make'], 'Apple');
    t.equal(stream?.displayWidth, 320);
  },
);

t.test('a rotated phone video: the display matrix turns the display size', async (t) => {
  // ffmpeg 5.1 writes the display matrix from the `rotate` tag when remuxing, not when encoding.
  const rotated = remux(
    generateClip([
      '-f',
      'lavfi',
      '-i',
      'testsrc=size=320x240:rate=10',
      '-t',
      '1',
      '-c:v',
      'libx264',
      '-pix_fmt',
      'yuv420p',
    ]),
    ['-metadata:s:v:0', 'rotate=90'],
  );
  const { metadata: m, stream } = await probe(rotated);
  t.ok(m.rotation === 90 || m.rotation === 270, `a quarter turn (${m.rotation})`);
  t.equal(m.display_width, 240);
  t.equal(m.display_height, 320);
  t.equal(stream?.displayHeight, 320);
});

t.test('a re-encoded upload: only encoder facts, so `stripped`', async (t) => {
  const plain = generateClip([
    '-f',
    'lavfi',
    '-i',
    'testsrc=size=160x120:rate=5',
    '-t',
    '1',
    '-c:v',
    'libx264',
    '-pix_fmt',
    'yuv420p',
  ]);
  const { metadata: m } = await probe(plain);
  t.equal(m.metadata_status, 'stripped');
  t.equal(m.creation_time, null);
  t.equal(m.location, null);
});

t.test('not a video: video_unreadable, no crash', async (t) => {
  await t.rejects(probe(Buffer.from('this is not a video at all')), { code: 'video_unreadable' });
});

t.test('ISO 6709 in its degree, degree-minute and degree-minute-second forms', async (t) => {
  t.same(parseIso6709('+37.3318-122.0312/'), { latitude: 37.3318, longitude: -122.0312, altitude_m: null });
  t.same(parseIso6709('-33.8688+151.2093+058.000/'), {
    latitude: -33.8688,
    longitude: 151.2093,
    altitude_m: 58,
  });
  const dm = parseIso6709('+4852.5-00217.25/');
  t.ok(
    dm && Math.abs(dm.latitude - (48 + 52.5 / 60)) < 1e-9 && Math.abs(dm.longitude + (2 + 17.25 / 60)) < 1e-9,
  );
  const dms = parseIso6709('+485230-0021715/');
  t.ok(dms && Math.abs(dms.latitude - (48 + 52 / 60 + 30 / 3600)) < 1e-9);
  t.equal(parseIso6709('+95.0+010.0/'), null, 'latitude out of range');
  t.equal(parseIso6709('garbage'), null);
});

t.test('zero dates are no creation time; the Android location tag is read', async (t) => {
  const { metadata: m } = normalizeProbe({
    streams: [
      { codec_type: 'video', codec_name: 'h264', width: 100, height: 50, avg_frame_rate: '30000/1001' },
    ],
    format: {
      format_name: 'mov,mp4',
      duration: '3.0',
      tags: {
        creation_time: '1970-01-01T00:00:00.000000Z',
        location: '+50.4501+030.5234/',
        'com.android.version': '13',
      },
    },
  });
  t.equal(m.creation_time, null);
  t.equal(m.location?.source, 'location');
  t.equal(m.location?.latitude, 50.4501);
  t.equal(m.software, '13');
  t.equal(m.metadata_status, 'present');
  t.equal(m.frame_rate, 29.97);
});
