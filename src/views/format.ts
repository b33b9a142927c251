// How the pages write times, sizes and hashes. Times are formatted from their text, never through
// Date: an EXIF time without a zone is the camera's local time, and converting it to anything would
// invent a zone. The server's own time zone never shows up on a page.
import { markup, type SafeHtml } from './html.js';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/;

export interface TimeParts {
  /** `22 Oct 2008` */
  date: string;
  /** `16:28:39`, or null for a date alone. */
  time: string | null;
  /** `UTC`, `UTC+02:00`, or null when the value states no zone. */
  zone: string | null;
}

/** Splits an ISO 8601 value into what a reader needs; null when it is not one. */
export function timeParts(iso: string): TimeParts | null {
  const m = ISO.exec(iso.trim());
  if (!m) return null;
  const [, y, mo, d, h, mi, s, z] = m;
  const month = MONTHS[Number(mo) - 1];
  if (!month) return null;
  const zone = !z ? null : z === 'Z' || /^[+-]00:?00$/.test(z) ? 'UTC' : `UTC${z.slice(0, 3)}:${z.slice(-2)}`;
  return {
    date: `${Number(d)} ${month} ${y}`,
    time: h ? `${h}:${mi}${s ? `:${s}` : ''}` : null,
    zone,
  };
}

/** `<time>` with the value as written in `datetime`; a zone-less time says so in words. */
export function formatTime(iso: string | null | undefined): SafeHtml {
  if (!iso) return markup`<span class="muted">unknown</span>`;
  const p = timeParts(iso);
  if (!p) return markup`<span>${iso}</span>`;
  const text = p.time ? `${p.date}, ${p.time}` : p.date;
  const zone = p.zone ?? (p.time ? 'no time zone' : null);
  return markup`<time datetime="${iso}">${text}</time>${zone ? markup` <span class="zone">${zone}</span>` : ''}`;
}

/** `158 KB`, `4.2 MB`. */
export function formatBytes(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return 'unknown size';
  if (n < 1024) return `${n} bytes`;
  if (n < 1024 * 1024) return `${Math.round(n / 1024)} KB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MB`;
}

/** `3024 × 4032` */
export function formatSize(w: number | null | undefined, h: number | null | undefined): string | null {
  return w && h ? `${w} × ${h}` : null;
}

const TRANSFORMS: Record<string, string> = {
  none: 'same orientation',
  mirrored: 'mirrored (flipped left to right)',
  flipped_upside_down: 'flipped upside down',
  rotated_90_clockwise: 'rotated 90° clockwise',
  rotated_180: 'rotated 180°',
  rotated_90_counterclockwise: 'rotated 90° counterclockwise',
  transposed: 'transposed (mirrored and rotated)',
  transversed: 'transversed (mirrored and rotated)',
};

/** How a copy differs from the image it matches, in words. */
export function describeTransform(code: string): string {
  return TRANSFORMS[code] ?? code.replace(/_/g, ' ');
}

/** The last path segment of a URL, for a short heading (`DSCN0010.jpg`); null when there is none. */
export function fileNameOf(url: string): string | null {
  try {
    const u = new URL(url);
    const last = u.pathname.split('/').filter(Boolean).at(-1);
    return last ? decodeURIComponent(last).slice(0, 80) : u.hostname;
  } catch {
    return null;
  }
}

/** Hashes are shown whole (fact-checkers paste them into other tools), in monospace, breakable. */
export function hashText(hex: string): SafeHtml {
  return markup`<code class="hash">${hex}</code>`;
}
