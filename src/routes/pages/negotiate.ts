// Content negotiation for GET /v1/checks/:id: a browser (which asks for text/html first) gets the
// page, everyone else the JSON they always got. HTML only when the Accept header prefers it:
// `*/*`, no header, or `application/json, text/html` stay JSON.
import type { FastifyInstance } from 'fastify';

interface Range {
  type: string;
  subtype: string;
  q: number;
  position: number;
}

function parseAccept(header: string): Range[] {
  return header.split(',').flatMap((part, position) => {
    const [mediaRange = '', ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    const [type, subtype] = mediaRange.split('/');
    if (!type || !subtype) return [];
    const qParam = params.find((p) => p.startsWith('q='));
    const q = qParam ? Number(qParam.slice(2)) : 1;
    return Number.isFinite(q) ? [{ type, subtype, q: Math.min(Math.max(q, 0), 1), position }] : [];
  });
}

/** The most specific range that covers `type/subtype` (RFC 9110, 12.5.1), with how specific it is. */
function match(
  ranges: Range[],
  type: string,
  subtype: string,
): { q: number; exact: boolean; position: number } {
  let best: { q: number; exact: boolean; position: number; rank: number } = {
    q: 0,
    exact: false,
    position: Infinity,
    rank: -1,
  };
  for (const r of ranges) {
    const rank =
      r.type === type && r.subtype === subtype
        ? 2
        : r.type === type && r.subtype === '*'
          ? 1
          : r.type === '*'
            ? 0
            : -1;
    if (rank > best.rank) best = { q: r.q, exact: rank === 2, position: r.position, rank };
  }
  return best;
}

export function prefersHtml(accept: string | undefined): boolean {
  // Cheap exit for the common API request: this runs on every request (see htmlConstraint).
  if (!accept || !/html|text\/\*/i.test(accept)) return false;
  const ranges = parseAccept(accept);
  const html = match(ranges, 'text', 'html');
  const json = match(ranges, 'application', 'json');
  if (html.q === 0) return false;
  if (html.q !== json.q) return html.q > json.q;
  // Equal preference: HTML only when named before JSON (or JSON only reached through a wildcard).
  return html.exact && (!json.exact || html.position < json.position);
}

const VALUE = 'html';

/**
 * A router constraint: a route declared with `constraints: { accept: 'html' }` answers only requests
 * that prefer HTML; the same path without the constraint answers the rest. So the page can share a
 * URL with the JSON route (src/routes/checks/index.ts) without either knowing of the other.
 */
export const htmlConstraint: Parameters<FastifyInstance['addConstraintStrategy']>[0] = {
  name: 'accept',
  storage() {
    const handlers = new Map<string, unknown>();
    return {
      get: (value: string) => (handlers.get(value) ?? null) as never,
      set: (value: string, store: unknown) => void handlers.set(value, store),
    };
  },
  deriveConstraint: (req: { headers: Record<string, string | string[] | undefined> }) => {
    const accept = req.headers.accept;
    return prefersHtml(typeof accept === 'string' ? accept : undefined) ? VALUE : undefined;
  },
  mustMatchWhenDerived: false,
  validate(value: unknown) {
    if (value !== VALUE) throw new Error(`The accept constraint takes only '${VALUE}'`);
  },
};

export const HTML_ONLY = { accept: VALUE };
