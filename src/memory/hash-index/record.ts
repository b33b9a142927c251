// The index's stream records: binary, so that 10 million entries cost Redis ~half what hex would, and
// loading never builds a string per entry (the id bytes go straight into the id arena).
//
//   field "e" (an entry, add or replace):
//     [0] format version (1)  [1] flags: 1 = has PDQ, 2 = has pHash  [2] PDQ quality (255 = none)
//     [32 bytes PDQ, if any] [8 bytes pHash, if any] [the id, encoded by ids.ts: the rest]
//   field "d" (a tombstone: the id stops matching everywhere):
//     [0] format version (1)  [the id, encoded by ids.ts: the rest]
// Hashes are big-endian, so the bytes are exactly the hex a person would paste.
import type { IndexEntry } from './types.js';
import { encodeId } from './id-store.js';

export const RECORD_VERSION = 1;
export const FIELD_ENTRY = 'e';
export const FIELD_REMOVAL = 'd';
export const HAS_PDQ = 1;
export const HAS_PHASH = 2;
export const NO_QUALITY = 255;
const HEADER = 3;

const PDQ_HEX = /^[0-9a-fA-F]{64}$/;
const PHASH_HEX = /^[0-9a-fA-F]{16}$/;

export function checkPdqHex(hex: string): void {
  if (!PDQ_HEX.test(hex)) throw new RangeError('A PDQ hash must be 64 hex digits');
}

export function checkPhashHex(hex: string): void {
  if (!PHASH_HEX.test(hex)) throw new RangeError('A pHash must be 16 hex digits');
}

/** Writes a hex hash of `bytes` bytes at `at`; Buffer's hex decoding stops at the first bad digit. */
function writeHex(out: Buffer, hex: string, at: number, bytes: number, what: string): number {
  if (hex.length !== bytes * 2 || out.write(hex, at, 'hex') !== bytes) {
    throw new RangeError(`${what} must be ${bytes * 2} hex digits`);
  }
  return bytes;
}

export function encodeEntry(entry: IndexEntry): Buffer {
  const { pdq, phash, quality } = entry;
  if (pdq === undefined && phash === undefined) {
    throw new RangeError(`Index entry ${entry.id} has neither a PDQ hash nor a pHash`);
  }
  if (quality !== undefined && !(Number.isInteger(quality) && quality >= 0 && quality <= 100)) {
    throw new RangeError('PDQ quality must be an integer from 0 to 100');
  }
  const id = encodeId(entry.id);
  const out = Buffer.allocUnsafe(
    HEADER + (pdq !== undefined ? 32 : 0) + (phash !== undefined ? 8 : 0) + id.length,
  );
  out[0] = RECORD_VERSION;
  out[1] = (pdq !== undefined ? HAS_PDQ : 0) | (phash !== undefined ? HAS_PHASH : 0);
  out[2] = pdq !== undefined && quality !== undefined ? quality : NO_QUALITY;
  let at = HEADER;
  if (pdq !== undefined) at += writeHex(out, pdq, at, 32, 'A PDQ hash');
  if (phash !== undefined) at += writeHex(out, phash, at, 8, 'A pHash');
  id.copy(out, at);
  return out;
}

export function encodeRemoval(id: string): Buffer {
  const encoded = encodeId(id);
  const out = Buffer.allocUnsafe(1 + encoded.length);
  out[0] = RECORD_VERSION;
  encoded.copy(out, 1);
  return out;
}

/** Where the parts of an entry record are (offsets into the record; -1 when absent). */
export interface EntryLayout {
  quality: number;
  pdq: number;
  phash: number;
  idFrom: number;
}

/**
 * Reads the layout of the entry record at record[from, to) into `out` (reused: no object per entry;
 * offsets are into `record`); false if it is not version 1.
 */
export function readEntry(record: Buffer, out: EntryLayout, from = 0, to = record.length): boolean {
  if (record[from] !== RECORD_VERSION || to - from < HEADER + 2) return false;
  const flags = record[from + 1] as number;
  let at = from + HEADER;
  out.quality = record[from + 2] as number;
  out.pdq = flags & HAS_PDQ ? at : -1;
  if (flags & HAS_PDQ) at += 32;
  out.phash = flags & HAS_PHASH ? at : -1;
  if (flags & HAS_PHASH) at += 8;
  out.idFrom = at;
  return at < to;
}

/** Offset of the encoded id in the removal record at record[from..], or -1 if it is not version 1. */
export function readRemoval(record: Buffer, from = 0): number {
  return record[from] === RECORD_VERSION && record.length > from + 1 ? from + 1 : -1;
}
