// The post that carried the image: who, when, what they wrote, where it lives. The text is the
// platform's, shown as text (never as markup) and in its own direction (Arabic, Hebrew, …).
import { factChecksSection } from './fact-checks.js';
import type { Post, QuotedPost } from '../../schemas/post.js';
import { formatTime } from './format.js';
import { externalLink, markup, type SafeHtml } from './html.js';

export const PLATFORMS: Record<string, string> = {
  x: 'X (Twitter)',
  bluesky: 'Bluesky',
  mastodon: 'Mastodon',
  telegram: 'Telegram',
  reddit: 'Reddit',
  web: 'the web',
};

export function platformName(code: string): string {
  return PLATFORMS[code] ?? code;
}

function author(p: QuotedPost): SafeHtml {
  const { display_name, handle, url } = p.author;
  const name = display_name || (handle ? `@${handle}` : 'Unknown author');
  const at = display_name && handle ? markup` <span class="muted">@<bdi>${handle}</bdi></span>` : '';
  return markup`<bdi>${url ? externalLink(url, name) : name}</bdi>${at}`;
}

function postBody(p: QuotedPost): SafeHtml {
  const when = p.posted_at
    ? markup`, ${formatTime(p.posted_at)}`
    : markup`, <span class="muted">time not given</span>`;
  const sensitive = p.sensitive ? markup` <span class="badge medium">Marked sensitive</span>` : '';
  const lang = p.language ? markup` lang="${p.language}"` : '';
  // pre-wrap keeps the author's line breaks: nothing but the text goes between the tags.
  const text = p.text
    ? markup`<p class="text" dir="auto"${lang}>${p.text}</p>`
    : markup`<p class="muted">No text.</p>`;
  const count = `${p.media.length} media item${p.media.length === 1 ? '' : 's'}`;
  return markup`<p><strong>${author(p)}</strong> on ${platformName(p.platform)}${when}${sensitive}</p>
${text}
<p>${externalLink(p.url, 'Open the post')} <span class="muted">· ${count}</span></p>`;
}

/** The post, its quoted or reposted post, and what the platform does to metadata. */
export function postSection(post: Post, mediaUrl: string): SafeHtml {
  const media = post.media.find((m) => m.url === mediaUrl || m.poster_url === mediaUrl);
  const alt = media?.alt_text
    ? markup`<p>Alt text written by the author: <q dir="auto">${media.alt_text}</q></p>`
    : '';
  const inner = post.quoted ?? post.reposted;
  const quoted = inner
    ? markup`<div class="quoted"><p class="muted">${post.quoted ? 'Quoting' : 'Reposting'}:</p>${postBody(inner)}</div>`
    : '';
  return markup`<div class="post">
${postBody(post)}
${alt}
${quoted}
<p class="muted">${post.metadata_note}</p>
${factChecksSection(
  post.fact_checks?.filter((f) => f.match.kind === 'text' && f.match.of !== 'quoted'),
  'Already fact-checked: a claim worded like this post',
)}
${factChecksSection(
  post.fact_checks?.filter((f) => f.match.kind === 'text' && f.match.of === 'quoted'),
  'Already fact-checked: a claim worded like the post it quotes',
)}
${factChecksSection(
  post.fact_checks?.filter((f) => f.match.kind !== 'text'),
  'Fact-checks of claims worded like this post (leads)',
)}
</div>`;
}
