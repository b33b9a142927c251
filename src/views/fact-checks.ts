// Published fact-checks of the picture: shown before everything else, because "has someone already
// fact-checked this?" is a fact-checker's first question. Each says who rated it what, when, and how the
// picture matched the one the fact-check reviewed (the same file, or a copy: cropped, framed, stamped).
import type { FactCheck } from '../../schemas/fact-checks.js';
import { formatTime } from './format.js';
import { externalLink, markup, type Html } from './html.js';

const HOW: Record<FactCheck['match']['kind'], string> = {
  exact: 'the same file',
  near_duplicate: 'the same picture',
  content_region: 'the same picture inside a frame or screenshot',
  partial: 'part of the same picture (a crop, a collage, or a copy marked over)',
};

export function factChecksSection(factChecks: readonly FactCheck[] | undefined): Html {
  if (!factChecks?.length) return '';
  const items = factChecks.map((f) => {
    const who = f.publisher.name ?? 'A fact-checker';
    const distance =
      f.match.kind === 'exact'
        ? ''
        : ` (${f.match.hash} ${f.match.kind === 'partial' ? `${f.match.inliers ?? 0} matching points` : `distance ${f.match.distance}`})`;
    return markup`<li class="fact-check">
<p><strong>${who}</strong>${f.rating ? markup` rated it <strong>“${f.rating}”</strong>` : ' fact-checked it'}${f.reviewed_at ? markup` on ${formatTime(f.reviewed_at)}` : ''}.</p>
${f.claim ? markup`<p>Claim reviewed: <q>${f.claim}</q></p>` : ''}
<p>${f.url ? externalLink(f.url, f.title ?? f.url) : (f.title ?? '')}</p>
<p class="muted">Matched: ${HOW[f.match.kind]}${distance}. From the bank “${f.bank.name}” of ${f.bank.publisher}.</p>
</li>`;
  });
  return markup`<section class="fact-checks notice" aria-labelledby="fc-heading"><h3 id="fc-heading">Already fact-checked</h3>
<ul>${items}</ul>
</section>`;
}
