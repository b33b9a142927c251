// A bound on the upload bodies one API process receives at once (UPLOAD_MAX_CONCURRENT): each may hold
// up to FETCH_MAX_BYTES (or an import's 8 MiB) in memory, so without it a flood of uploads from one
// caller could take all of the process's memory. Routes that take large bodies add `app.uploadGate` to
// their hooks; a request beyond the bound is answered 503 `uploads_busy` before its body is read.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { HttpErrors } from '../errors.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Hooks for a route that receives large bodies: spread them into its options. */
    uploadGate: UploadGate;
  }
  interface FastifyRequest {
    holdsUploadSlot: boolean;
  }
}

export interface UploadGate {
  onRequest: (request: FastifyRequest) => Promise<void>;
  onResponse: (request: FastifyRequest) => Promise<void>;
  onRequestAbort: (request: FastifyRequest) => Promise<void>;
}

async function uploadGatePlugin(app: FastifyInstance) {
  const max = app.config.uploads.maxConcurrent;
  let active = 0;
  const release = async (request: FastifyRequest) => {
    if (!request.holdsUploadSlot) return;
    request.holdsUploadSlot = false;
    active--;
  };
  app.decorateRequest('holdsUploadSlot', false);
  app.decorate<UploadGate>('uploadGate', {
    onRequest: async (request: FastifyRequest) => {
      if (active >= max) throw new HttpErrors.uploads_busy();
      active++;
      request.holdsUploadSlot = true;
    },
    onResponse: release,
    onRequestAbort: release,
  });
}

export default fp(uploadGatePlugin, { name: 'upload-gate' });
