// The story of one image: a timeline of every dated piece of evidence, the earliest sighting, and plain
// signals. A pure function of what the other stages found: it weighs evidence, it never says "true" or
// "false", and every date says what it rests on.
import type { BestCopy } from '../../schemas/best-copy.js';
import type { ContentCredentials } from '../../schemas/c2pa.js';
import type { Hashes } from '../../schemas/hashes.js';
import type { FactCheck } from '../../schemas/fact-checks.js';
import type { Jpeg } from '../../schemas/jpeg.js';
import type { Metadata } from '../../schemas/metadata.js';
import type { Match, Provenance, Signal, TimelineEvent } from '../../schemas/provenance.js';
import type { ThumbnailComparison } from '../../schemas/report.js';
import type { ScreenshotOf } from '../../schemas/screenshot.js';
import type { TextInImage } from '../../schemas/text.js';
import type { VideoMetadata } from '../../schemas/video.js';
import { LOOKED_UP_ON } from './screenshot/author-feed.js';
import { languageName } from './ocr/language.js';

export interface ProvenanceThresholds {
  /** A match first seen (or capture time) this much before the post counts as predating it. */
  recycledMarginHours: number;
  /** Thumbnail-to-picture PDQ distance above which the picture was changed after capture. */
  thumbnailMismatchBits: number;
  minPdqQuality: number;
}

export interface ProvenanceInput {
  /** When this check looked at the image. */
  checkedAt: string;
  sourceUrl: string;
  /** The post that carried the image, when the link was a post (`author`: `@handle` or name, as text matches name theirs). */
  post?: { url: string | null; posted_at: string | null; author?: string | null } | null;
  /** First captures in the Wayback Machine of the post and media URLs. */
  wayback?: Array<{ url: string; captured_at: string; snapshot_url: string }>;
  /** Captures this check asked the Wayback Machine for (Save Page Now): the post as it was when checked. */
  saved?: Array<{ url: string; captured_at: string; snapshot_url: string }>;
  metadata?: Metadata;
  contentCredentials?: ContentCredentials;
  hashes?: Hashes;
  exifThumbnail?: ThumbnailComparison;
  /** How the JPEG file was made (structure, tables). */
  jpeg?: Jpeg;
  /** A video's container metadata (creation time, device, location). */
  video?: VideoMetadata;
  /** Pages where a web search engine's crawler found the image (src/pipeline/web-search/), with the
   *  engine's name for people. */
  web?: Array<{ engine: string; url: string | null; page_url: string; crawled_at: string }>;
  /** The words read in the picture (OCR). */
  text?: TextInImage;
  /** The post this image is a screenshot of (src/pipeline/screenshot/). */
  screenshotOf?: ScreenshotOf;
  /** Picture matches, then `text` matches (its post's text or its own words seen before). */
  matches: Match[];
  /** Published fact-checks of this picture or of the pictures it matched, and of claims worded like its post. */
  factChecks?: FactCheck[];
  /** The copy closest to the original among those known (the memory's ranking). */
  bestCopy?: BestCopy;
  thresholds: ProvenanceThresholds;
}

// Editors whose name in EXIF Software or XMP history means the file went through editing software
// (camera firmware and phone OS names do not count).
const EDITORS =
  /photoshop|lightroom|gimp|affinity|snapseed|pixelmator|paint\.net|capture one|darktable|rawtherapee|luminar|picsart|canva|facetune|photopea|corel|acdsee|krita|inkscape|illustrator|dxo|on1|fotor|vsco|meitu|remini/i;

/**
 * Highest libjpeg quality at which a file with standard tables and no camera EXIF counts as `recompressed`.
 * The defaults of the libraries platforms and apps re-encode with are under it (cjpeg and Pillow 75, sharp
 * 80, GIMP 90); the phones in the test fixtures that write libjpeg tables themselves do so at 95-96 (and keep
 * their camera EXIF). Above it, an export loses too little to call the file a lossy copy.
 */
export const RECOMPRESSED_MAX_QUALITY = 92;

const time = (iso: string | null | undefined): number | null => {
  if (!iso) return null;
  const t = Date.parse(iso);
  return Number.isFinite(t) ? t : null;
};

const HOUR = 3600_000;

/** What the words in the picture are, in one sentence: how much, which language, the handles and dates. */
function textSignal(text: TextInImage): Signal {
  const words = text.text.split(/\s+/).filter(Boolean).length;
  const lang = text.languages.map(languageName).join(' and ');
  const named = [
    ...text.found.handles.slice(0, 3),
    ...text.found.dates.slice(0, 2),
    ...text.found.times.slice(0, 2),
  ];
  return {
    code: 'text_in_image',
    severity: 'info',
    message: `${text.keyframes ? 'The video’s keyframes hold' : 'The image holds'} ${words} word${words === 1 ? '' : 's'} of text${lang ? ` in ${lang}` : ''}${named.length ? `, naming ${named.join(', ')}` : ''}.`,
  };
}

function describeAge(ms: number): string {
  const days = ms / (24 * HOUR);
  if (days >= 730) return `${Math.floor(days / 365)} years`;
  if (days >= 60) return `${Math.floor(days / 30)} months`;
  if (days >= 2) return `${Math.floor(days)} days`;
  const hours = Math.round(ms / HOUR);
  if (hours >= 2) return `${hours} hours`;
  if (hours === 1) return 'an hour';
  // Only seen when RECYCLED_MARGIN_HOURS is below 1 (a newsroom watching a breaking story closely).
  const minutes = Math.round(ms / 60_000);
  return minutes >= 2 ? `${minutes} minutes` : 'moments';
}

/**
 * The camera's clock (DateTimeOriginal) against the GPS time the same file holds (UTC, from the
 * satellites). Read from the fixtures' files that have both (ExifTool's truth): phones and cameras agree
 * to a second once the zone is written (a Nokia 8.3: 14:12:31 +03:00 and 11:12:32 UTC), or differ by a
 * whole zone when it is not (+2 h: an iPhone, a Xiaomi); a Nikon COOLPIX P6000 photo reads 22 h apart (its
 * date set a day wrong), a PNG 14 years apart (a GPS block from another file). An IPTC sample is 5 h apart
 * by the zone ExifTool finds in its XMP, but its EXIF states none, and as read here it is within a zone.
 * Apart means more than GPS_CLOCK_SLACK beyond the zone written, or outside every
 * zone (UTC-12 to UTC+14) by as much when none is. A GPS time can also be an older fix's.
 */
const GPS_CLOCK_SLACK = HOUR;

function clockAgainstGps(md: Metadata | undefined): Signal | null {
  const taken = md?.times.date_time_original;
  const gps = md?.times.gps;
  if (!taken?.iso || !gps?.iso) return null;
  // Without a zone the clock's reading minus UTC is the zone it was set to, if both are right.
  const clock = time(taken.time_zone ? taken.iso : `${taken.iso}Z`);
  const satellites = time(gps.iso);
  if (clock === null || satellites === null) return null;
  const diff = clock - satellites;
  const apart = taken.time_zone
    ? Math.abs(diff) > GPS_CLOCK_SLACK
    : diff > 14 * HOUR + GPS_CLOCK_SLACK || diff < -12 * HOUR - GPS_CLOCK_SLACK;
  if (!apart) return null;
  // "22 Oct 2008, 16:28" as the clock reads it (no conversion: the zone is said beside it).
  const shown = (iso: string, zone: string) =>
    `${Number(iso.slice(8, 10))} ${MONTHS[Number(iso.slice(5, 7)) - 1] ?? ''} ${iso.slice(0, 4)}, ${iso.slice(11, 16)}${zone}`;
  return {
    code: 'capture_time_disagrees_gps',
    severity: 'medium',
    message: `The camera’s clock (${shown(taken.iso, taken.time_zone ? ` UTC${taken.time_zone}` : ', no time zone')}) and the GPS time in the same file (${shown(gps.iso, ' UTC')}) are ${describeAge(Math.abs(diff))} apart, more than ${taken.time_zone ? 'its time zone' : 'any time zone'} explains: the clock was set wrong, the GPS time is an older fix’s, or the metadata was edited.`,
  };
}

function howMatched(m: Match): string {
  if (m.kind === 'text') return `${Math.round((m.text?.share ?? 0) * 100)}% of the words in common`;
  if (m.kind === 'exact') return 'the same file';
  if (m.kind === 'partial') return `part of the picture, ${m.inliers ?? 0} matching points`;
  return `${m.kind === 'content_region' ? 'content region, ' : ''}${m.hash} distance ${m.distance}`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
/** "7 Jan 2022" (UTC), as a fact-checker would write it. */
function dayOf(iso: string | null): string | null {
  const t = time(iso);
  if (t === null) return null;
  const d = new Date(t);
  return `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()] ?? ''} ${d.getUTCFullYear()}`;
}

/** "AFP Fact Check rated this picture 'Missing context' on 7 Jan 2022." and how the picture matched. */
function alreadyFactChecked(f: FactCheck): Signal {
  const who = f.publisher.name ?? 'A fact-checker';
  const day = dayOf(f.reviewed_at);
  const what =
    f.match.kind !== 'text'
      ? 'this picture'
      : f.match.of === 'quoted'
        ? 'a claim worded like the post this one quotes'
        : 'a claim worded like this post';
  const verdict = f.rating ? `rated ${what} “${f.rating}”` : `fact-checked ${what}`;
  const how = {
    exact: '',
    near_duplicate: ' (a near-duplicate of the picture it reviewed)',
    content_region: ' (the same picture inside a frame or screenshot)',
    partial: ' (part of the picture it reviewed: a crop, a collage, or a copy marked over)',
    image_search: ' (Google Fact Check Tools found this image in it)',
    text_search: ' (Google Fact Check Tools found it by the post’s words)',
    text: ` (${Math.round((f.match.share ?? 0) * 100)}% of the words in common, same language)`,
  }[f.match.kind];
  return {
    code: 'already_fact_checked',
    severity: 'high',
    message: `${who} ${verdict}${day ? ` on ${day}` : ''}${how}.`,
  };
}

function timeline(input: ProvenanceInput): TimelineEvent[] {
  const events: TimelineEvent[] = [];
  const add = (e: Omit<TimelineEvent, 'url' | 'note'> & { url?: string | null; note?: string | null }) =>
    events.push({ url: null, note: null, ...e });

  const created = input.video?.creation_time;
  if (created) {
    add({
      at: created,
      kind: 'video_created',
      description: `The video file says it was recorded at ${created} (${input.video?.creation_time_source ?? 'container'}).`,
      strength: 'weak',
      note: 'A device or encoder clock: easy to set wrong; a re-encode may write its own time.',
    });
  }
  const captured = input.metadata?.times.date_time_original;
  if (captured?.iso) {
    add({
      at: captured.iso,
      kind: 'exif_capture',
      description: `The camera recorded the photo as taken at ${captured.raw}.`,
      strength: 'weak',
      note: `Camera clock${captured.time_zone ? '' : ', no time zone'}: easy to set wrong, and easy to edit.`,
    });
  }
  // The GPS receiver's time (UTC, from the satellites) beside the camera's clock: capture_time_disagrees_gps
  // says when the two are apart.
  const gpsTime = input.metadata?.times.gps;
  if (gpsTime?.iso) {
    add({
      at: gpsTime.iso,
      kind: 'exif_gps_time',
      description: `The GPS in the metadata recorded its position at ${gpsTime.iso.slice(0, 19).replace('T', ' ')} UTC.`,
      strength: 'weak',
      note: 'Satellite time, not the camera’s clock, but the time of the last fix (older when the receiver had none since), and easy to edit.',
    });
  }
  const signed = input.contentCredentials?.active_manifest?.signing_time;
  if (signed) {
    add({
      at: signed,
      kind: 'c2pa_signed',
      description: `Content Credentials were signed${input.contentCredentials?.active_manifest?.claim_generator ? ` by ${input.contentCredentials.active_manifest.claim_generator}` : ''}.`,
      strength: 'weak',
      note: 'The signer’s own clock; a trusted timestamp is not checked.',
    });
  }
  if (input.post?.posted_at) {
    add({
      at: input.post.posted_at,
      kind: 'post_published',
      description: 'The post carrying the image was published.',
      url: input.post.url,
      strength: 'strong',
      note: 'The platform’s own timestamp.',
    });
  }
  for (const w of input.wayback ?? []) {
    add({
      at: w.captured_at,
      kind: 'wayback_capture',
      description: `The Wayback Machine first archived ${w.url}.`,
      url: w.snapshot_url,
      strength: 'strong',
      note: 'An independent archive: the content existed by then (it may be older).',
    });
  }
  for (const w of input.saved ?? []) {
    add({
      at: w.captured_at,
      kind: 'wayback_saved',
      description: `At this check’s request, the Wayback Machine archived ${w.url}.`,
      url: w.snapshot_url,
      strength: 'strong',
      note: 'Evidence of what the post showed when checked, viewable by anyone after it is deleted or changed.',
    });
  }
  for (const w of input.web ?? []) {
    add({
      at: w.crawled_at,
      kind: 'web_crawled',
      description: `${w.engine}’s crawler found the image on ${hostOf(w.page_url)}.`,
      url: w.page_url,
      strength: 'medium',
      note: `${w.engine}’s crawler first saw it${w.url ? ` at ${w.url}` : ''} on ${w.crawled_at.slice(0, 10)}; a crawl date is when the crawler came, not when it was posted: it was online by then, maybe long before.`,
    });
  }
  for (const m of input.matches) {
    const what =
      m.source === 'bank'
        ? `bank "${m.bank?.name ?? ''}" entry "${m.bank?.label ?? ''}"`
        : m.kind === 'text'
          ? m.text?.matched === 'post'
            ? `a post with the same words${m.text.author ? ` by ${m.text.author}` : ''}`
            : 'an image with the same words'
          : 'a matching image';
    if (m.bank?.first_published) {
      add({
        at: m.bank.first_published,
        kind: 'bank_first_published',
        description: `Per ${what}, the image was first published.`,
        url: m.bank.source_url,
        strength: 'medium',
        note: 'The bank’s claim, with its source.',
      });
    }
    if (m.posted_at) {
      add({
        at: m.posted_at,
        kind: 'match_posted',
        description: `A post carried ${what} (${howMatched(m)}).`,
        url: m.post_url,
        strength: 'strong',
        note: 'The platform’s timestamp of the earlier post.',
      });
    }
    if (m.first_seen_at) {
      add({
        at: m.first_seen_at,
        kind: 'match_first_seen',
        description: `firstseen first saw ${what} (${howMatched(m)}).`,
        url: m.first_seen_url,
        strength: 'medium',
        note: 'firstseen’s index is only as old as firstseen: the image may be older.',
      });
    }
  }
  for (const f of input.factChecks ?? []) {
    if (!f.reviewed_at) continue;
    add({
      at: f.reviewed_at,
      kind: 'fact_checked',
      description: `${f.publisher.name ?? 'A fact-checker'} published a fact-check of ${f.match.kind === 'exact' ? 'this file' : f.match.kind === 'text' ? 'a claim worded like this post' : 'this picture'}${f.rating ? ` (rated “${f.rating}”)` : ''}.`,
      url: f.url,
      strength: 'medium',
      note:
        f.match.kind === 'text'
          ? 'The fact-checker’s publication date, from its ClaimReview markup: the claim was circulating by then.'
          : 'The fact-checker’s publication date, from its ClaimReview markup: the picture existed by then.',
    });
  }
  add({
    at: input.checkedAt,
    kind: 'checked',
    description: 'This check looked at the image.',
    url: input.sourceUrl,
    strength: 'strong',
  });
  return events
    .filter((e) => time(e.at) !== null)
    .sort((a, b) => (time(a.at) as number) - (time(b.at) as number));
}

function signals(input: ProvenanceInput, events: TimelineEvent[]): Signal[] {
  const out: Signal[] = [];
  const { thresholds: th } = input;
  const margin = th.recycledMarginHours * HOUR;
  // The moment the claim is about: the post's time, or else when we were asked.
  const reference = time(input.post?.posted_at) ?? time(input.checkedAt) ?? Date.now();
  const referenceName = input.post?.posted_at ? 'the post' : 'this check';

  // Words in common say nothing of when the picture was seen: `text_seen_before` weighs those.
  const earlierMatch = input.matches
    .filter((m) => m.kind !== 'text')
    .map((m) => ({
      m,
      t: Math.min(
        time(m.posted_at) ?? Infinity,
        time(m.first_seen_at) ?? Infinity,
        time(m.bank?.first_published) ?? Infinity,
      ),
    }))
    .filter((x) => Number.isFinite(x.t) && reference - x.t > margin)
    .sort((a, b) => a.t - b.t)[0];
  const earlierWeb = earlierWebSighting(input, reference, margin);
  if (earlierWeb && (!earlierMatch || earlierWeb.t < earlierMatch.t)) {
    const { w, t } = earlierWeb;
    out.push({
      code: 'recycled',
      severity: 'high',
      message: `This image was on the web ${describeAge(reference - t)} before ${referenceName}: ${w.engine}’s crawler found it at ${w.page_url} on ${w.crawled_at.slice(0, 10)}.`,
    });
  } else if (earlierMatch) {
    const { m, t } = earlierMatch;
    out.push({
      code: 'recycled',
      severity: 'high',
      message: `This ${input.video ? 'video' : 'image'} was seen ${describeAge(reference - t)} before ${referenceName}${m.match_frame ? `, as a frame ${m.match_frame.timestamp.toFixed(1)} s into a video` : ''}${m.first_seen_url ? ` (at ${m.first_seen_url})` : ''}.`,
    });
  }
  for (const m of input.matches.filter((x) => x.bank)) {
    const b = m.bank!;
    out.push({
      code: 'bank_match',
      severity: b.kind === 'debunked' ? 'high' : 'medium',
      message: `Matches "${b.label}" in the bank "${b.name}" of ${b.publisher}${b.verdict ? `: ${b.verdict}` : ''}.`,
    });
  }
  for (const f of input.factChecks ?? []) out.push(alreadyFactChecked(f));
  const capture = events.find((e) => e.kind === 'exif_capture');
  const captureTime = time(capture?.at);
  if (captureTime !== null && reference - captureTime > Math.max(margin, 24 * HOUR)) {
    out.push({
      code: 'capture_predates_post',
      severity: 'high',
      message: `The EXIF capture date is ${describeAge(reference - captureTime)} before ${referenceName}.`,
    });
  }
  const created = time(input.video?.creation_time);
  if (created !== null && reference - created > Math.max(margin, 24 * HOUR)) {
    out.push({
      code: 'creation_time_predates_post',
      severity: 'high',
      message: `The video file’s creation time is ${describeAge(reference - created)} before ${referenceName}.`,
    });
  }
  const md = input.metadata;
  const editors = [
    md?.software,
    md?.xmp?.creator_tool,
    ...(md?.xmp?.history.map((h) => h.software_agent) ?? []),
  ].filter((s): s is string => typeof s === 'string' && EDITORS.test(s));
  if (editors.length) {
    const steps = md?.xmp?.history_total ?? 0;
    out.push({
      code: 'edited_with_software',
      severity: 'medium',
      message: `Edited with ${[...new Set(editors)].slice(0, 3).join(', ')}${steps ? ` (${steps} steps in its edit history)` : ''}.`,
    });
  }
  const thumb = input.exifThumbnail?.pdq_distance;
  // Flat images (and tiny thumbnails of them) have unreliable PDQ: only compare detailed pictures.
  const comparable =
    (input.exifThumbnail?.pdq_quality ?? 0) >= th.minPdqQuality &&
    (input.hashes?.pdq.quality ?? 0) >= th.minPdqQuality;
  if (comparable && thumb !== undefined && thumb !== null && thumb > th.thumbnailMismatchBits) {
    out.push({
      code: 'thumbnail_mismatch',
      severity: 'high',
      message: `The camera’s embedded thumbnail differs from the picture (PDQ distance ${thumb} of 256): the picture was changed after it was taken.`,
    });
  }
  if (md?.metadata_status === 'stripped' || input.video?.metadata_status === 'stripped') {
    out.push({
      code: 'metadata_stripped',
      severity: 'info',
      message: input.post
        ? 'No camera metadata: the platform strips it on upload, so its absence says nothing about the image.'
        : 'No camera metadata: it was removed (platforms do this on upload).',
    });
  }
  const c2pa = input.contentCredentials;
  if (c2pa?.present && c2pa.validation.status === 'valid') {
    out.push({
      code: 'c2pa_valid',
      severity: 'info',
      message: `Content Credentials verify${c2pa.active_manifest?.signer?.common_name ? `, signed by "${c2pa.active_manifest.signer.common_name}"` : ''} (the signer is not checked against a trust list).`,
    });
  } else if (c2pa?.present && c2pa.validation.status !== 'not_checked') {
    const why: Record<string, string> = {
      data_hash_mismatch: 'the pixels were changed after signing',
      signature_mismatch: 'the signature does not match the claim',
      invalid: 'the manifest fails validation',
      could_not_validate: 'the manifest could not be validated',
    };
    out.push({
      code: 'c2pa_invalid',
      severity: c2pa.validation.status === 'could_not_validate' ? 'medium' : 'high',
      message: `Content Credentials signature invalid: ${why[c2pa.validation.status] ?? c2pa.validation.status}.`,
    });
  }
  const gps = md?.gps ?? input.video?.location;
  if (gps) {
    out.push({
      code: 'gps_present',
      severity: 'info',
      message: `GPS position in the metadata: ${gps.latitude.toFixed(5)}, ${gps.longitude.toFixed(5)}.`,
    });
  }
  const clock = clockAgainstGps(md);
  if (clock) out.push(clock);
  if (c2pa?.ai_generated) {
    out.push({
      code: 'ai_generated_marker',
      severity: 'high',
      message: 'Its Content Credentials declare generative-AI content.',
    });
  }
  const recompressed = recompressedSignal(input.jpeg, md);
  if (recompressed) out.push(recompressed);
  const twice = input.jpeg?.double_compression;
  if (twice?.detected) {
    out.push({
      code: 'double_compressed',
      severity: 'medium',
      message: `The JPEG coefficients show traces of an earlier compression${twice.primary_quality !== null ? ` at about quality ${twice.primary_quality}` : ''} (confidence ${twice.confidence.toFixed(2)}): the file was saved at least twice. ${twice.caveat}`,
    });
  }
  const framed = framedCopySignal(input.matches);
  if (framed) out.push(framed);
  // The ranking's own sentence (src/memory/best-copy.ts `bestCopySignal`, which a later copy may replace
  // when the report is read again). Not for a copy that differs only by being seen earlier.
  const best = input.bestCopy;
  if (best && !best.this_one && best.reasons.some((r) => r !== 'earlier')) {
    out.push({ code: 'not_the_best_copy', severity: 'medium', message: best.summary });
  }
  const quality = input.hashes?.pdq.quality;
  if (quality !== undefined && quality < th.minPdqQuality) {
    out.push({
      code: 'low_quality_hash',
      severity: 'info',
      message: `The image has little detail (PDQ quality ${quality}): near-duplicate matching falls back to pHash and is less reliable.`,
    });
  }
  const text = input.text;
  if (text?.status === 'read') out.push(textSignal(text));
  const seenWords = textSeenBefore(input, reference, margin, referenceName);
  if (seenWords) out.push(seenWords);
  if (input.screenshotOf) out.push(...screenshotSignals(input.screenshotOf));
  return out;
}

/** Differences shown in a sentence at most (the report lists them all). */
const SAID_DIFFERENCES = 3;

/**
 * "The image is a screenshot of the post by @x on 6 Jan 2022 (url), and its words are the post's." and,
 * when the words differ, "The screenshot's text differs from the post by @x on 6 Jan 2022: “raiding”
 * where the post says “guarding”."
 */
function screenshotSignals(s: ScreenshotOf): Signal[] {
  const day = dayOf(s.posted_at);
  const post = `the post by @${s.author.handle}${day ? ` on ${day}` : ''}`;
  const shownDay =
    s.date_agrees === false && s.read.date ? ` The screenshot shows the date ${s.read.date}.` : '';
  const shown =
    s.timestamp !== undefined ? `The video shows, ${s.timestamp.toFixed(1)} s in,` : 'The image is';
  // A post firstseen had not seen, found among the author's recent posts when the check ran.
  const found =
    s.source === 'platform'
      ? `, found among @${s.author.handle}’s recent posts on ${LOOKED_UP_ON[s.platform] ?? s.platform}`
      : '';
  // Traced through a look-alike handle (trace.ts): what the screenshot shows is not the author's handle.
  const readAs = s.read.handle.replace(/^@/, '');
  const otherHandle =
    readAs.toLowerCase() !== s.author.handle.toLowerCase()
      ? ` The handle in the screenshot reads @${readAs}, not @${s.author.handle}: the letters look alike, so OCR may have misread them, or the screenshot shows a look-alike account.`
      : '';
  const out: Signal[] = [
    {
      code: 'screenshot_of_post',
      severity: s.date_agrees === false ? 'medium' : 'info',
      message: `${shown} a screenshot of ${post} (${s.url})${found}${s.text_matches ? ', and its words are the post’s' : ''}.${shownDay}${otherHandle}`,
    },
  ];
  if (!s.text_matches) {
    const said = s.differences
      .slice(0, SAID_DIFFERENCES)
      .map((d) =>
        !d.post
          ? `“${d.screenshot}”, which the post does not say`
          : !d.screenshot
            ? `nothing where the post says “${d.post}”`
            : `“${d.screenshot}” where the post says “${d.post}”`,
      );
    const more = s.differences.length - said.length;
    out.push({
      code: 'screenshot_text_differs',
      severity: 'high',
      message: `The screenshot’s text differs from ${post}: ${said.join('; ')}${more > 0 ? ` (and ${more} more)` : ''}.`,
    });
  }
  return out;
}

/**
 * `text_seen_before`: the same words (the post's text, or the words in the picture) were posted before
 * the reference by another account, or were in a picture seen before. A post by the same account, or one
 * not earlier than the margin, is no news. One sentence on the earliest.
 */
function textSeenBefore(
  input: ProvenanceInput,
  reference: number,
  margin: number,
  referenceName: string,
): Signal | null {
  const own = input.post?.author ?? null;
  const earliest = input.matches
    .filter((m) => m.kind === 'text' && !(own && m.text?.author && m.text.author === own))
    .map((m) => ({ m, t: Math.min(time(m.posted_at) ?? Infinity, time(m.first_seen_at) ?? Infinity) }))
    .filter((x) => Number.isFinite(x.t) && reference - x.t > margin)
    .sort((a, b) => a.t - b.t)[0];
  if (!earliest) return null;
  const { m, t } = earliest;
  const whose = m.text?.of === 'image' ? 'The words in this image' : 'The same words as this post';
  const where =
    m.text?.matched === 'post'
      ? `in a post${m.text.author ? ` by ${m.text.author}` : ''}${m.post_url ? ` (${m.post_url})` : ''}`
      : `in an image${m.first_seen_url ? ` first seen at ${m.first_seen_url}` : ''}`;
  return {
    code: 'text_seen_before',
    severity: 'medium',
    message: `${whose} were seen ${describeAge(reference - t)} before ${referenceName} ${where}: ${Math.round((m.text?.share ?? 0) * 100)}% of the words in common.`,
  };
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

/**
 * The earliest web sighting that predates the reference by more than the margin, for `recycled`. A
 * crawl date is a date by which the picture was online, so one well before the post is the same
 * evidence as an earlier match in firstseen's memory. Sightings of this check's own copy (the media
 * URL, or the post's page) are left out: that the post's own image was online before the check says
 * nothing about recycling.
 */
function earlierWebSighting(input: ProvenanceInput, reference: number, margin: number) {
  const own = new Set([input.sourceUrl, input.post?.url].filter((u): u is string => !!u));
  return (input.web ?? [])
    .filter((w) => !own.has(w.page_url) && !(w.url && own.has(w.url)))
    .map((w) => ({ w, t: time(w.crawled_at) }))
    .filter((x): x is { w: (typeof x)['w']; t: number } => x.t !== null && reference - x.t > margin)
    .sort((a, b) => a.t - b.t)[0];
}

/**
 * `recompressed`: the file was written by libjpeg-type software (the IJG tables at one quality, at most
 * RECOMPRESSED_MAX_QUALITY) and carries no camera EXIF: not the file a camera wrote, but a lossy copy made
 * by a platform, an app or an editor. Custom tables, camera EXIF, or unread metadata: no signal.
 */
function recompressedSignal(jpeg: Jpeg | undefined, md: Metadata | undefined): Signal | null {
  const q = jpeg?.standard_quality;
  if (!jpeg || jpeg.tables !== 'standard' || q === null || q === undefined || q > RECOMPRESSED_MAX_QUALITY) {
    return null;
  }
  if (!md || md.metadata_status === 'unreadable' || md.camera_exif) return null;
  return {
    code: 'recompressed',
    severity: 'info',
    message: `Saved with the standard libjpeg tables at quality ${q} and no camera metadata: a re-encoded copy (by a platform, an app or an editor), not the file a camera wrote; a larger, less compressed copy may exist.`,
  };
}

const REGION_WORDS = {
  border: { inside: 'frame', copy: 'framed copy' },
  letterbox: { inside: 'letterbox bars', copy: 'letterboxed copy' },
  embedded: { inside: 'screenshot', copy: 'screenshot' },
} as const;

/**
 * One sentence on the surest crop/frame/screenshot match: what part of which image. Whole-picture
 * matches need no such sentence; `recycled` already says when the picture was seen.
 */
function framedCopySignal(matches: readonly Match[]): Signal | null {
  const m = matches.find((x) => x.kind === 'content_region') ?? matches.find((x) => x.kind === 'partial');
  if (!m) return null;
  const day = m.first_seen_at?.slice(0, 10);
  const which =
    m.source === 'bank'
      ? `the image "${m.bank?.label ?? ''}" in the bank "${m.bank?.name ?? ''}"`
      : `the image first seen${day ? ` on ${day}` : ''}${m.first_seen_url ? ` at ${m.first_seen_url}` : ''}`;
  const pct = (v: number | undefined) => `${Math.round((v ?? 0) * 100)}%`;
  let message: string;
  if (m.kind === 'content_region') {
    const words = REGION_WORDS[m.region?.kind ?? 'border'];
    message =
      m.region?.of === 'match'
        ? `This image is the picture inside a ${words.copy} of ${which}.`
        : `Without its ${words.inside}, this image is ${which}.`;
  } else if ((m.share ?? 1) < 0.8) {
    message = `${which[0]?.toUpperCase()}${which.slice(1)} takes up about ${pct(m.share)} of this image (a collage, screenshot or framed copy; ${m.inliers ?? 0} matching points).`;
  } else {
    message = `This image is a crop covering about ${pct(m.coverage)} of ${which} (${m.inliers ?? 0} matching points).`;
  }
  return { code: 'cropped_or_framed_copy', severity: 'medium', message };
}

export function buildProvenance(input: ProvenanceInput): Provenance {
  const events = timeline(input);
  // This check and the capture it asked for are as old as the check: no earlier sighting.
  const dated = events.filter((e) => e.kind !== 'checked' && e.kind !== 'wayback_saved');
  return {
    earliest: dated[0] ?? null,
    timeline: events,
    matches: input.matches,
    signals: signals(input, events),
  };
}
