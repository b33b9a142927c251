// vPDQ, Meta's video hash (ThreatExchange `vpdq/`): a list of per-frame PDQ hashes with their quality,
// frame number and timestamp, and a brute-force comparison of two such lists.
//
// Text format, one line per frame, as the reference C++ hasher writes it (vpdq/cpp/io/vpdqio.cpp) and
// as its sample hashes are stored: `frame number,quality,PDQ hex,timestamp seconds` with 3 decimals.
//
// Matching follows the Python reference (python-threatexchange, extensions/vpdq/vpdq_brute_matcher.py):
// both lists deduplicated on the exact hash and filtered to quality >= 50, then a frame matches when some
// frame of the other list is within distance 31 (inclusive); the two percentages are the shares of each
// list's remaining frames that match. HMA calls it a match when the query's share reaches 80% (and the
// other side's reaches 0%): both thresholds are configurable here.
import { setImmediate } from 'node:timers/promises';
import { hammingWords, hexToWords } from './hamming.js';

export interface VpdqFrame {
  frame: number;
  quality: number;
  pdq: string;
  timestamp: number;
}

export interface VpdqThresholds {
  /** Frames below this quality are left out of the comparison, on both sides (reference: 50). */
  minQuality: number;
  /** Largest frame-to-frame Hamming distance that counts as a match (reference: 31, inclusive). */
  frameDistance: number;
  /** Share of the query's unique frames that must match (reference: 80). */
  queryMatchPercent: number;
  /** Share of the other video's unique frames that must match (reference: 0). */
  comparedMatchPercent: number;
}

export const REFERENCE_THRESHOLDS: VpdqThresholds = {
  minQuality: 50,
  frameDistance: 31,
  queryMatchPercent: 80,
  comparedMatchPercent: 0,
};

export interface VpdqComparison {
  query_match_percent: number;
  compared_match_percent: number;
  /** Unique frames of quality >= minQuality on each side (what the percentages are of). */
  query_frames: number;
  compared_frames: number;
  match: boolean;
  /** Median distance of the matched query frames to their closest frame of the other (0 when no match). */
  median_distance: number;
}

export function formatVpdqLine(f: VpdqFrame): string {
  return `${f.frame},${f.quality},${f.pdq},${f.timestamp.toFixed(3)}`;
}

const LINE = /^\s*(\d+)\s*,\s*(\d{1,3})\s*,\s*([0-9a-fA-F]{64})\s*,\s*(\d+(?:\.\d+)?)\s*$/;

/** One line's frame, or null when it does not parse ('skip' for blank lines and comments). */
function frameOf(line: string): VpdqFrame | null | 'skip' {
  // A frame line is under 100 characters: a longer one (blank or not) is refused before it is read.
  if (line.length > MAX_LINE_CHARS) return null;
  const start = line.trimStart();
  if (!start || start.startsWith('#')) return 'skip';
  const m = LINE.exec(line);
  const quality = m ? Number(m[2]) : NaN;
  if (!m || quality > 100) return null;
  return { frame: Number(m[1]), quality, pdq: (m[3] as string).toLowerCase(), timestamp: Number(m[4]) };
}
const MAX_LINE_CHARS = 1024;
/** Lines read between two turns of the event loop in readVpdq (~10 ms on a quiet core). */
const LINES_PER_TURN = 10_000;

/** Reads lines [from, …) of `text` at `at`, up to `maxLines` of them; returns where it stopped. */
function readLines(
  text: string,
  at: { offset: number; line: number },
  maxLines: number,
  out: { frames: VpdqFrame[]; rejected: number[] },
): void {
  for (let n = 0; n < maxLines && at.offset <= text.length; n++) {
    const nl = text.indexOf('\n', at.offset);
    const end = nl < 0 ? text.length : nl;
    const line = text.slice(at.offset, end > at.offset && text[end - 1] === '\r' ? end - 1 : end);
    at.line++;
    at.offset = end + 1;
    const frame = frameOf(line);
    if (frame === null) out.rejected.push(at.line);
    else if (frame !== 'skip') out.frames.push(frame);
  }
}

/**
 * Parses vPDQ text (one frame per line; blank lines and `#` comments skipped). Lines that do not parse
 * are returned by number, so an import can say which ones it rejected.
 */
export function parseVpdq(text: string): { frames: VpdqFrame[]; rejected: number[] } {
  const out = { frames: [] as VpdqFrame[], rejected: [] as number[] };
  readLines(text, { offset: 0, line: 0 }, Infinity, out);
  return out;
}

/**
 * parseVpdq for a request body (UTF-8 bytes, up to 32 MiB): each line is decoded on its own (a line
 * over MAX_LINE_CHARS bytes is rejected undecoded) and the event loop gets a turn every LINES_PER_TURN
 * lines.
 */
export async function readVpdq(body: Buffer): Promise<{ frames: VpdqFrame[]; rejected: number[] }> {
  const out = { frames: [] as VpdqFrame[], rejected: [] as number[] };
  let offset = 0;
  let line = 0;
  while (offset <= body.length) {
    for (let n = 0; n < LINES_PER_TURN && offset <= body.length; n++) {
      const nl = body.indexOf(0x0a, offset);
      const end = nl < 0 ? body.length : nl;
      line++;
      const frame =
        end - offset > MAX_LINE_CHARS ? null : frameOf(body.toString('utf8', offset, end).replace(/\r$/, ''));
      offset = end + 1;
      if (frame === null) out.rejected.push(line);
      else if (frame !== 'skip') out.frames.push(frame);
    }
    if (offset <= body.length) await setImmediate();
  }
  return out;
}

/** The frames a comparison uses: one per distinct hash, quality >= minQuality (the reference's order). */
export function comparableFrames(frames: readonly VpdqFrame[], minQuality: number): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const f of frames) {
    if (seen.has(f.pdq)) continue;
    seen.add(f.pdq);
    if (f.quality >= minQuality) out.push(f.pdq);
  }
  return out;
}

/** How many of `a` have a frame of `b` within maxDistance (the reference stops at the first one). */
function countMatched(a: Uint32Array[], b: Uint32Array[], maxDistance: number): number {
  let n = 0;
  for (const x of a) {
    for (const y of b) {
      if (hammingWords(x, y) <= maxDistance) {
        n++;
        break;
      }
    }
  }
  return n;
}

/** Median over matched frames of `a` of the distance to their closest frame of `b` (for reports). */
function medianBestDistance(a: Uint32Array[], b: Uint32Array[], maxDistance: number): number {
  const best: number[] = [];
  for (const x of a) {
    let min = Infinity;
    for (const y of b) min = Math.min(min, hammingWords(x, y));
    if (min <= maxDistance) best.push(min);
  }
  best.sort((x, y) => x - y);
  return best.length ? (best[(best.length - 1) >> 1] as number) : 0;
}

/** Brute-force comparison of two hash lists (query first), as the reference does it. */
export function compareHashLists(
  query: readonly string[],
  compared: readonly string[],
  th: VpdqThresholds,
): VpdqComparison {
  const q = query.map(hexToWords);
  const c = compared.map(hexToWords);
  const qPercent = q.length && c.length ? (countMatched(q, c, th.frameDistance) * 100) / q.length : 0;
  const cPercent = q.length && c.length ? (countMatched(c, q, th.frameDistance) * 100) / c.length : 0;
  const round = (x: number) => Math.round(x * 100) / 100;
  const match =
    q.length > 0 && c.length > 0 && qPercent >= th.queryMatchPercent && cPercent >= th.comparedMatchPercent;
  return {
    query_match_percent: round(qPercent),
    compared_match_percent: round(cPercent),
    query_frames: q.length,
    compared_frames: c.length,
    // An empty side never matches, whatever the thresholds.
    match,
    median_distance: match ? medianBestDistance(q, c, th.frameDistance) : 0,
  };
}

export function compareVpdq(
  query: readonly VpdqFrame[],
  compared: readonly VpdqFrame[],
  th: VpdqThresholds = REFERENCE_THRESHOLDS,
): VpdqComparison {
  return compareHashLists(
    comparableFrames(query, th.minQuality),
    comparableFrames(compared, th.minQuality),
    th,
  );
}
