// Every string in the report comes from an untrusted file. These functions make it safe to show and small:
// a hostile file must not be able to inject control sequences, reorder text with bidi overrides, or bloat
// the report with megabytes of "caption".

/** Longest string kept from the file; longer ones are cut and end with an ellipsis. */
export const MAX_TEXT = 2000;
/** Most items kept in a list from the file (keywords, history steps). */
export const MAX_ITEMS = 200;

// C0 and C1 controls (tabs and newlines included: one-line values read better in a report), the bidi
// embedding/override/isolate marks that can make text display in another order than it is stored, and
// the byte-order mark. Other zero-width characters are rare in metadata and harmless to keep.
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\ufeff]/g;

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** A displayable, bounded version of `value`, or null when nothing is left. Numbers become text. */
export function cleanText(value: unknown, max = MAX_TEXT): string | null {
  let text: string;
  if (typeof value === 'string') text = value;
  else if (typeof value === 'number' && Number.isFinite(value)) text = String(value);
  else return null;
  // Cut before cleaning, so the work is bounded by `max` and not by the file; the slack leaves room for
  // the leading blanks and controls that cleaning removes.
  const cut = text.length > 2 * max + 64;
  if (cut) text = text.slice(0, 2 * max + 64);
  // Lone surrogates (possible after a byte-level decode) would make the JSON invalid UTF-8.
  text = text.replace(LONE_SURROGATE, '\ufffd').replace(UNSAFE, ' ').trim();
  if (text === '') return null;
  if (text.length <= max && !cut) return text;
  let kept = text.slice(0, max - 1);
  // Do not end on half of a surrogate pair.
  if (/[\ud800-\udbff]$/.test(kept)) kept = kept.slice(0, -1);
  return `${kept}…`;
}

/** The cleaned, non-empty strings of a value that may be one string or a list of them; at most MAX_ITEMS. */
export function cleanList(value: unknown, max = MAX_TEXT): string[] {
  const items = Array.isArray(value) ? (value as unknown[]) : [value];
  const out: string[] = [];
  for (const item of items) {
    if (out.length >= MAX_ITEMS) break;
    const text = cleanText(item, max);
    if (text !== null) out.push(text);
  }
  return out;
}

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Text from bytes whose encoding the file does not state (IPTC-IIM without a coded character set, PNG text):
 * UTF-8 when the bytes are valid UTF-8, which is what modern writers produce, otherwise Latin-1.
 */
export function decodeGuessing(bytes: Uint8Array): string {
  try {
    return STRICT_UTF8.decode(bytes);
  } catch {
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  }
}
