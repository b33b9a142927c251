import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import {
  Bank as BankSchema,
  BankCreate,
  BankEntry as BankEntrySchema,
  BankEntryCreate,
  BankList,
  ImportResult,
} from '../../../schemas/banks.js';
import { VpdqImportResult } from '../../../schemas/video.js';
import { ErrorResponse } from '../../../schemas/errors.js';
import { ref } from '../../../schemas/ref.js';
import { HttpErrors, isMediaError } from '../../errors.js';
import { isOperator } from '../../services/api-keys.js';
import {
  bankView,
  bankVisibleTo,
  mayPublishShared,
  type BankEntryInput,
  type StoredBank,
} from '../../memory/banks.js';
import { comparableFrames, formatVpdqLine, readVpdq } from '../../similarity/vpdq.js';
import { CsvError } from 'csv-parse';
import { readHashCsv } from '../../services/hash-csv.js';
import { hashImage } from '../../services/image-hashing.js';
import { AUTH_ERRORS, SECURITY } from '../security.js';

const ERRORS = { ...AUTH_ERRORS, 400: ref(ErrorResponse), 404: ref(ErrorResponse) };
const IdParams = Type.Object(
  { id: Type.String({ pattern: '^bank_[a-f0-9]{1,32}$' }) },
  { additionalProperties: false },
);
const schema = (summary: string, extra: object) => ({
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

export default async function bankRoutes(app: FastifyInstance) {
  const view = bankView;
  const banks = app.memory.banks;

  /** A bank the caller can see (own or shared); `write` also requires owning it. */
  async function visible(request: FastifyRequest, write = false): Promise<StoredBank> {
    const { id } = request.params as { id: string };
    const bank = await banks.get(id);
    const org = request.principal!.org;
    if (!bankVisibleTo(bank, org)) throw new HttpErrors.not_found(`No bank ${id}`);
    if (write && bank.org !== org)
      throw new HttpErrors.forbidden('A shared bank is read-only to other organizations');
    return bank;
  }

  /** Bytes of an image given by URL (fetched with the same guard as media) or uploaded. */
  async function imageEntry(
    bytes: Buffer,
    contentType: string | null,
    meta: Omit<BankEntryInput, 'pdq' | 'quality' | 'phash'>,
  ) {
    try {
      const { sha256, hashes } = await hashImage(bytes, contentType, app.config.maxInputPixels);
      return { ...meta, sha256, pdq: hashes.pdq.hash, quality: hashes.pdq.quality, phash: hashes.phash };
    } catch (err) {
      if (isMediaError(err))
        throw new HttpErrors.invalid_request(`The image cannot be used: ${err.code}: ${err.message}`);
      throw err;
    }
  }

  app.post(
    '/v1/banks',
    {
      preHandler: app.requireScope('admin'),
      schema: schema('Create a bank of known media', {
        body: ref(BankCreate),
        response: { 201: ref(BankSchema), ...ERRORS },
      }),
    },
    async (request, reply) => {
      const body = request.body as BankCreate;
      const principal = request.principal!;
      // A shared bank's verdicts appear in every newsroom's reports: publishing one is the operator's call.
      if (
        body.shared &&
        !isOperator(principal) &&
        !mayPublishShared(principal.org, app.config.sharedBankPublishers)
      )
        throw new HttpErrors.forbidden(
          'Only the operator, or an organization it allows (SHARED_BANK_PUBLISHERS), publishes shared banks',
        );
      const bank = await banks.create(principal.org, body);
      return reply.code(201).send(view(bank, bank.org));
    },
  );

  app.get(
    '/v1/banks',
    {
      preHandler: app.requireScope('read'),
      schema: schema('Banks you own and banks shared with everyone', {
        response: { 200: ref(BankList), ...ERRORS },
      }),
    },
    async (request) => {
      const org = request.principal!.org;
      return { banks: (await banks.visibleTo(org)).map((b) => view(b, org)) };
    },
  );

  app.get(
    '/v1/banks/:id',
    {
      preHandler: app.requireScope('read'),
      schema: schema('One bank (its entry count shows import progress)', {
        params: IdParams,
        response: { 200: ref(BankSchema), ...ERRORS },
      }),
    },
    async (request) => view(await visible(request), request.principal!.org),
  );

  app.delete(
    '/v1/banks/:id',
    {
      preHandler: app.requireScope('admin'),
      schema: schema('Delete a bank: its entries stop matching at once', {
        params: IdParams,
        response: { 204: Type.Null(), ...ERRORS },
      }),
    },
    async (request, reply) => {
      await banks.remove(await visible(request, true));
      return reply.code(204).send();
    },
  );

  app.post(
    '/v1/banks/:id/entries',
    {
      preHandler: app.requireScope('submit'),
      schema: schema('Add one entry: by image URL, or by its PDQ and/or pHash', {
        params: IdParams,
        body: ref(BankEntryCreate),
        response: { 201: ref(BankEntrySchema), ...ERRORS },
      }),
    },
    async (request, reply) => {
      const bank = await visible(request, true);
      const body = request.body as BankEntryCreate;
      const meta = {
        label: body.label,
        verdict: body.verdict ?? null,
        source_url: body.source_url ?? null,
        first_published: body.first_published ?? null,
      };
      let row: BankEntryInput;
      if (body.image_url) {
        const fetched = await app.fetcher.get(body.image_url).catch((err: unknown) => {
          throw isMediaError(err)
            ? new HttpErrors.invalid_request(`image_url: ${err.code}: ${err.message}`)
            : err;
        });
        row = await imageEntry(fetched.body, fetched.contentType, meta);
      } else if (body.pdq || body.phash) {
        row = {
          ...meta,
          pdq: body.pdq?.toLowerCase() ?? null,
          quality: body.quality ?? null,
          phash: body.phash?.toLowerCase() ?? null,
        };
      } else {
        throw new HttpErrors.invalid_request('Give an image_url, a pdq or a phash');
      }
      const [entryId] = await banks.addEntries(bank, [row]);
      return reply.code(201).send(await banks.entry(bank.id, entryId as string));
    },
  );

  // Uploads and CSV lists arrive as raw bodies; parse them as buffers/text on these routes only.
  await app.register(async (raw) => {
    raw.addContentTypeParser(
      /^image\/|^application\/octet-stream/,
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
          params: IdParams,
          querystring: Type.Object(
            {
              label: Type.String({ minLength: 1, maxLength: 500 }),
              verdict: Type.Optional(Type.String({ maxLength: 1000 })),
              source_url: Type.Optional(Type.String({ maxLength: 2048 })),
              first_published: Type.Optional(Type.String({ format: 'date-time' })),
            },
            { additionalProperties: false },
          ),
          response: { 201: ref(BankEntrySchema), ...ERRORS },
        }),
      },
      async (request, reply) => {
        const bank = await visible(request, true);
        if (!Buffer.isBuffer(request.body))
          throw new HttpErrors.unsupported_media_type('Send the image as the raw body (image/*)');
        const q = request.query as {
          label: string;
          verdict?: string;
          source_url?: string;
          first_published?: string;
        };
        const row = await imageEntry(request.body, request.headers['content-type'] ?? null, {
          label: q.label,
          verdict: q.verdict ?? null,
          source_url: q.source_url ?? null,
          first_published: q.first_published ?? null,
        });
        const [entryId] = await banks.addEntries(bank, [row]);
        return reply.code(201).send(await banks.entry(bank.id, entryId as string));
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
            params: IdParams,
            querystring: Type.Object(
              {
                label: Type.String({ minLength: 1, maxLength: 500 }),
                verdict: Type.Optional(Type.String({ maxLength: 1000 })),
                source_url: Type.Optional(Type.String({ maxLength: 2048 })),
                first_published: Type.Optional(Type.String({ format: 'date-time' })),
              },
              { additionalProperties: false },
            ),
            response: { 201: ref(VpdqImportResult), ...ERRORS },
          },
        ),
      },
      async (request, reply) => {
        const bank = await visible(request, true);
        if (
          !Buffer.isBuffer(request.body) ||
          /^image\/|^application\/octet-stream/.test(request.headers['content-type'] ?? '')
        )
          throw new HttpErrors.unsupported_media_type('Send the vPDQ file as text/plain');
        const { frames, rejected } = await readVpdq(request.body);
        if (!frames.length) throw new HttpErrors.invalid_request('No vPDQ line in the body');
        const q = request.query as {
          label: string;
          verdict?: string;
          source_url?: string;
          first_published?: string;
        };
        const entryId = await banks.addVideoEntry(
          bank,
          {
            label: q.label,
            verdict: q.verdict ?? null,
            source_url: q.source_url ?? null,
            first_published: q.first_published ?? null,
          },
          { lines: frames.map(formatVpdqLine), minQuality: app.config.video.vpdq.minQuality },
        );
        return reply.code(201).send({
          entry_id: entryId,
          frames: frames.length,
          comparable_frames: comparableFrames(frames, app.config.video.vpdq.minQuality).length,
          rejected_lines: rejected.slice(0, 100),
        });
      },
    );

    raw.post(
      '/v1/banks/:id/import',
      {
        ...app.uploadGate,
        preHandler: app.requireScope('submit'),
        schema: schema('Import a hash list (CSV, up to 8 MiB per request: send big lists in chunks)', {
          params: IdParams,
          response: { 200: ref(ImportResult), ...ERRORS },
        }),
      },
      async (request) => {
        const bank = await visible(request, true);
        if (
          !Buffer.isBuffer(request.body) ||
          /^image\/|^application\/octet-stream/.test(request.headers['content-type'] ?? '')
        )
          throw new HttpErrors.unsupported_media_type('Send the list as text/csv');
        let parsed;
        try {
          parsed = await readHashCsv(request.body);
        } catch (err) {
          // csv-parse's own errors (unclosed quote, a record over its size cap) are the caller's to fix.
          if (err instanceof CsvError)
            throw new HttpErrors.invalid_request(`Not a readable CSV: ${err.message}`);
          throw err;
        }
        // Written in batches so one request never builds a giant pipeline.
        for (let i = 0; i < parsed.rows.length; i += 5000)
          await banks.addEntries(bank, parsed.rows.slice(i, i + 5000));
        const now = await banks.get(bank.id);
        request.log.info(
          { bank_id: bank.id, imported: parsed.rows.length, rejected: parsed.rejected },
          'bank import',
        );
        return {
          imported: parsed.rows.length,
          rejected: parsed.rejected,
          errors: parsed.errors,
          entries: now?.entries ?? 0,
        };
      },
    );
  });

  app.get(
    '/v1/banks/:id/entries/:entry_id',
    {
      preHandler: app.requireScope('read'),
      schema: schema('One entry', {
        params: Type.Object(
          { id: IdParams.properties.id, entry_id: Type.String({ pattern: '^e[0-9]{1,12}$' }) },
          { additionalProperties: false },
        ),
        response: { 200: ref(BankEntrySchema), ...ERRORS },
      }),
    },
    async (request) => {
      const bank = await visible(request);
      const { entry_id } = request.params as { entry_id: string };
      const entry = await banks.entry(bank.id, entry_id);
      if (!entry) throw new HttpErrors.not_found(`No entry ${entry_id}`);
      return entry;
    },
  );
}
