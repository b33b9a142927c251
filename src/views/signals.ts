// Signals first, worst first. Severity is carried by a word as well as a colour, so it survives
// colour blindness, greyscale printing and screen readers.
import type { Signal } from '../../schemas/provenance.js';
import { markup, type SafeHtml } from './html.js';

const SEVERITIES: Record<string, { rank: number; word: string }> = {
  high: { rank: 0, word: 'High' },
  medium: { rank: 1, word: 'Medium' },
  info: { rank: 2, word: 'Info' },
};

export function severity(code: string): { cls: string; word: string; rank: number } {
  const known = SEVERITIES[code];
  // An unknown severity (a newer report schema) still shows, with its own word, at the end.
  return known ? { cls: code, ...known } : { cls: 'info', word: code, rank: 3 };
}

export function sortSignals(signals: readonly Signal[]): Signal[] {
  return [...signals].sort((a, b) => severity(a.severity).rank - severity(b.severity).rank);
}

export function severityBadge(code: string): SafeHtml {
  const s = severity(code);
  return markup`<span class="badge ${s.cls}">${s.word}<span class="vh"> severity</span></span>`;
}

export function signalsList(signals: readonly Signal[]): SafeHtml {
  if (!signals.length) {
    return markup`<p>No signals: nothing in this image’s matches, metadata or Content Credentials stands out.
That is not a sign that the image is what it is claimed to be.</p>`;
  }
  const items = sortSignals(signals).map(
    (s) =>
      markup`<li class="signal ${severity(s.severity).cls}" data-code="${s.code}">${severityBadge(s.severity)}<span>${s.message}</span></li>`,
  );
  return markup`<ul class="signals">${items}</ul>`;
}
