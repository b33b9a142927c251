// Builds Fastify with its options and registers the app; `serve` listens and handles signals. The process
// entry (workers/server.ts: `npm start`, `npm run api`) and the tests call buildServer() alike, so tests
// run exactly what production runs.
import closeWithGrace from 'close-with-grace';
import Fastify from 'fastify';
import fp from 'fastify-plugin';
import { randomUUID } from 'node:crypto';
import app, { type AppOptions } from './app.js';
import type { Config } from './config.js';
import { loggerOptions } from './logger.js';
import { configureSharp } from './sharp-settings.js';

export function serverOptions(config: Config) {
  return {
    logger: loggerOptions(config),
    bodyLimit: config.bodyLimitBytes,
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
  };
}

export async function buildServer(config: Config, extras: Omit<AppOptions, 'config'> = {}) {
  // Start-up of an API process (and of its workers with ROLE=all); tests build the server here too.
  configureSharp();
  const server = Fastify(serverOptions(config));
  // fp: the app's decorators (config, redis, swagger, …) live on the server itself, as in fastify/demo.
  await server.register(fp(app, { name: 'firstseen' }), { config, ...extras });
  return server;
}

/** Listens on HOST:PORT; on SIGTERM/SIGINT closes gracefully (running jobs finish) within SHUTDOWN_TIMEOUT_MS. */
export async function serve(server: Awaited<ReturnType<typeof buildServer>>, config: Config) {
  closeWithGrace({ delay: config.shutdownTimeoutMs }, async ({ signal, err }) => {
    if (err) server.log.error({ err }, 'closing after an error');
    else server.log.info({ signal }, 'shutting down: finishing running jobs');
    await server.close();
  });
  await server.listen({ host: config.host, port: config.port });
}
