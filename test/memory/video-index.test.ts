// The video index in Redis: exact candidate search (every video whose frames match is found, whatever
// process added it), removal, and bank videos imported from vPDQ files through the API.
import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import t from 'tap';
import { keys } from '../../src/keys.js';
import { createVideoIndex } from '../../src/memory/video-index.js';
import { formatVpdqLine, REFERENCE_THRESHOLDS, type VpdqFrame } from '../../src/similarity/vpdq.js';
import { AUTH, buildTestServer, createBank, REDIS_URL, removePrefix, testConfig } from '../helpers/app.js';

const REF = new URL('../fixtures/video/vpdq-reference/', import.meta.url);
const refLines = (name: string) =>
  readFileSync(new URL(`${name}.txt`, REF), 'utf8')
    .trim()
    .split('\n');

/** A random 256-bit hash, and one `bits` bits away from it. */
function randomHash(seed: number): string {
  let x = seed * 2654435761;
  let hex = '';
  for (let i = 0; i < 64; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    hex += ((x >>> 16) & 15).toString(16);
  }
  return hex;
}
function flipBits(hex: string, positions: number[]): string {
  const big = positions.reduce((v, p) => v ^ (1n << BigInt(p)), BigInt(`0x${hex}`));
  return big.toString(16).padStart(64, '0');
}
const video = (hashes: string[]): string[] =>
  hashes.map((pdq, i): VpdqFrame => ({ frame: i * 30, quality: 100, pdq, timestamp: i })).map(formatVpdqLine);

t.test('candidates are exact: frames 31 bits away are found, spread over all 16 segments', async (t) => {
  const config = testConfig();
  const redis = new Redis(REDIS_URL);
  t.teardown(async () => {
    redis.disconnect();
    await removePrefix(config.keyPrefix);
  });
  const index = createVideoIndex(redis, keys(config.keyPrefix));
  const base = Array.from({ length: 20 }, (_, i) => randomHash(i + 1));
  await index.add({ id: 'm:original', vpdq: video(base), contentVpdq: [] }, 50);
  await index.add(
    { id: 'm:unrelated', vpdq: video(base.map((_, i) => randomHash(1000 + i))), contentVpdq: [] },
    50,
  );
  // Worst case for multi-index hashing: 31 flipped bits spread so that 15 segments differ by 2 bits
  // and one by 1 (the pigeonhole bound the index relies on).
  const spread = (h: string, s: number) =>
    flipBits(
      h,
      Array.from({ length: 31 }, (_, i) => ((i % 16) * 16 + Math.floor(i / 16) + s) % 256),
    );
  const copy = base.map((h, i) => spread(h, i % 8));
  const hits = await index.query({ vpdq: video(copy), contentVpdq: [] }, REFERENCE_THRESHOLDS);
  t.equal(hits.length, 1);
  t.match(hits[0], { id: 'm:original', method: 'vpdq', query_match_percent: 100, distance: 31 });
  // 32 bits: no frame matches, so no video.
  const far = base.map((h, i) => flipBits(spread(h, i % 8), [255 - (i % 8)]));
  t.same(await index.query({ vpdq: video(far), contentVpdq: [] }, REFERENCE_THRESHOLDS), []);
  // The query's own id is left out.
  t.same(await index.query({ vpdq: video(base), contentVpdq: [] }, REFERENCE_THRESHOLDS, 'm:original'), []);
  // A clip of 5 of the 20 frames: 100% of the clip, 25% of the original (a match under query 80 / compared 0).
  const clip = await index.query({ vpdq: video(base.slice(5, 10)), contentVpdq: [] }, REFERENCE_THRESHOLDS);
  t.match(clip, [{ id: 'm:original', query_match_percent: 100, compared_match_percent: 25 }]);
  // Removed: its numbers no longer resolve.
  await index.remove('m:original');
  t.same(await index.query({ vpdq: video(base), contentVpdq: [] }, REFERENCE_THRESHOLDS), []);
  // Idempotent add keeps one number.
  await index.add({ id: 'm:again', vpdq: video(base), contentVpdq: [] }, 50);
  await index.add({ id: 'm:again', vpdq: video(base), contentVpdq: [] }, 50);
  t.equal(await redis.get(keys(config.keyPrefix).videoNumber('m:again')), '3');
});

t.test(
  'bank videos from vPDQ files (POST /v1/banks/:id/vpdq), matched with the reference hashes',
  async (t) => {
    const { app, config } = await buildTestServer(t);
    const bank = await createBank(app, { name: 'debunked clips', kind: 'debunked' });
    const res = await app.inject({
      method: 'POST',
      url: `/v1/banks/${bank}/vpdq?label=chair%20clip&verdict=old%20footage&first_published=2019-01-01T00:00:00Z`,
      headers: { ...AUTH, 'content-type': 'text/plain' },
      payload: `${refLines('chair-22-sd-grey-bar').join('\n')}\nnot a line\n`,
    });
    t.equal(res.statusCode, 201, res.body);
    const body = res.json<{
      entry_id: string;
      frames: number;
      comparable_frames: number;
      rejected_lines: number[];
    }>();
    t.equal(body.frames, 673);
    t.equal(body.comparable_frames, 656, 'unique frames of quality 50+');
    t.same(body.rejected_lines, [674]);
    const entry = await app.inject({
      method: 'GET',
      url: `/v1/banks/${bank}/entries/${body.entry_id}`,
      headers: AUTH,
    });
    t.match(entry.json(), { label: 'chair clip', verdict: 'old footage', pdq: null });

    const hits = await app.memory.videos.query(
      { vpdq: refLines('chair-orig-22-sd-bar'), contentVpdq: [] },
      config.video.vpdq,
    );
    t.match(hits, [{ id: `b:${bank}:${body.entry_id}`, query_match_percent: 100 }]);
    t.same(
      await app.memory.videos.query(
        { vpdq: refLines('pattern-sd-grey-bar'), contentVpdq: [] },
        config.video.vpdq,
      ),
      [],
      'a pattern clip does not match the chair',
    );
    const empty = await app.inject({
      method: 'POST',
      url: `/v1/banks/${bank}/vpdq?label=x`,
      headers: { ...AUTH, 'content-type': 'text/plain' },
      payload: 'nothing here',
    });
    t.equal(empty.statusCode, 400);
  },
);
