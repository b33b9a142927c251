// The command line in-process (run() with captured streams): help, usage errors and their exit code,
// and how `check` behaves against a misbehaving service (slow, rate-limiting, redirecting, absent).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import t, { type Test } from 'tap';
import { run } from '../../src/cli/run.js';
import type { Settings } from '../../src/cli/settings.js';
import { readSettings } from '../../src/cli/settings.js';

const SETTINGS: Settings = {
  serviceUrl: 'http://127.0.0.1:1',
  apiKey: 'fsk_some_key_0123456789',
  color: false,
};

async function cli(argv: string[], settings: Partial<Settings> = {}, stdin = '') {
  let stdout = '';
  let stderr = '';
  const code = await run(argv, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    stdin: Readable.from([Buffer.from(stdin)]),
    settings: { ...SETTINGS, ...settings },
  });
  return { code, stdout, stderr };
}

/** A stand-in service answering from a function of the request. */
async function fakeService(t: Test, handler: (req: IncomingMessage, res: ServerResponse) => void) {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) =>
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));

t.test('help: firstseen --help and <command> --help print usage on stdout, exit 0', async (t) => {
  for (const argv of [[], ['--help'], ['help']]) {
    const r = await cli(argv);
    t.equal(r.code, 0);
    t.match(r.stdout, /^Usage: firstseen <command>/);
    t.match(r.stdout, /check <url\|file\|->/);
    t.match(r.stdout, /bank import <bank-id> <csv>/);
    t.match(r.stdout, /Exit codes: 0 done, 1 failed .*2 usage/s);
  }
  t.match((await cli(['check', '--help'])).stdout, /^Usage: firstseen check <url \| file \| - \| check-id>/);
  t.match((await cli(['analyze', '-h'])).stdout, /^Usage: firstseen analyze <file>/);
  t.match((await cli(['bank', 'import', '--help'])).stdout, /--chunk-rows <n>/);
  t.match((await cli(['bank'])).stdout, /^Usage: firstseen bank import/);
  // --help wins over missing arguments and keys.
  t.equal((await cli(['check', '--help'], { apiKey: null })).code, 0);
});

t.test('usage errors exit 2 with the reason and the usage line on stderr; nothing on stdout', async (t) => {
  const cases: Array<[string[], RegExp, Partial<Settings>?]> = [
    [['frobnicate'], /unknown command "frobnicate"/],
    [['check'], /missing what to check/],
    [['check', 'a', 'b'], /unexpected argument "b"/],
    [['check', 'https://a.example/x.jpg', '--nope'], /Unknown option '--nope'/],
    [['check', 'https://a.example/x.jpg', '--timeout', 'soon'], /--timeout must be a positive number/],
    [
      ['check', 'https://a.example/x.jpg'],
      /no API key: set FIRSTSEEN_API_KEY or pass --key/,
      { apiKey: null },
    ],
    [['check', 'https://a.example/x.jpg', '--key', 'k', '--no-auth'], /--key or --no-auth, not both/],
    [['check', 'https://a.example/x.jpg', '--url', 'ftp://h'], /must be http\(s\)/],
    [['check', 'no-such-file.jpg'], /neither an http\(s\) URL, a file, "-" nor a check id/],
    [['check', 'x.com/someone/status/1'], /for a link, give it whole: https:\/\/x\.com/],
    [['check', 'test/fixtures'], /is not a file/],
    [['check', '-'], /standard input is empty/],
    [['analyze'], /missing the file to analyze/],
    [['analyze', 'nope.jpg'], /no file nope\.jpg/],
    [['bank', 'export'], /unknown bank command "export"/],
    [['bank', 'import', 'bank_abc'], /missing the bank id and the CSV file/],
    [['bank', 'import', 'mybank', 'x.csv'], /"mybank" is not a bank id/],
    [['bank', 'import', 'bank_abc', 'x.csv', '--chunk-rows', '0'], /--chunk-rows must be an integer >= 1/],
    [['bank', 'import', 'bank_abc', 'nope.csv'], /no file nope\.csv/],
  ];
  for (const [argv, message, settings] of cases) {
    const r = await cli(argv, settings);
    t.equal(r.code, 2, argv.join(' '));
    t.match(r.stderr, message, argv.join(' '));
    t.match(r.stderr, /Usage: firstseen/, `${argv.join(' ')}: usage line`);
    t.equal(r.stdout, '', `${argv.join(' ')}: stdout stays clean`);
  }
});

t.test('settings: FIRSTSEEN_URL, FIRSTSEEN_API_KEY and NO_COLOR', async (t) => {
  t.same(readSettings({}), { serviceUrl: null, apiKey: null, color: true });
  t.same(readSettings({ FIRSTSEEN_URL: ' http://h:1 ', FIRSTSEEN_API_KEY: 'k', NO_COLOR: '1' }), {
    serviceUrl: 'http://h:1',
    apiKey: 'k',
    color: false,
  });
  t.equal(readSettings({ FIRSTSEEN_API_KEY: '' }).apiKey, null, 'empty is unset');
});

t.test('an unreachable service: exit 1 at once, code unreachable', async (t) => {
  // A port that was free a moment ago: nothing listens there.
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  // How long the CLI takes to start and stop here, now (seconds on a loaded machine).
  let t0 = Date.now();
  await cli(['check', '--help']);
  const startMs = Date.now() - t0;
  t0 = Date.now();
  const r = await cli(['check', 'https://a.example/x.jpg', '--quiet', '--url', `http://127.0.0.1:${port}`]);
  const ms = Date.now() - t0;
  t.equal(r.code, 1);
  t.match(r.stderr, `firstseen: unreachable: cannot reach http://127.0.0.1:${port} (ECONNREFUSED)`);
  t.match(r.stderr, /is the service running there\?/);
  // Retrying would sleep 0.5 + 1 + 2 + 4 s between attempts, which no load shortens.
  t.ok(ms - startMs < 3000, `a submission to nowhere is not retried (${ms} ms, ${startMs} ms to start)`);
});

t.test('check against a stand-in service: retries 429, polls, times out, refuses redirects', async (t) => {
  const seen: string[] = [];
  let posts = 0;
  const base = await fakeService(t, (req, res) => {
    seen.push(
      `${req.method} ${req.url} ${req.headers.authorization ?? '-'} ${req.headers['idempotency-key'] ? 'idem' : ''}`,
    );
    if (req.method === 'POST' && req.url === '/v1/checks') {
      // The first submission is turned away by the rate limit; the retry gets through.
      if (posts++ === 0)
        return json(
          res,
          429,
          { statusCode: 429, code: 'rate_limited', error: 'x', message: 'slow down' },
          { 'retry-after': '0' },
        );
      return json(res, 202, {
        id: 'chk_slow',
        status: 'queued',
        reused: false,
        links: { self: '', report: '' },
      });
    }
    if (req.url === '/v1/checks/chk_slow') {
      return json(res, 200, {
        id: 'chk_slow',
        status: 'running',
        created_at: '',
        updated_at: '',
        targets: [],
        attempts: 1,
        links: { self: '', report: '' },
      });
    }
    if (req.url === '/v1/checks/chk_moved')
      return res.writeHead(301, { location: 'https://elsewhere.example/' }).end();
    json(res, 404, { statusCode: 404, code: 'not_found', error: 'Not Found', message: 'No check' });
  });
  const r = await cli(['check', 'https://a.example/x.jpg', '--url', base, '--timeout', '0.8']);
  t.equal(r.code, 1, 'a timeout is a failure');
  t.match(
    r.stderr,
    /chk_slow is still running after .*; it goes on without us: wait for it again with 'firstseen check chk_slow'/,
  );
  t.match(r.stderr, /chk_slow running · /, 'progress lines on stderr');
  t.equal(r.stdout, '');
  t.equal(posts, 2, 'the 429 was retried');
  t.match(seen[0], /^POST \/v1\/checks Bearer fsk_some_key_0123456789 idem$/);
  t.ok(seen.filter((s) => s.startsWith('GET /v1/checks/chk_slow')).length >= 2, 'polled');

  const notFound = await cli(['check', 'chk_unknown', '--url', `${base}/`]);
  t.equal(notFound.code, 1);
  t.match(notFound.stderr, /firstseen: not_found \(HTTP 404\): No check/);

  const moved = await cli(['check', 'chk_moved', '--url', base, '--no-auth']);
  t.equal(moved.code, 1);
  t.match(
    moved.stderr,
    /redirected \(HTTP 301\): the service redirects .* to https:\/\/elsewhere\.example\//,
  );
  t.match(seen.at(-1), /^GET \/v1\/checks\/chk_moved - $/, '--no-auth sends no key');
});
