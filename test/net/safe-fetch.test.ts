import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import t, { type Test } from 'tap';
import { MediaError } from '../../src/errors.js';
import { createSafeFetcher, type FetchLimits } from '../../src/net/safe-fetch.js';

const LIMITS: FetchLimits = {
  maxBytes: 1024 * 1024,
  // Wide, so a loaded machine never turns another failure (or a success) into a timeout; the timeout
  // cases below ask for a short one per request.
  connectTimeoutMs: 10_000,
  timeoutMs: 10_000,
  maxRedirects: 3,
  userAgent: 'firstseen-test',
  allowLoopback: true,
  allowedNetworks: [],
};

async function server(t: Test, handler: RequestListener) {
  let hits = 0;
  const s = createServer((req, res) => {
    hits++;
    handler(req, res);
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  t.teardown(() => {
    s.closeAllConnections();
    s.close();
  });
  return { port: (s.address() as AddressInfo).port, hits: () => hits };
}

function fetcher(t: Test, limits: Partial<FetchLimits> = {}) {
  const f = createSafeFetcher({ ...LIMITS, ...limits });
  t.teardown(() => f.close());
  return f;
}

async function failsWith(t: Test, p: Promise<unknown>, code: string) {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  t.ok(err instanceof MediaError, `a MediaError (${String(err)})`);
  t.equal((err as MediaError).code, code, (err as Error).message);
}

t.test('fetches bytes and records redirects', async (t) => {
  const s = await server(t, (req, res) => {
    if (req.url === '/a') return res.writeHead(302, { location: '/b' }).end();
    res.writeHead(200, { 'content-type': 'image/png' }).end(Buffer.from('hello'));
  });
  const r = await fetcher(t).get(`http://127.0.0.1:${s.port}/a`);
  t.equal(r.body.toString(), 'hello');
  t.ok(
    r.body.buffer instanceof SharedArrayBuffer,
    'read into shared memory (the analysis threads read it there)',
  );
  t.equal(r.finalUrl, `http://127.0.0.1:${s.port}/b`);
  t.same(r.redirects, [`http://127.0.0.1:${s.port}/b`]);
  t.equal(r.contentType, 'image/png');
});

t.test('SSRF: loopback and private addresses are refused when not allowed, before any request', async (t) => {
  const s = await server(t, (_req, res) => res.end('secret'));
  const f = fetcher(t, { allowLoopback: false });
  for (const url of [
    `http://127.0.0.1:${s.port}/`,
    `http://localhost:${s.port}/`, // a host name that resolves to loopback
    `http://[::ffff:127.0.0.1]:${s.port}/`, // IPv4-mapped IPv6
    `http://2130706433:${s.port}/`, // 127.0.0.1 as one number
    `http://0x7f.1:${s.port}/`, // and in hex shorthand
    `http://[::1]:${s.port}/`,
    'http://10.0.0.1/x.jpg',
    'http://192.168.0.10/x.jpg',
    'http://169.254.169.254/latest/meta-data/',
    'http://0.0.0.0/',
  ]) {
    await failsWith(t, f.get(url), 'blocked_address');
  }
  t.equal(s.hits(), 0, 'the local server never saw a request');
});

t.test('SSRF: a redirect from an allowed host to a private one is refused', async (t) => {
  const s = await server(t, (req, res) => {
    if (req.url === '/to-private') return res.writeHead(302, { location: 'http://10.0.0.1/admin' }).end();
    if (req.url === '/to-metadata') return res.writeHead(301, { location: 'http://169.254.169.254/' }).end();
    res.end('ok');
  });
  const f = fetcher(t); // loopback allowed, as in tests: the private hop must still be refused
  await failsWith(t, f.get(`http://127.0.0.1:${s.port}/to-private`), 'blocked_address');
  await failsWith(t, f.get(`http://127.0.0.1:${s.port}/to-metadata`), 'blocked_address');
});

t.test('caps: size (declared and streamed), time, redirects', async (t) => {
  const big = Buffer.alloc(2 * 1024 * 1024, 1);
  const s = await server(t, (req, res) => {
    if (req.url === '/declared') return res.writeHead(200, { 'content-length': big.length }).end(big);
    if (req.url === '/chunked') {
      res.writeHead(200); // no content-length: only the streaming cap can stop it
      const timer = setInterval(() => res.write(Buffer.alloc(64 * 1024, 2)), 1);
      res.on('close', () => clearInterval(timer));
      return;
    }
    if (req.url === '/stall') return res.writeHead(200, { 'content-length': 100 }).write('x'); // never ends
    if (req.url === '/silent') return; // never answers
    if (req.url === '/loop') return res.writeHead(302, { location: '/loop' }).end();
    res.end();
  });
  const f = fetcher(t);
  const base = `http://127.0.0.1:${s.port}`;
  await failsWith(t, f.get(`${base}/declared`), 'too_large');
  await failsWith(t, f.get(`${base}/chunked`), 'too_large');
  await failsWith(t, f.get(`${base}/stall`, { timeoutMs: 800 }), 'timeout');
  await failsWith(t, f.get(`${base}/silent`, { timeoutMs: 800 }), 'timeout');
  await failsWith(t, f.get(`${base}/loop`), 'too_many_redirects');
});

t.test('HTTP errors, bad schemes, unknown hosts, closed ports', async (t) => {
  const s = await server(t, (_req, res) => res.writeHead(410).end('gone'));
  const f = fetcher(t);
  const err = await f.get(`http://127.0.0.1:${s.port}/x`).catch((e: MediaError) => e);
  t.equal((err as MediaError).code, 'http_error');
  t.equal((err as MediaError).httpStatus, 410);
  await failsWith(t, f.get('file:///etc/passwd'), 'unsupported_scheme');
  await failsWith(t, f.get('gopher://127.0.0.1/'), 'unsupported_scheme');
  await failsWith(t, f.get('not a url'), 'invalid_url');
  await failsWith(t, f.get('http://user:pw@127.0.0.1/'), 'invalid_url');
  await failsWith(t, f.get('http://no-such-host.invalid/x.jpg'), 'dns_failed');
  await failsWith(t, f.get('http://127.0.0.1:1/x.jpg'), 'connect_failed');
});

t.test('allowHttpErrors returns the answer of an API whose errors carry meaning', async (t) => {
  const s = await server(t, (_req, res) =>
    res
      .writeHead(429, { 'retry-after': '7', 'content-type': 'application/json' })
      .end('{"error":"slow down"}'),
  );
  const r = await fetcher(t).get(`http://127.0.0.1:${s.port}/api`, { allowHttpErrors: true });
  t.equal(r.status, 429);
  t.equal(r.headers['retry-after'], '7');
  t.same(JSON.parse(r.body.toString()), { error: 'slow down' });
});

t.test('a GET may have a shorter time cap than the fetcher’s (an optional service)', async (t) => {
  const s = await server(t, () => undefined); // never answers
  // Two minutes for the fetcher: were the request's own cap ignored, tap's 30 s timeout would fail this.
  const f = fetcher(t, { timeoutMs: 120_000 });
  await failsWith(t, f.get(`http://127.0.0.1:${s.port}/`, { timeoutMs: 200 }), 'timeout');
});
