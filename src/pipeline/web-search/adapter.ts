// A web search engine that says where on the web it has seen an image, and since when: TinEye today
// (tineye.ts), any other engine with a search API tomorrow. An engine is one adapter: a name, a label
// for people, and `search`, which turns the engine's own answer into sightings. Everything around it
// (which images are searched, the cache, the caps per check, failures that never fail a check) is
// web-sightings.ts, the same for every engine.
import { Type, type Static } from 'typebox';
import type { Logger } from '../../logger.js';
import type { SafeFetcher } from '../../net/safe-fetch.js';

/** One page where an engine's crawler found the image. Also the shape kept in the cache. */
export const WebSighting = Type.Object(
  {
    /** The image as the engine found it on that page (its URL there), when the engine says. */
    url: Type.Union([Type.String(), Type.Null()]),
    /** The page the image was on. */
    page_url: Type.String(),
    /** When the engine's crawler came by (ISO 8601): the image was online then, maybe long before. */
    crawled_at: Type.String(),
    /** The engine's name (the adapter's `name`). */
    source: Type.String(),
  },
  { additionalProperties: false },
);
export type WebSighting = Static<typeof WebSighting>;

export interface WebSearchAnswer {
  /** Earliest crawled first, at most the adapter's cap. */
  sightings: WebSighting[];
  /** Pages the engine says it has in all (it sends only some), when it says. */
  total: number | null;
}

export interface WebSearchContext {
  /** The plain fetcher, never the check's recording one: a search request carries the engine's key,
   *  which has no place in the evidence archive. */
  fetcher: SafeFetcher;
  log: Logger;
}

export interface WebSearchAdapter {
  /** Stable name, in reports and cache keys (`tineye`). */
  readonly name: string;
  /** For people (`TinEye`). */
  readonly label: string;
  /** Sightings of the image at `imageUrl` (a public http(s) URL). Throws a WebSearchError when the
   *  engine cannot answer; the caller turns it into a `failed` outcome. */
  search(imageUrl: string, ctx: WebSearchContext): Promise<WebSearchAnswer>;
}

/** Why an engine gave no answer, in one sentence a fact-checker can read in the report. */
export class WebSearchError extends Error {}
