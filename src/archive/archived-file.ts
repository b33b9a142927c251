// A file read back from its check's own evidence archive (the WACZ this directory wrote), for forensic
// views asked for after the check (POST /v1/checks/:id/media/:index/views) of an uploaded file, whose
// bytes were deleted when the check ended (src/services/uploads.ts) but whose original the archive keeps
// as a `resource` record (src/archive/warc-recorder.ts).
//
// Only the check's own archive is read (the store names it by organization and check id), and only by
// bounded ranges, never the whole file: the zip's end record (22 bytes), its central directory (a few
// hundred bytes, at most MAX_DIRECTORY_BYTES), the CDXJ index (at most MAX_INDEX_BYTES, its CRC-32
// checked), and the one gzip member of the file's record (at most the file's own byte cap, inflated to
// no more than that). The bytes are given back only when their sha256 is the one asked for.
//
// Archives as firstseen writes them (src/archive/zip.ts): stored entries, no ZIP64, no zip comment, one
// gzip member per WARC record, indexed with its offset and length in indexes/index.cdx. Anything else
// (another layout, a cut or altered file, a record kept without its body past ARCHIVE_MAX_BYTES) is
// "not in the archive": null, never an exception for a malformed file.
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { crc32, gunzip as gunzipCb } from 'node:zlib';
import type { ArchiveStore } from './store.js';
import { WARC_PATH } from './warc-recorder.js';

const gunzip = promisify(gunzipCb);

const INDEX_PATH = 'indexes/index.cdx';
const EOCD_BYTES = 22;
const LOCAL_HEADER_BYTES = 30;
const CENTRAL_HEADER_BYTES = 46;
/** A firstseen WACZ has five entries: its central directory is about 400 bytes. */
const MAX_DIRECTORY_BYTES = 64 * 1024;
/** The index has a line (~300 bytes) per response or resource: a check's are a few hundred. */
export const MAX_INDEX_BYTES = 4 * 1024 * 1024;
/** A record's WARC headers, beside its body. */
const RECORD_HEADROOM = 64 * 1024;
const SHA256_HEX = /^[0-9a-f]{64}$/;
const CRLF2 = Buffer.from('\r\n\r\n');

export interface ArchivedFileQuery {
  org: string;
  checkId: string;
  /** The URL the check recorded the file under (an upload's `upload:<sha256>`). */
  url: string;
  sha256: string;
  /** The largest body the file's record can hold (FETCH_MAX_BYTES: the cap of uploads and downloads). */
  maxBytes: number;
}

interface ZipEntry {
  /** Where the entry's local header starts. */
  header: number;
  size: number;
  crc: number;
}

/** Where the file's record is in the WACZ: a gzip member of `length` bytes from `offset`. */
interface RecordPlace {
  offset: number;
  length: number;
}

/** The stored entries of the WACZ by name, from its central directory; null if not as firstseen writes it. */
async function zipEntries(store: ArchiveStore, q: ArchivedFileQuery): Promise<Map<string, ZipEntry> | null> {
  const end = await store.range(q.org, q.checkId, -EOCD_BYTES, EOCD_BYTES);
  if (!end || end.length !== EOCD_BYTES || end.readUInt32LE(0) !== 0x06054b50) return null;
  const count = end.readUInt16LE(10);
  const size = end.readUInt32LE(12);
  const start = end.readUInt32LE(16);
  if (size > MAX_DIRECTORY_BYTES || size < count * CENTRAL_HEADER_BYTES) return null;
  const dir = await store.range(q.org, q.checkId, start, size);
  if (!dir || dir.length !== size) return null;
  const entries = new Map<string, ZipEntry>();
  let at = 0;
  for (let i = 0; i < count; i++) {
    if (at + CENTRAL_HEADER_BYTES > dir.length || dir.readUInt32LE(at) !== 0x02014b50) return null;
    const method = dir.readUInt16LE(at + 10);
    const nameLength = dir.readUInt16LE(at + 28);
    const next =
      at + CENTRAL_HEADER_BYTES + nameLength + dir.readUInt16LE(at + 30) + dir.readUInt16LE(at + 32);
    if (next > dir.length) return null;
    const name = dir.toString('utf8', at + CENTRAL_HEADER_BYTES, at + CENTRAL_HEADER_BYTES + nameLength);
    const entry = {
      header: dir.readUInt32LE(at + 42),
      size: dir.readUInt32LE(at + 24),
      crc: dir.readUInt32LE(at + 16),
    };
    // Stored entries only, and the compressed size is the size.
    if (method === 0 && dir.readUInt32LE(at + 20) === entry.size) entries.set(name, entry);
    at = next;
  }
  return entries;
}

/** Where an entry's data starts, from its local header (whose name and extra field may differ in length). */
async function dataStart(store: ArchiveStore, q: ArchivedFileQuery, entry: ZipEntry): Promise<number | null> {
  const head = await store.range(q.org, q.checkId, entry.header, LOCAL_HEADER_BYTES);
  if (!head || head.length !== LOCAL_HEADER_BYTES || head.readUInt32LE(0) !== 0x04034b50) return null;
  return entry.header + LOCAL_HEADER_BYTES + head.readUInt16LE(26) + head.readUInt16LE(28);
}

/** The file's record in the index: the one for its URL whose payload digest is its sha256. */
function findRecord(index: Buffer, q: ArchivedFileQuery, warcSize: number): RecordPlace | null {
  for (const line of index.toString('utf8').split('\n')) {
    const json = line.indexOf(' {');
    if (json < 0) continue;
    let fields: Record<string, unknown>;
    try {
      fields = JSON.parse(line.slice(json + 1)) as Record<string, unknown>;
    } catch {
      continue;
    }
    // A record kept without its body (past ARCHIVE_MAX_BYTES) has the digest of nothing.
    const digest = (typeof fields.digest === 'string' ? fields.digest : '').replace(/^sha256:/, '');
    if (fields.url !== q.url || digest !== q.sha256) continue;
    const offset = Number(fields.offset);
    const length = Number(fields.length);
    const cap = q.maxBytes + Math.ceil(q.maxBytes / 1000) + RECORD_HEADROOM;
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length <= 0) continue;
    if (length > cap || offset + length > warcSize) continue;
    return { offset, length };
  }
  return null;
}

/** The index and the WARC's place in the WACZ, then the file's record in it; null when it is not there. */
async function locate(store: ArchiveStore, q: ArchivedFileQuery): Promise<RecordPlace | null> {
  if (!SHA256_HEX.test(q.sha256)) return null;
  const entries = await zipEntries(store, q);
  const index = entries?.get(INDEX_PATH);
  const warc = entries?.get(WARC_PATH);
  if (!index || !warc || index.size > MAX_INDEX_BYTES) return null;
  const indexStart = await dataStart(store, q, index);
  const warcStart = await dataStart(store, q, warc);
  if (indexStart === null || warcStart === null) return null;
  const lines = await store.range(q.org, q.checkId, indexStart, index.size);
  if (!lines || lines.length !== index.size || crc32(lines) !== index.crc) return null;
  const place = findRecord(lines, q, warc.size);
  return place && { offset: warcStart + place.offset, length: place.length };
}

/** Whether the check's archive holds the file whole (without reading its bytes). */
export async function hasArchivedFile(store: ArchiveStore, q: ArchivedFileQuery): Promise<boolean> {
  return (await locate(store, q)) !== null;
}

/** The file's bytes from the check's archive, checked against its sha256; null when it does not hold them. */
export async function readArchivedFile(store: ArchiveStore, q: ArchivedFileQuery): Promise<Buffer | null> {
  const place = await locate(store, q);
  if (!place) return null;
  const member = await store.range(q.org, q.checkId, place.offset, place.length);
  if (!member || member.length !== place.length) return null;
  let record: Buffer;
  try {
    record = await gunzip(member, { maxOutputLength: q.maxBytes + RECORD_HEADROOM });
  } catch {
    return null; // not gzip, or inflating past the cap
  }
  const body = recordBody(record, q.url);
  if (!body || createHash('sha256').update(body).digest('hex') !== q.sha256) return null;
  return body;
}

/** The block of a whole `resource` record for `url` (WARC 1.1: headers, CRLF CRLF, Content-Length bytes). */
function recordBody(record: Buffer, url: string): Buffer | null {
  const end = record.indexOf(CRLF2);
  if (end < 0 || end > RECORD_HEADROOM) return null;
  const [version, ...lines] = record.toString('latin1', 0, end).split('\r\n');
  if (version !== 'WARC/1.1' && version !== 'WARC/1.0') return null;
  const headers = new Map<string, string>();
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  if (headers.get('warc-type') !== 'resource' || headers.get('warc-target-uri') !== url) return null;
  if (headers.has('warc-truncated')) return null;
  const length = Number(headers.get('content-length'));
  if (!Number.isSafeInteger(length) || length < 0 || end + 4 + length > record.length) return null;
  return record.subarray(end + 4, end + 4 + length);
}
