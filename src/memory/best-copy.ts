// The copy closest to the original (issue 20): among the copies of a picture the memory knows, this one
// included, the one a fact-checker would look for: the whole picture (no frame, no crop), the most pixels,
// camera metadata, the least compression, the earliest seen. Each copy's facts are in its media record
// (`copy`, src/memory/media-store.ts); how two copies relate (one framed or cropped) is their match.
//
// Reports are stored when their check completes and never rewritten, yet the original is often checked
// after its copies. So a later check leaves a note with every copy it outranks: `media-better:<sha256>`,
// a sorted set of at most BETTER_KEPT copies seen later that rank above the file (with how the two are
// framed relative to each other). Reading a report asks those sets for its items (one pipelined round
// trip; almost always empty) and reads only the copies they name: GET stays bounded (40 items x 8 copies
// at most) and cheap, every process reads the same Redis state (nothing is cached in a process), and
// no report is ever rewritten (no race between workers, no write to a check another organization owns).
// The note goes one step: a copy outranked by O, and O later by O2, learns of O2 only if O2 matched it.
import type { BestCopy, BestCopyReason, CopyFacts } from '../../schemas/best-copy.js';
import type { Match, Signal } from '../../schemas/provenance.js';
import type { MediaItem } from '../../schemas/report.js';
import type { Keys } from '../keys.js';
import { batch, type RedisClient } from '../redis.js';
import { copyOfMatch } from './matches.js';
import { decodeCopy, type MediaStore, type StoredCopy } from './media-store.js';

/** Copies seen later kept per file (the highest-ranked by pixels), and copies listed in a report. */
const BETTER_KEPT = 8;
const LISTED = 10;
/** Sizes within 2% count as the same (a 1-pixel trim or a rounding resize is no information lost). */
const PIXEL_MARGIN = 1.02;
/** IJG quality steps below this are noise of the estimate and of encoders, not a worse copy. */
const QUALITY_MARGIN = 3;
/** `partial` matches: this image shows less than this share of the other one: it is a crop of it. */
const CROP_COVERAGE = 0.9;

type Framing = CopyFacts['framing'];
const FRAMING_CODE: Record<Framing, string> = { whole: 'w', framed: 'f', cropped: 'c' };
// A note's member: the sha256 in base64url (43 characters), so the member stays under Redis's 64-byte
// listpack limit and a set of 8 notes takes ~0.5 KB instead of a skiplist's ~1 KB per note.
const shortSha = (hex: string) => Buffer.from(hex, 'hex').toString('base64url');
const longSha = (b64: string) => Buffer.from(b64, 'base64url').toString('hex');
const framingOfCode = (c: string | undefined): Framing =>
  c === 'f' ? 'framed' : c === 'c' ? 'cropped' : 'whole';

/** A record's facts as the report shows them (framing: its own content region; matches may add more). */
export function storedToFacts(
  s: StoredCopy | null,
): Pick<CopyFacts, 'width' | 'height' | 'jpeg_quality' | 'camera_exif' | 'camera' | 'framing'> {
  return {
    width: s?.width ?? null,
    height: s?.height ?? null,
    jpeg_quality: s?.jpeg_quality ?? null,
    camera_exif: s?.camera_exif ?? false,
    camera: s?.camera ?? null,
    framing: s?.region ? 'framed' : 'whole',
  };
}

/** What a media record keeps of an analyzed item as a copy. */
export function storedCopyOf(item: MediaItem): StoredCopy {
  const cam = item.metadata?.camera;
  const name = [cam?.make, cam?.model].filter((s): s is string => !!s).join(' ');
  return {
    width: item.width ?? null,
    height: item.height ?? null,
    jpeg_quality: item.jpeg?.quality ?? null,
    camera_exif: item.metadata?.camera_exif ?? false,
    camera: item.metadata?.camera_exif && name ? name : null,
    region: item.hashes?.region?.kind ?? null,
  };
}

/**
 * How a match says the two copies are framed: `mine` for this item, `theirs` for the matched copy.
 * A `partial` match where this image holds all of the other and more (a share under 0.8, coverage near
 * 1) is either the other cropped from this or this a collage holding the other: the features cannot
 * tell which, so neither is marked and the other criteria decide.
 */
function framingByMatch(m: Match): { mine: Framing | null; theirs: Framing | null } {
  if (m.kind === 'content_region')
    return m.region?.of === 'this' ? { mine: 'framed', theirs: null } : { mine: null, theirs: 'framed' };
  if (m.kind === 'partial' && (m.coverage ?? 1) < CROP_COVERAGE) return { mine: 'cropped', theirs: null };
  return { mine: null, theirs: null };
}

const pixels = (c: CopyFacts) => (c.width ?? 0) * (c.height ?? 0);
const time = (iso: string | null) => {
  const t = iso ? Date.parse(iso) : NaN;
  return Number.isFinite(t) ? t : Infinity;
};

/** The criteria, in the order they weigh, each true when `a` beats `b` on it. */
const CRITERIA: Array<[BestCopyReason, (a: CopyFacts, b: CopyFacts) => boolean]> = [
  ['not_framed', (a, b) => a.framing === 'whole' && b.framing === 'framed'],
  ['not_cropped', (a, b) => a.framing === 'whole' && b.framing === 'cropped'],
  ['more_pixels', (a, b) => pixels(a) > pixels(b) * PIXEL_MARGIN],
  ['camera_metadata', (a, b) => a.camera_exif && !b.camera_exif],
  [
    'less_compressed',
    (a, b) =>
      a.jpeg_quality !== null && b.jpeg_quality !== null && a.jpeg_quality >= b.jpeg_quality + QUALITY_MARGIN,
  ],
  ['earlier', (a, b) => time(a.first_seen_at) < time(b.first_seen_at)],
];

/** Negative when `a` is closer to the original: the first criterion either wins decides. */
export function compareCopies(a: CopyFacts, b: CopyFacts): number {
  for (const [, beats] of CRITERIA) {
    if (beats(a, b)) return -1;
    if (beats(b, a)) return 1;
  }
  // A tie keeps this report's own copy first: no other copy is named without a reason.
  return Number(b.this) - Number(a.this) || (a.sha256 ?? '').localeCompare(b.sha256 ?? '');
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
function day(iso: string | null): string | null {
  const t = time(iso);
  if (!Number.isFinite(t)) return null;
  const d = new Date(t);
  return `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()] ?? ''} ${d.getUTCFullYear()}`;
}

function describe(c: CopyFacts): string {
  const facts = [
    c.width && c.height ? `${c.width}x${c.height}` : null,
    c.camera_exif ? `camera EXIF${c.camera ? ` (${c.camera})` : ''}` : 'no camera EXIF',
    c.jpeg_quality !== null ? `JPEG quality ${c.jpeg_quality}` : null,
    c.framing === 'whole' ? null : c.framing,
  ].filter((s): s is string => !!s);
  return facts.join(', ');
}

const REASON_WORDS: Record<BestCopyReason, string> = {
  not_framed: 'the picture without the frame or screenshot around this one',
  not_cropped: 'more of the picture than this crop',
  more_pixels: 'larger',
  camera_metadata: 'with the camera metadata this one lacks',
  less_compressed: 'less compressed',
  earlier: 'seen earlier',
};

function listWords(words: string[]): string {
  return words.length < 2 ? (words[0] ?? '') : `${words.slice(0, -1).join(', ')} and ${words.at(-1) ?? ''}`;
}

/** Ranks the copies (this one among them) and names the best, with its reasons. */
export function bestCopyOf(copies: CopyFacts[], updated = false): BestCopy {
  const ranked = [...copies].sort(compareCopies);
  const best = ranked[0] as CopyFacts;
  const mine = ranked.find((c) => c.this) ?? best;
  const known = ranked.length;
  const listed = ranked.slice(0, LISTED);
  if (!listed.includes(mine)) listed[LISTED - 1] = mine;
  if (best.this) {
    return {
      this_one: true,
      reasons: [],
      summary: `This copy (${describe(best)}) is the closest to the original of the ${known} copies firstseen knows.`,
      copies: listed,
      known,
      updated,
    };
  }
  const reasons = CRITERIA.filter(([, beats]) => beats(best, mine)).map(([r]) => r);
  const when = day(best.first_seen_at);
  const where = best.first_seen_url ? ` at ${best.first_seen_url}` : '';
  return {
    this_one: false,
    reasons,
    summary: `The copy first seen${when ? ` on ${when}` : ''}${where} (${describe(best)}) is closer to the original than this one (${describe(mine)}): ${listWords(reasons.map((r) => REASON_WORDS[r]))}.`,
    copies: listed,
    known,
    updated,
  };
}

/**
 * The `not_the_best_copy` signal of a ranking, or null when this copy is the best, or when the best is
 * only seen earlier (the same pixels, quality and metadata: an earlier sighting is `recycled`'s business,
 * not a closer copy). src/pipeline/provenance.ts raises it at check time by the same rule.
 */
export function bestCopySignal(b: BestCopy | undefined): Signal | null {
  return b && !b.this_one && b.reasons.some((r) => r !== 'earlier')
    ? { code: 'not_the_best_copy', severity: 'medium', message: b.summary }
    : null;
}

/** This item as a copy, first seen when and where given. */
function thisCopy(item: MediaItem, first: { at: string | null; url: string | null }): CopyFacts {
  return {
    this: true,
    sha256: item.sha256 ?? null,
    ...storedToFacts(storedCopyOf(item)),
    captured_at: item.metadata?.times.date_time_original?.iso ?? null,
    first_seen_at: first.at,
    first_seen_url: first.url,
  };
}

const worse = (f: Framing, g: Framing | null): Framing => (f === 'whole' && g ? g : f);

export function createBestCopies(redis: RedisClient, keys: Keys, media: MediaStore) {
  return {
    /**
     * The ranking of an analyzed item among the copies it matched (`matches`: what the matcher returned,
     * already only what the organization may see), or null without a copy seen before. Leaves a note
     * with each copy this one outranks, for their reports (see the top of this file).
     */
    async forItem(item: MediaItem, matches: readonly Match[], now: string): Promise<BestCopy | null> {
      if (!item.sha256 || item.video) return null;
      const others = matches.filter((m) => m.source === 'seen' && m.sha256 && m.sha256 !== item.sha256);
      if (!others.length) return null;
      // The copy facts of the records the matches were built from (the matcher read them just now; a
      // record's `copy` is written with its first sighting and never changes), else read here.
      const stored = others.map(copyOfMatch);
      const unknown = others.flatMap((m, k) => (stored[k] === undefined ? [k] : []));
      const replies = await batch(redis, unknown, (pipe, k) =>
        pipe.hget(keys.media(others[k]?.sha256 as string), 'copy'),
      );
      unknown.forEach((k, j) => {
        stored[k] = decodeCopy(replies[j]?.[1] as string | null);
      });
      const exact = matches.find((m) => m.kind === 'exact' && m.sha256 === item.sha256);
      const mine = thisCopy(item, {
        at: exact?.first_seen_at ?? now,
        url: exact?.first_seen_url ?? item.source_url,
      });
      const copies = others.map((m, k): CopyFacts => {
        const rel = framingByMatch(m);
        if (rel.mine) mine.framing = worse(mine.framing, rel.mine);
        const facts = storedToFacts(stored[k] ?? null);
        return {
          this: false,
          sha256: m.sha256,
          ...facts,
          framing: worse(facts.framing, rel.theirs),
          captured_at: m.captured_at,
          first_seen_at: m.first_seen_at,
          first_seen_url: m.first_seen_url,
        };
      });
      const outranked = others.filter((m, k) => compareCopies(mine, copies[k] as CopyFacts) < 0);
      await batch(redis, outranked, (pipe, m) => {
        const key = keys.mediaBetter(m.sha256 as string);
        const theirs = copies[others.indexOf(m)] as CopyFacts;
        const member = `${shortSha(item.sha256 ?? '')}:${FRAMING_CODE[mine.framing]}:${FRAMING_CODE[theirs.framing]}`;
        pipe.zadd(key, pixels(mine), member);
        pipe.zremrangebyrank(key, 0, -(BETTER_KEPT + 1));
      });
      return bestCopyOf([mine, ...copies]);
    },

    /**
     * A stored report as `org` reads it now: each image item's best copy again, with the copies seen
     * after its check that outrank it (their notes), those `org` may see only. Items nobody outranked
     * since are left as stored. Returns the number of items whose answer changed.
     */
    async refresh(report: { started_at: string; media: MediaItem[] }, org: string): Promise<number> {
      const items = report.media.filter((m) => m.status === 'ok' && m.sha256 && !m.video);
      if (!items.length) return 0;
      const replies = await batch(redis, items, (pipe, m) =>
        pipe.zrevrange(keys.mediaBetter(m.sha256 as string), 0, BETTER_KEPT - 1),
      );
      let changed = 0;
      for (const [k, item] of items.entries()) {
        const notes = ((replies[k]?.[1] as string[] | undefined) ?? []).map((n) => n.split(':'));
        if (!notes.length) continue;
        const stored = item.best_copy?.copies ?? [];
        const mine =
          stored.find((c) => c.this) ?? thisCopy(item, { at: report.started_at, url: item.source_url });
        const known = new Map(stored.map((c) => [c.sha256, c]));
        const later: CopyFacts[] = [];
        for (const [short, theirs, its] of notes) {
          const sha256 = short ? longSha(short) : '';
          if (sha256.length !== 64 || known.has(sha256)) continue;
          // Another organization's upload, and nothing public: not ours to name (media-store getFor).
          const record = await media.getFor(sha256, org);
          if (!record) continue;
          const facts = storedToFacts(record.copy);
          later.push({
            this: false,
            sha256,
            ...facts,
            framing: worse(facts.framing, framingOfCode(theirs) === 'whole' ? null : framingOfCode(theirs)),
            captured_at: record.captured_at,
            first_seen_at: record.first_seen_at || null,
            first_seen_url: record.first_seen_url || null,
          });
          if (its && its !== 'w') mine.framing = worse(mine.framing, framingOfCode(its));
        }
        if (!later.length) continue;
        const others = stored.filter((c) => !c.this);
        const next = bestCopyOf([mine, ...others, ...later], true);
        const before = item.best_copy;
        if (before && next.copies[0]?.sha256 === before.copies[0]?.sha256) continue;
        // The stored list holds the first LISTED copies of those ranked at the check: count them all.
        item.best_copy = { ...next, known: (before?.known ?? 1) + later.length };
        const signals = item.provenance?.signals;
        if (signals) {
          const kept = signals.filter((s) => s.code !== 'not_the_best_copy');
          const signal = bestCopySignal(item.best_copy);
          item.provenance!.signals = signal ? [...kept, signal] : kept;
        }
        changed++;
      }
      return changed;
    },
  };
}

export type BestCopies = ReturnType<typeof createBestCopies>;
