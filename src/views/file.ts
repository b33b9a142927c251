// The file itself: where the bytes came from, what they are, and the hashes a fact-checker can paste
// into other tools (they compare with ours by Hamming distance).
import type { MediaItem } from '../../schemas/report.js';
import { formatBytes, formatSize, hashText } from './format.js';
import { externalLink, markup, type Html, type SafeHtml } from './html.js';

function fact(term: string, value: Html): Html {
  return value === null || value === undefined || value === ''
    ? null
    : markup`<dt>${term}</dt><dd>${value}</dd>`;
}

/** `upload:<sha256>` targets are files sent to firstseen, not URLs anyone can open. */
export function sourceText(url: string): SafeHtml {
  return url.startsWith('upload:') ? markup`<span>Uploaded file</span>` : externalLink(url);
}

export function fileFacts(item: MediaItem): SafeHtml {
  const h = item.hashes;
  const type = [item.format?.toUpperCase(), item.mime].filter(Boolean).join(', ');
  const redirects = item.redirects.map((r, i) => markup`${i ? markup`<br>` : ''}${externalLink(r)}`);
  const facts: Html[] = [
    fact('Source', sourceText(item.source_url)),
    item.final_url && item.final_url !== item.source_url
      ? fact('Downloaded from', externalLink(item.final_url))
      : null,
    fact('Redirects', redirects.length ? redirects : null),
    fact('HTTP status', item.http_status !== undefined ? String(item.http_status) : null),
    fact('Type', type || null),
    item.mime_mismatch
      ? fact(
          'Declared type',
          markup`${item.declared_mime ?? 'none'} <span class="badge medium">Mismatch</span>`,
        )
      : null,
    fact('Size', item.bytes !== undefined ? formatBytes(item.bytes) : null),
    fact('Pixels', formatSize(item.width, item.height)),
    fact('Frames', item.animated ? `${item.frames ?? '?'} (animated; the first one was analyzed)` : null),
    fact('SHA-256', item.sha256 ? hashText(item.sha256) : null),
    fact(
      'PDQ',
      h ? markup`${hashText(h.pdq.hash)} <span class="muted">quality ${h.pdq.quality}</span>` : null,
    ),
    fact('pHash', h ? hashText(h.phash) : null),
    fact('dHash', h ? hashText(h.dhash) : null),
    fact('aHash', h ? hashText(h.ahash) : null),
  ];
  return markup`<dl class="facts">${facts}</dl>`;
}
