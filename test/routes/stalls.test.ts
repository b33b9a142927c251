// Issue 16: outside text that reaches the API's parsers at the largest size the API accepts must not
// hold the event loop (test/helpers/event-loop.ts measures it). The first two are the reported cases:
// 20 KB of ")" after a link took 22 s through POST /v1/checks, with /healthz waiting 21 s behind it.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import t from 'tap';
import { AUTH, buildTestServer } from '../helpers/app.js';
import { measureStalls, withoutStall } from '../helpers/event-loop.js';

const BASIC = { authorization: `Basic ${Buffer.from('me:fsk_test_bootstrap_key_0001').toString('base64')}` };
const REPORTED = 'https://a.example/' + ')'.repeat(19_900);
const MiB = 1024 * 1024;
const run = promisify(execFile);

t.test('POST /v1/checks: 20 KB of ")" after a link, /healthz answering meanwhile', async (t) => {
  const { app } = await buildTestServer(t, { ROLE: 'api' });
  // A fresh app's first check request compiles its code paths (~0.5 s of CPU here): not what is measured.
  await app.inject({
    method: 'POST',
    url: '/v1/checks',
    payload: { text: 'see https://b.example/x' },
    headers: AUTH,
  });
  const healthz: number[] = [];
  const statuses = new Set<number>();
  const res = await withoutStall(t, 'POST /v1/checks with 19,900 ")"', async () => {
    let done = false;
    const posted = app
      .inject({ method: 'POST', url: '/v1/checks', payload: { text: REPORTED }, headers: AUTH })
      .finally(() => (done = true));
    // Ask /healthz over and over while the check request is processed (at least once).
    do {
      const started = performance.now();
      const h = await app.inject({ method: 'GET', url: '/healthz' });
      statuses.add(h.statusCode);
      healthz.push(performance.now() - started);
      // A timer between asks: inject can answer without I/O, and a loop of it would starve the POST's.
      await sleep(5);
    } while (!done);
    return posted;
  });
  t.same([...statuses], [200], `/healthz answered ${healthz.length} times, all 200`);
  t.equal(res.statusCode, 202, res.body);
  t.equal(res.json().status, 'queued');
  const check = await app.inject({ method: 'GET', url: `/v1/checks/${res.json().id}`, headers: AUTH });
  t.same(
    check.json().targets.map((x: { url: string }) => x.url),
    ['https://a.example/'],
    'the parentheses the link never opened are not part of it',
  );
  // Reported: 21 s. A generous wall-clock bound, for a loaded machine; the stall bound above is the CPU one.
  t.ok(Math.max(...healthz) < 2000, `/healthz answered in ${Math.max(...healthz).toFixed(0)} ms at most`);
});

t.test('the form at /: the same text, and the largest body it reads', async (t) => {
  const { app } = await buildTestServer(t, { ROLE: 'api' });
  const post = (payload: string) =>
    app.inject({
      method: 'POST',
      url: '/',
      payload,
      headers: { ...BASIC, 'content-type': 'application/x-www-form-urlencoded' },
    });
  const res = await withoutStall(t, 'POST / with 19,900 ")"', () =>
    post(new URLSearchParams({ input: REPORTED }).toString()),
  );
  t.equal(res.statusCode, 303, 'a check was made');
  // Longer than the form takes: refused, and the text comes back in the form (the body limit is 1 MiB).
  const tooLong = await withoutStall(t, 'POST / with a 1 MiB body', () =>
    post(`input=https://a.example/${'a'.repeat(MiB - 100)}`),
  );
  t.equal(tooLong.statusCode, 400);
  t.match(tooLong.body, /more than 20000 characters/);
});

t.test('bank imports: CSV and vPDQ bodies at their cap (8 MiB), over HTTP', async (t) => {
  const { app } = await buildTestServer(t, { ROLE: 'api' });
  const created = await app.inject({
    method: 'POST',
    url: '/v1/banks',
    headers: AUTH,
    payload: { name: 'stalls', kind: 'debunked' },
  });
  t.equal(created.statusCode, 201, created.body);
  const bank = created.json().id as string;
  // Over a socket, from curl in another process, as clients send them: inject would hand the server
  // 32 MiB in one piece and do its own copying in this process, which is not the service's work.
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  const dir = mkdtempSync(join(tmpdir(), 'firstseen-stalls-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  let files = 0;
  const send = async (path: string, type: string, body: string) => {
    const file = join(dir, `body-${files++}`);
    writeFileSync(file, body);
    // Fastify gathers the body into one Buffer before any reader runs: at 32 MiB that alone held the
    // loop 245-294 ms, so the cap is 8 MiB; the readers themselves are held to the bound at 32 MiB in
    // test/pipeline/stalls.test.ts.
    const { result, stalls } = await measureStalls(() =>
      run('curl', [
        '-sS',
        '-X',
        'POST',
        '-H',
        `authorization: ${AUTH.authorization}`,
        '-H',
        `content-type: ${type}`,
        '--data-binary',
        `@${file}`,
        '-w',
        '\n%{http_code}',
        `${base}/v1/banks/${bank}/${path}`,
      ]),
    );
    t.ok(
      stalls.blockMs <= 200,
      `${path}, ${body.length} bytes: longest block ${stalls.blockMs.toFixed(0)} ms of CPU`,
    );
    const cut = result.stdout.lastIndexOf('\n');
    return {
      status: Number(result.stdout.slice(cut + 1)),
      body: JSON.parse(result.stdout.slice(0, cut)) as Record<string, unknown>,
    };
  };
  const LIMIT = 8 * MiB;

  // Rows that all parse and are all rejected (no hash): the CSV work, without the writes of an import.
  const row = `${'x'.repeat(60)},"a ""quoted"" label, with commas",2020-01-01\n`;
  const count = Math.floor(LIMIT / row.length);
  const csv = await send('import', 'text/csv', row.repeat(count));
  t.equal(csv.status, 200, JSON.stringify(csv.body).slice(0, 200));
  t.match(csv.body, { imported: 0, rejected: count });

  // One quoted field as long as the body: refused as soon as the record outgrows what a row can hold.
  const huge = await send('import', 'text/csv', `"${'a'.repeat(LIMIT - 2)}"`);
  t.equal(huge.status, 400);
  t.match(huge.body, { code: 'invalid_request', message: /Not a readable CSV/ });

  // vPDQ files up to the cap as text/plain (they were refused over 1 MiB).
  const frame = `0,100,${'ab'.repeat(32)},0.000\n`;
  const vpdq = await send(
    'vpdq?label=v',
    'text/plain',
    ` ${' ,'.repeat(Math.floor((LIMIT - frame.length - 2) / 2))}\n${frame}`,
  );
  t.equal(vpdq.status, 201, JSON.stringify(vpdq.body).slice(0, 200));
  t.match(vpdq.body, { frames: 1, rejected_lines: [1] });
  // In process: over a socket the server answers 413 and closes while curl is still sending, and curl
  // then reports the broken pipe (exit 55) instead of the answer, depending on timing.
  const over = await app.inject({
    method: 'POST',
    url: `/v1/banks/${bank}/import`,
    headers: { ...AUTH, 'content-type': 'text/csv' },
    payload: row.repeat(Math.ceil(LIMIT / row.length) + 1),
  });
  t.equal(over.statusCode, 413, 'one byte over the cap is refused before any work');
});
