// `firstseen bank import <bank-id> <csv>`: a hash list of any length, sent in chunks of whole rows, with a
// progress bar on stderr and the totals on stdout. A failed request stops the import and says how to
// resume it (--skip-rows) without importing any row twice.
import { stat } from 'node:fs/promises';
import type { BankImportOptions } from './args.js';
import { ApiClient, ApiError, describeApiError } from './client.js';
import { chunkCsv, fileRecords, surveyCsv } from './csv-chunks.js';
import { clean, EXIT, UsageError, type Io } from './io.js';
import { formatCount, formatElapsed, ProgressBar } from './progress.js';

/** Rejected rows kept for the output (the service sends the first 100 of each chunk). */
const MAX_ERRORS = 100;
/** Rejected rows shown in the text output; --json shows all that were kept. */
const SHOWN_ERRORS = 10;

export interface ImportTotals {
  bank_id: string;
  /** Data rows sent (after --skip-rows). */
  rows: number;
  imported: number;
  rejected: number;
  /** Rejected rows by their line in the file. */
  errors: Array<{ line: number; reason: string }>;
  /** Entries in the bank after the import. */
  entries: number;
  requests: number;
}

export async function bankImportCommand(options: BankImportOptions, io: Io): Promise<number> {
  const info = await stat(options.file).catch(() => null);
  if (!info) throw new UsageError(`no file ${options.file}`, 'bank import');
  if (!info.isFile()) throw new UsageError(`${options.file} is not a file`, 'bank import');
  const survey = await surveyCsv(fileRecords(options.file));
  if (survey.rows === 0) throw new UsageError(`${options.file} holds no rows`, 'bank import');
  if (options.skipRows >= survey.rows)
    throw new UsageError(
      `--skip-rows ${options.skipRows} skips every row (the file has ${survey.rows})`,
      'bank import',
    );

  const client = new ApiClient(options);
  // Fails early (not_found, unauthorized) before anything is sent, and names the bank.
  const bank = await client.bank(options.bankId, options.timeoutMs);
  const toSend = survey.rows - options.skipRows;
  const t0 = Date.now();
  if (!options.quiet) {
    const skipped = options.skipRows ? ` (after skipping ${formatCount(options.skipRows)})` : '';
    io.stderr.write(
      `Importing ${formatCount(toSend)} rows${skipped} into "${clean(bank.name)}" (${bank.id}, ${formatCount(bank.entries)} entries), ${formatCount(options.chunkRows)} per request${survey.header ? ', header repeated' : ''}\n`,
    );
  }
  const bar = new ProgressBar(io.stderr, !options.quiet, toSend);
  const totals: ImportTotals = {
    bank_id: bank.id,
    rows: 0,
    imported: 0,
    rejected: 0,
    errors: [],
    entries: bank.entries,
    requests: 0,
  };
  bar.update(0);
  for await (const chunk of chunkCsv(fileRecords(options.file), {
    rows: options.chunkRows,
    skip: options.skipRows,
  })) {
    let result;
    try {
      result = await client.importCsv(options.bankId, chunk.body, options.timeoutMs);
    } catch (err) {
      bar.stop();
      if (!(err instanceof ApiError)) throw err;
      const done = options.skipRows + totals.rows;
      io.stderr.write(
        `firstseen: ${describeApiError(err)}\n` +
          `The first ${formatCount(done)} data rows of ${options.file} are in the bank (${formatCount(totals.imported)} imported by this run, ${formatCount(totals.rejected)} rejected); ` +
          `the request for the next ${formatCount(chunk.rows)} failed${err.status === null || err.status >= 500 ? ' and may have been applied in part' : ''}.\n` +
          `Resume with: firstseen bank import ${options.bankId} ${options.file} --skip-rows ${done}\n`,
      );
      return EXIT.failed;
    }
    totals.requests++;
    totals.rows += chunk.rows;
    totals.imported += result.imported;
    totals.rejected += result.rejected;
    totals.entries = result.entries;
    for (const e of result.errors) {
      if (totals.errors.length >= MAX_ERRORS) break;
      totals.errors.push({ line: chunk.lines[e.line - 1] ?? e.line, reason: e.reason });
    }
    bar.update(totals.rows);
  }
  bar.stop();

  if (options.json) {
    io.stdout.write(`${JSON.stringify(totals, null, 2)}\n`);
    return EXIT.ok;
  }
  const out = [
    `Imported ${formatCount(totals.imported)} of ${formatCount(totals.rows)} rows into "${clean(bank.name)}" (${bank.id}) ` +
      `in ${totals.requests} request${totals.requests === 1 ? '' : 's'}, ${formatElapsed(Date.now() - t0)}; ` +
      `${formatCount(totals.rejected)} rejected. The bank holds ${formatCount(totals.entries)} entries.`,
  ];
  if (totals.errors.length) {
    const shown = totals.errors.slice(0, SHOWN_ERRORS);
    out.push(`Rejected rows (the first ${shown.length} of ${formatCount(totals.rejected)}):`);
    for (const e of shown) out.push(`  line ${e.line}: ${clean(e.reason)}`);
  }
  io.stdout.write(`${out.join('\n')}\n`);
  return EXIT.ok;
}
