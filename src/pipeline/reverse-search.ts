// Reverse image search leads: links that open Google Lens, Bing, Yandex, TinEye or Baidu (as configured
// in REVERSE_SEARCH_ENGINES) on an image's public URL, the way InVID-WeVerify launches them. firstseen
// calls none of them: the fact-checker clicks, and the engine fetches the image itself. Only public
// http(s) URLs get links; an upload stays private (its bytes are nowhere an engine could fetch them).
import type { MediaItem, ReverseSearchLink } from '../../schemas/report.js';
import type { Config } from '../config.js';

export type ReverseSearchEngines = Config['reverseSearch'];

export function reverseSearchLinks(
  item: Pick<MediaItem, 'source_url' | 'mime'>,
  engines: ReverseSearchEngines,
): ReverseSearchLink[] {
  if (!engines.length || !item.mime?.startsWith('image/')) return [];
  let url: URL;
  try {
    url = new URL(item.source_url);
  } catch {
    return [];
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return [];
  const encoded = encodeURIComponent(url.href);
  return engines.map(({ engine, template }) => ({ engine, url: template.replace('{url}', encoded) }));
}
