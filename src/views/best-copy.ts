// The copy closest to the original (src/memory/best-copy.ts): the ranking a fact-checker would make by
// hand, with the best copy first and this one marked, so a reader sees why one file is named over another.
import type { BestCopy, CopyFacts } from '../../schemas/best-copy.js';
import { formatSize, formatTime } from './format.js';
import { externalLink, markup, type Html } from './html.js';

const FRAMING: Record<CopyFacts['framing'], string> = {
  whole: 'whole picture',
  framed: 'framed, letterboxed or in a screenshot',
  cropped: 'cropped',
};

function row(c: CopyFacts, rank: number): Html {
  const camera = c.camera_exif ? `camera EXIF${c.camera ? ` (${c.camera})` : ''}` : 'none';
  return markup`<tr${c.this ? markup` class="this"` : ''}>
<td>${rank}</td>
<td>${c.this ? markup`<strong>this copy</strong>` : c.first_seen_url ? externalLink(c.first_seen_url, 'a copy') : 'a copy'}</td>
<td>${formatSize(c.width, c.height) ?? 'unknown'}</td>
<td>${c.jpeg_quality ?? '—'}</td>
<td>${camera}</td>
<td>${FRAMING[c.framing]}</td>
<td>${c.first_seen_at ? formatTime(c.first_seen_at) : '—'}</td>
</tr>`;
}

export function bestCopySection(best: BestCopy | undefined): Html {
  if (!best) return '';
  const more = best.known > best.copies.length ? ` (the first ${best.copies.length} of ${best.known})` : '';
  return markup`<section class="best-copy"><h3>Closest copy to the original</h3>
<p>${best.summary}</p>
${best.updated ? markup`<p class="muted">Named from a copy seen after this check finished.</p>` : ''}
<table>
<caption>Copies known${more}, closest to the original first</caption>
<thead><tr><th>#</th><th>Copy</th><th>Pixels</th><th>JPEG quality</th><th>Camera metadata</th><th>Framing</th><th>First seen</th></tr></thead>
<tbody>${best.copies.map((c, i) => row(c, i + 1))}</tbody>
</table>
<p class="muted">Ranked by the whole picture first, then pixels, camera metadata, JPEG quality (IJG estimate) and the earliest sighting. Only the copies firstseen has seen: the camera’s own file may never have been online.</p>
</section>`;
}
