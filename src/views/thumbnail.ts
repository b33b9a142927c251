// Thumbnails on a page come from firstseen only (/v1/media/<sha256>/thumbnail), never from the
// image's host, and only for images whose thumbnail was kept: otherwise a box says why there is none.
import { markup, type Html, type SafeHtml } from './html.js';

const SHA256 = /^[0-9a-f]{64}$/;

export function thumbnailPath(sha256: string): string {
  return `/v1/media/${sha256}/thumbnail`;
}

export interface ThumbnailContext {
  /** sha256 of every image whose thumbnail firstseen kept. */
  thumbnails: ReadonlySet<string>;
}

export function thumbnailFigure(
  sha256: string | null | undefined,
  alt: string,
  caption: Html,
  ctx: ThumbnailContext,
): SafeHtml {
  const kept = typeof sha256 === 'string' && SHA256.test(sha256) && ctx.thumbnails.has(sha256);
  const picture = kept
    ? markup`<img src="${thumbnailPath(sha256)}" alt="${alt}">`
    : markup`<div class="none" role="img" aria-label="${alt}: no thumbnail kept">No thumbnail kept</div>`;
  const figcaption = caption ? markup`<figcaption>${caption}</figcaption>` : '';
  return markup`<figure class="thumb">${picture}${figcaption}</figure>`;
}
