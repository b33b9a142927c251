import { Type, type Static } from 'typebox';
import { Match } from './provenance.js';
import { ref } from './ref.js';

export const BankKind = Type.Union(
  [Type.Literal('archive'), Type.Literal('debunked'), Type.Literal('watchlist'), Type.Literal('fact_check')],
  {
    description:
      '`archive`: known originals (an agency archive); `debunked`: images already shown to be miscaptioned (an entry added later tells the organizations whose checks saw its picture: `fact_check.found`); `watchlist`: images whose reappearance the owner wants to hear about (`match.found` webhooks, also for checks that saw the picture before the entry was added); `fact_check`: published fact-checks (`POST /v1/fact-checks`), matched by their pictures.',
  },
);
export type BankKind = Static<typeof BankKind>;

export const BankCreate = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    kind: BankKind,
    shared: Type.Optional(
      Type.Boolean({
        description:
          'Every organization matches against a shared bank (read-only to them). Only the operator, or an organization it allows (SHARED_BANK_PUBLISHERS), may publish one.',
      }),
    ),
  },
  { $id: 'BankCreate', additionalProperties: false },
);
export type BankCreate = Static<typeof BankCreate>;

export const Bank = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    description: Type.String(),
    kind: BankKind,
    shared: Type.Boolean(),
    owned: Type.Boolean({
      description: 'The caller’s organization owns it (otherwise it is shared with it).',
    }),
    publisher: Type.String({ description: 'The organization that owns and publishes it.' }),
    entries: Type.Integer(),
    created_at: Type.String({ format: 'date-time' }),
  },
  { $id: 'Bank', additionalProperties: false },
);
export type Bank = Static<typeof Bank>;

export const BankParams = Type.Object(
  { id: Type.String({ pattern: '^bank_[a-f0-9]{1,32}$' }) },
  { $id: 'BankParams', additionalProperties: false },
);

export const BankEntryParams = Type.Object(
  { id: BankParams.properties.id, entry_id: Type.String({ pattern: '^e[0-9]{1,12}$' }) },
  { $id: 'BankEntryParams', additionalProperties: false },
);

export const BankList = Type.Object(
  { banks: Type.Array(ref(Bank)) },
  { $id: 'BankList', additionalProperties: false },
);

const entryFields = {
  label: Type.String({
    minLength: 1,
    maxLength: 500,
    description: 'What the image is, e.g. "Aleppo, 2016 (AFP)".',
  }),
  verdict: Type.Optional(Type.String({ maxLength: 1000, description: 'e.g. "old photo, Syria 2016".' })),
  source_url: Type.Optional(Type.String({ maxLength: 2048, description: 'Where the evidence is.' })),
  first_published: Type.Optional(
    Type.String({ format: 'date-time', description: 'When it was first published.' }),
  ),
};

/** What the bank knows of an entry sent as a raw body (an uploaded image, a vPDQ file): in the query. */
export const BankEntryQuery = Type.Object(entryFields, {
  $id: 'BankEntryQuery',
  additionalProperties: false,
});
export type BankEntryQuery = Static<typeof BankEntryQuery>;

export const BankEntryCreate = Type.Object(
  {
    ...entryFields,
    image_url: Type.Optional(Type.String({ maxLength: 4096, description: 'Fetch and hash this image.' })),
    pdq: Type.Optional(Type.String({ pattern: '^[0-9a-fA-F]{64}$', description: 'Or give its PDQ (hex).' })),
    quality: Type.Optional(Type.Integer({ minimum: 0, maximum: 100 })),
    phash: Type.Optional(
      Type.String({ pattern: '^[0-9a-fA-F]{16}$', description: 'And/or its 64-bit pHash (hex).' }),
    ),
  },
  { $id: 'BankEntryCreate', additionalProperties: false, description: 'One of image_url, pdq or phash.' },
);
export type BankEntryCreate = Static<typeof BankEntryCreate>;

export const BankEntry = Type.Object(
  {
    id: Type.String(),
    bank_id: Type.String(),
    label: Type.String(),
    verdict: Type.Union([Type.String(), Type.Null()]),
    source_url: Type.Union([Type.String(), Type.Null()]),
    first_published: Type.Union([Type.String(), Type.Null()]),
    pdq: Type.Union([Type.String(), Type.Null()]),
    quality: Type.Union([Type.Integer(), Type.Null()]),
    phash: Type.Union([Type.String(), Type.Null()]),
    sha256: Type.Union([Type.String(), Type.Null()]),
  },
  { $id: 'BankEntry', additionalProperties: false },
);
export type BankEntry = Static<typeof BankEntry>;

export const ImportResult = Type.Object(
  {
    imported: Type.Integer(),
    rejected: Type.Integer(),
    errors: Type.Array(
      Type.Object({ line: Type.Integer(), reason: Type.String() }, { additionalProperties: false }),
      {
        description: 'The first 100 rejected lines and why.',
      },
    ),
    entries: Type.Integer({ description: 'Entries in the bank now: progress of a chunked import.' }),
  },
  { $id: 'ImportResult', additionalProperties: false },
);
export type ImportResult = Static<typeof ImportResult>;

export const LookupRequest = Type.Object(
  {
    pdq: Type.Optional(
      Type.String({ pattern: '^[0-9a-fA-F]{64}$', description: 'PDQ hash (hex) of the image as displayed.' }),
    ),
    quality: Type.Optional(Type.Integer({ minimum: 0, maximum: 100 })),
    phash: Type.Optional(Type.String({ pattern: '^[0-9a-fA-F]{16}$' })),
    max_distance: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 64,
        description:
          'Defaults to, and may not exceed, PDQ_MATCH_DISTANCE (or PHASH_MATCH_DISTANCE for a pHash): beyond it hits are other pictures, and the search costs grow fast.',
      }),
    ),
    limit: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 50,
        description: 'Most matches returned, closest first (default 50).',
      }),
    ),
  },
  { $id: 'LookupRequest', additionalProperties: false, description: 'A PDQ or a pHash (or both).' },
);
export type LookupRequest = Static<typeof LookupRequest>;

export const LookupResult = Type.Object(
  { matches: Type.Array(ref(Match)) },
  { $id: 'LookupResult', additionalProperties: false },
);
