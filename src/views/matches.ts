// Images seen before and bank entries, each next to the checked image, so a reader can compare the
// pictures with their own eyes before trusting a distance.
import type { Match } from '../../schemas/provenance.js';
import { describeTransform, formatTime } from './format.js';
import { externalLink, markup, type Html, type SafeHtml } from './html.js';
import { severityBadge } from './signals.js';
import { thumbnailFigure, type ThumbnailContext } from './thumbnail.js';

const HASH_BITS: Record<string, number> = { pdq: 256, phash: 64 };

const REGION_NAMES = { border: 'a frame', letterbox: 'letterbox bars', embedded: 'a screenshot' } as const;
const pct = (v: number | undefined) => `${Math.round((v ?? 0) * 100)}%`;

function howClose(m: Match): string {
  if (m.kind === 'text') {
    const whose = m.text?.of === 'image' ? 'The words in this image' : 'The post’s text';
    const where = m.text?.matched === 'image' ? 'the words of an image seen before' : 'a post seen before';
    return `${whose} and ${where} have ${pct(m.text?.share)} of their words in common (${m.text?.common ?? 0} word pairs)`;
  }
  if (m.kind === 'exact' || m.hash === 'sha256') return 'Exact: the very same file (identical sha256)';
  if (m.kind === 'partial') {
    return `Part of the same picture: ${m.inliers ?? 0} matching points; this image shows ${pct(m.coverage)} of the other, which fills ${pct(m.share)} of this one`;
  }
  if (m.kind === 'content_region') {
    const inside = REGION_NAMES[m.region?.kind ?? 'border'];
    const whose =
      m.region?.of === 'match' ? `the picture inside ${inside} seen before` : `this image without ${inside}`;
    return `Same picture once ${inside} is left out (${whose}): ${m.hash.toUpperCase()} distance ${m.distance} of 256 bits`;
  }
  if (m.video) {
    const v = m.video;
    const cropped =
      v.method === 'vpdq_content_region'
        ? ` once bars are cropped (plain vPDQ: ${v.plain_query_match_percent}%)`
        : '';
    return `Same video by vPDQ${cropped}: ${v.query_match_percent}% of this video’s frames match, ${v.compared_match_percent}% of the other’s (median frame distance ${m.distance} of 256 bits)`;
  }
  const bits = HASH_BITS[m.hash];
  const frame = m.frame
    ? `the frame at ${m.frame.timestamp.toFixed(1)} s of this video is the picture: `
    : m.match_frame
      ? `this image is the frame at ${m.match_frame.timestamp.toFixed(1)} s of that video: `
      : '';
  return `Same picture: ${frame}${m.hash.toUpperCase()} distance ${m.distance}${bits ? ` of ${bits} bits` : ''}`;
}

function fact(term: string, value: Html): Html {
  return value === null || value === undefined || value === ''
    ? null
    : markup`<dt>${term}</dt><dd>${value}</dd>`;
}

function bankCard(m: Match): SafeHtml {
  const bank = m.bank;
  const weight = bank?.kind === 'debunked' ? 'high' : 'medium';
  return markup`<div class="bank-card"><p>${severityBadge(weight)}</p>
<p><strong>${bank?.label ?? 'Bank entry'}</strong></p>
<p class="muted">A known image in the bank “${bank?.name ?? '?'}” of ${bank?.publisher ?? '?'}. Banks keep hashes, not pictures.</p></div>`;
}

function posted(m: Match): Html {
  if (!m.posted_at && !m.post_url) return null;
  return markup`${m.posted_at ? formatTime(m.posted_at) : ''} ${m.post_url ? externalLink(m.post_url) : ''}`;
}

function matchCard(m: Match, sha256: string | undefined, ctx: ThumbnailContext): SafeHtml {
  const bank = m.bank;
  const other =
    m.source === 'bank'
      ? bankCard(m)
      : m.kind === 'text' && !m.sha256
        ? markup`<div class="bank-card"><p><strong>A post with the same words</strong></p>
<p class="muted">${m.text?.author ? markup`By <bdi>${m.text.author}</bdi>. ` : ''}Words, not a picture: open the post to compare.</p></div>`
        : thumbnailFigure(m.sha256, 'The matching image seen before', 'Seen before', ctx);
  const facts: Html[] = [
    fact('Match', howClose(m)),
    fact(
      'Orientation',
      m.kind === 'exact' || m.kind === 'partial' || m.kind === 'text' ? null : describeTransform(m.transform),
    ),
    m.covered
      ? fact(
          'Part shown',
          `x ${pct(m.covered.x)}–${pct(m.covered.x + m.covered.width)}, y ${pct(m.covered.y)}–${pct(m.covered.y + m.covered.height)} of the other image`,
        )
      : null,
    bank && fact('Bank', `${bank.name} (${bank.kind})`),
    bank && fact('Label', bank.label),
    bank && fact('Verdict', bank.verdict),
    bank?.source_url ? fact('Evidence', externalLink(bank.source_url)) : null,
    bank?.first_published ? fact('First published', formatTime(bank.first_published)) : null,
    m.first_seen_at ? fact(bank ? 'Added to the bank' : 'First seen', formatTime(m.first_seen_at)) : null,
    m.first_seen_url ? fact('First seen at', externalLink(m.first_seen_url)) : null,
    fact('Posted', posted(m)),
    m.captured_at ? fact('Captured (EXIF)', formatTime(m.captured_at)) : null,
    m.source === 'seen' ? fact('Sightings', String(m.sightings)) : null,
  ];
  return markup`<li class="match" data-kind="${m.kind}" data-source="${m.source}">
${thumbnailFigure(sha256, 'The checked image', 'This image', ctx)}
${other}
<dl class="facts">${facts}</dl>
</li>`;
}

export function matchesList(
  matches: readonly Match[],
  sha256: string | undefined,
  ctx: ThumbnailContext,
): SafeHtml {
  if (!matches.length) {
    return markup`<p>No match: firstseen has not seen this picture before, and no bank knows it.
firstseen only remembers what it has checked, so this does not make the image new.</p>`;
  }
  return markup`<p class="muted">Distance counts the bits in which two perceptual hashes differ: 0 is the same
picture; up to 31 of 256 PDQ bits (10 of 64 pHash bits) counts as the same picture, resized, recompressed or
lightly edited.</p>
<ol class="matches">${matches.map((m) => matchCard(m, sha256, ctx))}</ol>`;
}
