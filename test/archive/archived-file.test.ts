// A file read back from its check's own WACZ (src/archive/archived-file.ts): whole and the same bytes,
// by small bounded ranges (never the whole archive), from that organization's archive only, and nothing
// when the record is cut short, the bytes changed or the file is not an archive.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { archiveCheck } from '../../src/archive/archive-check.js';
import { hasArchivedFile, readArchivedFile } from '../../src/archive/archived-file.js';
import { archiveName, createDirectoryStore, type ArchiveStore } from '../../src/archive/store.js';
import { createWarcRecorder } from '../../src/archive/warc-recorder.js';
import pino from 'pino';
import type { Report } from '../../schemas/report.js';

const log = pino({ level: 'silent' });
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const MAX = 5_000_000;

async function archived(t: Test, files: Buffer[], maxBytes = 1e9) {
  const dir = await mkdtemp(join(tmpdir(), 'firstseen-archived-file-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const store = createDirectoryStore(dir, 0);
  const checkId = `chk_${randomBytes(6).toString('hex')}`;
  const recorder = await createWarcRecorder({ checkId, maxBytes, software: 'test', log });
  for (const f of files) recorder.resource(`upload:${sha(f)}`, null, f);
  const report = { check_id: checkId, targets: [], posts: [], media: [] } as unknown as Report;
  await archiveCheck({ recorder, store, org: 'newsroom-a', report });
  // Counts what is read, to show the reads are ranges, not the archive.
  let bytesRead = 0;
  const counted: ArchiveStore = {
    ...store,
    async range(org, id, start, length) {
      const got = await store.range(org, id, start, length);
      bytesRead += got?.length ?? 0;
      return got;
    },
  };
  const query = (f: Buffer) => ({
    org: 'newsroom-a',
    checkId,
    url: `upload:${sha(f)}`,
    sha256: sha(f),
    maxBytes: MAX,
  });
  return {
    store: counted,
    path: join(dir, archiveName('newsroom-a', checkId)),
    query,
    read: () => bytesRead,
  };
}

t.test('the file back, whole, read by ranges', async (t) => {
  const big = randomBytes(3_000_000);
  const small = randomBytes(150_000);
  const a = await archived(t, [big, small]);
  const size = (await readFile(a.path)).length;
  t.ok(size > 3_150_000);

  t.equal(await hasArchivedFile(a.store, a.query(small)), true);
  t.ok(a.read() < 10_000, `finding it read ${a.read()} bytes`);
  const before = a.read();
  const back = await readArchivedFile(a.store, a.query(small));
  t.ok(back?.equals(small), 'the same bytes');
  t.ok(a.read() - before < small.length + 20_000, `reading it ${a.read() - before} bytes of ${size}`);
  t.ok((await readArchivedFile(a.store, a.query(big)))?.equals(big), 'the other file too');

  const other = randomBytes(1000);
  t.equal(await readArchivedFile(a.store, a.query(other)), null, 'a file it does not hold');
  t.equal(await readArchivedFile(a.store, { ...a.query(small), org: 'newsroom-b' }), null, 'another org');
  t.equal(
    await readArchivedFile(a.store, { ...a.query(small), checkId: 'chk_other' }),
    null,
    'another check',
  );
  t.equal(
    await readArchivedFile(a.store, { ...a.query(small), url: `upload:${sha(big)}` }),
    null,
    'the record of its own URL only',
  );
  t.equal(await readArchivedFile(a.store, { ...a.query(small), sha256: '../x' }), null);
  t.equal(
    await readArchivedFile(a.store, { ...a.query(big), maxBytes: 1_000_000 }),
    null,
    'a record larger than the byte cap is not read',
  );
});

t.test('a record kept without its body (past ARCHIVE_MAX_BYTES) is not in the archive', async (t) => {
  const first = randomBytes(60_000);
  const second = randomBytes(60_000);
  const a = await archived(t, [first, second], 100_000);
  t.ok((await readArchivedFile(a.store, a.query(first)))?.equals(first), 'within the budget');
  t.equal(await hasArchivedFile(a.store, a.query(second)), false);
  t.equal(await readArchivedFile(a.store, a.query(second)), null);
});

t.test('changed bytes, a changed index or no archive at all: nothing, no exception', async (t) => {
  const file = randomBytes(100_000);
  const a = await archived(t, [file]);
  const original = await readFile(a.path);
  const at = original.indexOf(file.subarray(50_000, 50_064));
  t.ok(at > 0);
  const flipped = Buffer.from(original);
  flipped[at] = flipped[at]! ^ 0xff;
  await writeFile(a.path, flipped);
  t.equal(await readArchivedFile(a.store, a.query(file)), null, 'a changed byte');

  const index = Buffer.from(original);
  const line = index.indexOf(`"url":"upload:${sha(file)}"`);
  index.write('X', line + 10);
  await writeFile(a.path, index);
  t.equal(await hasArchivedFile(a.store, a.query(file)), false, 'an index whose CRC-32 no longer holds');

  for (const junk of [
    Buffer.alloc(0),
    Buffer.from('not a zip'),
    randomBytes(5000),
    original.subarray(0, original.length - 30),
  ]) {
    await writeFile(a.path, junk);
    t.equal(await readArchivedFile(a.store, a.query(file)), null, `${junk.length} bytes of something else`);
  }
  await writeFile(a.path, original);
  t.ok((await readArchivedFile(a.store, a.query(file)))?.equals(file), 'the original file still reads');
});
