// A small, linear-time XML reader for XMP packets, which are untrusted: no DTD or entity expansion (so no
// "billion laughs" or external entities), no regular expression that could backtrack on a hostile packet,
// bounded depth, element count and kept text. Namespaces are resolved, so `xap:` and `xmp:` (the same URI)
// read alike. It is tolerant: a broken packet yields what was read before the break, plus an error.

export interface XmlAttribute {
  ns: string;
  local: string;
  value: string;
}

export interface XmlElement {
  ns: string;
  local: string;
  qname: string;
  attributes: XmlAttribute[];
  children: XmlElement[];
  /** Text directly inside the element, kept up to MAX_TEXT_KEPT characters. */
  text: string;
}

const XML_NS = 'http://www.w3.org/XML/1998/namespace';
const PHOTOSHOP_NS = 'http://ns.adobe.com/photoshop/1.0/';
const MAX_DEPTH = 64;
const MAX_TEXT_KEPT = 10_000;
const MAX_ATTRIBUTES = 1_000;

/**
 * What one reading may cost, shared by all the packets of a file (pass the same object to each
 * parseXml). Real packets hold a few thousand elements (1,000 history steps are ~6,000 elements and
 * attributes); Photoshop's DocumentAncestors bloat is skipped unread and not counted. Measured at the
 * 16 MiB XMP cap on a loaded 2-core machine: 100,000 elements took 280 ms of CPU and 3 million
 * attributes 1.7 s (~2 µs each with their decoding); the budgets below keep a whole file's XMP to about 50 ms.
 */
export interface XmlBudget {
  elements: number;
  attributes: number;
  /** End tags: a page of stray `</a>` costs a scan of the open elements each. */
  endTags: number;
  /**
   * Quoted values passed over while finding where start tags end, read or not. Past the attribute budget
   * the values are no longer decoded, but each still costs a search: a packet of 500 elements with 1,000
   * attributes each (8 MiB) took 280 ms of CPU on its first reading, before the JIT had warmed up.
   */
  quoted: number;
}
export const xmlBudget = (): XmlBudget => ({
  elements: 20_000,
  attributes: 10_000,
  endTags: 40_000,
  quoted: 40_000,
});
/**
 * Namespace prefixes in scope at once (real packets declare a dozen or two). An element that declares
 * one copies its parent's scope, so without this bound a packet that declares thousands at the top and
 * one more on each of many elements below cost scope size × elements; further prefixes stay unresolved.
 */
const MAX_NAMESPACES = 256;

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function decode(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(/&(#x[0-9a-fA-F]{1,6}|#[0-9]{1,7}|[a-z]{2,4});/g, (whole, ref: string) => {
    if (ref[0] !== '#') return ENTITIES[ref] ?? whole;
    const code = ref[1] === 'x' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
    return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : '\ufffd';
  });
}

const isSpace = (c: string | undefined) => c === ' ' || c === '\n' || c === '\r' || c === '\t';

/** Raw attributes of a start tag's inside (after the name), scanned by position. */
function rawAttributes(tag: string, from: number, budget: XmlBudget): [string, string][] {
  const out: [string, string][] = [];
  let i = from;
  while (i < tag.length && out.length < MAX_ATTRIBUTES && budget.attributes > 0) {
    while (isSpace(tag[i])) i++;
    const nameStart = i;
    while (i < tag.length && !isSpace(tag[i]) && tag[i] !== '=') i++;
    const name = tag.slice(nameStart, i);
    while (isSpace(tag[i])) i++;
    if (name === '' || tag[i] !== '=') break;
    i++;
    while (isSpace(tag[i])) i++;
    const quote = tag[i];
    if (quote !== '"' && quote !== "'") break;
    const close = tag.indexOf(quote, i + 1);
    if (close < 0) break;
    out.push([name, decode(tag.slice(i + 1, close))]);
    budget.attributes--;
    i = close + 1;
  }
  return out;
}

type Scope = Map<string, string>;

function resolve(qname: string, scope: Scope, isAttribute: boolean): [string, string] {
  const colon = qname.indexOf(':');
  if (colon < 0) return [isAttribute ? '' : (scope.get('') ?? ''), qname];
  return [scope.get(qname.slice(0, colon)) ?? '', qname.slice(colon + 1)];
}

const TAG_STOP = /["'>]/g;

/** End of the start tag opened at `lt`: the first `>` outside quotes; -1 if none, -2 over the budget. */
function tagEnd(source: string, lt: number, budget: XmlBudget): number {
  // Native searches from stop to stop rather than a loop over every character of a long tag.
  let j = lt + 1;
  for (;;) {
    TAG_STOP.lastIndex = j;
    const m = TAG_STOP.exec(source);
    if (!m) return -1;
    if (m[0] === '>') return m.index;
    if (--budget.quoted < 0) return -2;
    const close = source.indexOf(m[0], m.index + 1);
    if (close < 0) return -1;
    j = close + 1;
  }
}

export interface XmlDocument {
  /** A synthetic root whose children are the document's top-level elements (several packets may follow each other). */
  root: XmlElement;
  error: string | null;
}

interface Open {
  element: XmlElement;
  scope: Scope;
}

/** The element of a start tag's inside (`name attr="…"`), with the namespaces it declares added to `scope`. */
function openElement(inside: string, parentScope: Scope, budget: XmlBudget): Open {
  let n = 0;
  while (n < inside.length && !isSpace(inside[n])) n++;
  const qname = inside.slice(0, n);
  const raw = rawAttributes(inside, n, budget);
  let scope = parentScope;
  for (const [name, value] of raw) {
    if (name !== 'xmlns' && !name.startsWith('xmlns:')) continue;
    const prefix = name === 'xmlns' ? '' : name.slice(6);
    if (!scope.has(prefix) && scope.size >= MAX_NAMESPACES) continue;
    if (scope === parentScope) scope = new Map(scope);
    scope.set(prefix, value);
  }
  const attributes: XmlAttribute[] = [];
  for (const [name, value] of raw) {
    if (name === 'xmlns' || name.startsWith('xmlns:')) continue;
    const [ns, local] = resolve(name, scope, true);
    attributes.push({ ns, local, value });
  }
  const [ns, local] = resolve(qname, scope, false);
  return { element: { ns, local, qname, attributes, children: [], text: '' }, scope };
}

/** Position after `marker` found from `from`, or -1. */
function after(source: string, marker: string, from: number): number {
  const end = source.indexOf(marker, from);
  return end < 0 ? -1 : end + marker.length;
}

function addText(element: XmlElement, text: string, raw: boolean): void {
  if (element.text.length >= MAX_TEXT_KEPT) return;
  const kept = text.slice(0, MAX_TEXT_KEPT - element.text.length);
  element.text += raw ? kept : decode(kept);
}

export function parseXml(source: string, budget: XmlBudget = xmlBudget()): XmlDocument {
  const root: XmlElement = { ns: '', local: '', qname: '', attributes: [], children: [], text: '' };
  const stack: Open[] = [{ element: root, scope: new Map([['xml', XML_NS]]) }];
  const done = (error: string | null): XmlDocument => ({ root, error });
  let i = 0;
  while (i < source.length) {
    const lt = source.indexOf('<', i);
    if (lt < 0) break;
    const top = stack[stack.length - 1]!;
    if (lt > i) addText(top.element, source.slice(i, lt), false);
    if (source.startsWith('<!--', lt)) i = after(source, '-->', lt + 4);
    else if (source.startsWith('<![CDATA[', lt)) {
      i = after(source, ']]>', lt + 9);
      if (i >= 0) addText(top.element, source.slice(lt + 9, i - 3), true);
    } else if (source.startsWith('<?', lt)) i = after(source, '?>', lt + 2);
    else if (source.startsWith('<!', lt)) i = after(source, '>', lt + 2);
    else if (source.startsWith('</', lt)) {
      if (--budget.endTags < 0) return done('too many elements');
      i = after(source, '>', lt);
      const name = i < 0 ? '' : source.slice(lt + 2, i - 1).trim();
      // Close the innermost open element of that name; a stray closing tag is ignored.
      for (let k = stack.length - 1; k > 0; k--) {
        if (stack[k]!.element.qname !== name) continue;
        stack.length = k;
        break;
      }
    } else {
      const end = tagEnd(source, lt, budget);
      if (end === -2) return done('too many attributes');
      if (end < 0) return done('truncated in a start tag');
      const selfClosing = source[end - 1] === '/';
      if (--budget.elements < 0) return done('too many elements');
      const open = openElement(source.slice(lt + 1, selfClosing ? end - 1 : end), top.scope, budget);
      if (stack.length > MAX_DEPTH) return done('nested too deeply');
      i = end + 1;
      // Photoshop has a known bug that bloats photoshop:DocumentAncestors to hundreds of thousands of ids;
      // nothing we report is inside, so it is skipped unread rather than allowed to exhaust the budget.
      if (!selfClosing && open.element.ns === PHOTOSHOP_NS && open.element.local === 'DocumentAncestors') {
        i = after(source, `</${open.element.qname}>`, i);
      } else {
        top.element.children.push(open.element);
        if (!selfClosing) stack.push(open);
      }
    }
    if (i < 0) return done('truncated');
  }
  return done(stack.length > 1 ? 'truncated: elements left open' : null);
}
