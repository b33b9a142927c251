// The media records (src/memory/media-store.ts): what a sighting writes, that a re-run of the same
// check after a crash neither counts it twice nor loses it, that sightings recorded at the same time agree,
// and how many round trips one takes (counted, never timed: ten one after the other before, three now).
import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import t, { type Test } from 'tap';
import { keys as keysOf } from '../../src/keys.js';
import { createMediaStore, type Sighting } from '../../src/memory/media-store.js';
import { REDIS_URL, removePrefix, testConfig } from '../helpers/app.js';
import { countRedis } from '../helpers/redis-counter.js';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const FACTS = { pdq: sha('pdq'), quality: 90, phash: 'f0f0f0f0f0f0f0f0', captured_at: null };

function sighting(check: string, over: Partial<Sighting> = {}): Sighting {
  return {
    at: '2026-12-05T10:00:00.000Z',
    check_id: check,
    org: 'org_a',
    source_url: `https://example.org/${check}.jpg`,
    post_url: null,
    posted_at: null,
    ...over,
  };
}

async function store(t: Test) {
  const config = testConfig();
  const redis = new Redis(REDIS_URL);
  const keys = keysOf(config.keyPrefix);
  t.teardown(async () => {
    redis.disconnect();
    await removePrefix(config.keyPrefix, config.redis);
  });
  return { media: createMediaStore(redis, keys), redis, keys };
}

t.test('the first sighting makes the record; later ones count and list', async (t) => {
  const { media, redis, keys } = await store(t);
  const file = sha('photo');
  const copy = { width: 640, height: 480, jpeg_quality: 75, camera_exif: false, camera: null, region: null };
  t.same(await media.record(file, sighting('chk_1'), { ...FACTS, copy }), { isNew: true });
  t.same(
    await media.record(
      file,
      sighting('chk_2', {
        at: '2026-12-05T11:00:00.000Z',
        post_url: 'https://x.com/a/status/1',
        posted_at: '2026-12-01T00:00:00.000Z',
      }),
      FACTS,
    ),
    { isNew: false },
  );
  const r = await media.get(file);
  t.match(r, {
    sha256: file,
    first_seen_at: '2026-12-05T10:00:00.000Z',
    first_check_id: 'chk_1',
    first_org: 'org_a',
    first_seen_url: 'https://example.org/chk_1.jpg',
    first_post_url: null,
    posted_at: '2026-12-01T00:00:00.000Z',
    post_url: 'https://x.com/a/status/1',
    pdq: FACTS.pdq,
    quality: 90,
    phash: FACTS.phash,
    sightings: 2,
    copy,
  });
  t.same(
    (await media.sightings(file)).map((s) => s.check_id),
    ['chk_2', 'chk_1'],
    'newest first',
  );
  t.equal(
    await redis.hget(keys.media(file), 'first_public_url'),
    'https://example.org/chk_1.jpg',
    'the first public sighting',
  );
});

t.test('a later post time does not replace an earlier one; an earlier one does', async (t) => {
  const { media } = await store(t);
  const file = sha('posted');
  const post = (check: string, day: string) =>
    sighting(check, { post_url: `https://x.com/a/status/${day}`, posted_at: `2026-11-${day}T00:00:00.000Z` });
  await media.record(file, post('chk_1', '10'), FACTS);
  await media.record(file, post('chk_2', '20'), FACTS);
  t.equal((await media.get(file))?.posted_at, '2026-11-10T00:00:00.000Z');
  await media.record(file, post('chk_3', '05'), FACTS);
  t.match(await media.get(file), {
    posted_at: '2026-11-05T00:00:00.000Z',
    post_url: 'https://x.com/a/status/05',
  });
});

t.test('a re-run of the same check records nothing twice and still counts as new', async (t) => {
  const { media, redis, keys } = await store(t);
  const file = sha('rerun');
  t.same(await media.record(file, sighting('chk_1'), FACTS), { isNew: true });
  t.same(await media.record(file, sighting('chk_1'), FACTS), { isNew: true }, 'its own check: new');
  t.same(await media.record(file, sighting('chk_2'), FACTS), { isNew: false });
  t.same(await media.record(file, sighting('chk_2'), FACTS), { isNew: false }, 'a later check: not new');
  t.equal((await media.get(file))?.sightings, 2, 'two checks, two sightings');
  t.equal(await redis.llen(keys.mediaSightings(file)), 2);

  // The worker died after the writes, before the mark: the re-run counts the sighting again (rather
  // than lose it) and, being the record's own first check and URL, is still new to its caller, which
  // adds it to the index the killed attempt may never have reached.
  const other = sha('crashed before the mark');
  await media.record(other, sighting('chk_3'), FACTS);
  await redis.del(keys.mediaSeen(other, 'chk_3', 'https://example.org/chk_3.jpg'));
  t.same(await media.record(other, sighting('chk_3'), FACTS), { isNew: true });
  t.match(await media.get(other), { first_check_id: 'chk_3', sightings: 2 }, 'counted again, not lost');
  t.same(
    await media.record(other, sighting('chk_3', { source_url: 'https://example.org/elsewhere.jpg' }), FACTS),
    { isNew: false },
    'the same check seeing the file at another URL is a later sighting',
  );
});

t.test('an uploaded file is private to its organization', async (t) => {
  const { media, redis, keys } = await store(t);
  const file = sha('upload');
  await media.record(file, sighting('chk_1', { source_url: 'upload:tip.jpg' }), FACTS);
  t.equal(await redis.hexists(keys.media(file), 'first_public_at'), 0, 'no public sighting');
  t.match(JSON.parse((await redis.hget(keys.mediaPrivate(file), 'org_a')) ?? '{}'), { check_id: 'chk_1' });
  t.equal(await media.getFor(file, 'org_b'), null, 'another organization sees nothing');
  await media.record(file, sighting('chk_2', { org: 'org_b' }), FACTS);
  t.match(await media.getFor(file, 'org_b'), { first_seen_url: 'https://example.org/chk_2.jpg' });
  t.match(await media.getFor(file, 'org_a'), { first_seen_url: 'upload:tip.jpg', sightings: 2 });
});

t.test('sightings recorded at the same time agree on one first and the earliest post', async (t) => {
  const { media } = await store(t);
  for (const order of [
    ['10', '05'],
    ['05', '10'],
  ]) {
    const file = sha(`concurrent ${order.join()}`);
    // Sent together on one connection, so each one's read comes before the other's writes: the second
    // script finds a post time it did not read and compares again.
    const results = await Promise.all(
      order.map((day, i) =>
        media.record(
          file,
          sighting(`chk_${order.join('')}_${i}`, {
            post_url: `https://x.com/a/status/${day}`,
            posted_at: `2026-11-${day}T00:00:00.000Z`,
          }),
          FACTS,
        ),
      ),
    );
    t.same(
      results.map((r) => r.isNew),
      [true, false],
      'one of them made the record',
    );
    t.match(
      await media.get(file),
      {
        first_check_id: `chk_${order.join('')}_0`,
        sightings: 2,
        posted_at: '2026-11-05T00:00:00.000Z',
        post_url: 'https://x.com/a/status/05',
      },
      `posted on ${order.join(' and ')}: the earlier wins`,
    );
  }
});

t.test('a sighting takes three round trips, one script and one key per command', async (t) => {
  const { media, redis } = await store(t);
  await redis.ping(); // connected: the handshake is not counted
  const sent = countRedis(redis);
  t.teardown(() => sent.stop());
  const file = sha('counted');
  await media.record(file, sighting('chk_1'), FACTS);
  t.equal(
    sent.roundTrips,
    3,
    `first sighting: ${sent.roundTrips} round trips (${JSON.stringify([...sent.byName])})`,
  );
  sent.reset();
  await media.record(
    file,
    sighting('chk_2', { post_url: 'https://x.com/a/status/1', posted_at: '2026-11-01T00:00:00.000Z' }),
    FACTS,
  );
  t.equal(sent.roundTrips, 3, `a later one: ${sent.roundTrips} round trips`);
  t.same(sent.multiKey, [], 'no command names two keys (each stays in one slot on a cluster)');
  sent.reset();
  await media.record(file, sighting('chk_2'), FACTS);
  t.equal(sent.roundTrips, 1, 'a re-run already marked: one round trip, no writes');
});
