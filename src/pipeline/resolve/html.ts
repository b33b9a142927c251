// A small, forgiving HTML reader for the few things resolvers need from a page: meta tags, images,
// links, elements by class, and text. No HTML parser is installed (parse5 or htmlparser2 would replace
// this); until one is, this scanner follows the HTML tokenizer where it matters to us: comments,
// raw-text elements (script, style), RCDATA (title, textarea), void elements, quoted and unquoted
// attributes, character references, and mis-nested end tags (an end tag without a matching open
// element is ignored; one that matches closes everything opened inside it).
//
// Hostile pages are bounded: the input is capped by the fetch, elements by MAX_ELEMENTS, nesting by
// MAX_DEPTH (deeper elements are attached flat), attributes per element and attribute value length.
// Everything is iterative, so deep nesting cannot overflow the stack.

export interface HtmlElement {
  tag: string;
  attrs: Record<string, string>;
  children: HtmlNode[];
  parent: HtmlElement | null;
}
export type HtmlNode = HtmlElement | string;

const MAX_ELEMENTS = 100_000;
const MAX_DEPTH = 256;
const MAX_ATTRS = 64;
const MAX_ATTR_VALUE = 16_384;

const VOID = new Set([
  'area',
  'base',
  'br',
  'col',
  'embed',
  'hr',
  'img',
  'input',
  'link',
  'meta',
  'param',
  'source',
  'track',
  'wbr',
]);
const RAW_TEXT = new Set(['script', 'style', 'xmp', 'iframe', 'noembed', 'noframes']);
const RCDATA = new Set(['title', 'textarea']);
/** Opening one of these closes an open element of the same name at the top of the stack. */
const SELF_NESTING_CLOSES = new Set(['p', 'li', 'option', 'dt', 'dd', 'tr', 'td', 'th']);

const NAMED: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: '\u00a0',
  mdash: '—',
  ndash: '–',
  hellip: '…',
  laquo: '«',
  raquo: '»',
  lsquo: '‘',
  rsquo: '’',
  ldquo: '“',
  rdquo: '”',
  sbquo: '‚',
  bdquo: '„',
  copy: '©',
  reg: '®',
  trade: '™',
  middot: '·',
  bull: '•',
  deg: '°',
  euro: '€',
  pound: '£',
  yen: '¥',
  cent: '¢',
  times: '×',
  divide: '÷',
  shy: '\u00ad',
  zwj: '\u200d',
  zwnj: '\u200c',
  thinsp: '\u2009',
  ensp: '\u2002',
  emsp: '\u2003',
};

/** Decodes character references (named ones from a common set, all numeric ones). */
export function decodeEntities(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(
    /&(#[xX][0-9a-fA-F]{1,8}|#\d{1,10}|[A-Za-z][A-Za-z0-9]{1,31});?/g,
    (whole, ref: string) => {
      if (ref.startsWith('#')) {
        const code =
          ref[1] === 'x' || ref[1] === 'X' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
        if (!Number.isFinite(code) || code <= 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff))
          return '\ufffd';
        return String.fromCodePoint(code);
      }
      const named = NAMED[ref] ?? NAMED[ref.toLowerCase()];
      return named ?? whole;
    },
  );
}

function isNameStart(c: string | undefined): boolean {
  return c !== undefined && /[A-Za-z]/.test(c);
}

const WS = /[\t\n\f\r ]/;

export function parseHtml(html: string): HtmlElement {
  const root: HtmlElement = { tag: '#root', attrs: {}, children: [], parent: null };
  const stack: HtmlElement[] = [root];
  let elements = 0;
  let i = 0;
  const n = html.length;
  const top = () => stack[stack.length - 1] as HtmlElement;

  const pushText = (raw: string, decode: boolean) => {
    if (!raw) return;
    const text = decode ? decodeEntities(raw) : raw;
    const children = top().children;
    const last = children[children.length - 1];
    if (typeof last === 'string') children[children.length - 1] = last + text;
    else children.push(text);
  };

  while (i < n) {
    const lt = html.indexOf('<', i);
    if (lt < 0) {
      pushText(html.slice(i), true);
      break;
    }
    if (lt > i) pushText(html.slice(i, lt), true);
    i = lt;
    const next = html[i + 1];

    if (html.startsWith('<!--', i)) {
      const end = html.indexOf('-->', i + 4);
      i = end < 0 ? n : end + 3;
      continue;
    }
    if (next === '!' || next === '?') {
      // Doctype, CDATA, processing instruction: nothing we read.
      const end = html.indexOf('>', i + 2);
      i = end < 0 ? n : end + 1;
      continue;
    }
    if (next === '/' && isNameStart(html[i + 2])) {
      let j = i + 2;
      while (j < n && !WS.test(html[j] as string) && html[j] !== '>' && html[j] !== '/') j++;
      const name = html.slice(i + 2, j).toLowerCase();
      const end = html.indexOf('>', j);
      i = end < 0 ? n : end + 1;
      for (let k = stack.length - 1; k > 0; k--) {
        if ((stack[k] as HtmlElement).tag === name) {
          stack.length = k;
          break;
        }
      }
      continue;
    }
    if (!isNameStart(next)) {
      pushText('<', false);
      i++;
      continue;
    }

    // A start tag: name, then attributes until '>'.
    let j = i + 1;
    while (j < n && !WS.test(html[j] as string) && html[j] !== '>' && html[j] !== '/') j++;
    const tag = html.slice(i + 1, j).toLowerCase();
    const attrs: Record<string, string> = {};
    let count = 0;
    let selfClosing = false;
    for (;;) {
      while (j < n && (WS.test(html[j] as string) || html[j] === '/')) {
        selfClosing = html[j] === '/';
        j++;
      }
      if (j >= n || html[j] === '>') break;
      selfClosing = false;
      const nameStart = j;
      while (j < n && !WS.test(html[j] as string) && html[j] !== '=' && html[j] !== '>' && html[j] !== '/')
        j++;
      // A lone '=' where a name should be: skip it rather than loop.
      if (j === nameStart) j++;
      const name = html.slice(nameStart, j).toLowerCase();
      while (j < n && WS.test(html[j] as string)) j++;
      let value = '';
      if (html[j] === '=') {
        j++;
        while (j < n && WS.test(html[j] as string)) j++;
        const q = html[j];
        if (q === '"' || q === "'") {
          const close = html.indexOf(q, j + 1);
          const end = close < 0 ? n : close;
          value = html.slice(j + 1, end);
          j = end + 1;
        } else {
          const start = j;
          while (j < n && !WS.test(html[j] as string) && html[j] !== '>') j++;
          value = html.slice(start, j);
        }
      }
      if (name && !(name in attrs) && count < MAX_ATTRS) {
        attrs[name] = decodeEntities(value.length > MAX_ATTR_VALUE ? value.slice(0, MAX_ATTR_VALUE) : value);
        count++;
      }
    }
    i = j >= n ? n : j + 1;

    if (elements >= MAX_ELEMENTS) continue;
    elements++;
    if (SELF_NESTING_CLOSES.has(tag) && top().tag === tag && stack.length > 1) stack.pop();
    const parent = top();
    const el: HtmlElement = { tag, attrs, children: [], parent };
    parent.children.push(el);

    if (RAW_TEXT.has(tag) || RCDATA.has(tag)) {
      // Case-insensitive search from here on; lower-casing the page would shift indices for some characters.
      const endTag = new RegExp(`</${tag}`, 'gi');
      endTag.lastIndex = i;
      const close = endTag.exec(html)?.index ?? -1;
      const end = close < 0 ? n : close;
      if (RCDATA.has(tag)) el.children.push(decodeEntities(html.slice(i, end)));
      const gt = close < 0 ? n : html.indexOf('>', close);
      i = gt < 0 ? n : gt + 1;
      continue;
    }
    if (VOID.has(tag) || selfClosing) continue;
    if (stack.length < MAX_DEPTH) stack.push(el);
  }
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
      out += node;
      continue;
    }
    if ('close' in node) {
      if (!out.endsWith('\n')) out += '\n';
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
  return out
    .replace(/[ \t\u00a0]+\n/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** The first `url(...)` in an inline style (Telegram puts photos in `background-image`). */
export function styleUrl(style: string | undefined): string | undefined {
  const m = style?.match(/background-image\s*:\s*url\(\s*(['"]?)([^'")]*)\1\s*\)/i);
  return m?.[2];
}
