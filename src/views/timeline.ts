// The earliest sighting and the timeline: every date with what it rests on. A date is only as good
// as its source, so the strength is always shown next to it, in words.
import type { TimelineEvent } from '../../schemas/provenance.js';
import { formatTime } from './format.js';
import { sourceText } from './file.js';
import { markup, type SafeHtml } from './html.js';

const STRENGTHS: Record<string, { cls: string; word: string; why: string }> = {
  strong: { cls: 'strong', word: 'Strong', why: 'a platform’s or an archive’s own record' },
  medium: {
    cls: 'medium-strength',
    word: 'Medium',
    why: 'firstseen’s own memory, a bank’s claim or a search engine’s crawl date: the image may be older',
  },
  weak: { cls: 'weak', word: 'Weak', why: 'a device’s clock: easy to set wrong, easy to edit' },
};

const KINDS: Record<string, string> = {
  exif_capture: 'Capture time (EXIF)',
  exif_gps_time: 'GPS time (EXIF)',
  c2pa_signed: 'Content Credentials signed',
  post_published: 'Post published',
  wayback_capture: 'First Wayback Machine capture',
  wayback_saved: 'Archived by this check (Wayback Machine)',
  first_seen: 'First seen by firstseen',
  match_first_seen: 'A matching image first seen',
  match_posted: 'A matching image posted',
  bank_first_published: 'First published, per a bank',
  fact_checked: 'Fact-check published',
  video_created: 'Video file creation time',
  web_crawled: 'Found on the web (search engine crawl)',
  checked: 'This check',
};

export function strengthBadge(strength: string): SafeHtml {
  const s = STRENGTHS[strength];
  return markup`<span class="badge ${s?.cls ?? 'weak'}">${s?.word ?? strength}<span class="vh"> evidence</span></span>`;
}

export function earliestSighting(event: TimelineEvent | null): SafeHtml {
  if (!event) {
    return markup`<section class="earliest"><h3>Earliest sighting</h3>
<p>No dated evidence besides this check: no post time, capture time, archive capture or earlier match.</p>
</section>`;
  }
  // The event's own note says what it rests on; the generic reason only when it has none.
  const why = event.note ?? (STRENGTHS[event.strength] ? `${STRENGTHS[event.strength]?.why}.` : '');
  return markup`<section class="earliest"><h3>Earliest sighting</h3>
<p class="when">${formatTime(event.at)}</p>
<p>${event.description}</p>
<p>Rests on: ${strengthBadge(event.strength)} ${why}</p>
${event.url ? markup`<p>Source: ${sourceText(event.url)}</p>` : ''}
</section>`;
}

function timelineRow(e: TimelineEvent): SafeHtml {
  const note = e.note ? markup`<br><span class="muted">${e.note}</span>` : '';
  const source = e.url ? sourceText(e.url) : markup`<span class="muted">—</span>`;
  return markup`<tr data-kind="${e.kind}">
<td>${formatTime(e.at)}</td>
<td><strong>${KINDS[e.kind] ?? e.kind}</strong><br>${e.description}</td>
<td>${strengthBadge(e.strength)}${note}</td>
<td>${source}</td>
</tr>`;
}

export function timelineTable(events: readonly TimelineEvent[]): SafeHtml {
  if (!events.length) return markup`<p>No dated evidence.</p>`;
  return markup`<table>
<caption class="vh">Timeline, oldest first</caption>
<thead><tr><th scope="col">When</th><th scope="col">What</th><th scope="col">Evidence</th><th scope="col">Source</th></tr></thead>
<tbody>${events.map(timelineRow)}</tbody>
</table>`;
}
