// The archive store (src/archive/) for the routes that serve checks' evidence archives, and for the checks
// service, which reads uploads back from them for views asked after their check.
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { createArchiveStore } from '../archive/index.js';
import type { ArchiveStore } from '../archive/store.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Null when ARCHIVE_ENABLED is false. */
    archives: ArchiveStore | null;
  }
}

async function archivesPlugin(app: FastifyInstance) {
  app.decorate('archives', createArchiveStore(app.config));
}

export default fp(archivesPlugin, { name: 'archives' });
