// Thumbnails: small, upright, free of the original's metadata, never an exception; kept once per
// sha256 in Redis.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import sharp from 'sharp';
import t from 'tap';
import {
  keptThumbnails,
  loadThumbnail,
  makeThumbnail,
  storeThumbnail,
  THUMBNAIL_SIDE,
  THUMBNAIL_TTL_SECONDS,
  thumbnailFromPixels,
  thumbnailKey,
  thumbnailTtlSeconds,
} from '../../src/services/thumbnails.js';
import { decodeForHashing } from '../../src/pipeline/analyze/decode.js';
import { REDIS_URL, removePrefix } from '../helpers/app.js';
import { animatedGif, fixture, pixelBombPng } from '../helpers/images.js';
import { cpuMs } from '../helpers/cpu.js';
import { countRedis } from '../helpers/redis-counter.js';

const PHOTO = fixture('exif-samples/jpg/gps/DSCN0010.jpg');

t.test('makeThumbnail: a small WebP of the picture as people see it, without its metadata', async (t) => {
  const thumb = await makeThumbnail(PHOTO);
  t.ok(thumb);
  const meta = await sharp(thumb!).metadata();
  t.match(meta, { format: 'webp', width: THUMBNAIL_SIDE, height: 240 });
  t.ok(thumb!.length < 30000, `a few KB (${thumb!.length} bytes)`);
  t.notOk(meta.exif, 'no EXIF, so no GPS position, in the thumbnail');

  // Stored 400x200, EXIF orientation 6 (rotate 90° clockwise to display): shown 200x400.
  const sideways = await sharp({ create: { width: 400, height: 200, channels: 3, background: '#246' } })
    .jpeg()
    .withMetadata({ orientation: 6 })
    .toBuffer();
  t.match(await sharp((await makeThumbnail(sideways))!).metadata(), { width: 160, height: 320 }, 'upright');

  const small = await sharp({ create: { width: 100, height: 50, channels: 3, background: '#fff' } })
    .png()
    .toBuffer();
  t.match(
    await sharp((await makeThumbnail(small))!).metadata(),
    { width: 100, height: 50 },
    'never enlarged',
  );

  const gif = await sharp((await makeThumbnail(await animatedGif()))!).metadata();
  t.match(gif, { format: 'webp', width: 160, height: 120 }, 'the first frame of an animation');
  t.notOk((gif.pages ?? 1) > 1, 'a still image');
});

t.test('makeThumbnail never throws: null for what it cannot or must not decode', async (t) => {
  t.equal(await makeThumbnail(Buffer.alloc(0)), null, 'empty');
  t.equal(await makeThumbnail(Buffer.from('<html>not an image</html>')), null, 'not an image');
  t.equal(await makeThumbnail(PHOTO.subarray(0, PHOTO.length / 2)), null, 'truncated');
  // Decoding the bomb's pixels would cost seconds of CPU (and gigabytes); refusing it from the header, almost none.
  const bomb = await cpuMs(() => makeThumbnail(pixelBombPng(), { maxPixels: 100_000_000 }));
  t.equal(bomb.value, null, 'a decompression bomb');
  t.ok(bomb.ms < 1000, `refused before decoding: ${bomb.ms.toFixed(0)} ms of CPU`);
  t.equal(await makeThumbnail(PHOTO, { maxPixels: 1000 }), null, 'over the configured pixel limit');
});

t.test('storeThumbnail keeps one per sha256, renews it, and reads back', async (t) => {
  const redis = new Redis(REDIS_URL);
  const prefix = `fstest_${process.pid}_${randomBytes(4).toString('hex')}`;
  t.teardown(async () => {
    redis.disconnect();
    await removePrefix(prefix);
  });
  const sha = 'a'.repeat(64);
  t.equal(thumbnailKey(prefix, sha), `${prefix}:thumb:${sha}`);

  // Counted, never timed: a new thumbnail is one look (renew, or learn there is none) and one write; a
  // renewal is the look alone (the look took two round trips one after the other before).
  await redis.ping();
  const sent = countRedis(redis);
  t.teardown(() => sent.stop());
  t.equal(await storeThumbnail(redis, prefix, sha, PHOTO), 'stored');
  t.equal(sent.roundTrips, 2, `stored in ${sent.roundTrips} round trips`);
  const kept = await loadThumbnail(redis, prefix, sha);
  t.same(kept, await makeThumbnail(PHOTO));
  const ttl = await redis.ttl(thumbnailKey(prefix, sha));
  t.ok(ttl > THUMBNAIL_TTL_SECONDS - 60 && ttl <= THUMBNAIL_TTL_SECONDS, 'kept 90 days');

  await redis.expire(thumbnailKey(prefix, sha), 60);
  sent.reset();
  t.equal(await storeThumbnail(redis, prefix, sha, Buffer.from('not decoded again')), 'renewed');
  t.equal(sent.roundTrips, 1, `renewed in ${sent.roundTrips} round trip`);
  t.ok((await redis.ttl(thumbnailKey(prefix, sha))) > 60, 'a new sighting renews it');
  t.same(await loadThumbnail(redis, prefix, sha), kept, 'unchanged');

  const bad = 'b'.repeat(64);
  t.equal(await storeThumbnail(redis, prefix, bad, Buffer.from('nope')), 'undecodable');
  t.equal(await loadThumbnail(redis, prefix, bad), null);
  t.same(await keptThumbnails(redis, prefix, [sha, bad, sha]), new Set([sha]));
  t.same(await keptThumbnails(redis, prefix, []), new Set());
});

t.test(
  'a shared thumbnail lives as long as the longest-kept check that saw it needs, at most 90 days',
  async (t) => {
    const day = 86_400;
    t.equal(
      thumbnailTtlSeconds(0),
      THUMBNAIL_TTL_SECONDS,
      'checks kept forever: 90 days after the last sighting',
    );
    t.equal(thumbnailTtlSeconds(7 * day), 7 * day, 'a 7-day retention: 7 days');
    t.equal(thumbnailTtlSeconds(365 * day), THUMBNAIL_TTL_SECONDS, 'never more than 90 days');

    const redis = new Redis(REDIS_URL);
    const prefix = `fstest_${process.pid}_${randomBytes(4).toString('hex')}`;
    t.teardown(async () => {
      redis.disconnect();
      await removePrefix(prefix);
    });
    const sha = 'c'.repeat(64);
    const key = thumbnailKey(prefix, sha);
    t.equal(await storeThumbnail(redis, prefix, sha, PHOTO, { ttlSeconds: 30 * day }), 'stored');
    t.ok((await redis.ttl(key)) > 30 * day - 60, 'kept as long as the check that made it');
    t.equal(await storeThumbnail(redis, prefix, sha, PHOTO, { ttlSeconds: day }), 'renewed');
    t.ok(
      (await redis.ttl(key)) > 30 * day - 60,
      'a check kept 1 day does not shorten what a check kept 30 days still shows',
    );
    t.equal(await storeThumbnail(redis, prefix, sha, PHOTO, { ttlSeconds: 60 * day }), 'renewed');
    t.ok((await redis.ttl(key)) > 60 * day - 60, 'a longer-kept check lengthens it');
  },
);

t.test('a thumbnail from the pixels the analysis decoded: no second decode, and HEVC HEIC too', async (t) => {
  const redis = new Redis(REDIS_URL);
  const prefix = `fs-test-thumbpx-${randomBytes(4).toString('hex')}`;
  t.teardown(async () => {
    await removePrefix(prefix);
    redis.disconnect();
  });
  // An iPhone HEIC (HEVC): libvips cannot decode it, so the file alone gives no thumbnail...
  const heic = fixture('exifr/heic-iphone7.heic');
  t.equal(await makeThumbnail(heic), null, 'sharp alone cannot read it');
  // ...but the analysis decodes it (heic-decode), and those pixels make one.
  const decoded = await decodeForHashing(heic, { maxPixels: 100_000_000 });
  t.equal(decoded.decoder, 'heic-decode');
  const pixels = { data: decoded.data, width: decoded.width, height: decoded.height };
  t.equal(await storeThumbnail(redis, prefix, 'a'.repeat(64), heic, { pixels }), 'stored');
  const meta = await sharp((await loadThumbnail(redis, prefix, 'a'.repeat(64)))!).metadata();
  t.match(meta, { format: 'webp' });
  t.equal(Math.max(meta.width ?? 0, meta.height ?? 0), THUMBNAIL_SIDE, 'long side 320');
  t.equal(
    (meta.width ?? 0) / (meta.height ?? 1) > 1,
    decoded.width / decoded.height > 1,
    'the same orientation as the picture the hashes were computed from',
  );
  t.equal(
    await thumbnailFromPixels({ data: Buffer.alloc(10), width: 100, height: 100 }),
    null,
    'a buffer too small for its size',
  );
});
