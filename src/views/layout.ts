// The frame of every page: document head, the site bar, the footer. No script anywhere: pages
// work with JavaScript off, and the Content-Security-Policy forbids it anyway.
import { markup, unsafeRaw, type Html } from './html.js';
import { STYLESHEET, STYLESHEET_HASH } from './styles.js';

/**
 * Sent with every page. Images only from firstseen itself: a report never makes the reader's
 * browser contact the hosts it describes (they would learn who is looking into them).
 */
export const PAGE_CSP = [
  "default-src 'none'",
  "img-src 'self'",
  `style-src ${STYLESHEET_HASH}`,
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Built by concatenation so that nothing can slip between the tags and break the CSP hash. */
const STYLE_ELEMENT = unsafeRaw('<style>' + STYLESHEET + '</style>');

export interface LayoutOptions {
  title: string;
  main: Html;
  /** Reload the page after this many seconds (a check still running): a meta refresh, no script. */
  refreshSeconds?: number;
}

export function layout({ title, main, refreshSeconds }: LayoutOptions): string {
  const refresh = refreshSeconds ? markup`<meta http-equiv="refresh" content="${refreshSeconds}">\n` : '';
  return markup`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
${refresh}<title>${title} · firstseen</title>
${STYLE_ELEMENT}
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="site">
<a class="brand" href="/">firstseen<span>where an image comes from</span></a>
<nav aria-label="Site"><a href="/">New check</a></nav>
</header>
<main id="main">
${main}
</main>
<footer>
<p>firstseen lays out evidence about where an image comes from. It never says whether a claim is true or false.</p>
</footer>
</body>
</html>
`.value;
}
