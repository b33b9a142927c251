// X's embedded-timeline page (syndication.twitter.com/srv/timeline-profile/screen-name/<name>), played by
// a route of the resolver tests' local world (test/pipeline/resolve/world.ts). Written for these tests to
// the page's shape: an HTML page whose Next.js data script holds `props.pageProps.timeline.entries`, each
// a tweet in the syndication shape (id_str, created_at as X writes it, full_text, user); an account X
// does not show gets the page with no entries. The accounts and texts are invented.
import type { Route } from '../pipeline/resolve/world.js';

export interface XAccount {
  screen_name: string;
  name: string;
  id_str: string;
}

/** A timeline entry: `author`'s tweet `id`; `retweetOf` makes it a retweet of that account's tweet. */
export function timelineTweet(
  author: XAccount,
  id: string,
  text: string,
  createdAt: Date,
  retweetOf?: XAccount,
): object {
  // X writes dates as "Mon Aug 12 21:14:05 +0000 2024".
  const [wd, mon, day, year, time] = createdAt.toUTCString().replace(',', '').split(' ');
  const created_at = `${wd} ${mon} ${day} ${time} +0000 ${year}`;
  const tweet = {
    id_str: id,
    created_at,
    full_text: retweetOf ? `RT @${retweetOf.screen_name}: ${text}` : text,
    lang: 'en',
    user: { ...author, profile_image_url_https: 'https://pbs.twimg.com/profile_images/1/a.jpg' },
    entities: { hashtags: [], urls: [], user_mentions: [] },
    ...(retweetOf && {
      retweeted_status: { id_str: `${id}0`, created_at, full_text: text, user: retweetOf },
    }),
  };
  return { type: 'tweet', entry_id: `tweet-${id}`, sort_index: id, content: { tweet } };
}

/** The page for `entries` (newest first), as the embedded timeline serves it. */
export function timelinePage(entries: object[]): string {
  const data = {
    props: { pageProps: { contextProvider: { hasResults: entries.length > 0 }, timeline: { entries } } },
    page: '/timeline-profile/screen-name/[screenName]',
    buildId: 'test',
  };
  // Next.js escapes "<" in its data script, so no "</script>" can end it early.
  const json = JSON.stringify(data).replace(/</g, '\\u003c');
  return `<!DOCTYPE html><html><head><title>Timeline</title></head><body><div id="__next"></div><script id="__NEXT_DATA__" type="application/json">${json}</script></body></html>`;
}

/** The timeline route over `timelines` (screen name, any case -> entries); `asked` gets each name asked. */
export function xTimelineRoute(timelines: Record<string, object[]>, asked: string[] = []): Route {
  return (_req, url, res) => {
    const name = decodeURIComponent(url.pathname.split('/').at(-1) ?? '');
    asked.push(name);
    const key = Object.keys(timelines).find((k) => k.toLowerCase() === name.toLowerCase());
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(timelinePage(key ? (timelines[key] as object[]) : []));
  };
}
