// The report as a page: for each image, the signals and the earliest sighting first, then the
// evidence behind them (timeline, matches, post, metadata, Content Credentials, the file). A pure
// function of the check and of which thumbnails exist, so it is tested without a server.
import type { Check } from '../../schemas/check.js';
import type { MediaItem, Report, TargetResult } from '../../schemas/report.js';
import { credentialsSection } from './credentials.js';
import { fileFacts, sourceText } from './file.js';
import { fileNameOf, formatBytes, formatSize, formatTime } from './format.js';
import { externalLink, markup, type Html, type SafeHtml } from './html.js';
import { jpegSection } from './jpeg.js';
import { bestCopySection } from './best-copy.js';
import { layout } from './layout.js';
import { matchesList } from './matches.js';
import { metadataSection } from './metadata.js';
import { platformName, postSection } from './post.js';
import { severityBadge, signalsList, sortSignals } from './signals.js';
import { factChecksSection } from './fact-checks.js';
import { thumbnailFigure, type ThumbnailContext } from './thumbnail.js';
import { forensicViewsSection, type ViewsAsk } from './forensic-views.js';
import { earliestSighting, timelineTable } from './timeline.js';
import { screenshotSection } from './screenshot.js';
import { textSection } from './text.js';
import { videoSection } from './video.js';

/** Seconds between reloads of a page whose check is still queued or running. */
export const REFRESH_SECONDS = 2;

export interface CheckPageOptions {
  /** sha256 of the images whose thumbnail firstseen kept; the others get a placeholder. */
  thumbnails?: ReadonlySet<string>;
  /** Items whose forensic views are being made: the page says so and reloads itself. */
  viewsAsked?: ReadonlySet<number>;
}

export function renderCheckPage(check: Check, options: CheckPageOptions = {}): string {
  const ctx: ThumbnailContext = { thumbnails: options.thumbnails ?? new Set() };
  if (check.status === 'done' && check.report) {
    const asked = options.viewsAsked ?? new Set<number>();
    // Reloads only while views asked for are being made (the mark goes when they are stored): they then
    // show without any script.
    const waiting = asked.size > 0;
    return layout({
      title: 'Provenance report',
      main: reportMain(check, check.report, { ...ctx, viewsAsked: asked }),
      ...(waiting && { refreshSeconds: REFRESH_SECONDS }),
    });
  }
  if (check.status === 'failed') return layout({ title: 'Check failed', main: failedMain(check) });
  return layout({ title: 'Checking…', main: pendingMain(check), refreshSeconds: REFRESH_SECONDS });
}

function submittedList(check: Check, report?: Report): SafeHtml {
  const items = check.targets.map((t, i) => {
    const shown = t.url.startsWith('upload:')
      ? markup`Uploaded file <code>${t.input.replace(/^upload:/, '')}</code>`
      : sourceText(t.url);
    const result = report?.targets[i];
    return markup`<li>${shown}${result ? markup` — ${targetOutcome(result, report)}` : ''}</li>`;
  });
  return markup`<ul class="targets">${items}</ul>`;
}

function targetOutcome(t: TargetResult, report: Report): Html {
  if (t.kind === 'error') {
    return markup`<span class="badge high">Failed</span> <code>${t.error?.code ?? 'error'}</code>: ${t.error?.message ?? ''}`;
  }
  if (t.kind === 'post') {
    const post = t.post_index === undefined ? undefined : report.posts[t.post_index];
    return post ? `a post on ${platformName(post.platform)}` : 'a post';
  }
  if (t.kind === 'page') {
    const title = t.page?.title ? markup` “${t.page.title}”` : '';
    const published = t.page?.published_at ? markup`, published ${formatTime(t.page.published_at)}` : '';
    return markup`a web page${title}${published}`;
  }
  return 'a media file';
}

function pendingMain(check: Check): SafeHtml {
  const attempt = check.attempts > 1 ? ` (attempt ${check.attempts})` : '';
  const state =
    check.status === 'running'
      ? `Running: resolving the links, downloading and analyzing the media${attempt}.`
      : 'Queued: waiting for a worker.';
  return markup`<h1>Checking…</h1>
<p class="notice" role="status">${state}</p>
<p class="muted">This page reloads itself every ${REFRESH_SECONDS} seconds until the report is ready.</p>
<h2>Submitted</h2>
${submittedList(check)}`;
}

function failedMain(check: Check): SafeHtml {
  const links = check.targets.filter((t) => !t.url.startsWith('upload:')).map((t) => t.input);
  const again = links.length
    ? markup`<p><a href="/?input=${encodeURIComponent(links.join('\n'))}">Submit the same links again</a></p>`
    : markup`<p><a href="/">Submit a new check</a></p>`;
  return markup`<h1>The check failed</h1>
<div class="notice error" role="alert"><p><code>${check.error?.code ?? 'check_failed'}</code>: ${check.error?.message ?? 'no reason given'}</p>
<p>This happens when firstseen itself failed (its store was lost mid-check, say), not because of the links.
Submitting them again usually works.</p></div>
<h2>Submitted</h2>
${submittedList(check)}
${again}`;
}

function reportMain(check: Check, report: Report, ctx: PageContext): SafeHtml {
  const n = report.media.length;
  const shownPosts = new Map<number, number>();
  const none = n === 0 ? markup`<p class="notice">No image or video was found behind these links.</p>` : '';
  return markup`<h1>Provenance report</h1>
<p class="lede">Check <code>${check.id}</code> · submitted ${formatTime(check.created_at)} · finished ${formatTime(report.completed_at)} · ${n} image${n === 1 ? '' : 's'}<span class="no-print"> · <a href="/v1/checks/${check.id}/report">Report as JSON</a> · <a href="/v1/checks/${check.id}/mediareview">MediaReview draft (JSON-LD)</a></span></p>
<section><h2>Submitted</h2>
${submittedList(check, report)}
</section>
${watchSection(check)}
${n > 1 ? contents(report.media) : ''}
${none}
${report.media.map((item) => mediaArticle(item, report, ctx, shownPosts))}`;
}

/** What the watch of the check's posts found since (POST /v1/checks/:id/watch), with the evidence. */
function watchSection(check: Check): Html {
  const watch = check.watch;
  if (!watch) return null;
  const state = watch.active
    ? markup`Watched until ${formatTime(watch.until)}.`
    : markup`Watched from ${formatTime(watch.started_at)}; no longer watched.`;
  const changes = watch.changes.length
    ? markup`<ul>${watch.changes.map(
        (c) =>
          markup`<li>${c.sentence}: ${externalLink(c.post_url)}${c.archive ? markup` · <a href="${c.archive}">archived copy (WACZ)</a>` : ''}</li>`,
      )}</ul>`
    : markup`<p>No post has changed since the check.</p>`;
  return markup`<section><h2>Posts since the check</h2>
<p>${state}</p>
${changes}
</section>`;
}

function contents(media: readonly MediaItem[]): SafeHtml {
  const items = media.map((m) => {
    const worst = sortSignals(m.provenance?.signals ?? [])[0];
    const signal = worst ? markup` ${severityBadge(worst.severity)} ${worst.message}` : '';
    const error = m.status === 'error' ? markup` <span class="badge medium">Error</span>` : '';
    return markup`<li><a href="#image-${m.index + 1}">${itemName(m)}</a>${signal}${error}</li>`;
  });
  return markup`<nav aria-label="Images in this report" class="no-print"><h2>Images</h2><ol>${items}</ol></nav>`;
}

function itemName(item: MediaItem): string {
  if (item.source_url.startsWith('upload:')) return 'Uploaded file';
  return fileNameOf(item.source_url) ?? item.source_url;
}

function postPart(item: MediaItem, report: Report, number: number, shownPosts: Map<number, number>): Html {
  const post = item.post_index === null ? undefined : report.posts[item.post_index];
  if (!post || item.post_index === null) return null;
  // Several images of one post: the post is shown once, with the first of them.
  const first = shownPosts.get(item.post_index);
  if (first !== undefined)
    return markup`<p>The same post as <a href="#image-${first}">image ${first}</a>.</p>`;
  shownPosts.set(item.post_index, number);
  return postSection(post, item.source_url);
}

const ENGINE_NAMES: Record<string, string> = {
  google_lens: 'Google Lens',
  bing: 'Bing Visual Search',
  yandex: 'Yandex Images',
  tineye: 'TinEye',
  baidu: 'Baidu',
};

/** Links that open reverse image search engines on the image's public URL (none for uploads). */
function reverseSearchSection(item: MediaItem): Html {
  const links = item.reverse_search ?? [];
  if (!links.length) return '';
  return markup`<section><h3>Search the web for this image</h3>
<ul class="reverse-search">
${links.map((l) => markup`<li>${externalLink(l.url, ENGINE_NAMES[l.engine] ?? l.engine)}</li>`)}
</ul>
<p class="muted">Each link sends the image’s address to that engine; firstseen itself searches none of them.</p>
</section>`;
}

/** What each web search engine said (TINEYE_API_KEY): the sightings are in the timeline; a failure is
 *  said, so that nobody reads the engine's silence as "never seen on the web". */
function webSearchNote(item: MediaItem): Html {
  const lines = (item.web_search ?? []).map((o) => {
    const name = ENGINE_NAMES[o.engine] ?? o.engine;
    if (o.status === 'found')
      return markup`<li>${name} has seen it on the web${o.total ? ` (${o.total} pages)` : ''}: its ${o.sightings} earliest crawls are in the timeline.</li>`;
    if (o.status === 'not_found') return markup`<li>${name} has not seen it on the web.</li>`;
    if (o.status === 'skipped') return markup`<li>${name} was not asked: ${o.message ?? ''}</li>`;
    return markup`<li>${name} gave no answer (${o.message ?? 'failed'}): its silence says nothing about the image.</li>`;
  });
  return lines.length ? markup`<ul class="web-search">${lines}</ul>` : '';
}

/** What a report page's parts need besides the report: kept thumbnails, items whose views are being made. */
type PageContext = ThumbnailContext & { viewsAsked: ReadonlySet<number> };

/**
 * A still image the check analyzed may have forensic views made on demand (the page's button); an
 * uploaded one only from the check's evidence archive, its upload being deleted when the check ended.
 */
function viewsAsk(item: MediaItem, report: Report, ctx: PageContext): ViewsAsk | null {
  if (item.status !== 'ok' || !item.sha256 || !item.decode) return null;
  if (item.source_url.startsWith('upload:') && !report.archive) return null;
  return {
    action: `/checks/${report.check_id}/media/${item.index}/views`,
    pending: ctx.viewsAsked.has(item.index),
  };
}

function mediaArticle(
  item: MediaItem,
  report: Report,
  ctx: PageContext,
  shownPosts: Map<number, number>,
): SafeHtml {
  const number = item.index + 1;
  const prov = item.provenance;
  const post = item.post_index === null ? undefined : report.posts[item.post_index];
  const authorAlt = post?.media.find((m) => m.url === item.source_url)?.alt_text;
  const alt = `The checked image${authorAlt ? `; the author describes it as: ${authorAlt}` : ''}`;
  const caption = [
    item.format?.toUpperCase(),
    formatSize(item.width, item.height),
    item.bytes !== undefined ? formatBytes(item.bytes) : null,
  ]
    .filter(Boolean)
    .join(' · ');
  const error = item.error
    ? markup`<div class="notice error" role="alert"><p>Could not analyze this file: <code>${item.error.code}</code> — ${item.error.message}</p></div>`
    : '';
  const postHtml = postPart(item, report, number, shownPosts);
  const matchCount = prov?.matches.length ? ` (${prov.matches.length})` : '';
  return markup`<article class="item" id="image-${number}">
<h2>Image ${number} of ${report.media.length} <span class="muted">· ${itemName(item)}</span></h2>
${error}
${factChecksSection(item.fact_checks)}
<div class="overview">
${thumbnailFigure(item.sha256, alt, caption, ctx)}
<div>
<section><h3>Signals</h3>
${signalsList(prov?.signals ?? [])}
</section>
${earliestSighting(prov?.earliest ?? null)}
</div>
</div>
${forensicViewsSection(item.views, thumbnailFigure(item.sha256, alt, 'The picture', ctx), viewsAsk(item, report, ctx))}
<section><h3>Timeline</h3>
${timelineTable(prov?.timeline ?? [])}
${webSearchNote(item)}
</section>
<section><h3>Matches${matchCount}</h3>
${matchesList(prov?.matches ?? [], item.sha256, ctx)}
</section>
${bestCopySection(item.best_copy)}
${reverseSearchSection(item)}
${postHtml ? markup`<section><h3>Post</h3>\n${postHtml}\n</section>` : ''}
${item.video ? markup`<section><h3>Video</h3>\n${videoSection(item.video, ctx)}\n</section>` : ''}
${item.text ? markup`<section><h3>Text in the picture</h3>\n${textSection(item.text)}\n</section>` : ''}
${item.screenshot_of ? markup`<section><h3>Screenshot of a post</h3>\n${screenshotSection(item.screenshot_of)}\n</section>` : ''}
<section><h3>Metadata</h3>
${metadataSection(item.metadata, item.exif_thumbnail)}
</section>
${item.jpeg ? markup`<section><h3>How the file was made</h3>\n${jpegSection(item.jpeg)}\n</section>` : ''}
<section><h3>Content Credentials</h3>
${credentialsSection(item.content_credentials)}
</section>
<section><h3>File</h3>
${fileFacts(item)}
</section>
</article>`;
}
