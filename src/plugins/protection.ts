// Load protection: rate limits per organization (per client address without a key), counted in Redis so all
// API processes share them; and 503 while the event loop lags (under-pressure), so an overloaded
// process sheds load instead of timing everything out.
import rateLimit from '@fastify/rate-limit';
import underPressure from '@fastify/under-pressure';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { HttpErrors } from '../errors.js';
import { keys } from '../keys.js';

async function protectionPlugin(app: FastifyInstance) {
  const { rateLimitPerMinute, maxEventLoopDelayMs } = app.config;
  if (rateLimitPerMinute > 0) {
    await app.register(rateLimit, {
      global: true,
      hook: 'preHandler', // after auth's onRequest hook has found the caller's key
      max: rateLimitPerMinute,
      timeWindow: 60_000,
      redis: app.redis,
      nameSpace: keys(app.config.keyPrefix).rateLimitNamespace(),
      // A Redis outage must not turn into 500s here: the route itself answers 503.
      skipOnError: true,
      // Per organization, not per key: an organization's admin can make keys, not capacity.
      keyGenerator: (request) => (request.principal ? `org:${request.principal.org}` : `ip:${request.ip}`),
      errorResponseBuilder: (_request, context) => new HttpErrors.rate_limited(Math.ceil(context.ttl / 1000)),
    });
  }
  if (maxEventLoopDelayMs > 0) {
    await app.register(underPressure, {
      maxEventLoopDelay: maxEventLoopDelayMs,
      pressureHandler: () => {
        throw new HttpErrors.overloaded();
      },
    });
  }
}

export default fp(protectionPlugin, { name: 'protection', dependencies: ['redis', 'auth'] });
