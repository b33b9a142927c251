// A small HTML reader for the few things resolvers need from a page: meta tags, images, links,
// elements by class, and text. htmlparser2's streaming Parser does the tokenizing (comments, raw text
// in script and style, entity-decoded title and textarea, void elements, quoted and unquoted
// attributes, character references, implied and mis-nested end tags); this file only builds a small
// tree from its callbacks. Not its DomHandler: building the tree here is what lets the caps below
// apply while parsing, and the resolvers keep the plain shape they read.
//
// Hostile pages are bounded: the input by MAX_INPUT_CHARS (the fetch caps it first), elements by
// MAX_ELEMENTS and nesting by MAX_DEPTH (past either, parsing stops and the rest is ignored),
// attributes per element by MAX_ATTRS and their values by MAX_ATTR_VALUE. Everything is iterative, so
// deep nesting cannot overflow the stack.
import { MAX_BLOCK_CHARS } from './claim-review.js';
import { setImmediate } from 'node:timers/promises';
import { Parser } from 'htmlparser2';

export interface HtmlElement {
  tag: string;
  attrs: Record<string, string>;
  children: HtmlNode[];
  parent: HtmlElement | null;
}
export type HtmlNode = HtmlElement | string;

/** Above the fetch caps (HTML_MAX_BYTES), so only strings from elsewhere are ever cut. */
const MAX_INPUT_CHARS = 4 * 1024 * 1024;
// 20,000: a long news article has 2,000-15,000 elements, and what firstseen reads (meta tags, embedded
// posts, the article's images) comes early. With 50,000 (a 3 MiB page dense with tags) the web
// resolver's passes over the tree held the event loop 170-340 ms (test/pipeline/stalls.test.ts).
const MAX_ELEMENTS = 20_000;
/**
 * htmlparser2 keeps its open elements in an array that it grows at the front on every start tag and
 * searches on every end tag, so time grows with depth × tags: 1.8 MB of unclosed `<span>` took 35 s.
 * Real pages stay far below this depth; a page that goes past it is read only up to there.
 */
const MAX_DEPTH = 256;
const MAX_ATTRS = 64;
const MAX_ATTR_VALUE = 16_384;

/** Elements whose content is not text a reader sees (scripts, styles, embedded documents). */
const RAW_TEXT = new Set(['script', 'style', 'xmp', 'iframe', 'noembed', 'noframes']);

/** The longest character reference HTML knows (`&CounterClockwiseContourIntegral;`). */
const LONGEST_REFERENCE = 33;

/**
 * Decodes character references (every named one HTML knows, all numeric ones). With `maxChars`, only
 * the input that can yield that many characters is read: the cut comes before the work.
 */
export function decodeEntities(text: string, maxChars = MAX_INPUT_CHARS): string {
  const limit = maxChars * LONGEST_REFERENCE;
  const bounded = text.length > limit ? text.slice(0, limit) : text;
  if (!bounded.includes('&')) return bounded;
  let out = '';
  // With '<' escaped the tokenizer sees nothing but text and references, and decodes them as in a page.
  new Parser({ ontext: (t) => (out += t) }).end(bounded.replaceAll('<', '&lt;'));
  return out;
}

/** A `<script type="application/ld+json">`: structured data (schema.org), whose text the tree keeps. */
export const isJsonLdScript = (el: HtmlElement): boolean =>
  el.tag === 'script' && /^\s*application\/ld\+json\s*(;|$)/i.test(el.attrs.type ?? '');
/** Characters of one JSON-LD block the tree keeps: one past the reader's cap, so a longer one is seen as such. */
const MAX_JSON_LD_CHARS = MAX_BLOCK_CHARS + 1;

/** A parser that builds the tree under `root` from what it is given. */
function treeBuilder(): { parser: Parser; root: HtmlElement; stopped: () => boolean } {
  const root: HtmlElement = { tag: '#root', attrs: {}, children: [], parent: null };
  // Mirrors the parser's open elements: each start tag pushes, each close (explicit, implied, or the
  // immediate one of a void element) pops, so the top is where the next node goes.
  const open: HtmlElement[] = [root];
  const top = () => open[open.length - 1] as HtmlElement;
  let elements = 0;
  let attrCount = 0;
  let stopped = false;

  const parser: Parser = new Parser({
    onopentagname(tag) {
      if (stopped) return;
      if (elements >= MAX_ELEMENTS || open.length > MAX_DEPTH) {
        // pause() stops the tokenizer; a few events of the current token may still arrive.
        stopped = true;
        parser.pause();
        return;
      }
      elements++;
      attrCount = 0;
      const parent = top();
      const el: HtmlElement = { tag, attrs: {}, children: [], parent };
      parent.children.push(el);
      open.push(el);
    },
    onattribute(name, value) {
      // Attributes arrive between a start tag's name and its end, so the top is their element.
      if (stopped || attrCount >= MAX_ATTRS) return;
      const attrs = top().attrs;
      if (Object.hasOwn(attrs, name)) return;
      attrs[name] = value.length > MAX_ATTR_VALUE ? value.slice(0, MAX_ATTR_VALUE) : value;
      attrCount++;
    },
    onclosetag() {
      if (!stopped && open.length > 1) open.pop();
    },
    ontext(text) {
      if (stopped) return;
      const el = top();
      // Raw text is dropped, except JSON-LD (fact-checks' ClaimReview), kept to its reader's cap.
      if (RAW_TEXT.has(el.tag) && !isJsonLdScript(el)) return;
      // The parser hands text over in pieces (around each character reference): join them.
      const last = el.children[el.children.length - 1];
      if (RAW_TEXT.has(el.tag) && typeof last === 'string' && last.length + text.length > MAX_JSON_LD_CHARS)
        return;
      if (typeof last === 'string') el.children[el.children.length - 1] = last + text;
      else el.children.push(text);
    },
  });
  return { parser, root, stopped: () => stopped };
}

export function parseHtml(html: string): HtmlElement {
  const { parser, root } = treeBuilder();
  parser.end(html.length > MAX_INPUT_CHARS ? html.slice(0, MAX_INPUT_CHARS) : html);
  return root;
}

/**
 * Characters tokenized between two turns of the event loop in readHtml: about 20 ms for a page dense
 * with character references (the slowest kind, ~12 MB/s on a quiet core), so a 3 MiB page never holds
 * a worker (or the API when ROLE=all) for long.
 */
const CHUNK_CHARS = 256 * 1024;

/** parseHtml for a fetched page: the same tree, built a chunk per turn of the event loop. */
export async function readHtml(html: string): Promise<HtmlElement> {
  const { parser, root, stopped } = treeBuilder();
  const bounded = html.length > MAX_INPUT_CHARS ? html.slice(0, MAX_INPUT_CHARS) : html;
  for (let at = 0; at < bounded.length && !stopped(); at += CHUNK_CHARS) {
    parser.write(bounded.slice(at, at + CHUNK_CHARS));
    await setImmediate();
  }
  parser.end();
  return root;
}

/** Every element under `root` (depth first, document order) for which `pred` holds. */
export function findAll(
  root: HtmlElement,
  pred: (el: HtmlElement) => boolean,
  limit = 10_000,
): HtmlElement[] {
  const out: HtmlElement[] = [];
  const todo: HtmlNode[] = [...root.children].reverse();
  while (todo.length && out.length < limit) {
    const node = todo.pop() as HtmlNode;
    if (typeof node === 'string') continue;
    if (pred(node)) out.push(node);
    for (let k = node.children.length - 1; k >= 0; k--) todo.push(node.children[k] as HtmlNode);
  }
  return out;
}

export function findFirst(root: HtmlElement, pred: (el: HtmlElement) => boolean): HtmlElement | undefined {
  return findAll(root, pred, 1)[0];
}

export const byTag =
  (tag: string) =>
  (el: HtmlElement): boolean =>
    el.tag === tag;

export function hasClass(el: HtmlElement, cls: string): boolean {
  const c = el.attrs.class;
  return c !== undefined && c.split(/\s+/).includes(cls);
}

export const byClass =
  (cls: string) =>
  (el: HtmlElement): boolean =>
    hasClass(el, cls);

const BLOCK = new Set(['p', 'div', 'li', 'blockquote', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'tr', 'section']);

/** Text of an element as a reader sees it: `<br>` and block ends become line breaks. */
export function textOf(el: HtmlElement, maxChars = 20_000): string {
  let out = '';
  const todo: (HtmlNode | { close: string })[] = [el];
  while (todo.length && out.length < maxChars) {
    const node = todo.pop() as HtmlNode | { close: string };
    if (typeof node === 'string') {
      // Cut before the clean-up below, not after: one text node can hold megabytes.
      out += node.length > maxChars - out.length ? node.slice(0, maxChars - out.length) : node;
      continue;
    }
    if ('close' in node) {
      // charCodeAt, not endsWith: endsWith flattens the string being built, once per block element.
      if (out.charCodeAt(out.length - 1) !== 0x0a) out += '\n';
      continue;
    }
    if (node.tag === 'br') {
      out += '\n';
      continue;
    }
    if (RAW_TEXT.has(node.tag) && node !== el) continue;
    if (BLOCK.has(node.tag) && node !== el) todo.push({ close: node.tag });
    for (let k = node.children.length - 1; k >= 0; k--) todo.push(node.children[k] as HtmlNode);
  }
  return (
    out
      // The lookbehind starts a match only where a run of blanks starts: `[ \t]+\n` alone is tried at
      // every blank of a run and reads on to its end each time, so a <title> of 100,000 spaces took 10 s.
      .replace(/(?<![ \t\u00a0])[ \t\u00a0]+\n/g, '\n')
      .replace(/\n{3,}/g, '\n\n')
      .trim()
  );
}

/** The first `url(...)` in an inline style (Telegram puts photos in `background-image`). */
export function styleUrl(style: string | undefined): string | undefined {
  const m = style?.match(/background-image\s*:\s*url\(\s*(['"]?)([^'")]*)\1\s*\)/i);
  return m?.[2];
}
