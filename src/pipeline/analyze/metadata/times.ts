// EXIF times are local clock readings ("2019:05:01 12:00:00") with no zone; since EXIF 2.31 the zone may be
// stated separately (OffsetTime*), and fractions of a second too (SubSecTime*). A fact-checker compares these
// with events, so we combine them only when the file says so, and otherwise say plainly that the zone is
// unknown: inventing UTC would shift a photo by hours.
import type { MetadataTime } from '../../../../schemas/metadata.js';
import { cleanText } from './text.js';

const DATE = /^(\d{4})[:-](\d{2})[:-](\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?$/;
const OFFSET = /^([+-])(\d{2}):?(\d{2})$/;

interface Parts {
  date: string;
  time: string;
}

function parseDate(raw: string): Parts | null {
  const m = DATE.exec(raw);
  if (!m) return null;
  const [, y, mo, d, h, mi, s, frac] = m.map(Number);
  const valid =
    y! >= 1800 && mo! >= 1 && mo! <= 12 && d! >= 1 && d! <= 31 && h! <= 23 && mi! <= 59 && s! <= 60;
  if (!valid) return null;
  const fraction = frac === undefined || Number.isNaN(frac) ? '' : `.${m[7]}`;
  return { date: `${m[1]}-${m[2]}-${m[3]}`, time: `${m[4]}:${m[5]}:${m[6]}${fraction}` };
}

/** `+02:00` from an EXIF OffsetTime value, or null if it is not a plausible UTC offset. */
export function parseOffset(value: unknown): string | null {
  const text = cleanText(value, 20);
  const m = text === null ? null : OFFSET.exec(text);
  if (!m) return null;
  const minutes = Number(m[2]) * 60 + Number(m[3]);
  if (Number(m[3]) > 59 || minutes > 14 * 60) return null;
  return `${m[1]}${m[2]}:${m[3]}`;
}

/**
 * One EXIF time: `raw` as stored, plus ISO 8601 with the sub-seconds and the offset when the file states them.
 * Returns null when the tag is absent or empty.
 */
export function exifTime(value: unknown, offsetValue: unknown, subSecValue: unknown): MetadataTime | null {
  const raw = cleanText(value, 64);
  if (raw === null) return null;
  const parts = parseDate(raw);
  if (parts === null) return { raw, iso: null, time_zone: null, note: 'not a valid date' };
  const subSec = cleanText(subSecValue, 20);
  // SubSecTime holds the digits after the decimal point ("087" is .087 s); only add them if the main value
  // does not already carry a fraction.
  const fraction =
    subSec !== null && /^\d{1,9}$/.test(subSec) && !parts.time.includes('.') ? `.${subSec}` : '';
  const local = `${parts.date}T${parts.time}${fraction}`;
  const zone = parseOffset(offsetValue);
  if (zone !== null) return { raw, iso: `${local}${zone}`, time_zone: zone, note: null };
  const offsetText = cleanText(offsetValue, 20);
  const note = offsetText === null ? 'no time zone' : `no time zone (unreadable offset "${offsetText}")`;
  return { raw, iso: local, time_zone: null, note };
}

/** GPSDateStamp ("2008:10:23") and GPSTimeStamp ([14, 27, 7.24]): a UTC instant by definition. */
export function gpsTime(dateValue: unknown, timeValue: unknown): MetadataTime | null {
  const date = cleanText(dateValue, 20);
  const hms =
    Array.isArray(timeValue) || ArrayBuffer.isView(timeValue)
      ? Array.from(timeValue as ArrayLike<number>)
      : [];
  const [h, m, s] = hms;
  const timeOk = hms.length === 3 && hms.every((n) => typeof n === 'number' && Number.isFinite(n) && n >= 0);
  const time = timeOk ? `${pad(h!)}:${pad(m!)}:${s! < 10 ? '0' : ''}${Number(s!.toFixed(3))}` : null;
  if (date === null && time === null) return null;
  const raw = [date, time].filter((part) => part !== null).join(' ');
  if (date === null || time === null)
    return { raw, iso: null, time_zone: '+00:00', note: 'date or time missing' };
  const parts = parseDate(`${date} ${time}`);
  if (parts === null || h! > 23 || m! > 59 || s! >= 61)
    return { raw, iso: null, time_zone: '+00:00', note: 'not a valid date' };
  return { raw, iso: `${parts.date}T${parts.time}Z`, time_zone: '+00:00', note: null };
}

const pad = (n: number) => String(Math.trunc(n)).padStart(2, '0');

/** IPTC-IIM DateCreated ("20070419") and TimeCreated ("110315-0600") as ISO 8601. */
export function iimDate(dateValue: unknown, timeValue: unknown): string | null {
  const date = cleanText(dateValue, 20);
  const d = date === null ? null : /^(\d{4})(\d{2})(\d{2})$/.exec(date);
  if (!d) return null;
  const day = `${d[1]}-${d[2]}-${d[3]}`;
  const time = cleanText(timeValue, 20);
  const t = time === null ? null : /^(\d{2})(\d{2})(\d{2})(?:([+-]\d{2})(\d{2}))?$/.exec(time);
  if (!t) return day;
  return `${day}T${t[1]}:${t[2]}:${t[3]}${t[4] === undefined ? '' : `${t[4]}:${t[5]}`}`;
}
