// `npm run worker`: a worker-only process. Run as many as you like, on any machine, against one Redis.
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { startWorkerMetricsServer } from '../src/worker-metrics-server.js';
import { startWorkers } from './index.js';

const config = loadConfig();
const log = createLogger(config);
const running = await startWorkers(config, log);
const metrics = config.workerMetricsPort
  ? await startWorkerMetricsServer(config.workerMetricsPort, config.host)
  : null;
if (metrics) log.info({ port: config.workerMetricsPort }, 'worker metrics on /metrics');

let closing = false;
async function shutdown(signal: string) {
  if (closing) return;
  closing = true;
  log.info({ signal }, 'worker shutting down: letting running jobs finish');
  const force = setTimeout(() => {
    log.error('shutdown timed out; exiting (unfinished jobs will be picked up again by another worker)');
    process.exit(1);
  }, config.shutdownTimeoutMs);
  force.unref();
  metrics?.close();
  await running.close();
  log.info('worker stopped');
  process.exit(0);
}
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => void shutdown(signal));
