// `npm run bench:redis-memory`: Redis bytes per check and per remembered image (README, docs/scaling.md).
//
// Runs the app as production does (buildService, API and workers in this process) on a key prefix of its
// own, checks each JPEG photo of test/fixtures/exif-samples (24 camera and phone photos, one per check,
// served from memory), then asks Redis MEMORY USAGE (SAMPLES 0: every element counted) of:
//   - per check: its hash `<p>:check:<id>` (request, status, timestamps, report JSON): what
//     CHECK_RETENTION_DAYS lets go;
//   - per image: its media hash, its sightings list, its thumbnail, its ORB features blob and its share
//     of the feature ids zset, and its share of the index stream (stream bytes / records): what the
//     service remembers (the media record and the index stay whatever the retention).
// Removes its keys at the end. Env: REDIS_URL.
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadConfig } from '../src/config.js';
import { keys } from '../src/keys.js';
import { indexId } from '../src/memory/index-ids.js';
import { buildService } from '../workers/index.js';
import { removePrefix } from '../test/helpers/app.js';
import { machine, ROOT, serveBuffers, summarize, writeResult } from './lib.js';

const KEY = 'fsk_bench_redis_memory_0001';
const prefix = `fsbench_mem_${process.pid}`;
const config = loadConfig({
  REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  KEY_PREFIX: prefix,
  LOG_LEVEL: 'silent',
  FETCH_ALLOW_LOOPBACK: 'true',
  BOOTSTRAP_API_KEY: KEY,
  MAX_EVENT_LOOP_DELAY_MS: '0',
  WAYBACK_ENABLED: 'false',
  ARCHIVE_ENABLED: 'false',
  WORKER_CONCURRENCY: '2',
});
const k = keys(prefix);
const auth = { authorization: `Bearer ${KEY}` };

function jpegs(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? jpegs(resolve(dir, e.name)) : /\.jpe?g$/i.test(e.name) ? [resolve(dir, e.name)] : [],
  );
}

const files = new Map<string, Buffer>();
for (const [i, path] of jpegs(resolve(ROOT, 'test/fixtures/exif-samples')).entries()) {
  files.set(`/photo-${i}.jpg`, readFileSync(path));
}
const host = await serveBuffers(files);
const app = await buildService(config);
await app.ready();
const usage = async (key: string) =>
  Number((await app.redis.call('MEMORY', 'USAGE', key, 'SAMPLES', '0')) ?? 0);

try {
  const ids: string[] = [];
  for (const path of files.keys()) {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/checks',
      headers: auth,
      payload: { url: `${host.base}${path}` },
    });
    ids.push(res.json<{ id: string }>().id);
  }
  const shas = new Set<string>();
  for (const id of ids) {
    for (;;) {
      const res = await app.inject({ method: 'GET', url: `/v1/checks/${id}`, headers: auth });
      const body = res.json<{ status: string; report?: { media: Array<{ sha256?: string }> } }>();
      if (body.status === 'done' || body.status === 'failed') {
        for (const m of body.report?.media ?? []) if (m.sha256) shas.add(m.sha256);
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const checkBytes = await Promise.all(ids.map((id) => usage(k.check(id))));
  const per = async (f: (sha: string) => string) => Promise.all([...shas].map((s) => usage(f(s))));
  const media = await per(k.media);
  const sightings = await per(k.mediaSightings);
  const thumbs = await per(k.thumbnail);
  const features = await per((s) => k.features(indexId.media(s)));
  const records = Number(await app.redis.xlen(k.indexStream()));
  const streamBytes = await usage(k.indexStream());
  const featureIdsBytes = await usage(k.featureIds());
  const mean = (a: number[]) => Math.round(a.reduce((x, y) => x + y, 0) / Math.max(1, a.length));
  const stat = (a: number[]) => ({ mean: mean(a), ...summarize(a) });
  const perImage = {
    media_hash: stat(media),
    sightings_list: stat(sightings),
    thumbnail: stat(thumbs),
    features: stat(features),
    feature_ids_share: Math.round(featureIdsBytes / Math.max(1, shas.size)),
    index_stream_share: Math.round(streamBytes / Math.max(1, records)),
  };
  const remembered = perImage.media_hash.mean + perImage.sightings_list.mean + perImage.index_stream_share;
  const total = remembered + perImage.thumbnail.mean + perImage.features.mean + perImage.feature_ids_share;
  const result = {
    machine: machine(),
    checks: ids.length,
    images: shas.size,
    per_check: stat(checkBytes),
    per_image: perImage,
    per_image_kept_forever: remembered,
    per_image_total_while_fresh: total,
  };
  console.log(`${ids.length} checks, ${shas.size} images (one photo per check)`);
  console.log(
    `check hash (record + report): mean ${result.per_check.mean} B, p50 ${result.per_check.p50}, max ${result.per_check.max}`,
  );
  console.log(
    `per image: media ${perImage.media_hash.mean} B + sightings ${perImage.sightings_list.mean} B + index stream ${perImage.index_stream_share} B = ${remembered} B kept forever;`,
  );
  console.log(
    `  + thumbnail ${perImage.thumbnail.mean} B (≤ 90 days) + features ${perImage.features.mean} B + feature id ${perImage.feature_ids_share} B (FEATURE_SCOPE_DAYS) = ${total} B while fresh`,
  );
  console.log(`written ${writeResult('redis-memory', result)}`);
} finally {
  await app.close();
  host.server.close();
  await removePrefix(prefix, config.redis);
}
