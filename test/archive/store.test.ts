// The archive store: one suite, run against the directory store and against an S3-compatible server
// (s3rver, started by this test as its own process on a local port), both built by the same factory
// the API and the workers use, from configuration.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import pino from 'pino';
import t, { type Test } from 'tap';
import { createArchiveStore } from '../../src/archive/index.js';
import { archiveCheck, SOFTWARE } from '../../src/archive/archive-check.js';
import { ABANDONED_MS, createDirectoryStore, DAY_MS, type ArchiveStore } from '../../src/archive/store.js';
import { createWarcRecorder } from '../../src/archive/warc-recorder.js';
import { testConfig } from '../helpers/app.js';
import { freePort, until } from '../faults/processes.js';

async function tempDir(t: Test, name: string) {
  const dir = await mkdtemp(join(tmpdir(), `firstseen-${name}-`));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** s3rver as a child process; resolves once it answers HTTP. */
async function startS3(t: Test): Promise<string> {
  const dir = await tempDir(t, 's3rver');
  const port = await freePort();
  const bin = createRequire(import.meta.url).resolve('s3rver/bin/s3rver.js');
  const child = spawn(
    process.execPath,
    [bin, '-d', dir, '-a', '127.0.0.1', '-p', String(port), '--configure-bucket', 'evidence', '--silent'],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  t.teardown(() => {
    child.kill('SIGTERM');
  });
  const endpoint = `http://127.0.0.1:${port}`;
  await until(
    's3rver answers',
    () =>
      fetch(endpoint)
        .then(() => true)
        .catch(() => false),
    20_000,
  );
  return endpoint;
}

interface Setup {
  name: string;
  env: (t: Test) => Promise<Record<string, string>>;
}

const setups: Setup[] = [
  { name: 'directory', env: async (t) => ({ ARCHIVE_DIR: await tempDir(t, 'archives') }) },
  {
    name: 'S3-compatible (s3rver)',
    env: async (t) => ({
      ARCHIVE_S3_BUCKET: 'evidence',
      ARCHIVE_S3_PREFIX: `run-${randomBytes(4).toString('hex')}/`,
      ARCHIVE_S3_ENDPOINT: await startS3(t),
      ARCHIVE_S3_FORCE_PATH_STYLE: 'true',
      // s3rver's fixed credentials.
      ARCHIVE_S3_ACCESS_KEY_ID: 'S3RVER',
      ARCHIVE_S3_SECRET_ACCESS_KEY: 'S3RVER',
    }),
  },
];

for (const setup of setups) {
  t.test(`archive store: ${setup.name}`, async (t) => {
    const env = await setup.env(t);
    let clock = new Date();
    const store = createArchiveStore(
      testConfig({ ARCHIVE_ENABLED: 'true', ARCHIVE_TTL_DAYS: '30', ...env }),
      () => clock,
    ) as ArchiveStore;
    t.ok(store);
    const work = await tempDir(t, 'wacz');
    const file = async (bytes: Buffer) => {
      const path = join(work, randomBytes(4).toString('hex'));
      await writeFile(path, bytes);
      return path;
    };
    const read = async (org: string, id: string) => {
      const a = await store.get(org, id);
      return a ? { bytes: a.bytes, data: await buffer(a.stream) } : null;
    };

    const first = randomBytes(300_000);
    await store.put('newsroom-a', 'chk_one', await file(first));
    const back = await read('newsroom-a', 'chk_one');
    t.equal(back?.bytes, first.length);
    t.ok(back?.data.equals(first), 'the same bytes back');
    t.equal(await read('newsroom-b', 'chk_one'), null, 'not under another organization');
    t.equal(await read('newsroom-a', 'chk_two'), null, 'nothing under another check');
    // Organization ids are names, not paths.
    await store.put('../newsroom-a', 'chk_one', await file(Buffer.from('elsewhere')));
    t.ok((await read('newsroom-a', 'chk_one'))?.data.equals(first), 'a hostile org id does not overwrite');
    t.equal((await read('../newsroom-a', 'chk_one'))?.data.toString(), 'elsewhere');
    await t.rejects(store.get('newsroom-a', '../x'), 'a check id is checked');

    // Ranges: what the views of an archived upload read (src/archive/archived-file.ts).
    const range = (start: number, length: number, org = 'newsroom-a') =>
      store.range(org, 'chk_one', start, length);
    t.ok((await range(1000, 5000))?.equals(first.subarray(1000, 6000)), 'a range');
    t.ok((await range(-22, 22))?.equals(first.subarray(first.length - 22)), 'the last bytes');
    t.ok(
      (await range(first.length - 10, 100))?.equals(first.subarray(first.length - 10)),
      'fewer at the end',
    );
    t.equal((await range(first.length + 10, 100))?.length, 0, 'nothing past the end');
    t.equal(await range(0, 10, 'newsroom-b'), null, 'not under another organization');
    t.equal(await store.range('newsroom-a', 'chk_two', 0, 10), null, 'nothing under another check');

    const second = randomBytes(1000);
    await store.put('newsroom-a', 'chk_one', await file(second));
    t.ok((await read('newsroom-a', 'chk_one'))?.data.equals(second), 'replaced');

    await store.put('newsroom-a', 'chk_two', await file(first));
    await store.delete('newsroom-a', 'chk_two');
    t.equal(await read('newsroom-a', 'chk_two'), null, 'deleted');

    // Retention: 30 days. At 29 the archive is served, past 30 it is not, and sweep deletes it.
    clock = new Date(Date.now() + 29 * DAY_MS);
    t.ok(await read('newsroom-a', 'chk_one'), 'served within the retention');
    t.equal(await store.sweep(), 0, 'nothing to delete yet');
    clock = new Date(Date.now() + 31 * DAY_MS);
    t.equal(await read('newsroom-a', 'chk_one'), null, 'not served past the retention');
    t.equal(await store.range('newsroom-a', 'chk_one', 0, 10), null, 'nor read');
    t.equal(await store.sweep(), 2, 'both archives deleted');
    clock = new Date();
    t.equal(await read('newsroom-a', 'chk_one'), null, 'gone for good');
  });
}

t.test('directory store: archives are written in its scratch directory and moved in', async (t) => {
  const dir = await tempDir(t, 'archives');
  const store = createDirectoryStore(dir, 30);
  t.equal(store.scratch, join(dir, '@partial'), 'on the store filesystem, named as no organization is');
  const log = pino({ level: 'silent' });
  const report = (id: string) =>
    ({ check_id: id, targets: [], posts: [], media: [] }) as unknown as Parameters<
      typeof archiveCheck
    >[0]['report'];
  for (const id of ['chk_a', 'chk_b']) {
    const recorder = await createWarcRecorder({
      checkId: id,
      maxBytes: 1 << 20,
      software: SOFTWARE,
      log,
      dir: store.scratch,
    });
    recorder.resource('upload:x', 'image/jpeg', randomBytes(1000));
    t.same(
      (await readdir(store.scratch!)).map((n) => n.startsWith(`${id}.`)),
      [true],
      'written in the scratch directory',
    );
    const summary = await archiveCheck({ recorder, store, org: 'newsroom-a', report: report(id) });
    t.equal((await store.get('newsroom-a', id))?.bytes, summary.bytes, 'kept');
    t.same(await readdir(store.scratch!), [], 'and moved out of it');
    // An organization's directory removed by hand is made again at the next put.
    await rm(join(dir, 'newsroom-a'), { recursive: true });
  }
  const recorder = await createWarcRecorder({
    checkId: 'chk_c',
    maxBytes: 1 << 20,
    software: SOFTWARE,
    log,
    dir: store.scratch,
  });
  await recorder.abort();
  t.same(await readdir(store.scratch!), [], 'an aborted archive leaves nothing');
  // The scratch directory removed by hand: made again for the next archive.
  await rm(store.scratch!, { recursive: true });
  const again = await createWarcRecorder({
    checkId: 'chk_d',
    maxBytes: 1 << 20,
    software: SOFTWARE,
    log,
    dir: store.scratch,
  });
  await archiveCheck({ recorder: again, store, org: 'newsroom-a', report: report('chk_d') });
  t.ok(await store.get('newsroom-a', 'chk_d'), 'kept after its scratch directory was removed');
});

t.test(
  'the sweep deletes what a dead worker left in the scratch directory, even when archives are kept for ever',
  async (t) => {
    const dir = await tempDir(t, 'archives');
    const store = createDirectoryStore(dir, 0); // ARCHIVE_TTL_DAYS=0: kept for ever
    const scratch = store.scratch as string;
    await mkdir(scratch, { recursive: true });
    const kept = join(dir, 'kept.wacz');
    await writeFile(kept, 'x');
    await store.put('newsroom-a', 'chk_old', kept);
    const left = join(scratch, 'chk_dead.abc.wacz');
    const writing = join(scratch, 'chk_now.def.wacz');
    await writeFile(left, 'half an archive');
    await writeFile(writing, 'being written');
    const past = new Date(Date.now() - ABANDONED_MS - 60_000);
    await utimes(left, past, past);
    t.equal(await store.sweep(), 1, 'one file deleted');
    t.same(await readdir(scratch), ['chk_now.def.wacz'], 'the abandoned one; the one being written stays');
    t.ok(await store.get('newsroom-a', 'chk_old'), 'kept archives stay');
    t.equal(
      await store.sweep(new Date(Date.now() + 400 * DAY_MS)),
      1,
      'a year on, only the scratch file goes',
    );
    t.ok(await store.get('newsroom-a', 'chk_old'), 'archives are still kept');
  },
);

t.test("without a directory, archives are written in the process's own, replaced if it goes", async (t) => {
  const log = pino({ level: 'silent' });
  const record = async (checkId: string) => {
    const recorder = await createWarcRecorder({ checkId, maxBytes: 1 << 20, software: SOFTWARE, log });
    const warc = await recorder.finish();
    t.teardown(() => warc.remove());
    return dirname(warc.zip.path);
  };
  const first = await record('chk_own_1');
  t.equal(await record('chk_own_2'), first, 'the same directory for every check');
  await rm(first, { recursive: true });
  const next = await record('chk_own_3');
  t.not(next, first, 'a new one, not the old name made again');
  t.ok(next.startsWith(join(tmpdir(), 'firstseen-warc-')), 'in the temporary directory');
});
