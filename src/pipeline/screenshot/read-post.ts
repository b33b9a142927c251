// A screenshot of a post, read from the OCR lines: the @handle, the display name above or beside it, the
// time stamp, and the post's text. Post screenshots look alike on every platform: name and @handle
// (often "· 8:03" or "· 2h" after it), the text, maybe a picture, then a footer with the time and date
// and a row of counters. A plain function of the reading and the picture's content region.
import type { TextInImage, TextLine } from '../../../schemas/text.js';
import { findInText, handlesIn } from '../ocr/found.js';
import type { ShotWord } from './word-diff.js';
import { words } from './word-diff.js';

export interface PostInScreenshot {
  /** Without the `@`, as read. */
  handle: string;
  display_name: string | null;
  /**
   * The time of day and the date as written in the screenshot (either may be missing); `time` is the
   * post's age ("3h") when that is all a timeline shows.
   */
  time: string | null;
  date: string | null;
  /** The post's text as read, line by line joined with spaces. */
  text: string;
  /** Its words with the confidence of their lines, for the comparison. */
  words: ShotWord[];
  /** Whether the content region detector found a picture among the text (a post with a photo). */
  embedded_picture: boolean;
}

/** Fewest words of text for an image to count as a post screenshot (a handle and a time alone is a profile card). */
export const MIN_BODY_WORDS = 4;

/** Lines from the top where the handle's line is looked for when no handle was read on a line. */
const HEAD_LINES = 3;
/** Footer or counter lines: mostly digits, times and symbols. */
const letters = (s: string) => (s.match(/\p{L}/gu) ?? []).length;

/** Where the picture inside the screenshot is, in the OCR boxes' pixels (the displayed image). */
export interface PictureBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * The post in a screenshot, or null when the picture does not look like one: a @handle, at least
 * MIN_BODY_WORDS words of text below it, and a time stamp or a picture among the text.
 */
export function readPost(text: TextInImage, picture: PictureBox | null): PostInScreenshot | null {
  if (text.status !== 'read') return null;
  const lines = text.lines;
  // The handle's line: the first with a handle on it; else the first near the top with an `@` or a
  // time (the "@handle · 8:03" line of a non-Latin post, whose final reading by the text's own model
  // can garble the Latin handle: `found` keeps what the first reading found).
  // Only handles `found` lists: the close reading of the handle line (header.ts) drops one it could not
  // confirm, and a wrong handle would trace the screenshot to someone else.
  const listed = (l: TextLine) =>
    handlesIn(l.text).filter((h) => text.found.handles.includes(`@${h.handle}`));
  let at = lines.findIndex((l) => listed(l).length > 0);
  const m = at >= 0 ? listed(lines[at] as TextLine)[0] : undefined;
  const handle = m?.handle ?? text.found.handles[0]?.slice(1) ?? '';
  if (!handle) return null;
  if (at < 0) {
    at = lines
      .slice(0, HEAD_LINES)
      .findIndex((l) => l.text.includes('@') || findInText(l.text).times.length > 0);
  }
  // No such line (the final reading dropped it): the first line is taken for the name, the text follows.
  const lineless = at < 0;
  if (lineless) at = 0;
  const handleLine = lines[at] as TextLine;
  const before = m ? handleLine.text.slice(0, m.index).trim() : '';
  const above = at > 0 ? (lines[at - 1] as TextLine).text : '';
  const display_name = lineless ? cleanName(handleLine.text) : (cleanName(before) ?? cleanName(above));

  const inPicture = (l: TextLine) => {
    if (!picture) return false;
    const cx = l.box.x + l.box.width / 2;
    const cy = l.box.y + l.box.height / 2;
    return (
      cx >= picture.x &&
      cx <= picture.x + picture.width &&
      cy >= picture.y &&
      cy <= picture.y + picture.height
    );
  };
  const body: TextLine[] = [];
  let footer: TextLine | null = null;
  for (const l of lines.slice(at + 1)) {
    if (inPicture(l)) continue;
    const found = findInText(l.text);
    const stamp = found.times.length + found.dates.length > 0;
    // The footer: a time stamp with little else ("8:03 · 3 Mar 2024 · 1.2M Views"); the post ends there.
    if (stamp && words(l.text).filter((w) => letters(w) >= 2).length <= 4) {
      footer = l;
      break;
    }
    if (letters(l.text) < l.text.replace(/\s+/g, '').length / 2) continue; // counters, icons
    body.push(l);
  }
  const shotWords = body.flatMap((l) => words(l.text).map((word) => ({ word, confidence: l.confidence })));
  const stampOf = (l: TextLine | null) => (l ? findInText(l.text) : null);
  const head = stampOf(handleLine);
  const foot = stampOf(footer);
  const afterHandle = m ? handleLine.text.slice(m.index + 1 + m.handle.length) : '';
  const [footTime, headTime] = [foot?.times[0], head?.times[0]];
  // The footer's time, unless it is the handle line's without a leading digit ("3:20" and "13:20": a
  // faint digit is lost more often than one is invented).
  const longer = footTime && headTime && headTime.length > footTime.length && headTime.endsWith(footTime);
  const time = (longer ? headTime : footTime) ?? headTime ?? ageIn(afterHandle);
  const date = foot?.dates[0] ?? head?.dates[0] ?? null;
  if (shotWords.length < MIN_BODY_WORDS) return null;
  if (!time && !date && !picture) return null;
  return {
    handle,
    display_name,
    time,
    date,
    text: body.map((l) => l.text).join(' '),
    words: shotWords,
    embedded_picture: picture !== null,
  };
}

/**
 * A post's age as a timeline shows it after the handle ("@name · 3h", "· 12m", "· 2 d."), in English or
 * Lithuanian abbreviations (Russian and Kazakh ones too, though the Latin model that reads the handle line
 * rarely reads them right). Only after the handle, on its line: "3h" in a post's text is no time stamp.
 */
const AGE =
  /(?<![\p{L}\p{N}])(\d{1,2}) ?(s|m|h|d|w|min|hr|sek\.|min\.|val\.|d\.|сек|мин|ч|д|дн|сағ|күн)(?![\p{L}\p{N}])/u;
function ageIn(s: string): string | null {
  const m = AGE.exec(s);
  return m ? `${m[1] as string}${m[2] as string}` : null;
}

/** A display name as read: without the avatar or badge read as a letter or two before or after it. */
function cleanName(s: string): string | null {
  const parts = s.split(/\s+/).filter(Boolean);
  while (parts.length && letters(parts[0] as string) < 2) parts.shift();
  while (parts.length && letters(parts[parts.length - 1] as string) < 2) parts.pop();
  const name = parts.join(' ').trim();
  return name.length >= 2 ? name.slice(0, 100) : null;
}
