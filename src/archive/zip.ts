// A zip file of stored (uncompressed) entries, written front to back in one pass, for the WACZ
// (src/archive/wacz.ts): an entry can be written in pieces as they come (the WARC, record by record, while
// the check runs) and the file's sha256 is taken as it is written.
//
// Written by hand rather than with yazl, which wrote the WACZ before: yazl takes an entry's content
// from a file or stream that it reads again, and computes every CRC-32 itself in JavaScript (~4 CPU ms
// per MB here, more than all of the archive's sha256 digests), so the WARC was written, read back and
// copied into the zip. Here the WARC is written once, in place, and its CRC-32 is node's zlib.crc32 of each
// piece as it goes by. Stored entries only, and no ZIP64: a WACZ of 4 GiB or more is refused (the
// bodies of a check are capped far below that by ARCHIVE_MAX_BYTES).
import { createHash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { crc32 } from 'node:zlib';

/** The largest size or offset a zip without ZIP64 can state. */
export const ZIP_MAX_BYTES = 0xfffffffe;

export class ZipTooLargeError extends Error {
  override name = 'ZipTooLargeError';
}

const FLAG_DATA_DESCRIPTOR = 0x0008;
const FLAG_UTF8 = 0x0800;
const VERSION = 20; // 2.0: stored entries, UTF-8 names
const MADE_BY_UNIX = (3 << 8) | VERSION;
const FILE_MODE = 0o100644;

/** MS-DOS date and time (2-second precision), in UTC: the zip format has no time zone. */
function dosDateTime(at: Date): { date: number; time: number } {
  const year = Math.min(Math.max(at.getUTCFullYear(), 1980), 2107);
  return {
    date: ((year - 1980) << 9) | ((at.getUTCMonth() + 1) << 5) | at.getUTCDate(),
    time: (at.getUTCHours() << 11) | (at.getUTCMinutes() << 5) | (at.getUTCSeconds() >> 1),
  };
}

interface Entry {
  name: Buffer;
  flags: number;
  date: number;
  time: number;
  crc: number;
  size: number;
  offset: number;
}

function localHeader(e: Entry): Buffer {
  const b = Buffer.alloc(30 + e.name.length);
  b.writeUInt32LE(0x04034b50, 0);
  b.writeUInt16LE(VERSION, 4);
  b.writeUInt16LE(e.flags, 6);
  b.writeUInt16LE(0, 8); // stored
  b.writeUInt16LE(e.time, 10);
  b.writeUInt16LE(e.date, 12);
  // With a data descriptor, CRC and sizes follow the data (they are zero here, as the format says).
  const known = !(e.flags & FLAG_DATA_DESCRIPTOR);
  b.writeUInt32LE(known ? e.crc : 0, 14);
  b.writeUInt32LE(known ? e.size : 0, 18);
  b.writeUInt32LE(known ? e.size : 0, 22);
  b.writeUInt16LE(e.name.length, 26);
  b.writeUInt16LE(0, 28); // no extra field
  e.name.copy(b, 30);
  return b;
}

function dataDescriptor(e: Entry): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt32LE(0x08074b50, 0);
  b.writeUInt32LE(e.crc, 4);
  b.writeUInt32LE(e.size, 8);
  b.writeUInt32LE(e.size, 12);
  return b;
}

function centralHeader(e: Entry): Buffer {
  const b = Buffer.alloc(46 + e.name.length);
  b.writeUInt32LE(0x02014b50, 0);
  b.writeUInt16LE(MADE_BY_UNIX, 4);
  b.writeUInt16LE(VERSION, 6);
  b.writeUInt16LE(e.flags, 8);
  b.writeUInt16LE(0, 10); // stored
  b.writeUInt16LE(e.time, 12);
  b.writeUInt16LE(e.date, 14);
  b.writeUInt32LE(e.crc, 16);
  b.writeUInt32LE(e.size, 20);
  b.writeUInt32LE(e.size, 24);
  b.writeUInt16LE(e.name.length, 28);
  // extra field length, comment length, disk number, internal attributes: 0
  b.writeUInt32LE((FILE_MODE << 16) >>> 0, 38);
  b.writeUInt32LE(e.offset, 42);
  e.name.copy(b, 46);
  return b;
}

function endOfCentralDirectory(count: number, size: number, offset: number): Buffer {
  const b = Buffer.alloc(22);
  b.writeUInt32LE(0x06054b50, 0);
  b.writeUInt16LE(count, 8);
  b.writeUInt16LE(count, 10);
  b.writeUInt32LE(size, 12);
  b.writeUInt32LE(offset, 16);
  return b;
}

export interface ZipResult {
  path: string;
  bytes: number;
  /** sha256 (hex) of the whole file. */
  sha256: string;
}

export interface ZipWriter {
  readonly path: string;
  /** Starts an entry whose content comes in pieces (append); its CRC and size follow it (end). */
  begin(name: string, mtime: Date): Promise<void>;
  /** More of the entry begun last: one piece, or several in order (written together). */
  append(data: Uint8Array | readonly Uint8Array[]): Promise<void>;
  /** Ends the entry begun last; returns its size. */
  end(): Promise<number>;
  /** An entry whose content is all here. */
  add(name: string, data: Buffer, mtime: Date): Promise<void>;
  /** Writes the central directory and closes the file. */
  close(): Promise<ZipResult>;
  /** Closes the file as it is (the caller deletes it). */
  abort(): Promise<void>;
}

/**
 * Pieces are written to the file once this many bytes wait, in one writev: a check's archive came as ~12
 * writes of a few hundred bytes to ~100 KB each (headers, records, descriptors, the small files), each
 * an fs request of its own through the thread pool; now it is one or two. Past this size a piece does
 * not wait (media bodies are not held in memory: the recorder writes them as the check runs).
 */
const WRITE_BYTES = 256 * 1024;

export async function createZipWriter(path: string): Promise<ZipWriter> {
  const file: FileHandle = await open(path, 'w');
  const hash = createHash('sha256');
  const entries: Entry[] = [];
  let position = 0;
  let current: Entry | null = null;
  let closed = false;
  /** Pieces not written yet (the callers hand over fresh buffers and never change them afterwards). */
  let waiting: Uint8Array[] = [];
  let waitingBytes = 0;

  async function flush(): Promise<void> {
    let pieces = waiting;
    let left = waitingBytes;
    waiting = [];
    waitingBytes = 0;
    while (left > 0) {
      const { bytesWritten } = await file.writev(pieces);
      left -= bytesWritten;
      if (left === 0) break;
      // A short write (rare on a file): the rest of the bytes, from where it stopped.
      let skip = bytesWritten;
      const rest: Uint8Array[] = [];
      for (const p of pieces) {
        if (skip >= p.length) skip -= p.length;
        else {
          rest.push(skip ? p.subarray(skip) : p);
          skip = 0;
        }
      }
      pieces = rest;
    }
  }

  async function put(data: Uint8Array): Promise<void> {
    queue(data);
    if (waitingBytes >= WRITE_BYTES) await flush();
  }

  function queue(data: Uint8Array): void {
    if (position + data.length > ZIP_MAX_BYTES)
      throw new ZipTooLargeError(`A zip without ZIP64 holds at most ${ZIP_MAX_BYTES} bytes`);
    hash.update(data);
    position += data.length;
    waiting.push(data);
    waitingBytes += data.length;
  }

  const entry = (name: string, mtime: Date, flags: number): Entry => {
    if (current) throw new Error(`zip entry ${current.name.toString()} is still open`);
    if (entries.length >= 0xffff) throw new ZipTooLargeError('Too many zip entries');
    return { name: Buffer.from(name), flags, ...dosDateTime(mtime), crc: 0, size: 0, offset: position };
  };

  return {
    path,
    async begin(name, mtime) {
      const e = entry(name, mtime, FLAG_UTF8 | FLAG_DATA_DESCRIPTOR);
      await put(localHeader(e));
      current = e;
    },
    async append(data) {
      if (!current) throw new Error('no zip entry begun');
      for (const piece of data instanceof Uint8Array ? [data] : data) {
        queue(piece);
        current.crc = crc32(piece, current.crc);
        current.size += piece.length;
      }
      if (waitingBytes >= WRITE_BYTES) await flush();
    },
    async end() {
      if (!current) throw new Error('no zip entry begun');
      const e = current;
      current = null;
      await put(dataDescriptor(e));
      entries.push(e);
      return e.size;
    },
    async add(name, data, mtime) {
      const e = entry(name, mtime, FLAG_UTF8);
      e.crc = crc32(data);
      e.size = data.length;
      await put(localHeader(e));
      await put(data);
      entries.push(e);
    },
    async close() {
      if (current) throw new Error(`zip entry ${current.name.toString()} is still open`);
      const start = position;
      const directory = Buffer.concat(entries.map(centralHeader));
      await put(Buffer.concat([directory, endOfCentralDirectory(entries.length, directory.length, start)]));
      await flush();
      closed = true;
      await file.close();
      return { path, bytes: position, sha256: hash.digest('hex') };
    },
    async abort() {
      if (closed) return;
      closed = true;
      await file.close().catch(() => undefined);
    },
  };
}
