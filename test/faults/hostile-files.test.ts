// The hostile corpus (hostile-corpus.ts) through a worker process, as production runs it: each file
// gives its expected status and code within a time bound, the worker process stays up through all of
// them, and an SVG's external references are never fetched.
import t from 'tap';
import { MEDIA_ERROR_CODES } from '../../src/errors.js';
import { buildTestServer, submit, waitForCheck } from '../helpers/app.js';
import { startMediaServer, type Handler } from '../helpers/media-server.js';
import { BASE_PLACEHOLDER, hostileCorpus } from './hostile-corpus.js';
import { startWorkerProcess, stopGently } from './processes.js';

/** Per file: the slowest (half a 2566x3313 HEIC through the HEVC decoder) takes about 5 s on a busy machine. */
const BOUND_MS = 20_000;

t.test('hostile files: a clear status each, and the worker stays up', async (t) => {
  const { app, config } = await buildTestServer(t, { ROLE: 'api' });
  const corpus = await hostileCorpus();
  let refHits = 0;
  const routes: Record<string, Handler> = {
    '/svg-ref.png': (_q, r) => {
      refHits++;
      r.writeHead(404).end();
    },
    '/svg-ref.svg': (_q, r) => {
      refHits++;
      r.writeHead(404).end();
    },
  };
  let base = '';
  for (const f of corpus) {
    routes[`/hostile/${f.name}`] = (_q, r) => {
      const bytes = Buffer.from(f.bytes.toString('latin1').replaceAll(BASE_PLACEHOLDER, base), 'latin1');
      r.writeHead(200, { 'content-type': f.contentType, 'content-length': bytes.length }).end(bytes);
    };
  }
  const media = await startMediaServer(t, routes);
  base = media.base;

  const worker = startWorkerProcess(t, {
    REDIS_URL: config.redisUrl,
    KEY_PREFIX: config.keyPrefix,
    FETCH_ALLOW_LOOPBACK: 'true',
    WAYBACK_ENABLED: 'false',
    WORKER_CONCURRENCY: '4',
  });
  const ids = new Map<string, string>();
  for (const f of corpus)
    ids.set(f.name, (await submit(app, { url: `${media.base}/hostile/${f.name}` })).json().id);

  for (const f of corpus) {
    const check = await waitForCheck(app, ids.get(f.name) as string, 60_000);
    t.equal(check.status, 'done', `${f.name}: the check completes`);
    if (f.expect.status === 'page') {
      t.match(check.report.targets[0], { kind: 'page', page: { media: [] } }, `${f.name} (${f.why}): a page`);
      t.same(check.report.media, []);
      continue;
    }
    const item = check.report.media[0];
    const took = Date.parse(check.report.completed_at) - Date.parse(check.report.started_at);
    t.ok(took < BOUND_MS, `${f.name}: ${took} ms`);
    if (f.expect.status === 'error') {
      t.match(
        item,
        { status: 'error', error: { code: f.expect.code } },
        `${f.name} (${f.why}): ${f.expect.code}`,
      );
      t.ok(f.expect.code in MEDIA_ERROR_CODES);
    } else {
      t.match(item, { status: 'ok', ...f.expect.fields }, `${f.name} (${f.why}): ok`);
      t.ok(item.hashes?.pdq.hash, `${f.name}: hashed`);
      t.ok(item.metadata?.metadata_status, `${f.name}: a metadata status`);
      t.ok(item.content_credentials?.validation.status, `${f.name}: a credentials status`);
    }
  }
  t.equal(refHits, 0, 'the SVG external references were never requested');
  t.equal(worker.child.exitCode, null, 'the worker process is still up');
  const after = await waitForCheck(app, (await submit(app, { url: `${media.base}/c2pa/CA.jpg` })).json().id);
  t.match(after.report.media[0], { status: 'ok', format: 'jpeg' }, 'and serves the next check normally');
  t.equal(await stopGently(worker), 0, worker.stderr().slice(-2000));
});
