// `firstseen bank import`: how a list is cut into chunks (in-process), then a generated list of a few
// thousand rows loaded by the CLI as a child process in several requests, and resumed with --skip-rows.
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { Readable } from 'node:stream';
import t from 'tap';
import { firstseen } from '../helpers/cli.js';
import { chunkCsv, csvRecords, isHeader, surveyCsv, type Chunk } from '../../src/cli/csv-chunks.js';
import { renderBar } from '../../src/cli/progress.js';
import { run } from '../../src/cli/run.js';
import { buildTestServer, createBank, get, TEST_KEY } from '../helpers/app.js';

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

const lines = (text: string) => Readable.from(text.split('\n'));
const pdq = () => randomBytes(32).toString('hex');

t.test('records: quoted fields across lines stay whole; blank lines and a BOM are dropped', async (t) => {
  const records = await collect(
    csvRecords(lines('\uFEFFpdq,label\n\nabc,"two\nlines, ""quoted"""\n  \nd,e')),
  );
  t.same(records, [
    { text: 'pdq,label', line: 1 },
    { text: 'abc,"two\nlines, ""quoted"""', line: 3 },
    { text: 'd,e', line: 6 },
  ]);
});

t.test('headers are recognised as the service recognises them', async (t) => {
  t.ok(isHeader('pdq,quality,label'));
  t.ok(isHeader('Hash,Quality'));
  t.notOk(isHeader(`${pdq()},100`), 'ThreatExchange rows have no header');
  t.notOk(isHeader('garbage,row'), 'a bad first row is a row (the service rejects it once)');
});

t.test('chunks: whole rows, the header on top of each, file lines kept, --skip-rows', async (t) => {
  const body = ['pdq,quality,label', ...Array.from({ length: 7 }, (_, i) => `${'a'.repeat(64)},${i},r${i}`)];
  const text = body.join('\n');
  t.same(await surveyCsv(csvRecords(lines(text))), { header: true, rows: 7 });
  const chunks: Chunk[] = await collect(chunkCsv(csvRecords(lines(text)), { rows: 3 }));
  t.same(
    chunks.map((c) => c.rows),
    [3, 3, 1],
  );
  for (const c of chunks) t.ok(c.body.startsWith('pdq,quality,label\n'), 'header on top');
  t.same(chunks[1]!.lines, [1, 5, 6, 7], 'line numbers in the file, header first');
  t.equal(chunks[2]!.body, `pdq,quality,label\n${'a'.repeat(64)},6,r6\n`);

  const resumed = await collect(chunkCsv(csvRecords(lines(text)), { rows: 3, skip: 5 }));
  t.same(
    resumed.map((c) => c.lines),
    [[1, 7, 8]],
  );
  const bySize = await collect(chunkCsv(csvRecords(lines(text)), { rows: 100, maxBytes: 200 }));
  t.ok(bySize.length > 1 && bySize.every((c) => Buffer.byteLength(c.body) <= 200), 'cut by size too');
  const noHeader = await collect(chunkCsv(csvRecords(lines(`${pdq()},90\n${pdq()},80`)), { rows: 1 }));
  t.same(
    noHeader.map((c) => c.lines),
    [[1], [2]],
  );
  t.equal(renderBar(12000, 40000, 8512.4, 10), '[###·······] 12,000 / 40,000 rows  30%  8,512 rows/s');
});

t.test('bank import: 4,500 rows in chunks, rejected rows by file line, then a resumed import', async (t) => {
  const { app } = await buildTestServer(t);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as { port: number };
  const url = `http://127.0.0.1:${port}`;
  const bank = await createBank(app, { name: 'Agency archive', kind: 'archive' });

  const rows = Array.from(
    { length: 4500 },
    (_, i) =>
      `${pdq()},${50 + (i % 50)},"Archive photo ${i}, ""agency""",2015-01-02,https://agency.example/${i}`,
  );
  rows[1233] = 'nothex,90,Bad row'; // line 1235 of the file (after the header)
  rows[3999] = `${pdq()},abc,Bad quality`; // line 4001
  const dir = t.testdir({
    'list.csv': ['pdq,quality,label,first_published,source_url', ...rows].join('\r\n') + '\r\n',
  });
  const file = resolve(dir, 'list.csv');

  const r = await firstseen(['bank', 'import', bank, file, '--chunk-rows', '1000'], {
    FIRSTSEEN_URL: url,
    FIRSTSEEN_API_KEY: TEST_KEY,
  });
  t.equal(r.code, 0, r.stderr);
  t.match(
    r.stdout,
    new RegExp(
      `^Imported 4,498 of 4,500 rows into "Agency archive" \\(${bank}\\) in 5 requests, [\\d.]+ s; 2 rejected\\. The bank holds 4,498 entries\\.\\n`,
    ),
  );
  t.match(
    r.stdout,
    /Rejected rows \(the first 2 of 2\):\n {2}line 1235: pdq is not 64 hex digits\n {2}line 4001: quality/,
  );
  t.match(r.stderr, /^Importing 4,500 rows into "Agency archive" .*1,000 per request, header repeated\n/);
  t.match(r.stderr, /\[#+\] 4,500 \/ 4,500 rows {2}100% {2}[\d,]+ rows\/s\n$/, 'the bar reaches the end');
  t.equal(r.stderr.split('\n').filter((l) => l.includes('rows/s')).length, 6, 'one line per request, and 0');
  t.equal((await get(app, `/v1/banks/${bank}`)).json().entries, 4498, 'the bank holds every good row');
  const entry = (await get(app, `/v1/banks/${bank}/entries/e4498`)).json();
  t.match(entry, { label: 'Archive photo 4499, "agency"', source_url: 'https://agency.example/4499' });

  // Resumed after row 4,000 (in-process this time): only the last 500 rows are sent again.
  let stdout = '';
  let stderr = '';
  const code = await run(['bank', 'import', bank, file, '--skip-rows', '4000', '--json', '-q'], {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    stdin: Readable.from([]),
    settings: { serviceUrl: url, apiKey: TEST_KEY, color: false },
  });
  t.equal(code, 0, stderr);
  t.equal(stderr, '');
  t.same(JSON.parse(stdout), {
    bank_id: bank,
    rows: 500,
    imported: 500,
    rejected: 0,
    errors: [],
    entries: 4998,
    requests: 1,
  });

  // A bank that is not there: exit 1 with the service's code, nothing sent.
  let err = '';
  const missing = await run(['bank', 'import', 'bank_0000', file], {
    stdout: { write: () => true },
    stderr: { write: (s: string) => (err += s) },
    stdin: Readable.from([]),
    settings: { serviceUrl: url, apiKey: TEST_KEY, color: false },
  });
  t.equal(missing, 1);
  t.match(err, /^firstseen: not_found \(HTTP 404\): No bank bank_0000/);
});
