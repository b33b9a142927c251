// Builds Fastify with its options, registers the app, and (when run as the entry point) listens and
// handles signals. Tests call buildServer() too, so they run exactly what production runs.
import closeWithGrace from 'close-with-grace';
import Fastify from 'fastify';
import fp from 'fastify-plugin';
import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import app from './app.js';
import { loadConfig, type Config } from './config.js';
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

export async function buildServer(config: Config) {
  // Start-up of an API process (and of its workers with ROLE=all); tests build the server here too.
  configureSharp();
  const server = Fastify(serverOptions(config));
  // fp: the app's decorators (config, redis, swagger, …) live on the server itself, as in fastify/demo.
  await server.register(fp(app, { name: 'firstseen' }), { config });
  return server;
}

async function main() {
  const config = loadConfig();
  const server = await buildServer(config);
  closeWithGrace({ delay: config.shutdownTimeoutMs }, async ({ signal, err }) => {
    if (err) server.log.error({ err }, 'closing after an error');
    else server.log.info({ signal }, 'shutting down: finishing running jobs');
    await server.close();
  });
  await server.listen({ host: config.host, port: config.port });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
