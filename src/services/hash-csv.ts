// Hash lists in CSV, as agencies and ThreatExchange export them. Columns by header name when the first
// row is a header, else by position: pdq, quality, phash, label, first_published, source_url, verdict.
// ThreatExchange-style rows (`<pdq hex>,<quality>` and anything after) fit the positional form.
import { setImmediate } from 'node:timers/promises';
import { CsvError, parse as parseStream } from 'csv-parse';
import { parse } from 'csv-parse/sync';
import type { BankEntryInput } from '../memory/banks.js';

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

/** Options given to csv-parse, the same for the whole text and for the streamed chunks. */
const CSV_OPTIONS = {
  relax_column_count: true,
  skip_empty_lines: true,
  trim: true,
  bom: true,
  // A row keeps at most ~4 KB (64 hex, label 500, verdict 1000, URL 2048): a longer record is refused
  // as soon as it gets this long, instead of being gathered (a 32 MiB quoted field took 4 s).
  max_record_size: 64 * 1024,
};
/**
 * A line (between two newlines) longer than this is refused before csv-parse sees it. max_record_size
 * counts the characters of fields, not the commas between them, so a line of 8 million commas is a
 * record of 8 million empty cells: csv-parse built it for over a second and reading it took as long
 * (test/faults/parsers-fuzz.test.ts found it). A row of a hash list holds about 4 KB; a quoted field
 * may span lines, which only makes each line shorter.
 */
const MAX_LINE_BYTES = 2 * CSV_OPTIONS.max_record_size;

/** Follows line lengths across chunks; throws CsvError at the first line over MAX_LINE_BYTES. */
function lineGuard() {
  let line = 0;
  return (chunk: Buffer) => {
    let from = 0;
    for (let nl = chunk.indexOf(10, from); nl !== -1; nl = chunk.indexOf(10, from)) {
      if (line + nl - from > MAX_LINE_BYTES) break;
      line = 0;
      from = nl + 1;
    }
    line += chunk.length - from;
    if (line > MAX_LINE_BYTES)
      throw new CsvError(
        'CSV_MAX_RECORD_SIZE',
        `A line is longer than ${MAX_LINE_BYTES} bytes, far more than a row of a hash list holds`,
        CSV_OPTIONS,
      );
  };
}

/**
 * Bytes parsed between two turns of the event loop in readHashCsv. Rows of a hash list (~100 bytes) go
 * through csv-parse at ~25 MB/s, well under 1 ms a chunk. The bound is set by the worst case instead:
 * csv-parse builds a CsvError (a stack trace, and a JSON copy of its state) for every record whose
 * number of fields differs from the first record's, even when relax_column_count then lets it through,
 * ~20 µs each (~10 µs without the stack trace, see withoutStackTraces). 64 KiB of two-byte records
 * (`&\n`) after a first row of two cells held the loop 370-670 ms (test/faults/parsers-fuzz.test.ts
 * found it). At 4 KiB the same records hold it 40-45 ms (test/pipeline/stalls.test.ts), and an 8 MiB list
 * of ordinary rows takes as long in all as at 64 KiB (~430 ms). The total stays: such a file costs ~2.5 s
 * of CPU per MiB, in short turns.
 */
const CHUNK_BYTES = 4 * 1024;

/**
 * Runs `work` with stack traces off. csv-parse captures one for each of the errors above, which it then
 * drops; that is half their cost. Nothing else runs meanwhile (`work` is synchronous), and a CsvError
 * csv-parse does throw is reported by its code and message, never its stack.
 */
function withoutStackTraces(work: () => void): void {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    work();
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/** Rows from records, one record at a time: the first one may be a header. */
function rowReader(maxErrors: number) {
  let header = false;
  let columns: Array<keyof BankEntryInput | null> = POSITIONAL;
  let i = 0;
  const rows: BankEntryInput[] = [];
  const errors: ParsedRows['errors'] = [];
  let rejected = 0;
  const reject = (line: number, reason: string) => {
    rejected++;
    if (errors.length < maxErrors) errors.push({ line, reason });
  };
  const read = (cells: string[]): void => {
    const line = ++i;
    if (line === 1) {
      header = cells.length > 0 && !PDQ.test(cells[0] ?? '') && cells.some((c) => ALIASES[c.toLowerCase()]);
      if (header) {
        columns = cells.map((c) => ALIASES[c.toLowerCase()] ?? null);
        return;
      }
    }
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
  };
  return { read, result: (): ParsedRows => ({ rows, rejected, errors }) };
}

/** Parses a hash list at once (the CLI's header check, benchmarks). Throws CsvError on broken CSV. */
export function parseHashCsv(text: string, maxErrors = 100): ParsedRows {
  lineGuard()(Buffer.from(text, 'utf8'));
  const reader = rowReader(maxErrors);
  for (const cells of parse(text, CSV_OPTIONS) as string[][]) reader.read(cells);
  return reader.result();
}

/**
 * The same as parseHashCsv, for a request body (bytes, UTF-8): it is parsed CHUNK_BYTES at a time, with a turn of
 * the event loop between chunks, so that other requests are answered meanwhile. Throws CsvError.
 */
export async function readHashCsv(body: Buffer | string, maxErrors = 100): Promise<ParsedRows> {
  const reader = rowReader(maxErrors);
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  const parser = parseStream(CSV_OPTIONS);
  const guard = lineGuard();
  let failed: Error | undefined;
  parser.on('data', (cells: string[]) => reader.read(cells));
  parser.on('error', (err: Error) => (failed ??= err));
  for (let at = 0; at < bytes.length && !failed; at += CHUNK_BYTES) {
    const chunk = bytes.subarray(at, at + CHUNK_BYTES);
    try {
      guard(chunk);
    } catch (err) {
      failed = err as Error;
      break;
    }
    withoutStackTraces(() => parser.write(chunk));
    // setImmediate runs after pending I/O callbacks: the records of this chunk are read by then.
    await setImmediate();
  }
  if (!failed) {
    withoutStackTraces(() => parser.end());
    await new Promise<void>((resolve) => parser.once('end', resolve).once('error', () => resolve()));
  }
  if (failed) throw failed;
  return reader.result();
}
