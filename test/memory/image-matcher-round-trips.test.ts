// What matching one image costs in Redis when many images seen before resemble it (a picture that went
// viral: every copy is a hit). Each hit's media record used to be read in a round trip of its own, one
// after the other (a check with 40 hits waited for 40); they are read in one batch. Counted (commands and
// round trips on the memory's connection), never timed.
import { createHash } from 'node:crypto';
import t from 'tap';
import type { MediaItem } from '../../schemas/report.js';
import { testConfig } from '../helpers/app.js';
import { testMemory } from '../helpers/memory.js';
import { countRedis } from '../helpers/redis-counter.js';

const COPIES = 24;
const sha = (s: string) => createHash('sha256').update(s).digest('hex');
/** One picture's hashes (a made-up PDQ of good quality): every copy has them. */
const PDQ = sha('one picture');
const hashes = {
  pdq: { hash: PDQ, quality: 90, dihedral: Array.from({ length: 8 }, (_, i) => (i ? sha(`v${i}`) : PDQ)) },
  ahash: '0f0f0f0f0f0f0f0f',
  dhash: '00ff00ff00ff00ff',
  phash: 'f0f0f0f0f0f0f0f0',
};
const copy = (n: number): MediaItem => ({
  index: 0,
  target_index: 0,
  post_index: null,
  source_url: `https://example.org/copy-${n}.jpg`,
  redirects: [],
  status: 'ok',
  timings_ms: {},
  sha256: sha(`copy ${n}`),
  // Copies of several sizes: the best-copy ranking below has something to rank.
  width: 400 + 40 * n,
  height: 300 + 30 * n,
  hashes,
});

t.test('a find with many hits reads their records in a few round trips', async (t) => {
  const config = testConfig({ FEATURE_MATCHING: 'false' });
  const { memory, redis } = await testMemory(t, config);
  for (let n = 0; n < COPIES; n++) {
    await memory
      .forCheck({ checkId: `chk_copy_${n}`, org: 'org_test' })
      .images.remember(copy(n), { post: null });
  }
  const sent = countRedis(redis);
  t.teardown(() => sent.stop());
  const found = await memory.forCheck({ checkId: 'chk_new', org: 'org_test' }).images.find(copy(COPIES));
  t.equal(found.length, COPIES, 'every copy seen before is a match');
  t.ok(
    found.every(
      (m) => m.kind === 'near_duplicate' && m.sightings === 1 && m.first_seen_url?.includes('copy-'),
    ),
    'each built from its own record',
  );
  t.same(
    new Set(found.map((m) => m.sha256)),
    new Set(Array.from({ length: COPIES }, (_, n) => sha(`copy ${n}`))),
  );
  // The query's own exact-file lookup, then one batch for all the hits' records.
  t.ok(sent.roundTrips <= 3, `${sent.roundTrips} round trips for ${COPIES} hits`);
  t.ok(sent.commands <= COPIES + 3, `${sent.commands} commands (${JSON.stringify([...sent.byName])})`);

  // The best-copy ranking of the same matches takes their copy facts from the records just read: no
  // HGET of each copy's `copy` field again; and it ranks exactly as from the stored records (matches
  // read back from JSON, as a stored report's are, carry nothing but what they say).
  sent.reset();
  const check = memory.forCheck({
    checkId: 'chk_new',
    org: 'org_test',
    now: () => '2026-12-05T12:00:00.000Z',
  });
  const ranked = await check.bestCopy(copy(COPIES), found);
  t.equal(sent.byName.get('HGET') ?? 0, 0, `no copy facts read again (${JSON.stringify([...sent.byName])})`);
  t.ok(sent.roundTrips <= 1, `${sent.roundTrips} round trip (the notes to the copies this one outranks)`);
  const fromRecords = await check.bestCopy(copy(COPIES), JSON.parse(JSON.stringify(found)) as typeof found);
  t.equal(sent.byName.get('HGET'), COPIES, 'matches without their records read the copy facts');
  t.same(ranked, fromRecords, 'the same ranking either way');
  t.equal(ranked?.this_one, true, 'the largest copy is the best');
});
