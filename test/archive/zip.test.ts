// The WACZ's zip writer (src/archive/zip.ts), read back with yauzl (through the test WACZ reader, which
// also checks every CRC-32) and Node's own digest of the file.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { createZipWriter } from '../../src/archive/zip.js';
import { unzip } from '../helpers/wacz-reader.js';

t.test(
  'an entry written in pieces and whole entries: every byte back, size and sha256 as written',
  async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'firstseen-zip-test-'));
    t.teardown(() => rm(dir, { recursive: true, force: true }));
    const zip = await createZipWriter(join(dir, 'a.zip'));
    const pieces = [randomBytes(70_000), Buffer.alloc(0), randomBytes(3), randomBytes(200_000)];
    const mtime = new Date('2026-12-05T01:02:04Z');
    await zip.begin('archive/data.warc.gz', mtime);
    await t.rejects(zip.add('other', Buffer.from('x'), mtime), /still open/, 'one entry at a time');
    for (const p of pieces) await zip.append(p);
    t.equal(await zip.end(), 270_003);
    await zip.add('datapackage.json', Buffer.from('{"a":"é"}'), mtime);
    await zip.add('empty', Buffer.alloc(0), mtime);
    const result = await zip.close();

    const file = await readFile(result.path);
    t.equal(result.bytes, file.length);
    t.equal(result.sha256, createHash('sha256').update(file).digest('hex'));
    const entries = await unzip(file);
    t.same([...entries.keys()], ['archive/data.warc.gz', 'datapackage.json', 'empty']);
    t.ok(entries.get('archive/data.warc.gz')?.data.equals(Buffer.concat(pieces)), 'the pieces, in order');
    t.equal(entries.get('datapackage.json')?.data.toString(), '{"a":"é"}');
    t.equal(entries.get('empty')?.data.length, 0);
    for (const e of entries.values()) t.equal(e.compressionMethod, 0, 'stored');
  },
);
