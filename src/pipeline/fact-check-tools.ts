// Google Fact Check Tools: the fact-checks Google has indexed from publishers' ClaimReview markup,
// searched by image (`claims:imageSearch?imageUri=`) and by text (`claims:search?query=`), as the v1alpha1
// REST reference describes them: a Claim is {text, claimant, claimDate, claimReview: [{publisher {name,
// site}, url, title, reviewDate, textualRating, languageCode}]}; imageSearch answers {results: [{claim}]},
// search answers {claims: [...]}.
//
// Only with an API key (FACT_CHECK_TOOLS_API_KEY). The key travels in the query string, so these requests
// go through the plain fetcher and never into a check's evidence archive. Answers are cached in Redis
// (FACT_CHECK_TOOLS_CACHE_SECONDS) so a viral image checked a thousand times is searched once. An answer
// that cannot be had (a refusal, a timeout, junk) leaves the report without it: logged, never a failure.
import { createHash } from 'node:crypto';
import type { FactCheck } from '../../schemas/fact-checks.js';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { SafeFetcher } from '../net/safe-fetch.js';
import type { TtlCache } from '../services/ttl-cache.js';
import { arr, clip, httpUrl, isoDate, obj, parseJson, str } from './resolve/untrusted.js';

export type FactCheckToolsOptions = NonNullable<Config['factCheckTools']>;

export interface FactCheckToolsDeps {
  fetcher: SafeFetcher;
  cache: TtlCache | null;
  options: FactCheckToolsOptions;
  log: Logger;
}

/** An answer is a page of at most 10 claims; a few KB each. */
const ANSWER_MAX_BYTES = 1024 * 1024;
const PAGE_SIZE = 10;
/** Reviews kept per search (a claim may carry several). */
const MAX_REVIEWS = 10;
/** Characters of a post's text sent as a query: its claim is near the start; longer queries match worse. */
const MAX_QUERY_CHARS = 300;

type Found = Omit<FactCheck, 'match'>;

/** The reviews of the claims in an answer, as the report shows fact-checks. */
export function readClaims(answer: unknown): Found[] {
  const root = obj(answer);
  const claims = [...arr(root?.claims), ...arr(root?.results).map((r) => obj(r)?.claim)];
  const out: Found[] = [];
  for (const raw of claims) {
    const claim = obj(raw);
    if (!claim) continue;
    for (const r of arr(claim.claimReview)) {
      const review = obj(r);
      const url = httpUrl(review?.url);
      if (!review || !url) continue;
      const publisher = obj(review.publisher);
      out.push({
        type: 'ClaimReview',
        url,
        title: clip(review.title, 500) ?? null,
        claim: clip(claim.text, 2000) ?? null,
        rating: clip(review.textualRating, 200) ?? null,
        publisher: {
          name: clip(publisher?.name, 200) ?? null,
          // `site` is a bare host ("factcheck.afp.com"): kept as a URL.
          site: httpUrl(publisher?.site) ?? httpUrl(`https://${str(publisher?.site) ?? ''}/`) ?? null,
        },
        reviewed_at: isoDate(review.reviewDate) ?? null,
        language: clip(review.languageCode, 35) ?? null,
        source: 'fact_check_tools',
      });
      if (out.length >= MAX_REVIEWS) return out;
    }
  }
  return out;
}

async function ask(
  deps: FactCheckToolsDeps,
  method: string,
  params: Record<string, string>,
): Promise<Found[]> {
  const query = new URLSearchParams({ ...params, pageSize: String(PAGE_SIZE) });
  const cacheKey = `fct:${createHash('sha256').update(`${method}?${query.toString()}`).digest('hex')}`;
  const cached = deps.options.cacheSeconds > 0 ? await deps.cache?.get(cacheKey) : null;
  if (cached) return readClaims(parseJson(Buffer.from(cached)));
  query.set('key', deps.options.apiKey);
  const base = deps.options.url.replace(/\/+$/, '');
  try {
    const res = await deps.fetcher.get(`${base}/v1alpha1/claims:${method}?${query.toString()}`, {
      accept: 'application/json',
      maxBytes: ANSWER_MAX_BYTES,
    });
    const answer = parseJson(res.body);
    if (!obj(answer)) throw new Error('not a JSON object');
    if (deps.options.cacheSeconds > 0)
      await deps.cache?.set(cacheKey, JSON.stringify(answer), deps.options.cacheSeconds);
    return readClaims(answer);
  } catch (err) {
    // Never the URL: it holds the key.
    deps.log.warn(
      { method, err: err instanceof Error ? err.message : String(err) },
      'Fact Check Tools unanswered',
    );
    return [];
  }
}

/** Fact-checks Google found for an image at a public URL. */
export async function factChecksOfImage(deps: FactCheckToolsDeps, imageUrl: string): Promise<FactCheck[]> {
  const found = await ask(deps, 'imageSearch', { imageUri: imageUrl });
  return found.map((f) => ({
    ...f,
    match: { kind: 'image_search', hash: 'fact_check_tools', distance: 0, sha256: null },
  }));
}

/** Fact-checks of claims Google finds by a post's text (a keyword search: leads, not matches). */
export async function factChecksOfText(
  deps: FactCheckToolsDeps,
  text: string,
  language: string | null,
): Promise<FactCheck[]> {
  const query = text
    .replace(/https?:\/\/\S+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, MAX_QUERY_CHARS);
  if (query.length < 20) return [];
  const found = await ask(deps, 'search', { query, ...(language && { languageCode: language }) });
  return found.map((f) => ({
    ...f,
    match: { kind: 'text_search', hash: 'fact_check_tools', distance: 0, sha256: null },
  }));
}
