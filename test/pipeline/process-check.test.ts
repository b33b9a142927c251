// The seed case, end to end through the pipeline: pasted text with an embedded tweet's
// pic.twitter.com link -> redirect to the status -> syndication -> the photo at name=orig ->
// downloaded, analyzed -> Wayback first capture -> the report. Every host is a local server.
import sharp from 'sharp';
import t from 'tap';
import { testPipeline } from '../helpers/pipeline.js';
import { syndicationToken } from '../../src/pipeline/resolve/x.js';
import type { TtlCache } from '../../src/pipeline/resolve/wayback.js';
import { targetsOf } from '../../src/services/targets.js';
import { fixture as image } from '../helpers/images.js';
import { fixture, html, json, redirect, startWorld } from './resolve/world.js';

const SEED_ID = '1498765432101234567';
const memoryCache = (): TtlCache => {
  const m = new Map<string, string>();
  return { get: async (k) => m.get(k) ?? null, set: async (k, v) => void m.set(k, v) };
};

t.test(
  'the seed: text -> pic.twitter.com -> status -> photo (original size) -> analyzed report',
  async (t) => {
    // What X serves: the photo re-encoded, metadata stripped (as X does on upload).
    const photo = await sharp(image('exif-samples/jpg/gps/DSCN0010.jpg')).jpeg({ quality: 85 }).toBuffer();
    let twitter = '';
    let x = '';
    const pbsQueries: string[] = [];
    const w = await startWorld(t, {
      'pic.twitter.com': {
        '/Qusib5yzbm': (q, u, r) => redirect(`${twitter}/example_osint/status/${SEED_ID}/photo/1`)(q, u, r),
      },
      'twitter.com': { '*': (q, u, r) => redirect(`${x}${u.pathname}`)(q, u, r) },
      'x.com': { '*': html('<!doctype html><title>X</title>') },
      'cdn.syndication.twimg.com': {
        '/tweet-result': (q, u, r) =>
          u.searchParams.get('token') === syndicationToken(SEED_ID)
            ? json(fixture('x/syndication-one-photo.json'))(q, u, r)
            : json({}, 404)(q, u, r),
      },
      'pbs.twimg.com': {
        '*': (_q, u, r) => {
          pbsQueries.push(u.search);
          r.writeHead(200, { 'content-type': 'image/jpeg' }).end(photo);
        },
      },
      'web.archive.org': { '/cdx/search/cdx': json(fixture('wayback/cdx.json')) },
      'archive.org': { '/wayback/available': json(fixture('wayback/available.json')) },
    });
    twitter = w.base('twitter.com');
    x = w.base('x.com');

    const found = targetsOf({
      text: 'Protesters seen raiding weapons … spot the guy who nabbed himself a nice new RPG. pic.twitter.com/Qusib5yzbm',
    });
    t.ok(found.ok);
    if (!found.ok) return;
    const report = await testPipeline({
      fetcher: w.deps.fetcher,
      endpoints: w.endpoints,
      waybackCache: memoryCache(),
    }).check({ checkId: 'chk_seed', org: 'o', targets: found.targets });
    t.match(report.targets, [{ kind: 'post', post_index: 0, url: 'https://pic.twitter.com/Qusib5yzbm' }]);
    t.match(report.posts[0], { platform: 'x', id: SEED_ID, posted_at: '2022-03-01T09:12:45.000Z' });
    t.same(pbsQueries, ['?format=jpg&name=orig'], 'the photo was downloaded once, in original size');
    const [item] = report.media;
    t.match(item, {
      status: 'ok',
      post_index: 0,
      source_url: 'https://pbs.twimg.com/media/FMxAbCdWQAIh0sT?format=jpg&name=orig',
      format: 'jpeg',
      width: 640,
      height: 480,
      metadata: { metadata_status: 'stripped' },
      hashes: { pdq: { quality: 100 } },
    });
    const kinds = item?.provenance?.timeline.map((e) => e.kind);
    t.ok(
      kinds?.includes('post_published') && kinds.includes('wayback_capture'),
      `timeline: ${kinds?.join(', ')}`,
    );
    t.match(item?.provenance?.signals, [{ code: 'metadata_stripped', message: /platform strips it/ }]);
    t.same(
      item?.reverse_search?.map((l) => l.engine),
      ['google_lens', 'bing', 'yandex', 'tineye', 'baidu'],
      'reverse image search leads on the photo’s public URL',
    );
    t.equal(
      item?.reverse_search?.[0]?.url,
      `https://lens.google.com/uploadbyurl?url=${encodeURIComponent(item?.source_url ?? '')}`,
    );
    t.same(w.undeclared, [], 'nothing left the local servers');
  },
);

t.test(
  'an image at a URL without an extension is downloaded once, not once to resolve and again',
  async (t) => {
    const photo = image('exif-samples/jpg/gps/DSCN0010.jpg');
    let requests = 0;
    const w = await startWorld(t, {
      'img.example': {
        '/render': (_q, _u, r) => {
          requests++;
          r.writeHead(200, { 'content-type': 'application/octet-stream' }).end(photo);
        },
      },
    });
    const found = targetsOf({ url: 'https://img.example/render' });
    if (!found.ok) throw new Error('not a target');
    const report = await testPipeline({ fetcher: w.deps.fetcher, endpoints: w.endpoints }).check({
      checkId: 'chk_once',
      org: 'o',
      targets: found.targets,
    });
    t.equal(requests, 1, 'one request for the whole check');
    t.match(report.media, [
      { status: 'ok', source_url: 'https://img.example/render', format: 'jpeg', bytes: photo.length },
    ]);
    t.match(report.media[0]?.metadata, { camera: { make: 'NIKON' } });
  },
);
