// How the file was made: what a JPEG's structure says about the software that wrote it. Evidence with its
// limits: the sentence says what the facts are consistent with, never who made the file.
import type { Jpeg, JpegDoubleCompression } from '../../schemas/jpeg.js';
import { markup, type Html, type SafeHtml } from './html.js';

function fact(term: string, value: Html): Html {
  return value === null || value === undefined || value === ''
    ? null
    : markup`<dt>${term}</dt><dd>${value}</dd>`;
}

function quality(j: Jpeg): Html {
  if (j.quality === null) return null;
  const kind =
    j.tables === 'standard'
      ? `standard libjpeg tables${j.standard_quality !== null && j.standard_quality !== j.quality ? `, libjpeg quality ${j.standard_quality}` : ''}`
      : 'custom tables: nearest IJG quality';
  return `${j.quality} (${kind}; estimated as ImageMagick does)`;
}

function doubleCompression(d: JpegDoubleCompression | undefined): Html {
  if (!d) return null;
  if (d.status === 'not_estimated') return markup`Not estimated <span class="muted">(${d.caveat})</span>`;
  const found = d.detected
    ? `Traces of an earlier compression${d.primary_quality !== null ? ` at about quality ${d.primary_quality}` : ''} (confidence ${d.confidence.toFixed(2)})`
    : 'No traces found';
  return markup`${found} <span class="muted">${d.caveat}</span>`;
}

export function jpegSection(j: Jpeg | undefined): SafeHtml | null {
  if (!j) return null;
  const problems = j.problems.map((p) => `${p.code}: ${p.message}`).join('; ');
  const facts: Html[] = [
    fact('Compression', quality(j)),
    fact(
      'Coding',
      [j.process, j.huffman === 'optimized' ? 'optimized Huffman tables' : null].filter(Boolean).join(', ') ||
        null,
    ),
    fact('Chroma', j.subsampling),
    fact('Restart interval', j.restart_interval ? String(j.restart_interval) : null),
    fact('Segments', j.segments.length ? markup`<code>${j.segments.join(' · ')}</code>` : 'none'),
    fact('Comments', j.comments.length ? j.comments.join(' | ') : null),
    fact('Double compression', doubleCompression(j.double_compression)),
    fact('End of image', j.ends_with_eoi ? null : 'missing: the file is cut short'),
    fact('Not read', problems || null),
  ];
  return markup`<p>${j.signature}</p>
<dl class="facts">${facts}</dl>
<p class="muted">Read from the file’s structure. Any software can write any of these, so they say what the file is consistent with, not who made it or whether the picture was changed.</p>`;
}
