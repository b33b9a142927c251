// Forensic views beside the picture: error levels and noise, each with one sentence on how to read it and
// what it cannot show, and a label saying the views alone settle nothing (InVID-WeVerify added such
// warnings after users read these maps as verdicts). Where none were made, the reason; where none were
// asked for (FORENSIC_VIEWS off), a button that asks for them (a form post: no script).
import type { ForensicViews } from '../../schemas/views.js';
import { markup, type SafeHtml } from './html.js';

/** Only firstseen's own view routes become images (the report is read as untrusted input). */
const VIEW_PATH = /^\/v1\/checks\/[A-Za-z0-9_-]{1,64}\/media\/\d{1,3}\/views\/(ela|noise)$/;

export const ELA_EXPLANATION =
  'Each square is one 8x8 block’s difference from a re-save at the quality given: regions last saved together look alike, and a region much brighter or darker than similar surfaces around it may have been pasted or retouched. It cannot show an edit saved over several times, and edges, fine texture and flat or saturated areas differ whatever their history.';
export const NOISE_EXPLANATION =
  'The fine grain left once detail is taken out (the brightness minus its 3x3 median): a region whose grain differs from similar surfaces around it may come from another picture. It cannot tell an edit from a smoother or sharper surface, and resizing and recompression wipe grain out everywhere.';
export const VIEWS_CAVEAT =
  'Inconclusive on their own: these views are evidence for a trained eye, never a verdict. Most edits show in neither, and much that shows is not an edit. Brightness is scaled for each picture, so compare regions within it, not with other pictures.';

function view(url: string, alt: string, title: string, explanation: string): SafeHtml | string {
  if (!VIEW_PATH.test(url)) return '';
  return markup`<figure class="view"><img src="${url}" alt="${alt}"><figcaption><strong>${title}.</strong> ${explanation}</figcaption></figure>`;
}

export const ASK_LABEL = 'Show ELA and noise views';
export const ASKED_NOTICE =
  'The error level and noise views are being made: this page reloads itself until they are shown.';
/** Skips about a download, not the picture: the button is offered again. */
const RETRYABLE = new Set(['not_fetched', 'file_changed']);

/** Asking for the views of an item that has none (a form post: the page runs no script). */
export interface ViewsAsk {
  /** Where the form posts (the page route, POST /checks/:id/media/:index/views). */
  action: string;
  /** Asked already: being made. */
  pending: boolean;
}

function askForm(ask: ViewsAsk, label: string): SafeHtml {
  if (ask.pending) return markup`<p class="notice" role="status">${ASKED_NOTICE}</p>`;
  return markup`<form method="post" action="${ask.action}"><button type="submit">${label}</button></form>`;
}

/**
 * The section, with `picture` (the thumbnail's figure) beside the views. `ask`: the item may have views
 * made on demand (a still image the check analyzed), offered when it has none.
 */
export function forensicViewsSection(
  views: ForensicViews | undefined,
  picture: SafeHtml,
  ask: ViewsAsk | null = null,
): SafeHtml | string {
  if (!views) {
    if (!ask) return '';
    return markup`<section class="views"><h3>Forensic views</h3>
<p>Error level (ELA) and noise views of this picture, made from the file’s own pixels, were not made with the check. They are evidence for a trained eye, never a verdict.</p>
${askForm(ask, ASK_LABEL)}
</section>`;
  }
  if (views.skipped) {
    const again = ask && RETRYABLE.has(views.skipped.code) ? askForm(ask, 'Try again') : '';
    return markup`<section class="views"><h3>Forensic views</h3>
<p>No error level or noise views of this picture (<code>${views.skipped.code}</code>): ${views.skipped.reason}</p>
${again}
</section>`;
  }
  const { ela, noise } = views;
  const figures = [
    ela
      ? view(
          ela.url,
          `Error levels of the picture, re-saved at quality ${ela.quality}`,
          `Error levels (ELA) at quality ${ela.quality}, brightened ${ela.gain}x`,
          ELA_EXPLANATION,
        )
      : '',
    noise
      ? view(
          noise.url,
          'Noise residual of the picture',
          `Noise, brightened ${noise.gain}x`,
          NOISE_EXPLANATION,
        )
      : '',
  ];
  return markup`<section class="views"><h3>Forensic views</h3>
<p class="notice"><strong>Inconclusive on their own.</strong> ${VIEWS_CAVEAT.slice('Inconclusive on their own: '.length)}</p>
<div class="view-grid">${picture}${figures}</div>
</section>`;
}
