// Reading what platforms send: JSON of unknown shape and strings of unknown length. Every value a
// resolver keeps goes through one of these, so a hostile or broken answer yields missing fields,
// never an exception, an unbounded string or a non-http URL.

/** Longest URL kept; browsers and CDNs refuse much longer ones anyway. */
export const MAX_URL_LENGTH = 4096;
export const MAX_TEXT_LENGTH = 10_000;
export const MAX_NAME_LENGTH = 200;
export const MAX_ALT_LENGTH = 2_000;
/** Longest list read from an answer; what is kept is capped lower by the schema. */
const MAX_LIST = 1_000;

export type Json = Record<string, unknown>;

export function obj(value: unknown): Json | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : undefined;
}

export function arr(value: unknown): unknown[] {
  return Array.isArray(value) ? value.slice(0, MAX_LIST) : [];
}

export function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

export function num(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value)) return Number(value);
  return undefined;
}

/** Parses a JSON body, or undefined when it is not JSON. */
export function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

// C0/C1 controls except tab and newline, and the bidi overrides that can disguise text.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/** A display string: controls removed, trimmed, cut to `max` characters; undefined when empty. */
export function clip(value: unknown, max = MAX_NAME_LENGTH): string | undefined {
  if (typeof value !== 'string') return undefined;
  // Cut before cleaning, so the work is bounded by `max` and not by what the platform sent. The slack
  // leaves room for the controls and carriage returns that cleaning removes.
  const start = value.trimStart();
  const bounded = start.length > 2 * max + 64 ? start.slice(0, 2 * max + 64) : start;
  const cleaned = bounded.replace(/\r\n?/g, '\n').replace(CONTROL, '').trim();
  if (!cleaned) return undefined;
  return cleaned.length > max || bounded !== start ? `${cleaned.slice(0, max - 1)}…` : cleaned;
}

/** An absolute http(s) URL without credentials, resolved against `base` when relative; else undefined. */
export function httpUrl(value: unknown, base?: string): string | undefined {
  if (typeof value !== 'string') return undefined;
  const raw = value.trim();
  if (!raw || raw.length > MAX_URL_LENGTH) return undefined;
  let url: URL;
  try {
    url = base ? new URL(raw, base) : new URL(raw);
  } catch {
    return undefined;
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.username || url.password)
    return undefined;
  const href = url.toString();
  return href.length > MAX_URL_LENGTH ? undefined : href;
}

/** ISO 8601 UTC from a date string or a Unix time in seconds; undefined when it is not a sane date. */
export function isoDate(value: unknown): string | undefined {
  let ms: number;
  if (typeof value === 'number') ms = value * 1000;
  else if (typeof value === 'string' && value.length <= 64) ms = Date.parse(value);
  else return undefined;
  // Before 1990 or far in the future is a parsing accident, not a post date.
  if (!Number.isFinite(ms) || ms < Date.UTC(1990, 0, 1) || ms > Date.now() + 366 * 86400_000)
    return undefined;
  return new Date(ms).toISOString();
}

/** A pixel dimension or bitrate: a positive integer below `max`. */
export function positiveInt(value: unknown, max = 100_000): number | undefined {
  const n = num(value);
  return n !== undefined && Number.isInteger(n) && n > 0 && n <= max ? n : undefined;
}

/** Copies only the defined values, so optional schema fields are absent rather than `undefined`. */
export function defined<T extends object>(value: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = v;
  return out as T;
}
