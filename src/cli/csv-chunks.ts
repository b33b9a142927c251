// A hash list cut into requests of whole rows. The file is streamed (lists run to millions of rows), a
// quoted field spanning lines stays in one row, blank lines are dropped, and a header line is repeated
// at the top of every chunk so the service reads each chunk's columns the same way. Each chunk keeps the
// file line of each of its rows, so rejected rows are reported by their line in the file.
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseHashCsv } from '../services/hash-csv.js';

export interface CsvRecord {
  text: string;
  /** 1-based line in the file where the record starts. */
  line: number;
}

export interface Chunk {
  /** The request body: the header (if any), then the rows. */
  body: string;
  /** Data rows in it (the header not counted). */
  rows: number;
  /** File line of each record of the body, the header's included: the service's line n is lines[n-1]. */
  lines: number[];
}

/** Records of a CSV text stream: physical lines joined while a quoted field is open. */
export async function* csvRecords(lines: AsyncIterable<string>): AsyncGenerator<CsvRecord> {
  let lineNo = 0;
  let pending: CsvRecord | null = null;
  let quotes = 0;
  for await (const raw of lines) {
    lineNo++;
    const text = lineNo === 1 ? raw.replace(/^\uFEFF/, '') : raw;
    if (pending) {
      pending.text += `\n${text}`;
    } else {
      if (text.trim() === '') continue;
      pending = { text, line: lineNo };
      quotes = 0;
    }
    quotes += countQuotes(text);
    // An even number of quotes so far: the record is complete ("" inside a field counts two).
    if (quotes % 2 === 0) {
      yield pending;
      pending = null;
    }
  }
  if (pending) yield pending;
}

function countQuotes(s: string): number {
  let n = 0;
  for (let i = s.indexOf('"'); i !== -1; i = s.indexOf('"', i + 1)) n++;
  return n;
}

/** The records of a file, streamed. */
export function fileRecords(path: string): AsyncGenerator<CsvRecord> {
  const lines = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity });
  return csvRecords(lines);
}

/**
 * Whether the first record is a header, decided by the service's own parser: a header alone yields
 * neither a row nor a rejection.
 */
export function isHeader(record: string): boolean {
  try {
    const parsed = parseHashCsv(record, 0);
    return parsed.rows.length === 0 && parsed.rejected === 0;
  } catch {
    return false; // not even CSV: the service will say so for that row
  }
}

export interface ChunkOptions {
  /** Data rows per chunk. */
  rows: number;
  /** Data rows to leave out at the start (to resume an import). */
  skip?: number;
  /** A chunk is also cut before it passes this many bytes (the service takes 8 MiB per request). */
  maxBytes?: number;
}

/** What a list holds, read once before sending, for the progress bar. */
export async function surveyCsv(
  records: AsyncIterable<CsvRecord>,
): Promise<{ header: boolean; rows: number }> {
  let first = true;
  let header = false;
  let rows = 0;
  for await (const r of records) {
    if (first) {
      first = false;
      header = isHeader(r.text);
      if (header) continue;
    }
    rows++;
  }
  return { header, rows };
}

export async function* chunkCsv(
  records: AsyncIterable<CsvRecord>,
  options: ChunkOptions,
): AsyncGenerator<Chunk> {
  const maxBytes = options.maxBytes ?? 4 * 1024 * 1024;
  let skip = options.skip ?? 0;
  let header: CsvRecord | null = null;
  let first = true;
  let parts: string[] = [];
  let lines: number[] = [];
  let bytes = 0;
  const start = () => {
    parts = header ? [header.text] : [];
    lines = header ? [header.line] : [];
    bytes = header ? Buffer.byteLength(header.text) + 1 : 0;
  };
  const rowsIn = () => lines.length - (header ? 1 : 0);
  const flush = (): Chunk => ({ body: `${parts.join('\n')}\n`, rows: rowsIn(), lines });
  start();
  for await (const r of records) {
    if (first) {
      first = false;
      if (isHeader(r.text)) {
        header = r;
        start();
        continue;
      }
    }
    if (skip > 0) {
      skip--;
      continue;
    }
    const size = Buffer.byteLength(r.text) + 1;
    if (rowsIn() > 0 && (rowsIn() >= options.rows || bytes + size > maxBytes)) {
      yield flush();
      start();
    }
    parts.push(r.text);
    lines.push(r.line);
    bytes += size;
  }
  if (rowsIn() > 0) yield flush();
}
