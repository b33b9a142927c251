// CHECK_RETENTION_DAYS: a finished check (record, report, thumbnails) goes after its organization's
// retention; what the service remembers of its images (media records, the hash index) stays and still
// matches. Real Redis; the retention is shortened to seconds through the config object the app takes.
import t from 'tap';
import { AUTH, get, removePrefix, submit, testConfig, waitForCheck } from '../helpers/app.js';
import { startMediaServer } from '../helpers/media-server.js';
import { keys } from '../../src/keys.js';
import { buildService } from '../../workers/index.js';
import { loadConfig } from '../../src/config.js';

const URL_PATH = '/exif-samples/jpg/gps/DSCN0010.jpg';

t.test('CHECK_RETENTION_DAYS and its per-organization exceptions are read as seconds', async (t) => {
  t.same(loadConfig({}).retention, { checkSeconds: 0, checkSecondsByOrg: {} }, 'off by default');
  const c = loadConfig({ CHECK_RETENTION_DAYS: '30', CHECK_RETENTION_DAYS_BY_ORG: 'afp=365, bbc = 0' });
  t.same(c.retention, { checkSeconds: 30 * 86_400, checkSecondsByOrg: { afp: 365 * 86_400, bbc: 0 } });
  t.throws(() => loadConfig({ CHECK_RETENTION_DAYS_BY_ORG: 'afp:30' }), /not org=days/);
});

t.test('a check past its retention is gone; its images are still remembered and matched', async (t) => {
  const config = testConfig({ RECYCLED_MARGIN_HOURS: '0' });
  // Long enough for a loaded machine to read the finished check before it goes.
  config.retention = { checkSeconds: 8, checkSecondsByOrg: {} };
  const app = await buildService(config);
  await app.ready();
  t.teardown(async () => {
    await app.close();
    await removePrefix(config.keyPrefix, config.redis);
  });
  const k = keys(config.keyPrefix);
  const media = await startMediaServer(t);
  const url = `${media.base}${URL_PATH}`;

  const first = await submit(app, { url });
  const firstId: string = first.json().id;
  const done = await waitForCheck(app, firstId);
  t.equal(done.status, 'done');
  const sha: string = done.report.media[0].sha256;
  const ttl = await app.redis.pttl(k.check(firstId));
  t.ok(ttl > 0 && ttl <= 8000, `the finished check expires with its retention (${ttl} ms)`);
  const thumbTtl = await app.redis.pttl(k.thumbnail(sha));
  t.ok(thumbTtl > 0 && thumbTtl <= 8000, `its thumbnail no later (${thumbTtl} ms)`);

  await new Promise((r) => setTimeout(r, Math.max(ttl, thumbTtl) + 200));
  t.equal((await get(app, `/v1/checks/${firstId}`)).statusCode, 404, 'the check is gone');
  t.equal((await get(app, `/v1/checks/${firstId}/report`)).statusCode, 404, 'and its report');
  t.equal(await app.redis.exists(k.thumbnail(sha)), 0, 'and its thumbnail');
  t.equal(await app.redis.hget(k.media(sha), 'first_check_id'), firstId, 'the media record stays');
  t.equal(await app.redis.llen(k.mediaSightings(sha)), 1, 'with its sightings');
  t.ok((await app.redis.xlen(k.indexStream())) >= 1, 'the index stays');
  const lookup = await app.inject({
    method: 'POST',
    url: '/v1/lookup',
    headers: AUTH,
    payload: { pdq: done.report.media[0].hashes.pdq.hash },
  });
  t.ok(
    lookup.json().matches.some((m: { sha256: string }) => m.sha256 === sha),
    'and still finds the image from its PDQ',
  );

  // Outside the dedup window's reach: a different URL serving the same bytes.
  const again = await submit(app, { url: `${url}?again=1` }, AUTH);
  const second = await waitForCheck(app, again.json().id);
  t.match(second.report.media[0].provenance.matches[0], {
    kind: 'exact',
    source: 'seen',
    sha256: sha,
    first_seen_url: url,
    sightings: 1,
  });
});

t.test('0 for an organization keeps its checks forever', async (t) => {
  const config = testConfig({ CHECK_RETENTION_DAYS: '30', CHECK_RETENTION_DAYS_BY_ORG: 'default=0' });
  const app = await buildService(config);
  await app.ready();
  t.teardown(async () => {
    await app.close();
    await removePrefix(config.keyPrefix, config.redis);
  });
  const media = await startMediaServer(t);
  const res = await submit(app, { url: `${media.base}${URL_PATH}` });
  const id: string = res.json().id;
  t.equal((await waitForCheck(app, id)).status, 'done');
  const k = keys(config.keyPrefix);
  t.equal(await app.redis.ttl(k.check(id)), -1, 'no TTL on the check of the `default` organization');
});
