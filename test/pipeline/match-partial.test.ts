// Content-region and partial matches through the memory as production assembles it (createMemory with
// the default configuration: real Redis, own prefix): both directions for a screenshot, a crop with its
// coverage, the signal's sentence, and a check on an image with no region and no features that still
// completes.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import pino from 'pino';
import sharp from 'sharp';
import t, { type Test } from 'tap';
import type { Match } from '../../schemas/provenance.js';
import type { MediaItem } from '../../schemas/report.js';
import { createSafeFetcher } from '../../src/net/safe-fetch.js';
import { analyzeImage } from '../../src/pipeline/analyze/index.js';
import { probeMedia } from '../../src/pipeline/probe.js';
import { buildProvenance } from '../../src/pipeline/provenance.js';
import type { ImageFeatures } from '../../src/similarity/features/orb.js';
import { matchesList } from '../../src/views/matches.js';
import { testConfig } from '../helpers/app.js';
import { testPipeline } from '../helpers/pipeline.js';
import { testMemory } from '../helpers/memory.js';
import { partialCrop } from '../helpers/images.js';

const log = pino({ level: 'silent' });
const fixture = (p: string) => readFileSync(new URL(`../fixtures/${p}`, import.meta.url));
const BRIDGE = fixture('pdq/dih/bridge-1-original.jpg');
const DESK = fixture('pdq/exif-rotn/exif-rotn-1.jpg');

async function setup(t: Test) {
  const config = testConfig();
  const { memory } = await testMemory(t, config, log);
  const matcher = (checkId: string) => memory.forCheck({ checkId, org: 'org_test' }).images;
  if (!memory.features) throw new Error('FEATURE_MATCHING is on by default');
  return { matcher, features: memory.features, memory, config };
}

/** An analyzed report item as the pipeline builds it, and the features it keeps aside. */
async function analyzed(bytes: Buffer, url: string): Promise<{ item: MediaItem; features?: ImageFeatures }> {
  const config = testConfig();
  const probe = await probeMedia(bytes, null, config.maxInputPixels);
  if (probe.kind !== 'image') throw new Error('not an image');
  const {
    timings_ms,
    error,
    features,
    pixels: _pixels,
    ...parts
  } = await analyzeImage(bytes, probe, {
    maxInputPixels: config.maxInputPixels,
    features: { side: config.partial.side, maxKeypoints: config.partial.maxKeypoints },
  });
  if (error) throw error;
  const item = {
    index: 0,
    target_index: 0,
    post_index: null,
    source_url: url,
    redirects: [],
    status: 'ok',
    timings_ms,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    ...parts,
  } as MediaItem;
  return { item, ...(features && { features }) };
}

async function screenshot(photo: Buffer): Promise<Buffer> {
  const m = await sharp(photo).rotate().metadata();
  const w = 1000;
  const h = Math.round(((m.autoOrient?.height ?? m.height ?? 1) * w) / (m.autoOrient?.width ?? m.width ?? 1));
  const y = Math.round((1920 - h) / 2);
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="1080" height="1920"><rect width="100%" height="100%" fill="#fff"/>
<rect x="40" y="${y - 90}" width="900" height="24" rx="12" fill="#c8c8c8"/><rect x="40" y="${y + h + 40}" width="700" height="24" rx="12" fill="#c8c8c8"/></svg>`;
  const inner = await sharp(photo).rotate().resize(w, h).png().toBuffer();
  return sharp(Buffer.from(svg))
    .composite([{ input: inner, left: 40, top: y }])
    .png()
    .toBuffer();
}

const provenanceOf = (item: MediaItem, matches: Match[]) =>
  buildProvenance({
    checkedAt: '2026-11-26T03:00:00.000Z',
    sourceUrl: item.source_url,
    matches,
    thresholds: testConfig().provenance,
  });

t.test('a screenshot submitted today matches the original seen before (its region)', async (t) => {
  const { matcher } = await setup(t);
  const original = await analyzed(BRIDGE, 'https://example.org/bridge.jpg');
  await matcher('chk_1').remember(original.item, { post: null, features: original.features });
  const shot = await analyzed(await screenshot(BRIDGE), 'https://example.org/shot.png');
  t.equal(shot.item.hashes?.region?.kind, 'embedded');
  const matches = await matcher('chk_2').find(shot.item, { features: shot.features });
  t.match(matches, [
    {
      kind: 'content_region',
      hash: 'pdq',
      sha256: original.item.sha256,
      region: { of: 'this', kind: 'embedded' },
    },
  ]);
  t.ok((matches[0]?.distance ?? 99) <= 31);
  const signal = provenanceOf(shot.item, matches).signals.find((s) => s.code === 'cropped_or_framed_copy');
  t.match(
    signal?.message,
    /^Without its screenshot, this image is the image first seen on \d{4}-\d\d-\d\d at https:\/\/example\.org\/bridge\.jpg\.$/,
  );
});

t.test('an original submitted today matches a screenshot of it seen before', async (t) => {
  const { matcher } = await setup(t);
  const shot = await analyzed(await screenshot(DESK), 'https://example.org/desk-shot.png');
  await matcher('chk_1').remember(shot.item, { post: null, features: shot.features });
  const original = await analyzed(DESK, 'https://example.org/desk.jpg');
  const matches = await matcher('chk_2').find(original.item, { features: original.features });
  t.match(matches, [
    { kind: 'content_region', sha256: shot.item.sha256, region: { of: 'match', kind: 'embedded' } },
  ]);
  const signal = provenanceOf(original.item, matches).signals.find(
    (s) => s.code === 'cropped_or_framed_copy',
  );
  t.match(signal?.message, /^This image is the picture inside a screenshot of the image first seen on /);
  t.same(
    await matcher('chk_3')
      .find(shot.item, { features: shot.features })
      .then((m) => m.map((x) => x.kind)),
    ['exact'],
    'the screenshot itself is the same file, not a region of itself',
  );
});

t.test('a crop matches as partial with its coverage, both ways', async (t) => {
  const { matcher } = await setup(t);
  const cropBytes = await partialCrop(BRIDGE);
  const original = await analyzed(BRIDGE, 'https://example.org/bridge.jpg');
  const crop = await analyzed(cropBytes, 'https://example.org/crop.jpg');
  await matcher('chk_1').remember(original.item, { post: null, features: original.features });
  const matches = await matcher('chk_2').find(crop.item, { features: crop.features });
  t.match(matches, [{ kind: 'partial', hash: 'orb', distance: 0, sha256: original.item.sha256 }]);
  const p = matches[0];
  t.ok(p && (p.inliers ?? 0) >= 20, `${p?.inliers} inliers`);
  t.ok(p && Math.abs((p.coverage ?? 0) - 0.6) <= 0.06, `coverage ${p?.coverage}`);
  t.ok(
    p?.covered && Math.abs(p.covered.x - 0.1) < 0.03 && Math.abs(p.covered.y - 0.15) < 0.03,
    JSON.stringify(p?.covered),
  );
  const signal = provenanceOf(crop.item, matches).signals.find((s) => s.code === 'cropped_or_framed_copy');
  t.match(
    signal?.message,
    /^This image is a crop covering about (5[5-9]|6[0-5])% of the image first seen on /,
  );

  const html = matchesList(matches, crop.item.sha256, { thumbnails: new Set() }).toString();
  t.match(html, /data-kind="partial"/);
  t.match(
    html,
    /Part of the same picture: \d+ matching points; this image shows (5[5-9]|6[0-5])% of the other/,
  );
  t.match(html, /Part shown.*x 10%–8\d%, y 1[45]%–9\d% of the other image/s);

  await matcher('chk_2').remember(crop.item, { post: null, features: crop.features });
  const back = await matcher('chk_3').find(original.item, { features: original.features });
  t.match(
    back.map((x) => [x.kind, x.sha256]),
    [
      ['exact', original.item.sha256],
      ['partial', crop.item.sha256],
    ],
  );
  t.ok((back[1]?.share ?? 0) < 0.7, 'the crop takes up part of the original');
});

t.test(
  'a copy of a picture already in the feature index adds no features; a mirrored one does',
  async (t) => {
    const { matcher, features } = await setup(t);
    const original = await analyzed(BRIDGE, 'https://example.org/bridge.jpg');
    await matcher('chk_1').remember(original.item, { post: null, features: original.features });
    t.ok(features.has(`m:${original.item.sha256}`), 'the first copy is indexed');

    const resized = await analyzed(
      await sharp(BRIDGE).resize({ width: 800 }).jpeg({ quality: 80 }).toBuffer(),
      'https://example.org/resized.jpg',
    );
    const found = await matcher('chk_2').find(resized.item, { features: resized.features });
    t.match(found, [{ kind: 'near_duplicate', transform: 'none', sha256: original.item.sha256 }]);
    await matcher('chk_2').remember(resized.item, { post: null, features: resized.features, matches: found });
    t.notOk(features.has(`m:${resized.item.sha256}`), 'a resized copy: its picture is there already');
    t.equal(features.stats().images, 1);

    // A crop finds the first copy (the earliest sighting), as it would have found both.
    const meta = await sharp(BRIDGE).metadata();
    const crop = await analyzed(
      await sharp(BRIDGE)
        .extract({ left: 0, top: 0, width: Math.round((meta.width ?? 0) * 0.7), height: meta.height ?? 0 })
        .jpeg()
        .toBuffer(),
      'https://example.org/crop.jpg',
    );
    const cropMatches = await matcher('chk_3').find(crop.item, { features: crop.features });
    t.same(
      cropMatches.filter((m) => m.kind === 'partial').map((m) => m.sha256),
      [original.item.sha256],
    );

    // ORB is not mirror-invariant: a mirrored copy keeps its own features, so its crops can be found.
    const mirrored = await analyzed(
      await sharp(BRIDGE).flop().jpeg({ quality: 90 }).toBuffer(),
      'https://example.org/mirrored.jpg',
    );
    const mirrorMatches = await matcher('chk_4').find(mirrored.item, { features: mirrored.features });
    t.match(mirrorMatches, [{ kind: 'near_duplicate', transform: 'mirrored' }]);
    await matcher('chk_4').remember(mirrored.item, {
      post: null,
      features: mirrored.features,
      matches: mirrorMatches,
    });
    t.ok(features.has(`m:${mirrored.item.sha256}`), 'the mirrored copy is indexed');
  },
);

t.test('different shots of one desk do not match each other by any kind', async (t) => {
  const { matcher } = await setup(t);
  for (const n of ['1', '3', '6', '8']) {
    const shot = await analyzed(
      fixture(`pdq/exif-rotn/exif-rotn-${n}.jpg`),
      `https://example.org/desk-${n}.jpg`,
    );
    t.same(await matcher(`chk_${n}`).find(shot.item, { features: shot.features }), [], `desk ${n}`);
    await matcher(`chk_${n}`).remember(shot.item, { post: null, features: shot.features });
  }
});

t.test('a check of an image with no region and no features completes', async (t) => {
  const { memory } = await setup(t);
  const flat = await sharp({ create: { width: 640, height: 480, channels: 3, background: '#6a8caf' } })
    .png()
    .toBuffer();
  const sha = createHash('sha256').update(flat).digest('hex');
  const fetcher = createSafeFetcher(testConfig().fetch);
  t.teardown(() => fetcher.close());
  const pipeline = testPipeline({ fetcher, memory });
  const run = (checkId: string) =>
    pipeline.check({
      checkId,
      org: 'org_test',
      targets: [{ url: `upload:${sha}`, input: `upload:${sha}` }],
      uploads: async (s) => (s === sha ? flat : null),
    });
  const report = await run('chk_flat');
  t.match(report.media, [{ status: 'ok', sha256: sha }]);
  t.equal(report.media[0]?.hashes?.region, undefined, 'no region');
  t.ok(report.media[0]?.timings_ms.features !== undefined, 'features were attempted');
  t.notOk('features' in (report.media[0] ?? {}), 'features never enter the report');
  // A later check (a re-run of the same check would not count its own sighting as an earlier one).
  const again = await run('chk_flat_again');
  t.match(
    again.media[0]?.provenance?.matches,
    [{ kind: 'exact' }],
    'remembered, and found again as the same file',
  );
});
