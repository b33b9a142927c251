// The report as a person at a terminal reads it: a pure function from the check (or report) JSON to
// text. It lays out the evidence the report holds and what each date rests on; like the report, it never
// says "true" or "false". Every string from the report went through clean(): they come from files,
// platforms and bank lists, and must not drive the terminal.
import type { ContentCredentials } from '../../schemas/c2pa.js';
import type { Check, Target } from '../../schemas/check.js';
import type { Metadata, MetadataTime } from '../../schemas/metadata.js';
import type { Post } from '../../schemas/post.js';
import type { Match, Signal, TimelineEvent } from '../../schemas/provenance.js';
import type { MediaItem, Report, TargetResult } from '../../schemas/report.js';
import type { Video } from '../../schemas/video.js';
import { clean } from './io.js';
import { formatElapsed } from './progress.js';

export interface SummaryOptions {
  /** ANSI colours for severities and headings (a terminal without NO_COLOR). */
  color?: boolean;
  /** Matches listed per media item, closest first (default 5). */
  maxMatches?: number;
  /** The check's targets, whose `input` names uploaded files (`upload:photo.jpg`). */
  targets?: Target[];
}

const LABEL_WIDTH = 11;
const INDENT = '  ';
const CONTINUATION = INDENT + ' '.repeat(LABEL_WIDTH);

type Paint = (code: string, text: string) => string;
const painter =
  (color: boolean): Paint =>
  (code, text) =>
    color ? `\x1b[${code}m${text}\x1b[0m` : text;

/** A check: its id and state, then its report when there is one. */
export function formatCheck(check: Check, options: SummaryOptions = {}): string {
  const paint = painter(options.color ?? false);
  const took =
    check.report && Date.parse(check.report.completed_at) - Date.parse(check.report.started_at) >= 0
      ? ` in ${formatElapsed(Date.parse(check.report.completed_at) - Date.parse(check.report.started_at))}`
      : '';
  const out = [paint('1', `Check ${clean(check.id)}: ${check.status}${took}`)];
  if (check.error)
    out.push(`${INDENT}${paint('31', 'failed')}: ${clean(check.error.code)}: ${clean(check.error.message)}`);
  if (check.report) {
    out.push('', formatReport(check.report, { ...options, targets: options.targets ?? check.targets }));
  } else if (check.status === 'queued' || check.status === 'running') {
    out.push(`${INDENT}No report yet.`);
  }
  return `${out.join('\n')}\n`;
}

/** A report: its links when they say more than "an image", then each media item. */
export function formatReport(report: Report, options: SummaryOptions = {}): string {
  const paint = painter(options.color ?? false);
  const out: string[] = [];
  const showLinks = report.targets.length > 1 || report.targets.some((t) => t.kind !== 'media');
  if (showLinks) {
    out.push('', paint('1', report.targets.length === 1 ? 'Link' : `Links (${report.targets.length})`));
    for (const target of report.targets) out.push(...linkLines(target, report, options, paint));
  }
  if (report.media.length === 0) {
    out.push('', 'No media file was found behind the links.');
  }
  report.media.forEach((item) => {
    out.push('', ...mediaLines(item, report, options, paint));
  });
  return out.join('\n').replace(/^\n/, '');
}

/** `upload:DSCN0010.jpg` for uploads (the sha256 URL says nothing to a reader), else the URL. */
function targetName(index: number, report: Report, options: SummaryOptions): string {
  const url = report.targets[index]?.url ?? '';
  const input = options.targets?.[index]?.input;
  return clean(url.startsWith('upload:') && input ? input : url);
}

function linkLines(target: TargetResult, report: Report, options: SummaryOptions, paint: Paint): string[] {
  const name = targetName(target.index, report, options);
  const head = `${INDENT}${target.index + 1}. ${name}`;
  switch (target.kind) {
    case 'media':
      return [`${head}: a media file`];
    case 'error':
      return [
        `${head}: ${paint('31', clean(target.error?.code ?? 'error'))}: ${clean(target.error?.message)}`,
      ];
    case 'post': {
      const post = target.post_index === undefined ? undefined : report.posts[target.post_index];
      return [`${head}: ${post ? describePost(post) : 'a post'}`];
    }
    case 'page': {
      const page = target.page;
      const title = page?.title ? ` "${clean(page.title)}"` : '';
      const site = page?.site_name ? ` on ${clean(page.site_name)}` : '';
      const published = page?.published_at ? `, published ${when(page.published_at)}` : '';
      const embeds = target.post_indexes?.length
        ? `; embeds ${target.post_indexes.length} post${target.post_indexes.length === 1 ? '' : 's'}`
        : '';
      return [`${head}: a page${title}${site}${published}${embeds}`];
    }
  }
}

const PLATFORMS: Record<string, string> = {
  x: 'X',
  bluesky: 'Bluesky',
  mastodon: 'Mastodon',
  telegram: 'Telegram',
  reddit: 'Reddit',
  web: 'web',
};

function describePost(post: Post): string {
  const who = post.author.handle
    ? ` by @${clean(post.author.handle)}`
    : post.author.display_name
      ? ` by ${clean(post.author.display_name)}`
      : '';
  const posted = post.posted_at ? `, posted ${when(post.posted_at)}` : ', time unknown';
  return `${PLATFORMS[post.platform] ?? clean(post.platform)} post${who}${posted} (${clean(post.url)})`;
}

function mediaLines(item: MediaItem, report: Report, options: SummaryOptions, paint: Paint): string[] {
  const lines: string[] = [];
  const field = (label: string, ...values: string[]) => {
    values.forEach((v, i) =>
      lines.push(i === 0 ? `${INDENT}${label.padEnd(LABEL_WIDTH)}${v}` : `${CONTINUATION}${v}`),
    );
  };
  const total = report.media.length;
  const source = item.source_url.startsWith('upload:')
    ? targetName(item.target_index, report, options)
    : clean(item.source_url);
  lines.push(paint('1', `Media ${item.index + 1}${total > 1 ? ` of ${total}` : ''}: ${source}`));

  const via: string[] = [];
  const post = item.post_index === null ? undefined : report.posts[item.post_index];
  if (post) via.push(`from the ${describePost(post)}`);
  else if (report.targets[item.target_index]?.kind === 'page')
    via.push(`from the page ${targetName(item.target_index, report, options)}`);
  if (item.final_url && item.final_url !== item.source_url && !item.final_url.startsWith('upload:'))
    via.push(`redirected to ${clean(item.final_url)}`);
  if (via.length) field('source', ...via);

  const file = fileLine(item);
  if (file) field('file', file);
  if (item.sha256) field('sha256', item.sha256);
  if (item.status === 'error' && item.error)
    field('error', `${paint('31', clean(item.error.code))}: ${clean(item.error.message)}`);

  const provenance = item.provenance;
  if (provenance) {
    const signals = provenance.signals.map((s) => signalLine(s, paint));
    field('signals', ...(signals.length ? signals : ['none']));
    field('earliest', ...earliestLines(provenance.earliest));
    field('matches', ...matchLines(provenance.matches, options.maxMatches ?? 5));
  }
  const best = item.best_copy;
  if (best)
    field(
      'best copy',
      best.this_one
        ? `this one, of ${best.known} copies known`
        : `another of ${best.known} copies known: ${clean(best.summary)}`,
    );
  if (item.video) field('video', ...videoLines(item.video));
  if (item.metadata) field('metadata', ...metadataLines(item.metadata));
  if (item.content_credentials) field('C2PA', ...credentialLines(item.content_credentials, paint));
  return lines;
}

/** A video's container facts, then what was hashed: enough to see at a glance where and when it says it was made. */
function videoLines(video: Video): [string, ...string[]] {
  const md = video.metadata;
  const first = [
    md.duration_s !== null ? `${md.duration_s.toFixed(1)} s` : null,
    [md.video_codec, md.audio_codec]
      .filter(Boolean)
      .map((c) => clean(c))
      .join(' + ') || null,
    md.frame_rate !== null ? `${Math.round(md.frame_rate * 100) / 100} fps` : null,
    md.rotation ? `rotated ${md.rotation}°` : null,
  ].filter((p): p is string => !!p);
  const lines: [string, ...string[]] = [first.length ? first.join(', ') : clean(md.container)];
  if (md.creation_time)
    lines.push(`created: ${clean(md.creation_time)} (${clean(md.creation_time_source ?? 'container')})`);
  const device = [md.make, md.model, md.software]
    .filter(Boolean)
    .map((v) => clean(v))
    .join(' ');
  if (device) lines.push(`device: ${device}`);
  if (md.encoder) lines.push(`encoder: ${clean(md.encoder)}`);
  if (md.location)
    lines.push(`location: ${md.location.latitude}, ${md.location.longitude}`, md.location.map_url);
  lines.push(
    `metadata: ${md.metadata_status}${md.metadata_note ? ` (${clean(md.metadata_note)})` : ''}`,
    `frames hashed: ${video.frames_hashed} (${clean(video.decoder.sampling)}${video.decoder.truncated ? ', start only' : ''}), ${video.keyframes.length} keyframes`,
  );
  if (video.content_region) {
    const r = video.content_region;
    lines.push(`content region: ${r.width} × ${r.height} at ${r.x},${r.y} (${clean(r.kind)})`);
  }
  return lines;
}

function fileLine(item: MediaItem): string | null {
  const parts: string[] = [];
  if (item.format) parts.push(clean(item.format));
  if (item.width && item.height) parts.push(`${item.width} × ${item.height}`);
  if (item.animated) parts.push(`animated, ${item.frames ?? '?'} frames`);
  if (item.bytes !== undefined) parts.push(formatBytes(item.bytes));
  if (item.mime_mismatch && item.declared_mime)
    parts.push(`served as ${clean(item.declared_mime)} but the bytes are ${clean(item.mime ?? '?')}`);
  return parts.length ? parts.join(', ') : null;
}

const SEVERITY: Record<Signal['severity'], [label: string, color: string]> = {
  high: ['HIGH  ', '1;31'],
  medium: ['MEDIUM', '33'],
  info: ['info  ', '2'],
};

function signalLine(signal: Signal, paint: Paint): string {
  const [label, color] = SEVERITY[signal.severity] ?? [signal.severity, '0'];
  return `${paint(color, label)}  ${clean(signal.message)}`;
}

const STRENGTH: Record<TimelineEvent['strength'], string> = {
  strong: 'strong evidence',
  medium: 'medium evidence',
  weak: 'weak evidence',
};

const KINDS: Record<TimelineEvent['kind'], string> = {
  exif_capture: 'EXIF capture time',
  exif_gps_time: 'EXIF GPS time',
  c2pa_signed: 'Content Credentials signed',
  post_published: 'post published',
  wayback_capture: 'Wayback Machine first capture',
  wayback_saved: 'archived by this check (Wayback Machine)',
  first_seen: 'first seen by firstseen',
  match_first_seen: 'a match first seen by firstseen',
  match_posted: 'a match was posted',
  bank_first_published: 'first published, per a bank',
  fact_checked: 'fact-check published',
  video_created: 'video file creation time',
  web_crawled: 'found on the web by a search engine’s crawler',
  checked: 'this check',
};

function earliestLines(event: TimelineEvent | null): [string, ...string[]] {
  if (!event) return ['no dated evidence (no capture time, post time, archive capture or earlier match)'];
  const lines: [string, ...string[]] = [
    `${when(event.at)}: ${KINDS[event.kind] ?? clean(event.kind)} (${STRENGTH[event.strength] ?? clean(event.strength)})`,
    clean(event.description),
  ];
  if (event.note) lines.push(`rests on: ${clean(event.note)}`);
  if (event.url) lines.push(clean(event.url));
  return lines;
}

function matchLines(matches: Match[], max: number): [string, ...string[]] {
  if (matches.length === 0) return ['none'];
  const lines: string[] = [];
  for (const m of matches.slice(0, max)) {
    const how =
      m.kind === 'exact'
        ? 'same file (sha256)'
        : `${m.hash === 'pdq' ? 'PDQ' : 'pHash'} distance ${m.distance}/${m.hash === 'pdq' ? 256 : 64}${m.transform && m.transform !== 'none' && m.transform !== 'original' ? `, ${m.transform.replace(/_/g, ' ')}` : ''}`;
    if (m.bank) {
      const b = m.bank;
      const verdict = b.verdict ? `: ${clean(b.verdict)}` : '';
      const published = b.first_published ? `, first published ${when(b.first_published)}` : '';
      lines.push(
        `${how}: bank "${clean(b.name)}" (${clean(b.kind)}), "${clean(b.label)}"${verdict}${published}`,
      );
      if (b.source_url) lines.push(`  ${clean(b.source_url)}`);
    } else {
      const seen = m.first_seen_at ? `first seen ${when(m.first_seen_at)}` : 'seen before';
      const posted = m.posted_at ? `, posted ${when(m.posted_at)}` : '';
      const sightings = m.sightings > 1 ? `, ${m.sightings} sightings` : '';
      lines.push(`${how}: ${seen}${posted}${sightings}`);
      const url = m.post_url ?? m.first_seen_url;
      if (url) lines.push(`  ${clean(url)}`);
    }
  }
  const more = matches.length - max;
  if (more > 0) lines.push(`and ${more} more (--json shows them all)`);
  return lines as [string, ...string[]];
}

function metadataLines(md: Metadata): [string, ...string[]] {
  if (md.metadata_status === 'unreadable') return [`unreadable: ${clean(md.status_reason)}`];
  if (md.metadata_status === 'stripped') return [`stripped: ${clean(md.status_reason)}`];
  const lines: string[] = [];
  const camera = [md.camera.make, md.camera.model]
    .filter((s): s is string => !!s)
    .map((s) => clean(s))
    // "Canon Canon EOS 40D": Make repeated in Model.
    .filter((s, i, all) => !(i === 0 && all[1]?.toLowerCase().startsWith(s.toLowerCase())))
    .join(' ');
  const lens = md.camera.lens_model ? `, lens ${clean(md.camera.lens_model)}` : '';
  if (camera || lens) lines.push(`camera: ${camera || 'unknown'}${lens}`);
  const captured = md.times.date_time_original ?? md.times.create_date;
  if (captured) lines.push(`captured: ${metadataTime(captured)}`);
  if (md.times.gps) lines.push(`GPS time: ${metadataTime(md.times.gps)}`);
  if (md.gps) {
    const alt = md.gps.altitude_m !== null ? `, altitude ${md.gps.altitude_m} m` : '';
    lines.push(`GPS: ${md.gps.latitude.toFixed(6)}, ${md.gps.longitude.toFixed(6)}${alt}`);
    lines.push(`  ${clean(md.gps.map_url)}`);
  }
  const software = [md.software, md.xmp?.creator_tool]
    .filter((s): s is string => !!s)
    .map((s) => clean(s))
    .filter((s, i, all) => all.indexOf(s) === i);
  if (software.length) lines.push(`software: ${software.join('; ')}`);
  if (md.xmp && md.xmp.history_total > 0)
    lines.push(
      `edit history: ${md.xmp.history_total} step${md.xmp.history_total === 1 ? '' : 's'} (XMP)${lastAgent(md)}`,
    );
  if (md.iptc?.by_line || md.iptc?.credit) {
    lines.push(
      `credit: ${[md.iptc.by_line, md.iptc.credit]
        .filter(Boolean)
        .map((s) => clean(s))
        .join(' / ')}`,
    );
  }
  if (md.thumbnail.present) lines.push('embedded camera thumbnail: yes');
  return lines.length ? (lines as [string, ...string[]]) : ['present, but nothing notable'];
}

function lastAgent(md: Metadata): string {
  const agents = md.xmp?.history.map((h) => h.software_agent).filter((s): s is string => !!s) ?? [];
  const last = agents.at(-1);
  return last ? `, last by ${clean(last)}` : '';
}

function metadataTime(t: MetadataTime): string {
  return t.iso ? when(t.iso) : `${clean(t.raw)} (not a valid date)`;
}

const C2PA_STATUS: Record<string, string> = {
  valid: 'valid',
  data_hash_mismatch: 'INVALID: the pixels were changed after signing',
  signature_mismatch: 'INVALID: the signature does not match the claim',
  invalid: 'INVALID',
  could_not_validate: 'could not be validated',
  not_checked: 'not checked',
};

function credentialLines(cc: ContentCredentials, paint: Paint): [string, ...string[]] {
  if (cc.present === false) return ['none'];
  if (cc.present === null) return [`not checked: ${clean(cc.validation.reason ?? cc.note)}`];
  const status = cc.validation.status;
  const text = C2PA_STATUS[status] ?? clean(status);
  const colored =
    status === 'valid' ? paint('32', text) : status === 'not_checked' ? text : paint('31', text);
  const reason = status !== 'valid' && cc.validation.reason ? `: ${clean(cc.validation.reason)}` : '';
  const lines: [string, ...string[]] = [`${colored}${reason}`];
  const m = cc.active_manifest;
  if (m?.signer?.common_name) {
    const org = m.signer.organization ? ` (${clean(m.signer.organization)})` : '';
    lines.push(
      `signed by "${clean(m.signer.common_name)}"${org}${m.signing_time ? ` at ${when(m.signing_time)}` : ''}`,
    );
  }
  if (m?.claim_generator) lines.push(`made with ${clean(m.claim_generator)}`);
  if (cc.ai_generated) lines.push(paint('1;31', 'declares generative-AI content'));
  if (status === 'valid') lines.push('the signer is not checked against a trust list');
  return lines;
}

// ISO 8601 as written, never through Date: a time without a zone is a camera's local time, and
// converting it would invent one.
const ISO = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2})?)(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/;

/** `2008-10-22 16:28:39 (no time zone)`, `2024-05-03 10:00:00 UTC`, `… UTC+02:00`. */
export function when(iso: string): string {
  const m = ISO.exec(iso.trim());
  if (!m) return clean(iso);
  const [, date, time, zone] = m;
  if (!time) return date as string;
  const z = !zone ? ' (no time zone)' : zone === 'Z' || /^[+-]00:?00$/.test(zone) ? ' UTC' : ` UTC${zone}`;
  return `${date} ${time}${z}`;
}

/** `158 KB`, `4.2 MB`. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} bytes`;
  if (n < 1024 * 1024) return `${Math.round(n / 1024)} KB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MB`;
}
