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
  image_search: 'Google Fact Check Tools found this image in it',
  text_search: 'Google Fact Check Tools found it by the post’s words (a lead to read, not a match)',
  text: 'the claim it reviewed is worded like the post’s text, in the same language',
};

const QUOTED =
  'the claim it reviewed is worded like the text of the post this one quotes, in the same language';

export function factChecksSection(
  factChecks: readonly FactCheck[] | undefined,
  heading = 'Already fact-checked',
): Html {
  if (!factChecks?.length) return '';
  const items = factChecks.map((f) => {
    const who = f.publisher.name ?? 'A fact-checker';
    const byHash = f.match.kind !== 'exact' && f.source === 'memory';
    const distance =
      f.match.kind === 'text'
        ? ` (${Math.round((f.match.share ?? 0) * 100)}% of the words in common)`
        : byHash
          ? ` (${f.match.hash} ${f.match.kind === 'partial' ? `${f.match.inliers ?? 0} matching points` : `distance ${f.match.distance}`})`
          : '';
    const from = f.bank
      ? `From the bank “${f.bank.name}” of ${f.bank.publisher}.`
      : 'From Google Fact Check Tools.';
    return markup`<li class="fact-check">
<p><strong>${who}</strong>${f.rating ? markup` rated it <strong>“${f.rating}”</strong>` : ' fact-checked it'}${f.reviewed_at ? markup` on ${formatTime(f.reviewed_at)}` : ''}.</p>
${f.claim ? markup`<p>Claim reviewed: <q>${f.claim}</q></p>` : ''}
<p>${f.url ? externalLink(f.url, f.title ?? f.url) : (f.title ?? '')}</p>
<p class="muted">Matched: ${f.match.of === 'quoted' ? QUOTED : HOW[f.match.kind]}${distance}. ${from}</p>
</li>`;
  });
  return markup`<section class="fact-checks notice"><h3>${heading}</h3>
<ul>${items}</ul>
</section>`;
}
