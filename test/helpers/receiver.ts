// A newsroom bot's webhook receiver: records every delivery and verifies its Standard Webhooks signature.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import type { Test } from 'tap';

export interface Received {
  id: string;
  headers: Record<string, string>;
  body: string;
  json: { type: string; timestamp: string; data: Record<string, unknown> };
}

/** `answer(n, delivery)` decides the status for the n-th delivery (from 1). */
export async function startReceiver(t: Test, answer: (n: number, r: Received) => number = () => 204) {
  const received: Received[] = [];
  const waiters: Array<() => void> = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
      const r: Received = {
        id: headers['webhook-id'] ?? '',
        headers,
        body,
        json: JSON.parse(body) as Received['json'],
      };
      received.push(r);
      res.writeHead(answer(received.length, r)).end();
      waiters.splice(0).forEach((w) => w());
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => {
    server.closeAllConnections();
    server.close();
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    received,
    /** Waits until `n` deliveries arrived. */
    async waitFor(n: number, timeoutMs = 60_000) {
      const t0 = Date.now();
      while (received.length < n) {
        if (Date.now() - t0 > timeoutMs) throw new Error(`only ${received.length} of ${n} deliveries`);
        await new Promise<void>((r) => {
          waiters.push(r);
          setTimeout(r, 200);
        });
      }
      return received;
    },
    verify(r: Received, secret: string) {
      return new Webhook(secret).verify(r.body, r.headers);
    },
  };
}
