// The post a screenshot shows, on the report page beside the text read from it: which post, by whom and
// when, whether the words are the post's, and each word the screenshot changed. Everything shown is a
// stranger's text (the post's, the OCR's): it goes through markup`` like everything else.
import type { ScreenshotOf } from '../../schemas/screenshot.js';
import { formatTime } from './format.js';
import { externalLink, markup, type SafeHtml } from './html.js';
import { platformName } from './post.js';

export function screenshotSection(s: ScreenshotOf): SafeHtml {
  const who = s.author.display_name
    ? markup`<bdi>${s.author.display_name}</bdi> <span class="muted">@<bdi>${s.author.handle}</bdi></span>`
    : markup`@<bdi>${s.author.handle}</bdi>`;
  const when = s.posted_at ? markup`, ${formatTime(s.posted_at)}` : '';
  const verdict = s.text_matches
    ? markup`<p>The screenshot’s words are the post’s (${s.words.matched} of ${s.words.post} words${s.words.cut_off ? markup`, the last ${s.words.cut_off} cut off` : ''}; OCR misreadings forgiven).</p>`
    : markup`<p class="notice"><span class="badge high">Words changed</span> The screenshot’s text differs from the post’s:</p>
<table><tr><th scope="col">Screenshot</th><th scope="col">Post</th></tr>
${s.differences.map((d) => markup`<tr><td dir="auto">${d.screenshot || markup`<span class="muted">(left out)</span>`}</td><td dir="auto">${d.post || markup`<span class="muted">(not in the post)</span>`}</td></tr>`)}
</table>`;
  const shown = [s.read.time, s.read.date].filter(Boolean).join(' · ');
  const date =
    s.date_agrees === false
      ? markup`<p class="notice">The screenshot shows ${shown}, which is not the post’s date.</p>`
      : shown
        ? markup`<p class="muted">The screenshot shows ${shown}.</p>`
        : '';
  const found =
    s.source === 'platform'
      ? markup`<p class="muted">firstseen had not seen this post: it was found among the author’s recent posts on ${platformName(s.platform)} when this check ran.</p>`
      : '';
  const at = s.timestamp !== undefined ? markup` (the video shows it ${s.timestamp.toFixed(1)} s in)` : '';
  return markup`<p>A screenshot${at} of the post by <strong>${who}</strong> on ${platformName(s.platform)}${when}: ${externalLink(s.url, 'open the post')}.</p>
${found}
${verdict}
${date}`;
}
