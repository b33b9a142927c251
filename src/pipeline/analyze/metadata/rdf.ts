// XMP's RDF/XML, read into plain values: a property is text, a list (rdf:Seq, rdf:Bag, rdf:Alt) or a
// structure, keyed by namespace URI + local name so that prefixes chosen by the writer do not matter.
// RDF allows the same data in several spellings (attributes or elements, rdf:parseType="Resource", a
// nested rdf:Description); all of them read the same here.
import { type XmlElement, parseXml, xmlBudget } from './xml.js';

export const RDF = 'http://www.w3.org/1999/02/22-rdf-syntax-ns#';
/**
 * More XMP than this (extended XMP can fill a whole file) is not metadata worth parsing: the reader
 * stops at the first of this cap and its element/attribute budget (xml.ts). At 8 MiB a packet of long
 * tags full of quotes (the slowest text to scan) takes ~90 ms of CPU; at 16 MiB it took twice that.
 * Photoshop's DocumentAncestors bloat (~6 MB for 200,000 ids) still fits, skipped unread.
 */
export const MAX_XMP_CHARS = 8 * 1024 * 1024;
const XML_NS = 'http://www.w3.org/XML/1998/namespace';

export type XmpValue = string | XmpValue[] | XmpStruct;
export interface XmpStruct {
  [key: string]: XmpValue;
}

const isRdf = (el: { ns: string; local: string }, local: string) => el.ns === RDF && el.local === local;
const attr = (el: XmlElement, ns: string, local: string) =>
  el.attributes.find((a) => a.ns === ns && a.local === local)?.value;

/** Attributes that are properties (not rdf:about, xml:lang, …) set on `into`, if not already set. */
function attributeProperties(el: XmlElement, into: XmpStruct): void {
  for (const a of el.attributes) {
    if (a.ns === RDF || a.ns === XML_NS || a.ns === '') continue;
    into[a.ns + a.local] ??= a.value;
  }
}

// Without a prototype, a hostile property named "__proto__" is just a key.
const emptyStruct = (): XmpStruct => Object.create(null) as XmpStruct;

function structOf(el: XmlElement): XmpStruct {
  const struct = emptyStruct();
  attributeProperties(el, struct);
  for (const c of el.children) struct[c.ns + c.local] ??= valueOf(c);
  return struct;
}

function valueOf(el: XmlElement): XmpValue {
  const resource = attr(el, RDF, 'resource');
  if (resource !== undefined) return resource;
  if (attr(el, RDF, 'parseType') === 'Resource') return structOf(el);
  const first = el.children[0];
  if (first && (isRdf(first, 'Seq') || isRdf(first, 'Bag') || isRdf(first, 'Alt'))) {
    const items = first.children.filter((li) => isRdf(li, 'li'));
    // For language alternatives, put the default language first so "the" value is items[0].
    if (isRdf(first, 'Alt')) {
      const fallback = items.findIndex((li) => attr(li, XML_NS, 'lang') === 'x-default');
      if (fallback > 0) items.unshift(...items.splice(fallback, 1));
    }
    return items.map(valueOf);
  }
  if (first && isRdf(first, 'Description')) return structOf(first);
  if (first) return structOf(el);
  const shorthand = emptyStruct();
  attributeProperties(el, shorthand);
  return Object.keys(shorthand).length > 0 ? shorthand : el.text;
}

function descriptions(el: XmlElement, out: XmlElement[]): XmlElement[] {
  for (const c of el.children) {
    if (isRdf(el, 'RDF') && isRdf(c, 'Description')) out.push(c);
    else if (!isRdf(c, 'Description')) descriptions(c, out);
  }
  return out;
}

export interface XmpProperties {
  properties: XmpStruct;
  error: string | null;
}

/** Every top-level property of the packets, first spelling wins (main packet before extended XMP). */
export function readXmpProperties(packets: string[]): XmpProperties {
  const properties = emptyStruct();
  let error: string | null = null;
  let budget = MAX_XMP_CHARS;
  // One budget of elements and attributes for all the packets: a file may carry hundreds of them.
  const work = xmlBudget();
  for (const packet of packets) {
    if (budget <= 0) break;
    const doc = parseXml(packet.length > budget ? packet.slice(0, budget) : packet, work);
    budget -= packet.length;
    error ??= doc.error;
    for (const d of descriptions(doc.root, [])) {
      attributeProperties(d, properties);
      for (const c of d.children) properties[c.ns + c.local] ??= valueOf(c);
    }
  }
  return { properties, error };
}
