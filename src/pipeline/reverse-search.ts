// Reverse image search leads: links that open Google Lens, Bing, Yandex, TinEye or Baidu (as configured
// in REVERSE_SEARCH_ENGINES) on an image's public URL, the way InVID-WeVerify launches them. firstseen
// calls none of them: the fact-checker clicks, and the engine fetches the image itself. Only public
// http(s) URLs get links; an upload stays private (its bytes are nowhere an engine could fetch them).
import type { MediaItem, ReverseSearchLink } from '../../schemas/report.js';
import type { Config } from '../config.js';

export type ReverseSearchEngines = Config['reverseSearch'];

/** The image's URL when the web may be searched for it: an image with a public http(s) URL (not an upload). */
export function publicImageUrl(item: Pick<MediaItem, 'source_url' | 'mime'>): string | null {
  if (!item.mime?.startsWith('image/')) return null;
  try {
    const url = new URL(item.source_url);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : null;
  } catch {
    return null;
  }
}

export function reverseSearchLinks(
  item: Pick<MediaItem, 'source_url' | 'mime'>,
  engines: ReverseSearchEngines,
): ReverseSearchLink[] {
  const url = engines.length ? publicImageUrl(item) : null;
  if (!url) return [];
  const encoded = encodeURIComponent(url);
  return engines.map(({ engine, template }) => ({ engine, url: template.replace('{url}', encoded) }));
}
