// Banks over HTTP: validation and answers only. Who may see or change a bank, and how what was sent
// becomes entries, is the banks service's (src/services/bank-service.ts, `app.banks`).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  Bank,
  BankCreate,
  BankEntry,
  BankEntryCreate,
  BankEntryParams,
  BankEntryQuery,
  BankList,
  BankParams,
  ImportResult,
} from '../../../schemas/banks.js';
import { VpdqImportResult } from '../../../schemas/video.js';
import { ErrorResponse } from '../../../schemas/errors.js';
import { ref } from '../../../schemas/ref.js';
import { NoContent } from '../../../schemas/responses.js';
import { HttpErrors } from '../../errors.js';
import { AUTH_ERRORS, SECURITY } from '../security.js';

const ERRORS = { ...AUTH_ERRORS, 400: ref(ErrorResponse), 404: ref(ErrorResponse) };
const schema = <S extends object>(summary: string, extra: S) => ({
  tags: ['banks'],
  summary,
  security: SECURITY,
  ...extra,
});
/**
 * One import request at most: big lists are sent in chunks (the CLI sends 20,000 rows, about 2 MiB),
 * each answered with progress. 8 MiB, not more: Fastify gathers a body into one buffer in one go, which
 * for 32 MiB held the event loop 250-300 ms (test/routes/stalls.test.ts).
 */
const IMPORT_MAX_BYTES = 8 * 1024 * 1024;
/** Bodies the raw routes take as an image; the text routes refuse them. */
const IMAGE_TYPES = /^image\/|^application\/octet-stream/;

const bankRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/v1/banks',
    {
      preHandler: app.requireScope('admin'),
      schema: schema('Create a bank of known media', {
        operationId: 'createBank',
        body: ref(BankCreate),
        response: { 201: ref(Bank), ...ERRORS },
      }),
    },
    async (request, reply) => reply.code(201).send(await app.banks.create(request.principal!, request.body)),
  );

  app.get(
    '/v1/banks',
    {
      preHandler: app.requireScope('read'),
      schema: schema('Banks you own and banks shared with everyone', {
        operationId: 'listBanks',
        response: { 200: ref(BankList), ...ERRORS },
      }),
    },
    async (request) => ({ banks: await app.banks.list(request.principal!) }),
  );

  app.get(
    '/v1/banks/:id',
    {
      preHandler: app.requireScope('read'),
      schema: schema('One bank (its entry count shows import progress)', {
        operationId: 'getBank',
        params: BankParams,
        response: { 200: ref(Bank), ...ERRORS },
      }),
    },
    async (request) => app.banks.get(request.params.id, request.principal!),
  );

  app.delete(
    '/v1/banks/:id',
    {
      preHandler: app.requireScope('admin'),
      schema: schema('Delete a bank: its entries stop matching at once', {
        operationId: 'deleteBank',
        params: BankParams,
        response: { 204: NoContent, ...ERRORS },
      }),
    },
    async (request, reply) => {
      await app.banks.remove(request.params.id, request.principal!);
      return reply.code(204).send();
    },
  );

  app.post(
    '/v1/banks/:id/entries',
    {
      preHandler: app.requireScope('submit'),
      schema: schema('Add one entry: by image URL, or by its PDQ and/or pHash', {
        operationId: 'createBankEntry',
        params: BankParams,
        body: ref(BankEntryCreate),
        response: { 201: ref(BankEntry), ...ERRORS },
      }),
    },
    async (request, reply) => {
      const bank = await app.banks.writable(request.params.id, request.principal!);
      return reply.code(201).send(await app.banks.addEntry(bank, request.body));
    },
  );

  // Uploads and CSV lists arrive as raw bodies; parse them as buffers/text on these routes only.
  const rawBodies: FastifyPluginAsyncTypebox = async (raw) => {
    raw.addContentTypeParser(
      IMAGE_TYPES,
      { parseAs: 'buffer', bodyLimit: app.config.fetch.maxBytes },
      (_req, body, done) => done(null, body),
    );
    // Fastify's own text/plain parser (a string, under the 1 MiB BODY_LIMIT_BYTES) is matched before any
    // pattern: without removing it here, a vPDQ file over 1 MiB was refused with 413.
    raw.removeContentTypeParser('text/plain');
    raw.addContentTypeParser(
      /^text\/csv|^text\/plain/,
      // As bytes: the readers decode them a piece per event-loop turn (one 8 MiB string is ~0.1 s of work).
      { parseAs: 'buffer', bodyLimit: IMPORT_MAX_BYTES },
      (_req, body, done) => done(null, body),
    );

    raw.post(
      '/v1/banks/:id/entries/upload',
      {
        ...app.uploadGate,
        preHandler: app.requireScope('submit'),
        schema: schema('Add one entry by uploading the image (raw body, Content-Type image/*)', {
          operationId: 'uploadBankEntry',
          params: BankParams,
          querystring: BankEntryQuery,
          response: { 201: ref(BankEntry), ...ERRORS },
        }),
      },
      async (request, reply) => {
        const bank = await app.banks.writable(request.params.id, request.principal!);
        if (!Buffer.isBuffer(request.body))
          throw new HttpErrors.unsupported_media_type('Send the image as the raw body (image/*)');
        const type = request.headers['content-type'] ?? null;
        return reply.code(201).send(await app.banks.addImage(bank, request.body, type, request.query));
      },
    );

    raw.post(
      '/v1/banks/:id/vpdq',
      {
        ...app.uploadGate,
        preHandler: app.requireScope('submit'),
        schema: schema(
          'Add a video entry from its vPDQ file (text, one `frame,quality,pdq,timestamp` line per frame)',
          {
            operationId: 'createBankVideoEntry',
            params: BankParams,
            querystring: BankEntryQuery,
            response: { 201: ref(VpdqImportResult), ...ERRORS },
          },
        ),
      },
      async (request, reply) => {
        const bank = await app.banks.writable(request.params.id, request.principal!);
        if (!Buffer.isBuffer(request.body) || IMAGE_TYPES.test(request.headers['content-type'] ?? ''))
          throw new HttpErrors.unsupported_media_type('Send the vPDQ file as text/plain');
        return reply.code(201).send(await app.banks.addVideo(bank, request.body, request.query));
      },
    );

    raw.post(
      '/v1/banks/:id/import',
      {
        ...app.uploadGate,
        preHandler: app.requireScope('submit'),
        schema: schema('Import a hash list (CSV, up to 8 MiB per request: send big lists in chunks)', {
          operationId: 'importBankHashes',
          params: BankParams,
          response: { 200: ref(ImportResult), ...ERRORS },
        }),
      },
      async (request) => {
        const bank = await app.banks.writable(request.params.id, request.principal!);
        if (!Buffer.isBuffer(request.body) || IMAGE_TYPES.test(request.headers['content-type'] ?? ''))
          throw new HttpErrors.unsupported_media_type('Send the list as text/csv');
        const result = await app.banks.importHashes(bank, request.body);
        request.log.info(
          { bank_id: bank.id, imported: result.imported, rejected: result.rejected },
          'bank import',
        );
        return result;
      },
    );
  };
  await app.register(rawBodies);

  app.get(
    '/v1/banks/:id/entries/:entry_id',
    {
      preHandler: app.requireScope('read'),
      schema: schema('One entry', {
        operationId: 'getBankEntry',
        params: BankEntryParams,
        response: { 200: ref(BankEntry), ...ERRORS },
      }),
    },
    async (request) => app.banks.entry(request.params.id, request.params.entry_id, request.principal!),
  );
};

export default bankRoutes;
