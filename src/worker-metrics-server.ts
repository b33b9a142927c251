// A worker-only process has no API, so it serves its own /metrics (and /healthz for orchestrators) on
// WORKER_METRICS_PORT. A plain node:http server: two fixed routes do not need a framework.
import { createServer, type Server } from 'node:http';
import { enableDefaultMetrics, register } from './metrics.js';

export async function startWorkerMetricsServer(port: number, host: string): Promise<Server> {
  enableDefaultMetrics();
  const server = createServer((req, res) => {
    if (req.url === '/metrics') {
      register
        .metrics()
        .then((body) => res.writeHead(200, { 'content-type': register.contentType }).end(body))
        .catch(() => res.writeHead(500).end());
      return;
    }
    if (req.url === '/healthz')
      return res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  return server;
}
