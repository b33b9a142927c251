// A worker thread of build-pool.ts: builds the segments it is sent (mih-build.ts) into the shared arrays,
// with scratch of its own, and answers each with its number.
import { parentPort } from 'node:worker_threads';
import { buildSegment, type SegmentTask } from './mih-build.js';

export interface BuildMessage {
  id: number;
  task: SegmentTask;
  hashes: Uint32Array;
  words: number;
  entries: Uint32Array;
  offsets: Uint32Array;
  postings: Uint32Array;
}

export type BuildReply = { id: number; ok: true } | { id: number; ok: false; error: string };

const port = parentPort;
if (!port) throw new Error('build-thread.ts runs as a worker thread');
// Scratch kept between tasks of one load (n words each); dropped with the thread.
let partKeys = new Uint32Array(0);
let partEntries = new Uint32Array(0);
port.on('message', (m: BuildMessage) => {
  try {
    const n = m.entries.length;
    if (partKeys.length < n) {
      partKeys = new Uint32Array(n);
      partEntries = new Uint32Array(n);
    }
    buildSegment(
      {
        hashes: m.hashes,
        words: m.words,
        entries: m.entries,
        partKeys: partKeys.subarray(0, n),
        partEntries: partEntries.subarray(0, n),
        offsets: m.offsets,
        postings: m.postings,
      },
      m.task,
    );
    port.postMessage({ id: m.id, ok: true } satisfies BuildReply);
  } catch (err) {
    port.postMessage({ id: m.id, ok: false, error: String(err) } satisfies BuildReply);
  }
});
