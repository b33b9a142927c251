// The sha256 of a body, taken once however many parts of a check need it. A downloaded file's digest is
// the report's `sha256` (src/pipeline/process-check.ts) and the `WARC-Payload-Digest` of its response
// record in the evidence archive (src/archive/warc-recorder.ts): the same bytes, in the same Buffer,
// hashed twice before (~0.6 CPU ms per MB on this machine, the archive's largest single cost with the
// other digests of its records).
//
// Kept by the Buffer object, and only as long as the Buffer lives (a WeakMap). Only for bytes nothing
// writes after they are hashed: a download (read into shared memory and never written again, bytes.ts)
// or an upload as read.
import { createHash } from 'node:crypto';

const known = new WeakMap<Uint8Array, string>();

/** sha256 of `bytes` in hex, computed the first time it is asked for these very bytes. */
export function sha256Hex(bytes: Uint8Array): string {
  let hex = known.get(bytes);
  if (hex === undefined) {
    hex = createHash('sha256').update(bytes).digest('hex');
    known.set(bytes, hex);
  }
  return hex;
}
