// What operators look at: health, readiness, metrics, the queue dashboard and the API docs.
import t from 'tap';
import { AUTH, buildTestServer, submit, waitForCheck } from '../helpers/app.js';
import { startMediaServer } from '../helpers/media-server.js';

t.test('healthz, and readyz that needs Redis and a heartbeating worker', async (t) => {
  const withWorkers = await buildTestServer(t);
  t.same((await withWorkers.app.inject({ url: '/healthz' })).json(), { status: 'ok' });
  const ready = await withWorkers.app.inject({ url: '/readyz' });
  t.equal(ready.statusCode, 200);
  t.match(ready.json(), { status: 'ok', redis: 'ok', workers: 1 });

  const apiOnly = await buildTestServer(t, { ROLE: 'api' });
  const notReady = await apiOnly.app.inject({ url: '/readyz' });
  t.match(notReady.json(), { statusCode: 503, code: 'not_ready' });
});

t.test('metrics: queue depths, stage durations, error codes', async (t) => {
  const { app } = await buildTestServer(t);
  const media = await startMediaServer(t);
  const ok = await submit(app, { url: `${media.base}/c2pa/CA.jpg` });
  await waitForCheck(app, ok.json().id);
  const bad = await submit(app, { url: `${media.base}/missing.jpg` });
  await waitForCheck(app, bad.json().id);
  t.equal((await app.inject({ url: '/metrics' })).statusCode, 401, 'not without a key');
  const res = await app.inject({ url: '/metrics', headers: AUTH });
  t.equal(res.statusCode, 200);
  t.match(res.headers['content-type'], /text\/plain/);
  t.match(res.body, /firstseen_queue_jobs\{queue="checks",state="waiting"\} 0/);
  t.match(res.body, /firstseen_stage_duration_seconds_count\{stage="fetch"\} [1-9]/);
  t.match(res.body, /firstseen_media_errors_total\{code="http_error"\} [1-9]/);
  t.match(res.body, /firstseen_checks_finished_total\{outcome="done"\} [1-9]/);
  t.match(res.body, /firstseen_process_cpu_seconds_total/);
  t.match(res.body, /firstseen_index_entries [1-9]/, 'the analyzed image is in the index');
});

t.test('queue dashboard: admin only, Basic auth for browsers', async (t) => {
  const { app } = await buildTestServer(t);
  const anon = await app.inject({ url: '/admin/queues' });
  t.equal(anon.statusCode, 401);
  t.match(anon.headers['www-authenticate'], /Basic/);
  const basic = `Basic ${Buffer.from(`ops:${AUTH.authorization.slice(7)}`).toString('base64')}`;
  const page = await app.inject({ url: '/admin/queues', headers: { authorization: basic } });
  t.equal(page.statusCode, 200);
  t.match(page.body, /<html/i);
  const api = await app.inject({ url: '/admin/queues/api/queues', headers: AUTH });
  t.equal(api.statusCode, 200);
  t.match(api.body, /checks/);
});

t.test('Swagger UI at /docs serves the same document as openapi.yaml', async (t) => {
  const { app } = await buildTestServer(t);
  const ui = await app.inject({ url: '/docs/' });
  t.equal(ui.statusCode, 200);
  const json = await app.inject({ url: '/docs/json' });
  t.equal(json.json().info.title, 'firstseen');
  t.ok(json.json().paths['/v1/checks'], 'the checks route is documented');
});

t.test('under pressure: 503 overloaded while the event loop lags', async (t) => {
  const { app } = await buildTestServer(t, { MAX_EVENT_LOOP_DELAY_MS: '20' });
  // under-pressure samples the lag once a second, so block the loop across a whole sample (as a
  // CPU-bound bug would) and ask right after; on a busy machine the sample may land badly, so retry.
  let res = await app.inject({ url: '/v1/checks/chk_nothing', headers: AUTH });
  for (let i = 0; i < 5 && res.statusCode !== 503; i++) {
    const until = Date.now() + 1500;
    while (Date.now() < until);
    await new Promise((r) => setTimeout(r, 30));
    res = await app.inject({ url: '/v1/checks/chk_nothing', headers: AUTH });
  }
  t.match(res.json(), { statusCode: 503, code: 'overloaded' });
});
