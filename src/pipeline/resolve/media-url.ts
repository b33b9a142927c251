// Recognising a URL that is already a media file (no page to parse), and asking media CDNs for their
// best copy of it.

const MEDIA_EXTENSION = /\.(jpe?g|png|gif|webp|avif|heic|heif|tiff?|bmp|jxl|mp4|m4v|mov|webm|mkv)$/i;

/** Hosts that serve only media files, whatever the path looks like. */
const MEDIA_HOSTS = new Set([
  'pbs.twimg.com',
  'video.twimg.com',
  'i.redd.it',
  'cdn.bsky.app',
  'video.bsky.app',
]);

export function isDirectMediaUrl(url: URL): boolean {
  if (MEDIA_HOSTS.has(url.hostname)) return true;
  if (MEDIA_EXTENSION.test(url.pathname)) return true;
  // X's own form: /media/ID?format=jpg&name=small
  return (
    /^(jpe?g|png|webp|gif)$/i.test(url.searchParams.get('format') ?? '') && /\/media\//.test(url.pathname)
  );
}

/** Photo, video or gif, from what the URL path says (a guess the download step corrects). */
export function mediaTypeOf(url: URL): 'photo' | 'video' | 'gif' {
  if (/\.(mp4|m4v|mov|webm|mkv)$/i.test(url.pathname) || url.hostname === 'video.twimg.com') return 'video';
  if (/\.gif$/i.test(url.pathname)) return 'gif';
  return 'photo';
}

/** X image paths that accept `name=orig` for the file as uploaded (after X's own re-encoding). */
const X_IMAGE_PATH = /^\/(media|ext_tw_video_thumb|amplify_video_thumb|tweet_video_thumb)\//;

/**
 * The original-size URL of an X photo: `/media/ID.jpg`, `/media/ID.jpg:large` and
 * `/media/ID?format=jpg&name=small` all become `/media/ID?format=jpg&name=orig`. Other URLs come back as
 * they were.
 */
export function upgradeXPhoto(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return raw;
  }
  if (url.hostname !== 'pbs.twimg.com' || !X_IMAGE_PATH.test(url.pathname)) return raw;
  const m = url.pathname.match(/^(.*?)(?:\.([A-Za-z0-9]{2,5}))?(?::[a-z]+)?$/);
  const path = m?.[1] ?? url.pathname;
  const format = (m?.[2] ?? url.searchParams.get('format') ?? 'jpg').toLowerCase();
  return `https://pbs.twimg.com${path}?format=${encodeURIComponent(format)}&name=orig`;
}
