// Copying bytes. `new Uint8Array(source)` looks like the obvious copy, but V8 does not always take its
// memcpy path for it: on Node 20, copying a 4 MB photo read by readFileSync took 5.1 CPU ms that way
// against 0.45 ms for an allocation and `set` (a plain 4 MB Uint8Array: 3.8 against 0.37; 50 copies
// each, 5 December 2026).
//
// What neither avoids is the cost of fresh memory: a copy handed to an analysis thread is freed there,
// so the next one lands on pages the kernel must map and zero again, ~1.5 CPU ms per MB on this machine
// (a 4 MB file: 6-8 ms either way, measured with a thread that drops what it gets). The pool pays it for
// bytes it must copy to keep the caller's readable while the thread works (an upload); a download is
// read into shared memory (sharedConcat, below) and handed over without it.

/** A copy of `source` in an ArrayBuffer of its own (which can be transferred to a thread). */
export function copyBytes(source: Uint8Array): Uint8Array<ArrayBuffer> {
  const copy = new Uint8Array(source.byteLength);
  copy.set(source);
  return copy;
}

/**
 * `chunks` joined in one SharedArrayBuffer: what a download is read into. An analysis thread reads such
 * bytes where they are, so the pool hands them over without the copy above (and its fresh pages: ~1.5
 * CPU ms per MB), while the caller keeps reading them (archive, thumbnails, OCR). Nothing writes them
 * after this: the thread and the caller only read.
 */
export function sharedConcat(chunks: readonly Uint8Array[], total: number): Buffer {
  const out = Buffer.from(new SharedArrayBuffer(total));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}
