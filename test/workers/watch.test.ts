// Watched checks (issue 22, item 4): a check's posts are resolved again at the stand-in platform on a
// schedule; a post deleted or edited there raises `post.changed` once, to the check's organization only,
// and a dated entry in the check's `watch.changes`. Another organization can neither watch nor unwatch
// the check; each organization has a cap; the watch ends after its period.
import type { Job } from 'bullmq';
import pino from 'pino';
import t, { type Test } from 'tap';
import type { Report } from '../../schemas/report.js';
import { keys } from '../../src/keys.js';
import { resolveTarget } from '../../src/pipeline/resolve/index.js';
import { createCheckStore, newCheckId } from '../../src/services/check-store.js';
import { schedulerId } from '../../src/services/watches.js';
import { createWorkerContext } from '../../workers/context.js';
import { startWatchWorker } from '../../workers/watch.js';
import { startWebhookWorker } from '../../workers/webhook.js';
import { AUTH, buildTestServer, get } from '../helpers/app.js';
import { startReceiver } from '../helpers/receiver.js';
import { sleep, until } from '../helpers/until.js';
import { fixture, json, startWorld, type Route } from '../pipeline/resolve/world.js';

type App = Awaited<ReturnType<typeof buildTestServer>>['app'];
type Headers = Record<string, string>;
const ID = '112233445566778899';
const POST_URL = `https://social.example/@beispiel/${ID}`;
const ARCHIVE_URL = '/v1/checks/x/archive.wacz';

async function keyFor(app: App, org: string): Promise<Headers> {
  const res = await app.inject({
    method: 'POST',
    url: '/v1/admin/keys',
    headers: AUTH,
    payload: { name: `${org} key`, org, scopes: ['admin'] },
  });
  if (res.statusCode !== 201) throw new Error(`key for ${org}: ${res.statusCode} ${res.body}`);
  return { authorization: `Bearer ${res.json().key as string}` };
}

/** The stand-in Mastodon server, whose one status the test deletes or edits. */
async function standIn(t: Test) {
  const status = JSON.parse(fixture('mastodon/status-media.json').toString('utf8')) as Record<
    string,
    unknown
  >;
  let state: 'live' | 'deleting' | 'deleted' | 'edited' | 'private' = 'live';
  let deletedAt: number | undefined;
  const route: Route = (req, url, res) => {
    if (state === 'deleting') {
      // Deleted while a request is on its way: 20 ms after it arrived, then answered as deleted.
      setTimeout(() => {
        state = 'deleted';
        deletedAt = Date.now();
        json({ error: 'Record not found' }, 404)(req, url, res);
      }, 20);
      return;
    }
    if (state === 'deleted') return json({ error: 'Record not found' }, 404)(req, url, res);
    if (state === 'private') return json({ error: 'This action is not allowed' }, 403)(req, url, res);
    const body = state === 'edited' ? { ...status, content: '<p>Ganz anderer Text.</p>' } : status;
    return json(body)(req, url, res);
  };
  const world = await startWorld(t, { 'social.example': { [`/api/v1/statuses/${ID}`]: route } });
  return {
    world,
    set: (s: typeof state) => {
      state = s;
    },
    /** When the post was deleted (`deleting`: during the request that found it gone). */
    deletedAt: () => deletedAt,
  };
}

/** A finished check of `org` whose report holds the post as the stand-in shows it now. */
async function doneCheck(
  app: App,
  config: App['config'],
  org: string,
  world: Awaited<ReturnType<typeof startWorld>>,
) {
  const resolved = await resolveTarget(POST_URL, world.deps);
  if (resolved.kind !== 'post') throw new Error(`stand-in post not resolved: ${resolved.kind}`);
  const store = createCheckStore(app.redis, keys(config.keyPrefix));
  const id = newCheckId();
  const created = await store.create(id, org, [{ input: POST_URL, url: POST_URL }]);
  const report = {
    schema_version: '2',
    check_id: id,
    started_at: new Date(Date.now() - 1000).toISOString(),
    completed_at: new Date().toISOString(),
    targets: [{ index: 0, url: POST_URL, kind: 'post', post_index: 0 }],
    posts: [resolved.post],
    media: [],
    archive: {
      url: ARCHIVE_URL.replace('/x/', `/${id}/`),
      format: 'wacz',
      captured_at: new Date().toISOString(),
      bytes: 1,
      sha256: '0'.repeat(64),
      datapackage_hash: `sha256:${'0'.repeat(64)}`,
      records: 1,
      payload_bytes: 1,
      timestamp: null,
    },
  } satisfies Report;
  await store.complete(created, 1, report);
  return id;
}

/** Workers of this test: webhook deliveries, and watches resolving posts at the stand-in. */
async function workers(t: Test, config: App['config'], world: Awaited<ReturnType<typeof startWorld>>) {
  const ctx = await createWorkerContext(
    { ...config, endpoints: world.endpoints },
    pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
  );
  const running = [startWebhookWorker(ctx), startWatchWorker(ctx)];
  t.teardown(async () => {
    await Promise.all(running.map((w) => w.close()));
    await ctx.close();
  });
  return ctx;
}

async function subscribe(app: App, headers: Headers, url: string) {
  const res = await app.inject({
    method: 'POST',
    url: '/v1/webhooks',
    headers,
    payload: { url, events: ['post.changed'] },
  });
  if (res.statusCode !== 201) throw new Error(`${res.statusCode} ${res.body}`);
  return res.json().secret as string;
}

t.test('a watched post deleted at the stand-in: post.changed once, to its organization only', async (t) => {
  const { app, config } = await buildTestServer(t, {
    ROLE: 'api',
    WATCH_INTERVAL_SECONDS: '1',
    WATCH_PERIOD_SECONDS: '600',
  });
  const { world, set, deletedAt: deletedAtStandIn } = await standIn(t);
  const a = await keyFor(app, 'newsroom-a');
  const b = await keyFor(app, 'newsroom-b');
  const receiverA = await startReceiver(t);
  const receiverB = await startReceiver(t);
  const secretA = await subscribe(app, a, receiverA.url);
  await subscribe(app, b, receiverB.url);
  const checkId = await doneCheck(app, config, 'newsroom-a', world);
  const ctx = await workers(t, config, world);

  // B cannot watch A's check, nor see that it exists.
  const byB = await app.inject({ method: 'POST', url: `/v1/checks/${checkId}/watch`, headers: b });
  t.equal(byB.statusCode, 404, 'B cannot watch A’s check');
  t.equal(await ctx.watches.get(checkId), null, 'no watch was made for B');

  const watched = await app.inject({ method: 'POST', url: `/v1/checks/${checkId}/watch`, headers: a });
  t.equal(watched.statusCode, 200, watched.body);
  t.match(watched.json(), { active: true, interval_seconds: 1, changes: [] });

  // A run with the post as it was changes nothing.
  await until('a first run', async () => (await ctx.watches.get(checkId))?.last_run_at);
  t.same((await get(app, `/v1/checks/${checkId}`, a)).json().watch.changes, [], 'unchanged post: no change');

  const unwatchByB = await app.inject({ method: 'DELETE', url: `/v1/checks/${checkId}/watch`, headers: b });
  t.equal(unwatchByB.statusCode, 404, 'B cannot unwatch A’s check');
  t.equal((await get(app, `/v1/checks/${checkId}`, a)).json().watch.active, true, 'still watched');

  // Deleted during a run's request: the run began before the deletion, and its answer shows it.
  set('deleting');
  const [event] = await receiverA.waitFor(1);
  const deletedAt = deletedAtStandIn() as number;
  t.equal(event!.json.type, 'post.changed');
  t.ok(receiverA.verify(event!, secretA), 'signed with A’s secret (Standard Webhooks)');
  const data = event!.json.data;
  t.match(data, {
    check_id: checkId,
    post_url: POST_URL,
    change: 'deleted',
    archive: `/v1/checks/${checkId}/archive.wacz`,
  });
  t.ok(Date.parse(data.last_seen_at as string) <= deletedAt, 'last seen before the deletion');
  t.ok(Date.parse(data.detected_at as string) >= deletedAt, 'detected after it');
  t.match(data.sentence, /^The post was deleted between \d\d:\d\d and \d\d:\d\d UTC on \d{1,2} \w{3} \d{4}$/);

  // Several more runs see the post still deleted: no second event.
  const runs = async () => (await app.watchQueue.getJobCounts('completed')).completed ?? 0;
  const before = await runs();
  await until('three more runs', async () => (await runs()) >= before + 3, 60_000);
  await sleep(500); // any delivery they queued has had time to arrive
  t.equal(receiverA.received.length, 1, 'post.changed once');
  t.equal(receiverB.received.length, 0, 'none to another organization');

  const check = (await get(app, `/v1/checks/${checkId}`, a)).json();
  t.equal(check.watch.changes.length, 1, 'one change on the check');
  const { check_id: _id, ...entry } = data;
  t.same(check.watch.changes[0], entry, 'the check’s entry is the event’s');
  t.equal((await get(app, `/v1/checks/${checkId}`, b)).statusCode, 404, 'B still sees nothing');
  const page = await get(app, `/checks/${checkId}`, a);
  t.equal(page.statusCode, 200);
  t.match(page.body, entry.sentence, 'the report page shows the entry');
  t.match(page.body, `href="/v1/checks/${checkId}/archive.wacz"`, 'with the archived copy');

  // A cancels: the schedule goes, the change stays.
  const cancelled = await app.inject({ method: 'DELETE', url: `/v1/checks/${checkId}/watch`, headers: a });
  t.equal(cancelled.statusCode, 204);
  t.equal(await app.watchQueue.getJobScheduler(schedulerId(checkId)), undefined, 'scheduler removed');
  const after = (await get(app, `/v1/checks/${checkId}`, a)).json().watch;
  t.equal(after.active, false);
  t.equal(after.changes.length, 1);
});

t.test('a watch job added by hand watches nothing that has no watch of its own', async (t) => {
  const { app, config } = await buildTestServer(t, { ROLE: 'api', WATCH_INTERVAL_SECONDS: '1' });
  const { world, set } = await standIn(t);
  const b = await keyFor(app, 'newsroom-b');
  const receiver = await startReceiver(t);
  await subscribe(app, b, receiver.url);
  const unwatched = await doneCheck(app, config, 'newsroom-b', world);
  await workers(t, config, world);
  set('deleted');
  const outcome = async (job: Job) => {
    await until('the job to end', async () => ['completed', 'failed'].includes(await job.getState()));
    return job.getState();
  };
  const forged = [
    await app.watchQueue.add('watch', { check_id: unwatched }),
    await app.watchQueue.add('watch', { check_id: 'chk_nonexistent' }),
    await app.watchQueue.add('watch', { check_id: unwatched, org: 'newsroom-a' } as never),
    await app.watchQueue.add('other', { check_id: unwatched }),
  ];
  for (const job of forged) t.equal(await outcome(job), 'failed', `${job.name} ${JSON.stringify(job.data)}`);
  await sleep(500);
  t.equal(receiver.received.length, 0, 'no event');
  t.equal((await get(app, `/v1/checks/${unwatched}`, b)).json().watch, undefined, 'no watch appeared');
});

t.test('text edited at the stand-in -> text_changed; made private -> private', async (t) => {
  const { app, config } = await buildTestServer(t, {
    ROLE: 'api',
    WATCH_INTERVAL_SECONDS: '1',
    WATCH_PERIOD_SECONDS: '600',
  });
  const { world, set } = await standIn(t);
  const a = await keyFor(app, 'newsroom-a');
  const receiver = await startReceiver(t);
  await subscribe(app, a, receiver.url);
  const checkId = await doneCheck(app, config, 'newsroom-a', world);
  await workers(t, config, world);
  t.equal(
    (await app.inject({ method: 'POST', url: `/v1/checks/${checkId}/watch`, headers: a })).statusCode,
    200,
  );

  set('edited');
  const [edited] = await receiver.waitFor(1);
  t.match(edited!.json.data, { change: 'text_changed', post_url: POST_URL });
  t.match(edited!.json.data.sentence, /^The post had its text changed between /);
  set('private');
  const [, hidden] = await receiver.waitFor(2);
  t.match(hidden!.json.data, { change: 'private', post_url: POST_URL });
  const changes = (await get(app, `/v1/checks/${checkId}`, a)).json().watch.changes as Array<{
    change: string;
  }>;
  t.same(
    changes.map((c) => c.change),
    ['text_changed', 'private'],
  );
});

t.test('POST /v1/checks with watch: true watches the check, within the cap', async (t) => {
  const { app } = await buildTestServer(t, {
    ROLE: 'api',
    WATCH_MAX_PER_ORG: '1',
    DEDUP_WINDOW_SECONDS: '0',
  });
  const a = await keyFor(app, 'newsroom-a');
  const post = (url: string) =>
    app.inject({ method: 'POST', url: '/v1/checks', headers: a, payload: { url, watch: true } });
  const first = await post(POST_URL);
  t.equal(first.statusCode, 202);
  t.equal(first.json().watching, true);
  const id = first.json().id as string;
  t.ok(await app.watchQueue.getJobScheduler(schedulerId(id)), 'scheduled');
  t.match((await get(app, `/v1/checks/${id}`, a)).json().watch, { active: true, changes: [] });
  const second = await post(`${POST_URL}?again`);
  t.equal(second.statusCode, 202, 'the check runs all the same');
  t.equal(second.json().watching, false, 'but is not watched: the cap is reached');
  t.equal((await get(app, `/v1/checks/${second.json().id as string}`, a)).json().watch, undefined);
  const plain = await app.inject({
    method: 'POST',
    url: '/v1/checks',
    headers: a,
    payload: { url: POST_URL },
  });
  t.equal(plain.json().watching, undefined, 'not asked, not said');
});

t.test('the cap per organization, and the end of the period', async (t) => {
  const { app, config } = await buildTestServer(t, {
    ROLE: 'api',
    WATCH_INTERVAL_SECONDS: '1',
    WATCH_PERIOD_SECONDS: '2',
    WATCH_MAX_PER_ORG: '2',
  });
  const { world } = await standIn(t);
  const a = await keyFor(app, 'newsroom-a');
  const b = await keyFor(app, 'newsroom-b');
  const ids: string[] = [];
  for (let i = 0; i < 3; i++) ids.push(await doneCheck(app, config, 'newsroom-a', world));
  const other = await doneCheck(app, config, 'newsroom-b', world);
  const watch = (id: string, h: Headers) =>
    app.inject({ method: 'POST', url: `/v1/checks/${id}/watch`, headers: h });

  t.equal((await watch(ids[0]!, a)).statusCode, 200);
  t.equal((await watch(ids[1]!, a)).statusCode, 200);
  t.equal((await watch(ids[1]!, a)).statusCode, 200, 'watching a watched check again is no new watch');
  const third = await watch(ids[2]!, a);
  t.equal(third.statusCode, 409);
  t.equal(third.json().code, 'too_many_watches');
  t.equal((await watch(other, b)).statusCode, 200, 'another organization has its own cap');

  // The period (2 s) ends: the worker removes the schedules, and the places are free again.
  const ctx = await workers(t, config, world);
  await until('the watches to end', async () => {
    const w = await Promise.all([ids[0]!, ids[1]!, other].map((id) => ctx.watches.get(id)));
    return w.every((x) => x?.ended_at);
  });
  for (const id of [ids[0]!, ids[1]!, other])
    t.equal(await app.watchQueue.getJobScheduler(schedulerId(id)), undefined, `${id}: scheduler removed`);
  const ended = (await get(app, `/v1/checks/${ids[0]!}`, a)).json().watch;
  t.equal(ended.active, false, 'the check shows its watch ended');
  t.equal((await watch(ids[2]!, a)).statusCode, 200, 'a place is free once the others ended');
});
