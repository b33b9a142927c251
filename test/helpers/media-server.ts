// A local image host for tests: serves test/fixtures/ and a few misbehaving routes. Tests never
// touch a real host.
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, resolve } from 'node:path';
import type { Test } from 'tap';

export const FIXTURES = resolve(import.meta.dirname, '..', 'fixtures');

const TYPES: Record<string, string> = {
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
  '.webp': 'image/webp',
  '.gif': 'image/gif',
  '.tif': 'image/tiff',
  '.tiff': 'image/tiff',
  '.heic': 'image/heic',
  '.avif': 'image/avif',
};

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** Starts the server; `routes` take precedence over fixture files. Closed at the end of the test. */
export async function startMediaServer(t: Test, routes: Record<string, Handler> = {}) {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const route = routes[path];
    if (route) return route(req, res);
    const file = resolve(FIXTURES, `.${path}`);
    if (!file.startsWith(FIXTURES + '/') || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      return res.end('not found');
    }
    res.writeHead(200, {
      'content-type': TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
      'content-length': statSync(file).size,
    });
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  t.teardown(
    () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  );
  return { server, base: `http://127.0.0.1:${port}`, port };
}
