// The words read in a picture on the report page: the whole text (each line with its confidence), its
// script and languages, and the links, handles, dates and times found in it. OCR output is a stranger's
// text: it goes through markup`` (escaped) like everything else, links included (shown, never linked).
import type { TextInImage } from '../../schemas/text.js';
import { languageName, languageTag } from '../pipeline/ocr/language.js';
import { markup, type SafeHtml } from './html.js';

const list = (label: string, items: string[]) =>
  items.length
    ? markup`<tr><th scope="row">${label}</th><td>${items.map((s, i) => markup`${i ? ', ' : ''}<code>${s}</code>`)}</td></tr>`
    : '';

export function textSection(text: TextInImage): SafeHtml {
  if (text.status === 'no_text') return markup`<p class="muted">No text detected in the picture.</p>`;
  if (text.status === 'unavailable')
    return markup`<p class="muted">OCR is unavailable on this worker (${text.error?.code ?? ''}): the text in the picture was not read.</p>`;
  if (text.status === 'error')
    return markup`<p class="notice">The text could not be read: ${text.error?.message ?? ''} (<code>${text.error?.code ?? ''}</code>).</p>`;
  if (text.status === 'empty')
    return markup`<p class="muted">The picture seems to hold text, but none of it was legible.</p>`;
  // The page's lang attribute (screen readers, fonts).
  const lang = languageTag(text.languages[0] ?? '');
  const attr = lang ? markup` lang="${lang}"` : '';
  return markup`<table>
<tr><th scope="row">Script</th><td>${text.script ?? ''}</td></tr>
<tr><th scope="row">Languages</th><td>${text.languages.map(languageName).join(', ') || 'not enough text to tell'}</td></tr>
${list('Links', text.found.links)}
${list('Handles', text.found.handles)}
${list('Dates', text.found.dates)}
${list('Times', text.found.times)}
<tr><th scope="row">Read by</th><td>${text.engine ?? ''} (${text.models.join('+')})</td></tr>
</table>
<ol class="ocr-lines" dir="auto"${attr}>
${text.lines.map((l) => markup`<li dir="auto">${l.text} <span class="muted">(${Math.round(l.confidence)}%)</span></li>`)}
</ol>`;
}
