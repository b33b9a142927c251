// A small internet for the resolver tests: one local HTTP server per host name (twitter.com, t.co,
// cdn.syndication.twimg.com, …), each replaying hand-written fixtures from test/fixtures/platforms/.
// The endpoints point at these servers and `rewrite` maps every other host the resolvers fetch onto
// them; a host nobody declared is sent to a closed port and recorded, so no test can reach a real host.
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import type { Test } from 'tap';
import { createSafeFetcher } from '../../../src/net/safe-fetch.js';
import type { ResolveDeps, ResolverEndpoints } from '../../../src/pipeline/resolve/index.js';

const FIXTURES = new URL('../../fixtures/platforms/', import.meta.url);

export const fixture = (name: string): Buffer => readFileSync(new URL(name, FIXTURES));

export type Route = (req: IncomingMessage, url: URL, res: ServerResponse) => void;
/** Routes by path; `*` answers any other path. */
export type Routes = Record<string, Route>;

export const json =
  (body: Buffer | object, status = 200, headers: Record<string, string> = {}): Route =>
  (_req, _url, res) => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
    res.end(Buffer.isBuffer(body) ? body : JSON.stringify(body));
  };

export const html =
  (body: Buffer | string, status = 200): Route =>
  (_req, _url, res) => {
    res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' });
    res.end(body);
  };

export const redirect =
  (location: string, status = 301): Route =>
  (_req, _url, res) => {
    res.writeHead(status, { location, 'content-type': 'text/html' });
    res.end('<a href="' + location + '">moved</a>');
  };

/** Answers with each route in turn, then repeats the last (429 then 200, say). */
export const sequence = (...routes: Route[]): Route => {
  let k = 0;
  return (req, url, res) => (routes[Math.min(k++, routes.length - 1)] as Route)(req, url, res);
};

export interface World {
  /** http://127.0.0.1:<port> of a declared host. */
  base(host: string): string;
  /** Paths (with query) each host was asked for, in order. */
  hits(host: string): string[];
  /** Requests to hosts nobody declared, as `/<host><path>` (should stay empty). */
  undeclared: string[];
  /** Waits the resolvers asked for (the injected sleep returns at once). */
  sleeps: number[];
  endpoints: ResolverEndpoints;
  deps: ResolveDeps;
}

export async function startWorld(t: Test, hosts: Record<string, Routes>): Promise<World> {
  const bases = new Map<string, string>();
  const hits = new Map<string, string[]>();
  for (const [host, routes] of Object.entries(hosts)) {
    const seen: string[] = [];
    const server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://local');
      seen.push(url.pathname + url.search);
      const route = routes[url.pathname] ?? routes['*'];
      if (route) return route(req, url, res);
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    t.teardown(
      () =>
        new Promise<void>((r) => {
          server.closeAllConnections();
          server.close(() => r());
        }),
    );
    bases.set(host, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    hits.set(host, seen);
  }

  // Hosts nobody declared go to a server that records the request and answers 502: a test asserting
  // `undeclared` is empty proves that nothing was fetched from anywhere else.
  const undeclared: string[] = [];
  const elsewhere = createServer((req, res) => {
    undeclared.push(req.url ?? '/');
    res.writeHead(502, { 'content-type': 'text/plain' });
    res.end('undeclared host');
  });
  await new Promise<void>((r) => elsewhere.listen(0, '127.0.0.1', r));
  t.teardown(
    () =>
      new Promise<void>((r) => {
        elsewhere.closeAllConnections();
        elsewhere.close(() => r());
      }),
  );
  const elsewhereBase = `http://127.0.0.1:${(elsewhere.address() as AddressInfo).port}`;
  const localHosts = new Set([...bases.values(), elsewhereBase].map((b) => new URL(b).host));
  const rewrite = (url: URL): URL => {
    if (localHosts.has(url.host)) return url;
    const base = bases.get(url.hostname);
    if (!base) return new URL(`${elsewhereBase}/${url.host}${url.pathname}${url.search}`);
    return new URL(`${base}${url.pathname}${url.search}`);
  };
  const base = (host: string) => {
    const b = bases.get(host);
    if (!b) throw new Error(`host ${host} is not declared in this test`);
    return b;
  };
  const maybe = (host: string, fallback = elsewhereBase) => bases.get(host) ?? fallback;

  const endpoints: ResolverEndpoints = {
    xSyndication: maybe('cdn.syndication.twimg.com'),
    xTimeline: maybe('syndication.twitter.com'),
    // No fallback unless the test declares one.
    fxTwitter: maybe('api.fxtwitter.com', ''),
    blueskyAppView: maybe('public.api.bsky.app'),
    blueskyPlcDirectory: maybe('plc.directory'),
    telegram: maybe('t.me'),
    reddit: maybe('www.reddit.com'),
    waybackAvailability: maybe('archive.org'),
    waybackCdx: maybe('web.archive.org'),
    rewrite,
  };
  const fetcher = createSafeFetcher({
    maxBytes: 8 * 1024 * 1024,
    connectTimeoutMs: 1000,
    timeoutMs: 30_000, // a hang guard: no resolve test waits for a timeout
    maxRedirects: 5,
    userAgent: 'firstseen-test',
    allowLoopback: true,
    allowedNetworks: [],
  });
  t.teardown(() => fetcher.close());
  const sleeps: number[] = [];
  const deps: ResolveDeps = {
    fetcher,
    endpoints,
    log: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    sleep: async (ms) => {
      sleeps.push(ms);
    },
  };
  return {
    base,
    hits: (host) => hits.get(host) ?? [],
    undeclared,
    sleeps,
    endpoints,
    deps,
  };
}
