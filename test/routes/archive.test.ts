// GET /v1/checks/:id/archive.wacz through the whole app (API and worker as in production): the check's
// organization downloads a WACZ that verifies independently; every other organization gets a 404.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { buildTestServer, get, keyFor, submit, waitForCheck } from '../helpers/app.js';
import { fixture } from '../helpers/images.js';
import { startMediaServer } from '../helpers/media-server.js';
import { verifyWacz } from '../helpers/wacz-reader.js';

t.test('the archive of a check: to its organization only, and it verifies', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'firstseen-archive-route-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const { app } = await buildTestServer(t, { ARCHIVE_ENABLED: 'true', ARCHIVE_DIR: dir });
  const media = await startMediaServer(t);
  const a = await keyFor(app, 'newsroom-a', ['submit', 'read']);
  const b = await keyFor(app, 'newsroom-b', ['submit', 'read']);
  const url = `${media.base}/exif-samples/jpg/Canon_40D.jpg`;
  const res = await submit(app, { url }, a);
  t.equal(res.statusCode, 202);
  const id = res.json().id as string;
  const check = await waitForCheck(app, id, 60_000, a);
  t.equal(check.status, 'done');
  const summary = check.report.archive;
  t.equal(summary.url, `/v1/checks/${id}/archive.wacz`, 'the report says where its evidence is');
  t.equal(summary.format, 'wacz');

  const download = await get(app, summary.url, a);
  t.equal(download.statusCode, 200);
  t.equal(download.headers['content-type'], 'application/wacz');
  t.match(download.headers['content-disposition'], `${id}.wacz`);
  const file = download.rawPayload;
  t.equal(file.length, summary.bytes);
  const wacz = await verifyWacz(file);
  const response = wacz.records.find((r) => r.headers.get('warc-target-uri') === url);
  t.ok(response?.payload.equals(fixture('exif-samples/jpg/Canon_40D.jpg')), 'the image as fetched');
  t.same(
    wacz.pages.map((p) => p.url),
    [url],
  );
  // Beside the organizations' directories, the store's scratch directory, where the worker wrote it.
  t.same((await readdir(dir)).sort(), ['@partial', 'newsroom-a'], 'stored under the organization');
  t.same(await readdir(join(dir, '@partial')), [], 'moved out of the scratch directory');

  const other = await get(app, summary.url, b);
  t.equal(other.statusCode, 404, 'another organization: not found, like the check itself');
  t.equal(other.json().code, 'not_found');
  t.notMatch(other.body, /PK/, 'no archive bytes');
  t.equal((await get(app, `/v1/checks/chk_nothing/archive.wacz`, a)).statusCode, 404);
  t.equal((await app.inject({ method: 'GET', url: summary.url })).statusCode, 401, 'no key, no archive');
});

t.test('archives off: no archive in the report, and the route says not found', async (t) => {
  const { app } = await buildTestServer(t);
  const media = await startMediaServer(t);
  const res = await submit(app, { url: `${media.base}/exif-samples/jpg/Canon_40D.jpg` });
  const check = await waitForCheck(app, res.json().id as string);
  t.equal(check.status, 'done');
  t.notOk('archive' in check.report);
  t.equal((await get(app, `/v1/checks/${check.id as string}/archive.wacz`)).statusCode, 404);
});
