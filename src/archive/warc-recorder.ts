// Writes a check's exchanges as WARC 1.1 records (warcio), one gzip member per record, to disk as they
// happen, straight into the WARC's entry of the check's WACZ (a zip in a temporary directory, finished by
// src/archive/wacz.ts): the pipeline drops media bytes once analyzed, so the archive must not keep them
// in memory until the check ends. Each exchange is a `response` record (status line, headers, the body as
// read) and a `request` record (the headers sent) that points at it; an uploaded original is a
// `resource` record.
//
// Bounds: a body is in the archive only if the fetcher read it, so each one is within the byte cap of
// its request (FETCH_MAX_BYTES or lower); bodies that were not read (redirects, error statuses, bodies
// over the cap) are kept as headers with `WARC-Truncated: length`. And the bodies of one check add up to
// at most `maxBytes` (ARCHIVE_MAX_BYTES, and never more than 3.75 GiB: the zip has no ZIP64): past it,
// records keep their headers only, marked the same way.
//
// Cost: each body is hashed for its block digest, and its record once more for the WARC's sha256 as it is
// written (the payload digest is the pipeline's sha256 of the same bytes, src/sha256.ts); media bodies are
// not deflated (see gzipLevel) but framed where they are, without a copy (storedGzip). Nothing is read back.
import { createHash } from 'node:crypto';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { mkdtemp, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { constants, crc32, deflateRawSync, gzip as gzipCb, gzipSync } from 'node:zlib';
import { CDXIndexer, WARCRecord, WARCSerializer } from 'warcio';
import { inDir } from './dirs.js';
import type { Exchange } from '../net/safe-fetch.js';
import type { Logger } from '../logger.js';
import { sha256Hex } from '../sha256.js';
import type { ArchiveRecorder } from './recorder.js';
import { createZipWriter, ZIP_MAX_BYTES, type ZipWriter } from './zip.js';

export const WARC_NAME = 'data.warc.gz';
/** Where the WARC is in the WACZ. */
export const WARC_PATH = `archive/${WARC_NAME}`;
/** The bodies of a check stop here whatever ARCHIVE_MAX_BYTES says: the WACZ is a zip without ZIP64. */
const ZIP_BODY_BYTES = ZIP_MAX_BYTES - 2 ** 28;

export interface WarcFile {
  /** The WACZ being written: its first entry, the WARC, is complete; src/archive/wacz.ts adds the rest. */
  zip: ZipWriter;
  /** Size of the WARC. */
  bytes: number;
  /** sha256 (hex) of the WARC. */
  sha256: string;
  /** CDXJ lines of the responses and resources, sorted (warcio's indexer). */
  cdxj: string[];
  /** Records written (warcinfo included). */
  records: number;
  /** Bodies kept, in bytes (what counts against `maxBytes`). */
  payloadBytes: number;
  /** The URLs with a response or resource record, with the time of their first record. */
  urls: Map<string, Date>;
  /** Deletes the WACZ's file if it is still where it was written (the store may have moved it). */
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
  /**
   * Where the WACZ is written until it is kept: the store's own directory for it (ArchiveStore.scratch),
   * on the store's filesystem, so that keeping it is a rename. Absent: a directory of this process in
   * the OS's temporary directory.
   */
  dir?: string | undefined;
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

const gzipAsync = promisify(gzipCb);

/** A record compressed at most this large is deflated on this thread: under a millisecond at level 1. */
const SYNC_DEFLATE_BYTES = 64 * 1024;

/**
 * A record's gzip member, deflated: a small one on this thread, a large one in the thread pool. Either way
 * in one output chunk: node's zlib hands over 16 KB at a time by default, and asynchronously each chunk
 * was a trip to the thread pool and back (zlib's callbacks had been ~7% of a worker's main thread under
 * `npm run bench`). Stored members (level 0) are not made here but by storedGzip.
 */
function gzip(raw: Uint8Array, level: number): Promise<Buffer> | Buffer {
  // Room for the whole member: deflate's stored blocks add 5 bytes per 64 KB, gzip 18 bytes in all.
  const chunkSize = Math.max(16 * 1024, raw.length + (raw.length >> 10) + 1024);
  if (raw.length <= SYNC_DEFLATE_BYTES) return gzipSync(raw, { level, chunkSize });
  return gzipAsync(raw, { level, chunkSize });
}

/** Bytes of a body deflated to see whether it compresses (about 0.5 ms when it does not). */
const SAMPLE_BYTES = 16 * 1024;

/**
 * Whether a body starts as a JPEG, a WebP or an ISO media file (MP4, MOV, HEIC, AVIF) does: formats whose
 * data is compressed by the format itself, stored without a sample. The sample was 0.2 CPU ms per check
 * of the bench corpus (16 KB deflated at level 1), and it found none of its JPEG or WebP files compressible.
 */
function compressedMedia(b: Uint8Array): boolean {
  const ascii = (at: number, text: string) => {
    for (let i = 0; i < text.length; i++) if (b[at + i] !== text.charCodeAt(i)) return false;
    return true;
  };
  return (
    (b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) ||
    (ascii(0, 'RIFF') && ascii(8, 'WEBP')) ||
    ascii(4, 'ftyp')
  );
}

/**
 * The zlib level of a record's gzip member. Media (JPEG, PNG, WebP, video) is compressed already:
 * deflating it costs ~30 CPU ms per MB at the fastest level and saves a percent or two, which made
 * archiving cost more than the analysis of the image. So a JPEG, WebP or ISO media body is stored, and
 * any other body is deflated only when a slice from its middle shrinks by a tenth; a stored member is
 * still gzip (stored deflate blocks with the gzip CRC-32), readable by every WARC tool. Small bodies and
 * headers-only records are always deflated.
 */
export function gzipLevel(body: Uint8Array | null): number {
  if (!body || body.length <= SAMPLE_BYTES) return constants.Z_BEST_SPEED;
  if (compressedMedia(body)) return constants.Z_NO_COMPRESSION;
  const start = (body.length - SAMPLE_BYTES) >> 1;
  const sample = body.subarray(start, start + SAMPLE_BYTES);
  const packed = deflateRawSync(sample, { level: constants.Z_BEST_SPEED });
  return packed.length < SAMPLE_BYTES * 0.9 ? constants.Z_BEST_SPEED : constants.Z_NO_COMPRESSION;
}

const EMPTY = new Uint8Array(0);
const CRLF = Buffer.from('\r\n');
const CRLFCRLF = Buffer.from('\r\n\r\n');
const sha256 = (...parts: Uint8Array[]) => {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return `sha256:${hash.digest('hex')}`;
};

/**
 * A record's bytes, uncompressed, in parts: exactly what warcio's serializer writes (WARC headers, CRLF,
 * the HTTP head, the payload, CRLF CRLF), without the serializer's copy of the payload into one buffer.
 * The digests are node's sha256 (warcio's own are a WebAssembly sha256, a new instance per record,
 * several times slower): the payload's is the one the pipeline took of the same Buffer (src/sha256.ts);
 * the block is the HTTP head exactly as warcio writes it (status or request line, headers, blank line),
 * then the payload, so a record without HTTP headers (a resource) has the payload's digest as its block's.
 */
function recordParts(record: WARCRecord, payload: Uint8Array | null): Uint8Array[] {
  const body = payload ?? EMPTY;
  const head = record.httpHeaders ? Buffer.from(`${record.httpHeaders.toString()}\r\n`) : EMPTY;
  const payloadDigest = `sha256:${sha256Hex(body)}`;
  const headers = record.warcHeaders.headers;
  headers.set('WARC-Payload-Digest', payloadDigest);
  headers.set('WARC-Block-Digest', head.length ? sha256(head, body) : payloadDigest);
  headers.set('Content-Length', String(head.length + body.length));
  return [Buffer.from(record.warcHeaders.toString()), CRLF, head, body, CRLFCRLF];
}

/** The largest stored deflate block (RFC 1951, 3.2.4). */
const STORED_BLOCK = 0xffff;
/** gzip's header (RFC 1952): deflate, no flags, no time, OS Unix. */
const GZIP_HEADER = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]);

/**
 * A stored gzip member (deflate blocks of type 0: the bytes as they are) of the parts, in pieces: the
 * header, each block's five bytes, slices of the parts themselves, and the trailer (CRC-32, size). What
 * zlib's level 0 writes, without its copy of the bytes: gzipSync at level 0 took ~1.4 CPU ms per MB on
 * this machine (a copy and zlib's CRC-32), where this is node's crc32 alone (~0.2 ms per MB).
 */
export function storedGzip(parts: readonly Uint8Array[]): Uint8Array[] {
  let crc = 0;
  let size = 0;
  for (const part of parts) {
    crc = crc32(part, crc);
    size += part.length;
  }
  const blocks = Math.max(1, Math.ceil(size / STORED_BLOCK));
  const heads = Buffer.allocUnsafe(blocks * 5);
  const out: Uint8Array[] = [GZIP_HEADER];
  let part = 0;
  let at = 0;
  for (let b = 0, left = size; b < blocks; b++) {
    const length = Math.min(left, STORED_BLOCK);
    left -= length;
    const head = heads.subarray(b * 5, b * 5 + 5);
    head[0] = left === 0 ? 1 : 0; // BFINAL on the last block; BTYPE 00: stored
    head.writeUInt16LE(length, 1);
    head.writeUInt16LE(~length & 0xffff, 3);
    out.push(head);
    for (let need = length; need > 0;) {
      const p = parts[part] as Uint8Array;
      const take = Math.min(need, p.length - at);
      if (take > 0) out.push(at === 0 && take === p.length ? p : p.subarray(at, at + take));
      at += take;
      need -= take;
      if (at === p.length) {
        part++;
        at = 0;
      }
    }
  }
  const trailer = Buffer.allocUnsafe(8);
  trailer.writeUInt32LE(crc >>> 0, 0);
  trailer.writeUInt32LE(size >>> 0, 4);
  out.push(trailer);
  return out;
}

/** A record's gzip member, in pieces: stored (storedGzip), or deflated by zlib in one buffer. */
async function member(parts: Uint8Array[], level: number): Promise<Uint8Array[]> {
  if (level === constants.Z_NO_COMPRESSION) return storedGzip(parts);
  return [await gzip(Buffer.concat(parts), level)];
}

/** This process's directory for archives being written when the caller names none (made once). */
let processDir: Promise<string> | null = null;
function ownDir(): Promise<string> {
  processDir ??= mkdtemp(join(tmpdir(), 'firstseen-warc-')).then((dir) => {
    // Files are deleted one by one as their checks end; the directory goes with the process.
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    return dir;
  });
  return processDir;
}

/** A new archive's name: the check id and random bytes (the directory may be shared by workers on other
 *  machines). */
const zipName = (checkId: string) => `${checkId}.${randomBytes(6).toString('hex')}.wacz`;

/**
 * The zip of a new archive, in the caller's directory (made when needed, again if it has gone: inDir) or
 * this process's own. This process's own, gone since (a temporary directory's cleaner), is replaced by a
 * new mkdtemp, never made again under its old name (which others could have taken meanwhile in a shared
 * temporary directory).
 */
async function newZip(dir: string | undefined, checkId: string): Promise<ZipWriter> {
  if (dir !== undefined) return inDir(dir, () => createZipWriter(join(dir, zipName(checkId))));
  try {
    return await createZipWriter(join(await ownDir(), zipName(checkId)));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    processDir = null;
    return createZipWriter(join(await ownDir(), zipName(checkId)));
  }
}

export async function createWarcRecorder(options: WarcRecorderOptions): Promise<WarcRecorder> {
  // One file, in a directory made once: a directory of its own per check cost a mkdtemp and a recursive
  // rm (lstat, rmdir) each time.
  const zip = await newZip(options.dir, options.checkId);
  const drop = async () => {
    await zip.abort();
    // unlink, not rm: rm asks lstat first, a second call for a file that is usually gone (moved in).
    await unlink(zip.path).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
  };
  // The WARC goes straight into its entry of the WACZ, which src/archive/wacz.ts finishes: written
  // once, never copied.
  try {
    await zip.begin(WARC_PATH, new Date());
  } catch (err) {
    await drop();
    throw err;
  }
  const maxBytes = Math.min(options.maxBytes, ZIP_BODY_BYTES);
  let chain: Promise<void> = Promise.resolve();
  let failure: unknown = null;
  let records = 0;
  let payloadBytes = 0;
  let position = 0;
  const urls = new Map<string, Date>();
  // The file's sha256, as written: datapackage.json names it, and the file is not read again for it.
  const fileHash = createHash('sha256');
  // Indexed as written (warcio's indexer, fed each record with its offset), not by reading the file
  // again; one gzip member per record, by node's zlib (in the thread pool).
  const indexer = new CDXIndexer({ format: 'cdxj' });
  const cdxj: string[] = [];

  /** Queues records, each with its payload (null: none), to be written in order. */
  const write = (build: () => [WARCRecord, Uint8Array | null][]) => {
    chain = chain.then(async () => {
      if (failure) return;
      try {
        for (const [record, payload] of build()) {
          const parts =
            record.warcType === 'warcinfo'
              ? [await WARCSerializer.serialize(record, { gzip: false })]
              : recordParts(record, payload);
          const pieces = await member(parts, gzipLevel(payload));
          let length = 0;
          for (const piece of pieces) {
            fileHash.update(piece);
            length += piece.length;
          }
          await zip.append(pieces);
          if (indexer.filterRecord(record)) {
            // The indexer takes a record's place in the file from these when they are set (warcio's
            // own reader sets them); a created record may carry stale ones.
            Object.assign(record, { _offset: position, _length: length });
            const entry = indexer.indexRecordPair(
              record,
              null,
              { offset: position, recordLength: length },
              WARC_NAME,
            );
            if (entry) cdxj.push(indexer.serializeCDXJ(entry));
          }
          position += length;
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
    if (payloadBytes + body.length > maxBytes) return null;
    payloadBytes += body.length;
    return body;
  };

  write(() => [
    [
      WARCRecord.createWARCInfo(
        { filename: WARC_NAME, warcVersion: 'WARC/1.1' },
        { software: options.software, format: 'WARC File Format 1.1', 'firstseen-check': options.checkId },
      ),
      null,
    ],
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
            warcHeaders: body ? {} : { 'WARC-Truncated': 'length' },
          },
          body ? [body] : [],
        );
        const responseId = response.warcHeaders.headers.get('WARC-Record-ID') ?? '';
        const requestBody = ex.requestBody === null ? null : Buffer.from(ex.requestBody);
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
          requestBody ? [requestBody] : [],
        );
        return [
          [response, body],
          [request, requestBody],
        ];
      });
    },

    resource(url: string, contentType: string | null, bytes: Buffer) {
      const body = budget(bytes);
      const now = new Date();
      if (!urls.has(url)) urls.set(url, now);
      write(() => [
        [
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
          body,
        ],
      ]);
    },

    async finish(): Promise<WarcFile> {
      await chain;
      if (!failure) await zip.end().catch((err: unknown) => (failure = err));
      if (failure) {
        await drop();
        throw failure instanceof Error
          ? failure
          : new Error('archive record not written', { cause: failure });
      }
      cdxj.sort();
      return {
        zip,
        bytes: position,
        sha256: fileHash.digest('hex'),
        cdxj,
        records,
        payloadBytes,
        urls,
        // After the store moved the file (a rename), one unlink that finds nothing.
        remove: drop,
      };
    },

    async abort() {
      await chain;
      await drop();
    },
  };
}
