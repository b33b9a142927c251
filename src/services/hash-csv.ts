// Hash lists in CSV, as agencies and ThreatExchange export them. Columns by header name when the first
// row is a header, else by position: pdq, quality, phash, label, first_published, source_url, verdict.
// ThreatExchange-style rows (`<pdq hex>,<quality>` and anything after) fit the positional form.
import { parse } from 'csv-parse/sync';
import type { BankEntryInput } from './banks.js';

const ALIASES: Record<string, keyof BankEntryInput> = {
  pdq: 'pdq',
  pdq_hash: 'pdq',
  hash: 'pdq',
  signal: 'pdq',
  quality: 'quality',
  pdq_quality: 'quality',
  phash: 'phash',
  label: 'label',
  name: 'label',
  description: 'label',
  first_published: 'first_published',
  published: 'first_published',
  date: 'first_published',
  source_url: 'source_url',
  url: 'source_url',
  source: 'source_url',
  verdict: 'verdict',
};
const POSITIONAL: Array<keyof BankEntryInput> = [
  'pdq',
  'quality',
  'phash',
  'label',
  'first_published',
  'source_url',
  'verdict',
];
const PDQ = /^[0-9a-f]{64}$/i;
const PHASH = /^[0-9a-f]{16}$/i;

export interface ParsedRows {
  rows: BankEntryInput[];
  rejected: number;
  /** The first `maxErrors` rejected lines and why. */
  errors: Array<{ line: number; reason: string }>;
}

export function parseHashCsv(text: string, maxErrors = 100): ParsedRows {
  const records = parse(text, {
    relax_column_count: true,
    skip_empty_lines: true,
    trim: true,
    bom: true,
  }) as string[][];
  const first = records[0] ?? [];
  const header = first.length > 0 && !PDQ.test(first[0] ?? '') && first.some((c) => ALIASES[c.toLowerCase()]);
  const columns = header ? first.map((c) => ALIASES[c.toLowerCase()] ?? null) : POSITIONAL;
  const rows: BankEntryInput[] = [];
  const errors: ParsedRows['errors'] = [];
  let rejected = 0;
  const reject = (line: number, reason: string) => {
    rejected++;
    if (errors.length < maxErrors) errors.push({ line, reason });
  };
  records.forEach((cells, i) => {
    if (header && i === 0) return;
    const line = i + 1;
    const v: Partial<Record<keyof BankEntryInput, string>> = {};
    cells.forEach((cell, c) => {
      const col = columns[c];
      if (col && cell !== '') v[col] = cell;
    });
    const pdq = v.pdq?.toLowerCase() ?? null;
    const phash = v.phash?.toLowerCase() ?? null;
    if (pdq && !PDQ.test(pdq)) return reject(line, 'pdq is not 64 hex digits');
    if (phash && !PHASH.test(phash)) return reject(line, 'phash is not 16 hex digits');
    if (!pdq && !phash) return reject(line, 'no pdq or phash');
    const quality = v.quality === undefined ? null : Number(v.quality);
    if (quality !== null && !(Number.isInteger(quality) && quality >= 0 && quality <= 100))
      return reject(line, 'quality is not an integer 0-100');
    let firstPublished: string | null = null;
    if (v.first_published) {
      const t = Date.parse(v.first_published);
      if (!Number.isFinite(t)) return reject(line, 'first_published is not a date');
      firstPublished = new Date(t).toISOString();
    }
    rows.push({
      pdq,
      quality,
      phash,
      label: (v.label ?? `line ${line}`).slice(0, 500),
      verdict: v.verdict?.slice(0, 1000) ?? null,
      source_url: v.source_url?.slice(0, 2048) ?? null,
      first_published: firstPublished,
    });
  });
  return { rows, rejected, errors };
}
