// Writes a check's exchanges as WARC 1.1 records (warcio), one gzip member per record, to a file of its
// own as they happen: the pipeline drops media bytes once analyzed, so the archive must not keep them in
// memory until the check ends. Each exchange is a `response` record (status line, headers, the body as
// read) and a `request` record (the headers sent) that points at it; an uploaded original is a
// `resource` record.
//
// Bounds: a body is in the archive only if the fetcher read it, so each one is within the byte cap of
// its request (FETCH_MAX_BYTES or lower); bodies that were not read (redirects, error statuses, bodies
// over the cap) are kept as headers with `WARC-Truncated: length`. And the bodies of one check add up to
// at most `maxBytes` (ARCHIVE_MAX_BYTES): past it, records keep their headers only, marked the same way.
import { createHash } from 'node:crypto';
import { mkdtemp, open, rm, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { constants, gzip as gzipCb } from 'node:zlib';
import { CDXIndexer, WARCRecord, WARCSerializer } from 'warcio';
import type { Exchange } from '../net/safe-fetch.js';
import type { Logger } from '../logger.js';
import type { ArchiveRecorder } from './recorder.js';

export const WARC_NAME = 'data.warc.gz';

export interface WarcFile {
  /** The temporary directory holding `path`; remove() deletes it. */
  dir: string;
  path: string;
  /** CDXJ lines of the responses and resources, sorted (warcio's indexer). */
  cdxj: string[];
  /** Records written (warcinfo included). */
  records: number;
  /** Bodies kept, in bytes (what counts against `maxBytes`). */
  payloadBytes: number;
  /** The URLs with a response or resource record, with the time of their first record. */
  urls: Map<string, Date>;
  remove(): Promise<void>;
}

export interface WarcRecorder extends ArchiveRecorder {
  /** Waits for every record, closes the file and indexes it. Throws if writing failed. */
  finish(): Promise<WarcFile>;
  /** Drops the file (a check that failed keeps no archive). */
  abort(): Promise<void>;
}

export interface WarcRecorderOptions {
  checkId: string;
  /** Bodies of one check add up to at most this many bytes. */
  maxBytes: number;
  software: string;
  log: Logger;
}

// Headers that describe the wire, not the bytes as kept: undici hands over bodies de-chunked, so a
// replay tool must not de-chunk them again. Kept under pywb's "x-archive-orig-" convention.
const WIRE_HEADERS = new Set(['transfer-encoding']);

function httpHeaderPairs(headers: Record<string, string | string[]>): [string, string][] {
  const pairs: [string, string][] = [];
  for (const [name, value] of Object.entries(headers)) {
    const kept = WIRE_HEADERS.has(name.toLowerCase()) ? `x-archive-orig-${name}` : name;
    for (const v of Array.isArray(value) ? value : [value]) pairs.push([kept, v]);
  }
  return pairs;
}

function requestLine(method: string, url: URL): string {
  return `${method} ${url.pathname}${url.search} HTTP/1.1`;
}

const gzip = promisify(gzipCb);

export async function createWarcRecorder(options: WarcRecorderOptions): Promise<WarcRecorder> {
  const dir = await mkdtemp(join(tmpdir(), 'firstseen-warc-'));
  const path = join(dir, WARC_NAME);
  const file: FileHandle = await open(path, 'w');
  let chain: Promise<void> = Promise.resolve();
  let failure: unknown = null;
  let records = 0;
  let payloadBytes = 0;
  let position = 0;
  const urls = new Map<string, Date>();
  // Indexed as written (warcio's indexer, fed each record with its offset), not by reading the file
  // again; one gzip member per record, by node's zlib (in the thread pool; media bytes barely compress,
  // so the fastest level).
  const indexer = new CDXIndexer({ format: 'cdxj' });
  const cdxj: string[] = [];

  const write = (build: () => WARCRecord[]) => {
    chain = chain.then(async () => {
      if (failure) return;
      try {
        for (const record of build()) {
          const raw = await WARCSerializer.serialize(record, { gzip: false });
          const member = await gzip(raw, { level: constants.Z_BEST_SPEED });
          await file.write(member);
          if (indexer.filterRecord(record)) {
            // The indexer takes a record's place in the file from these when they are set (warcio's
            // own reader sets them); a created record may carry stale ones.
            Object.assign(record, { _offset: position, _length: member.length });
            const entry = indexer.indexRecordPair(
              record,
              null,
              { offset: position, recordLength: member.length },
              WARC_NAME,
            );
            if (entry) cdxj.push(indexer.serializeCDXJ(entry));
          }
          position += member.length;
          records++;
        }
      } catch (err) {
        failure = err;
        options.log.warn({ err }, 'archive record not written');
      }
    });
  };

  /** The body if it still fits the check's budget, else null (the record says it was truncated). */
  const budget = (body: Buffer | null): Buffer | null => {
    if (!body) return null;
    if (payloadBytes + body.length > options.maxBytes) return null;
    payloadBytes += body.length;
    return body;
  };

  write(() => [
    WARCRecord.createWARCInfo(
      { filename: WARC_NAME, warcVersion: 'WARC/1.1' },
      { software: options.software, format: 'WARC File Format 1.1', 'firstseen-check': options.checkId },
    ),
  ]);

  return {
    exchange(ex: Exchange) {
      const body = budget(ex.body);
      const date = ex.date.toISOString();
      if (!urls.has(ex.url)) urls.set(ex.url, ex.date);
      write(() => {
        const url = new URL(ex.url);
        const response = WARCRecord.create(
          {
            url: ex.url,
            date,
            type: 'response',
            warcVersion: 'WARC/1.1',
            statusline: `HTTP/1.1 ${ex.status} ${ex.statusText}`.trimEnd(),
            httpHeaders: httpHeaderPairs(ex.responseHeaders),
            // Not read, or past the check's budget: the headers stay, the body is said to be missing.
            // The payload digest by node's sha256, which is faster than warcio's wasm one (it keeps
            // a digest it is given).
            warcHeaders: body
              ? { 'WARC-Payload-Digest': `sha256:${createHash('sha256').update(body).digest('hex')}` }
              : { 'WARC-Truncated': 'length' },
          },
          body ? [body] : [],
        );
        const responseId = response.warcHeaders.headers.get('WARC-Record-ID') ?? '';
        const request = WARCRecord.create(
          {
            url: ex.url,
            date,
            type: 'request',
            warcVersion: 'WARC/1.1',
            statusline: requestLine(ex.method, url),
            httpHeaders: httpHeaderPairs({ host: url.host, ...ex.requestHeaders }),
            warcHeaders: { 'WARC-Concurrent-To': responseId },
          },
          ex.requestBody === null ? [] : [Buffer.from(ex.requestBody)],
        );
        return [response, request];
      });
    },

    resource(url: string, contentType: string | null, bytes: Buffer) {
      const body = budget(bytes);
      const now = new Date();
      if (!urls.has(url)) urls.set(url, now);
      write(() => [
        WARCRecord.create(
          {
            url,
            date: now.toISOString(),
            type: 'resource',
            warcVersion: 'WARC/1.1',
            warcHeaders: {
              'Content-Type': contentType ?? 'application/octet-stream',
              ...(body ? {} : { 'WARC-Truncated': 'length' }),
            },
          },
          body ? [body] : [],
        ),
      ]);
    },

    async finish(): Promise<WarcFile> {
      await chain;
      await file.close();
      if (failure) {
        await rm(dir, { recursive: true, force: true });
        throw failure instanceof Error
          ? failure
          : new Error('archive record not written', { cause: failure });
      }
      cdxj.sort();
      return {
        dir,
        path,
        cdxj,
        records,
        payloadBytes,
        urls,
        remove: () => rm(dir, { recursive: true, force: true }),
      };
    },

    async abort() {
      await chain;
      await file.close().catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
