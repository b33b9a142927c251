// Adding a published fact-check: the request, and the answer (a check of the article, and the bank the
// reviews go to). Apart from schemas/fact-checks.ts, which the report imports: this one imports the check.
import { Type, type Static } from 'typebox';
import { CheckAccepted } from './check.js';

export const FactCheckRequest = Type.Object(
  {
    url: Type.String({
      minLength: 1,
      maxLength: 4096,
      description:
        'A fact-check article: its ClaimReview/MediaReview JSON-LD is read, the pictures it names are fetched, analyzed and remembered with the review.',
    }),
    bank_id: Type.Optional(
      Type.String({
        pattern: '^bank_[a-f0-9]{1,32}$',
        description:
          'A `fact_check` bank of yours to add it to. Default: your organization’s own fact-check bank (created on first use; shared only for the operator).',
      }),
    ),
  },
  { $id: 'FactCheckRequest', additionalProperties: false },
);
export type FactCheckRequest = Static<typeof FactCheckRequest>;

export const FactCheckAccepted = Type.Object(
  {
    ...CheckAccepted.properties,
    bank_id: Type.String({ description: 'The fact-check bank its reviews go to once the check is done.' }),
  },
  {
    $id: 'FactCheckAccepted',
    additionalProperties: false,
    description:
      'The article is read by a check like any other (follow `links.self`); when it is done, each review it found is an entry of `bank_id`, and its report shows them in `targets[].page.reviews`.',
  },
);
export type FactCheckAccepted = Static<typeof FactCheckAccepted>;

export const FactCheckImportResult = Type.Object(
  {
    bank_id: Type.String({ description: 'The fact-check bank the reviews went to.' }),
    imported: Type.Integer({ description: 'Reviews added as entries.' }),
    rejected: Type.Integer(),
    errors: Type.Array(
      Type.Object(
        {
          line: Type.Integer({ description: 'The item’s position in the feed (from 1).' }),
          reason: Type.String(),
        },
        { additionalProperties: false },
      ),
      { description: 'The first 100 rejected items and why.' },
    ),
    pictures_queued: Type.Integer({
      description:
        'Checks queued to fetch the pictures and posts imported reviews name, each linked to its review when done (200 per request at most; the other reviews stay text only).',
    }),
    entries: Type.Integer({ description: 'Entries in the bank now: progress of a chunked import.' }),
  },
  { $id: 'FactCheckImportResult', additionalProperties: false },
);
export type FactCheckImportResult = Static<typeof FactCheckImportResult>;

export const FactCheckImportQuery = Type.Object(
  {
    bank_id: Type.Optional(
      Type.String({
        pattern: '^bank_[a-f0-9]{1,32}$',
        description: 'A `fact_check` bank of yours. Default: your organization’s own fact-check bank.',
      }),
    ),
  },
  { $id: 'FactCheckImportQuery', additionalProperties: false },
);
