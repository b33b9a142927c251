// The Wayback Machine on demand (Save Page Now 2): a check asks the Internet Archive to capture each post
// it resolved, so the post as it was stays viewable by anyone after it is deleted, edited or made private.
// Only with credentials (WAYBACK_SAVE_ACCESS_KEY and WAYBACK_SAVE_SECRET, an archive.org account's S3-like
// keys). The API as the Internet Archive documents it: POST <base>/save (form `url=…`, header
// `Authorization: LOW <key>:<secret>`, `Accept: application/json`) answers `{url, job_id}`; GET
// <base>/save/status/<job_id> answers `{status: pending|success|error, timestamp, original_url, …}`.
// Bounded: a 429 or 5xx is retried with backoff, the status is followed for at most WAYBACK_SAVE_WAIT_MS,
// and nothing here ever fails the check: a capture that did not happen is only missing from the timeline.
import type { Config } from '../../config.js';
import type { Logger } from '../../logger.js';
import type { SafeFetcher } from '../../net/safe-fetch.js';
import { httpUrl, obj, parseJson, str } from './untrusted.js';
import { waybackTime } from './wayback.js';

/** WAYBACK_SAVE_*: the base URL, the credentials, how long to follow a capture, the pause between questions. */
export type SavePageNowOptions = NonNullable<Config['waybackSave']>;

export interface SavedCapture {
  url: string;
  captured_at: string;
  snapshot_url: string;
}

export type SaveResult = { status: 'saved'; capture: SavedCapture } | { status: 'failed'; reason: string };

const ANSWER_MAX_BYTES = 64 * 1024;
const MAX_SUBMIT_TRIES = 3;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Asks for a capture of `url` and follows it until it is saved, fails, or the wait runs out. */
export async function savePage(
  url: string,
  deps: { fetcher: SafeFetcher; options: SavePageNowOptions; log: Logger; now?: () => number },
): Promise<SaveResult> {
  const { options, fetcher, log } = deps;
  const now = deps.now ?? Date.now;
  const target = httpUrl(url);
  if (!target) return { status: 'failed', reason: 'not an http(s) URL' };
  const base = options.url.replace(/\/+$/, '');
  const headers = {
    accept: 'application/json',
    authorization: `LOW ${options.accessKey}:${options.secret}`,
  };
  const deadline = now() + options.waitMs;
  try {
    let jobId: string | undefined;
    for (let attempt = 1; !jobId; attempt++) {
      const res = await fetcher.post(`${base}/save`, `url=${encodeURIComponent(target)}`, {
        headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
        maxBytes: ANSWER_MAX_BYTES,
      });
      const answer = obj(parseJson(res.body));
      jobId = res.status === 200 ? str(answer?.job_id) : undefined;
      if (jobId) break;
      const retry = res.status === 429 || res.status >= 500;
      const wait = options.pollMs * 2 ** (attempt - 1);
      if (!retry || attempt >= MAX_SUBMIT_TRIES || now() + wait > deadline)
        return {
          status: 'failed',
          reason: `Save Page Now answered HTTP ${res.status}${str(answer?.message) ? `: ${str(answer?.message)}` : ''}`,
        };
      await sleep(wait);
    }
    if (!/^[A-Za-z0-9_-]{1,100}$/.test(jobId)) return { status: 'failed', reason: 'an unusable job id' };
    while (now() < deadline) {
      await sleep(Math.min(options.pollMs, Math.max(0, deadline - now())));
      const res = await fetcher.get(`${base}/save/status/${jobId}`, {
        headers,
        accept: 'application/json',
        maxBytes: ANSWER_MAX_BYTES,
        allowHttpErrors: true,
      });
      if (res.status === 429 || res.status >= 500) continue;
      const answer = obj(parseJson(res.body));
      const status = str(answer?.status);
      if (status === 'pending') continue;
      if (status === 'success') {
        const ts = str(answer?.timestamp);
        const captured_at = ts ? waybackTime(ts) : undefined;
        const original = httpUrl(str(answer?.original_url)) ?? target;
        if (!ts || !/^\d{14}$/.test(ts) || !captured_at)
          return { status: 'failed', reason: 'a capture without a usable timestamp' };
        return {
          status: 'saved',
          capture: { url: original, captured_at, snapshot_url: `${base}/web/${ts}/${original}` },
        };
      }
      return {
        status: 'failed',
        reason: `the capture failed${str(answer?.status_ext) ? ` (${str(answer?.status_ext)})` : ''}`,
      };
    }
    return { status: 'failed', reason: `not captured within ${options.waitMs} ms` };
  } catch (err) {
    // Blocked addresses, timeouts, unreadable answers: a missing capture, never a failed check.
    log.warn({ err: (err as Error).message, url: target }, 'Save Page Now request failed');
    return { status: 'failed', reason: (err as Error).message };
  }
}
