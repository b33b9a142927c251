// Hosts that misbehave at the HTTP level, end to end through a check: media hosts that stall, reset
// connections, send endless bodies or headers, lie about Content-Length or redirect forever, and
// webhook receivers that hang. Each case ends within the time caps with a clear code, and the worker
// keeps serving. (test/net/safe-fetch.test.ts covers the fetcher's caps one by one; this is the same
// family through the whole system, plus the cases it lacks.)
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { MEDIA_ERROR_CODES } from '../../src/errors.js';
import { AUTH, buildTestServer, get, submit, waitForCheck } from '../helpers/app.js';
import { fixture } from '../helpers/images.js';
import { startMediaServer } from '../helpers/media-server.js';
import { sleep, until } from './processes.js';

// Generous for a loaded 2-core machine: a reset must be seen as a reset, not outrun by the time cap.
const TIMEOUT_MS = 3000;
const HOOK_TIMEOUT_MS = 2500;
/** A case may take the whole time cap plus the time to notice: never more. */
const BOUND_MS = TIMEOUT_MS + 4000;

/** Writes forever (until the client goes away), `size` bytes every `everyMs`. */
function forever(res: ServerResponse, size: number, everyMs: number) {
  const timer = setInterval(() => res.write(Buffer.alloc(size, 0x41)), everyMs);
  res.on('close', () => clearInterval(timer));
}

t.test('media hosts that misbehave: a clear code per item, in bounded time', async (t) => {
  const { app } = await buildTestServer(t, {
    FETCH_TIMEOUT_MS: String(TIMEOUT_MS),
    FETCH_CONNECT_TIMEOUT_MS: '1000',
    FETCH_MAX_BYTES: String(1024 * 1024),
    WORKER_CONCURRENCY: '8',
  });
  const photo = fixture('exif-samples/jpg/gps/DSCN0010.jpg');
  type Route = (q: IncomingMessage, r: ServerResponse) => void;
  const cases: Record<string, [Route, string]> = {
    // Accepts the connection and never answers.
    '/stall-before-headers.jpg': [() => undefined, 'timeout'],
    // Headers, then nothing.
    '/stall-after-headers.jpg': [
      (_q, r) => void r.writeHead(200, { 'content-type': 'image/jpeg' }).flushHeaders(),
      'timeout',
    ],
    // One byte every 50 ms, forever: the cap is on the whole download, not on idle time.
    '/drip.jpg': [(_q, r) => forever(r.writeHead(200, { 'content-type': 'image/jpeg' }), 1, 50), 'timeout'],
    // An endless chunked body: the streamed byte cap stops it.
    '/endless.jpg': [
      (_q, r) => forever(r.writeHead(200, { 'content-type': 'image/jpeg' }), 64 * 1024, 1),
      'too_large',
    ],
    // Connection closed before any answer.
    '/reset-before-headers.jpg': [(q) => q.socket.destroy(), 'connect_failed'],
    // TCP reset in the middle of the body.
    '/reset-mid-body.jpg': [
      (q, r) => {
        r.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': photo.length });
        r.write(photo.subarray(0, 5000), () => q.socket.resetAndDestroy());
      },
      'connect_failed',
    ],
    // Content-Length says more than is sent, then the connection closes: a short body, never a
    // truncated image passed on as if whole.
    '/length-lies-high.jpg': [
      (q, r) => {
        r.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': photo.length * 2 });
        r.write(photo, () => q.socket.end());
      },
      'connect_failed',
    ],
    // Content-Length says more than is sent, and the connection stays open.
    '/length-lies-high-open.jpg': [
      (_q, r) =>
        void r
          .writeHead(200, { 'content-type': 'image/jpeg', 'content-length': photo.length * 2 })
          .write(photo),
      'timeout',
    ],
    // Content-Length says less than is sent: the client reads what was declared, a cut JPEG.
    '/length-lies-low.jpg': [
      (q) => {
        q.socket.write(
          `HTTP/1.1 200 OK\r\ncontent-type: image/jpeg\r\ncontent-length: 60000\r\nconnection: close\r\n\r\n`,
        );
        q.socket.end(photo);
      },
      'image_truncated',
    ],
    // Declares 10 GB: refused from the header, nothing read.
    '/length-huge.jpg': [
      (_q, r) =>
        void r
          .writeHead(200, { 'content-type': 'image/jpeg', 'content-length': 10 * 2 ** 30 })
          .flushHeaders(),
      'too_large',
    ],
    // Redirects forever, to a new URL each time (the same-URL loop is in test/routes/checks.test.ts).
    '/hop.jpg': [
      (q, r) =>
        r
          .writeHead(302, {
            location: `/hop.jpg?n=${Number(new URL(q.url ?? '', 'http://x').searchParams.get('n') ?? 0) + 1}`,
          })
          .end(),
      'too_many_redirects',
    ],
    // Endless header lines: the client's header limit stops it.
    '/header-flood.jpg': [
      (q) => {
        q.socket.write('HTTP/1.1 200 OK\r\n');
        const timer = setInterval(() => q.socket.write(`x-junk: ${'a'.repeat(1000)}\r\n`), 1);
        q.socket.on('close', () => clearInterval(timer));
        q.socket.on('error', () => clearInterval(timer));
      },
      'connect_failed',
    ],
    // Not HTTP at all.
    '/garbage.jpg': [(q) => q.socket.end(Buffer.alloc(4096, 0xfe)), 'connect_failed'],
  };
  const media = await startMediaServer(
    t,
    Object.fromEntries(Object.entries(cases).map(([path, [route]]) => [path, route])),
  );
  const started = performance.now();
  const submitted = await Promise.all(
    Object.keys(cases).map(async (path) => ({
      path,
      id: (await submit(app, { url: `${media.base}${path}` })).json().id as string,
    })),
  );
  for (const { path, id } of submitted) {
    const expected = cases[path]?.[1] as string;
    const check = await waitForCheck(app, id, BOUND_MS + 10_000);
    const ms = Date.parse(check.updated_at) - Date.parse(check.created_at);
    t.equal(check.status, 'done', `${path}: the check completes`);
    t.match(check.report.media[0], { status: 'error', error: { code: expected } }, `${path} -> ${expected}`);
    t.ok(expected in MEDIA_ERROR_CODES);
    t.ok(ms < BOUND_MS, `${path}: ended ${ms} ms after submission (bound ${BOUND_MS} ms)`);
  }
  t.comment(`all ${submitted.length} cases in ${Math.round(performance.now() - started)} ms`);
  const after = await waitForCheck(app, (await submit(app, { url: `${media.base}/c2pa/CA.jpg` })).json().id);
  t.match(after.report.media[0], { status: 'ok', format: 'jpeg' }, 'the worker keeps serving');
});

t.test(
  'webhook receivers that hang, drip or reset: bounded attempts, then the dead-letter list; a 2xx is final',
  async (t) => {
    const { app } = await buildTestServer(t, {
      WEBHOOK_TIMEOUT_MS: String(HOOK_TIMEOUT_MS),
      WEBHOOK_ATTEMPTS: '2',
      WEBHOOK_BACKOFF_MS: '200',
    });
    const media = await startMediaServer(t);
    // Expected: the outcome of each attempt; receivers that never give a status are dead-lettered after
    // WEBHOOK_ATTEMPTS, those that answered 2xx are delivered once whatever their body does next.
    const behaviours: Record<
      string,
      [(q: IncomingMessage, r: ServerResponse) => void, { dead: RegExp } | { delivered: true }]
    > = {
      hang: [() => undefined, { dead: /^timeout:/ }],
      // The status and headers one byte every 50 ms: no complete answer within the time cap.
      'drip-headers': [
        (q) => {
          const line = Buffer.from(`HTTP/1.1 200 OK\r\nx-slow: ${'a'.repeat(10_000)}`);
          let k = 0;
          const timer = setInterval(() => q.socket.write(line.subarray(k, ++k)), 50);
          q.socket.on('close', () => clearInterval(timer));
          q.socket.on('error', () => clearInterval(timer));
        },
        { dead: /^timeout:/ },
      ],
      reset: [(q) => q.socket.destroy(), { dead: /^connect_failed:/ }],
      // A 2xx is the answer (Standard Webhooks): what follows it is not read, so neither an endless
      // nor a dripping body turns an accepted delivery into a retry.
      'endless-body-200': [(_q, r) => forever(r.writeHead(200), 64 * 1024, 1), { delivered: true }],
      'dripping-body-200': [(_q, r) => forever(r.writeHead(200), 1, 50), { delivered: true }],
    };
    const hits: Record<string, number> = {};
    const subs: Record<string, string> = {};
    for (const [name, [handler]] of Object.entries(behaviours)) {
      hits[name] = 0;
      const server = createServer((q, r) => {
        hits[name] = (hits[name] ?? 0) + 1;
        handler(q, r);
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      t.teardown(() => {
        server.closeAllConnections();
        server.close();
      });
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
      const res = await app.inject({
        method: 'POST',
        url: '/v1/webhooks',
        headers: AUTH,
        payload: { url, events: ['check.completed'] },
      });
      subs[name] = res.json().id;
    }
    const t0 = performance.now();
    const check = await waitForCheck(
      app,
      (await submit(app, { url: `${media.base}/c2pa/CA.jpg` })).json().id,
    );
    t.equal(check.status, 'done', 'the check does not wait for its receivers');
    t.ok(performance.now() - t0 < 10_000);
    for (const [name, [, expected]] of Object.entries(behaviours)) {
      let log: Array<{ outcome: string; error?: string; duration_ms: number }> = [];
      const final = 'dead' in expected ? 'dead' : 'delivered';
      await until(
        `${name}: ${final}`,
        async () => {
          log = (await get(app, `/v1/webhooks/${subs[name]}/deliveries`)).json().deliveries;
          return log[0]?.outcome === final;
        },
        30_000,
      );
      if ('delivered' in expected) {
        t.equal(log.length, 1, `${name}: delivered at the first attempt`);
        t.ok((log[0]?.duration_ms ?? Infinity) < HOOK_TIMEOUT_MS, `${name}: in ${log[0]?.duration_ms} ms`);
        await sleep(1000);
        t.equal(hits[name], 1, `${name}: one request, no retry`);
        continue;
      }
      const attempts = log.filter((d) => d.outcome === 'failed');
      t.equal(attempts.length, 2, `${name}: WEBHOOK_ATTEMPTS attempts`);
      for (const a of attempts) {
        t.match(a.error, expected.dead, `${name}: ${a.error}`);
        t.ok(a.duration_ms < HOOK_TIMEOUT_MS + 2000, `${name}: an attempt took ${a.duration_ms} ms`);
      }
      t.equal(hits[name], 2, `${name}: the receiver saw 2 requests`);
    }
    t.ok(performance.now() - t0 < 45_000, 'every delivery settled within 45 s');
  },
);
