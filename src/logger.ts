// One logger configuration for the API and the workers: JSON lines, one per event.
import pino, { type LoggerOptions } from 'pino';
import type { Config } from './config.js';

export function loggerOptions(config: Config): LoggerOptions {
  return {
    level: config.logLevel,
    base: { service: 'firstseen' },
    redact: { paths: ['req.headers.authorization', 'req.headers["x-api-key"]'], censor: '[redacted]' },
  };
}

export function createLogger(config: Config) {
  return pino(loggerOptions(config));
}

/** The logger type every module takes: pino's, as Fastify exposes it (request and app loggers fit). */
export type { FastifyBaseLogger as Logger } from 'fastify';
