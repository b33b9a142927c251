// The one way firstseen talks to the outside world. Every outbound request (media downloads, post
// resolution, webhooks) goes through a SafeFetcher, so every one of them gets:
//  - the address policy, checked on the address actually connected to (after DNS, on every
//    redirect hop, and for IP literals that never go through DNS), which defeats DNS rebinding,
//    numeric-host tricks and redirects into the private network;
//  - caps on bytes, time (connect, and whole request including redirects) and redirects;
//  - errors as MediaError codes, so a failure lands next to its item in the report.
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { Agent, buildConnector, request } from 'undici';
import { sharedConcat } from '../bytes.js';
import { MediaError } from '../errors.js';
import { compilePolicy, type AddressPolicy, type CompiledPolicy } from './address-policy.js';

export interface FetchLimits extends AddressPolicy {
  maxBytes: number;
  connectTimeoutMs: number;
  timeoutMs: number;
  maxRedirects: number;
  userAgent: string;
}

export interface FetchResult {
  url: string;
  finalUrl: string;
  /** URLs followed after `url`, in order (the last one is finalUrl). */
  redirects: string[];
  status: number;
  contentType: string | null;
  /** Response headers, lower-cased names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  body: Buffer;
}

/** One HTTP exchange as it went over the wire (one hop of a redirect chain is one exchange), for the
 *  evidence archive (src/archive/). `body` is what was read of the answer: null when it was not read
 *  (a redirect, an error status, a body over the byte cap), so an archive never holds more than the
 *  caps let in. */
export interface Exchange {
  method: 'GET' | 'POST';
  url: string;
  requestHeaders: Record<string, string>;
  requestBody: string | Buffer | null;
  /** When the request was sent. */
  date: Date;
  status: number;
  statusText: string;
  responseHeaders: Record<string, string | string[]>;
  body: Buffer | null;
}

export type ExchangeListener = (exchange: Exchange) => void;

export interface FetchOptions {
  /** Told of every exchange this request makes (each redirect hop, and answers that fail). */
  onExchange?: ExchangeListener;
  accept?: string;
  /** A lower byte cap than the fetcher's (never higher). */
  maxBytes?: number;
  headers?: Record<string, string>;
  /** Return 4xx/5xx answers (with their body) instead of failing with `http_error`: for APIs whose
   *  error statuses carry meaning (404 deleted, 429 with Retry-After). */
  allowHttpErrors?: boolean;
  /** Time for the whole request, instead of the fetcher's: for an optional outside service that must
   *  not hold a check up (a web search engine). */
  timeoutMs?: number;
}

export interface PostOptions {
  onExchange?: ExchangeListener;
  headers?: Record<string, string>;
  /** Time for the whole exchange, instead of the fetcher's (webhook receivers get a few seconds). */
  timeoutMs?: number;
  /** Read the answer's body, up to this many bytes (at most the fetcher's cap): for APIs whose answer
   *  is the point (a time-stamping authority). Absent or 0: the body is not read. */
  maxBytes?: number;
}

export interface SafeFetcher {
  get(url: string, options?: FetchOptions): Promise<FetchResult>;
  /** POSTs a body and returns the answer whatever its status. Redirects are not followed: a 3xx is an
   *  answer like any other (webhook receivers must answer at the URL they registered). The answer's
   *  body is not read (`body` is empty): the status is the answer, and a receiver that sends an
   *  endless or dripping body after its 2xx has still accepted the delivery. */
  post(url: string, body: string | Buffer, options?: PostOptions): Promise<FetchResult>;
  close(): Promise<void>;
}

const BLOCKED = 'FS_BLOCKED_ADDRESS';

class BlockedAddressError extends Error {
  readonly code = BLOCKED;
  constructor(host: string, ip: string, why: string) {
    super(`${host} is at ${ip} (${why}): not a public address`);
  }
}

/** DNS lookup that refuses the whole answer if any address in it is not allowed. */
function guardedLookup(policy: CompiledPolicy): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
      if (err) return callback(err, '', 0);
      for (const a of addresses) {
        const why = policy.refusal(a.address);
        if (why) return callback(new BlockedAddressError(hostname, a.address, why), '', 0);
      }
      if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
      const first = addresses[0];
      if (!first)
        return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), '', 0);
      callback(null, first.address, first.family);
    });
  };
}

function createAgent(limits: FetchLimits, policy: CompiledPolicy): Agent {
  const base = buildConnector({ timeout: limits.connectTimeoutMs, lookup: guardedLookup(policy) });
  // Second line of defence: whatever path led here (IP literal, happy-eyeballs, a resolver quirk),
  // the socket's real peer address must be allowed.
  const connect: buildConnector.connector = (opts, cb) => {
    base(opts, (err, socket) => {
      if (err) return cb(err, null);
      const ip = socket.remoteAddress ?? '';
      const why = policy.refusal(ip);
      if (why) {
        socket.destroy();
        return cb(new BlockedAddressError(opts.hostname, ip, why), null);
      }
      cb(null, socket);
    });
  };
  return new Agent({
    connect,
    headersTimeout: limits.timeoutMs,
    bodyTimeout: limits.timeoutMs,
    keepAliveTimeout: 4000,
    connections: 64,
  });
}

function parseTarget(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new MediaError('invalid_url', `Not a URL: ${raw.slice(0, 200)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new MediaError('unsupported_scheme', `Only http and https can be fetched, not ${url.protocol}`);
  }
  if (url.username || url.password)
    throw new MediaError('invalid_url', 'URLs with credentials are not fetched');
  return url;
}

/** Host of a URL as an IP literal, or null when it is a name (the WHATWG parser already turned
 *  numeric tricks like http://2130706433/ or http://0x7f.1/ into dotted quads). */
function literalIp(url: URL): string | null {
  const h = url.hostname;
  if (h.startsWith('[') && h.endsWith(']')) return h.slice(1, -1);
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(h) ? h : null;
}

function toMediaError(err: unknown, url: string, timedOut: boolean): MediaError {
  if (err instanceof MediaError) return err;
  const chain: unknown[] = [];
  for (let e: unknown = err; e && chain.length < 5; e = (e as { cause?: unknown }).cause) chain.push(e);
  const codes = chain.map((e) => {
    const code = (e as { code?: unknown }).code;
    return typeof code === 'string' ? code : '';
  });
  const blocked = chain.find((e) => e instanceof BlockedAddressError);
  if (blocked) return new MediaError('blocked_address', (blocked as Error).message);
  if (
    timedOut ||
    codes.some((c) => /TIMEOUT|ETIMEDOUT/.test(c)) ||
    chain.some((e) => (e as Error).name === 'TimeoutError')
  )
    return new MediaError('timeout', `No complete answer from ${new URL(url).host} within the time cap`);
  if (codes.some((c) => c === 'ENOTFOUND' || c === 'EAI_AGAIN' || c === 'ENODATA'))
    return new MediaError('dns_failed', `${new URL(url).hostname} does not resolve`);
  const detail = codes.find((c) => c) ?? (err as Error)?.message ?? 'unknown error';
  return new MediaError('connect_failed', `Could not fetch from ${new URL(url).host}: ${detail}`, {
    cause: err,
  });
}

/** Drops a response body we will not read. Destroying an unread undici body emits an 'error' that
 *  would be an uncaught exception (and kill the worker) without a listener. */
function discard(body: NodeJS.ReadableStream & { destroy(): void }): void {
  body.on('error', () => undefined);
  body.destroy();
}

async function readCapped(body: AsyncIterable<Buffer>, cap: number, destroy: () => void): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of body) {
    total += chunk.length;
    if (total > cap) {
      destroy();
      throw new MediaError('too_large', `More than ${cap} bytes`);
    }
    chunks.push(chunk);
  }
  // Shared memory: the analysis pool's threads read it without a copy (bytes.ts).
  return sharedConcat(chunks, total);
}

function pickHeaders(h: Record<string, string | string[] | undefined>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k] = v;
  return out;
}

function flattenHeaders(h: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h))
    if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

export function createSafeFetcher(limits: FetchLimits): SafeFetcher {
  const policy = compilePolicy(limits);
  const agent = createAgent(limits, policy);

  interface ExchangeSpec {
    onExchange: ExchangeListener | undefined;
    method: 'GET' | 'POST';
    body?: string | Buffer;
    headers: Record<string, string>;
    cap: number;
    followRedirects: boolean;
    allowHttpErrors: boolean;
    readBody: boolean;
    timeoutMs?: number | undefined;
  }

  async function exchange(rawUrl: string, ex: ExchangeSpec): Promise<FetchResult> {
    const cap = Math.min(ex.cap, limits.maxBytes);
    const signal = AbortSignal.timeout(ex.timeoutMs ?? limits.timeoutMs);
    const redirects: string[] = [];
    let current = parseTarget(rawUrl);
    try {
      for (;;) {
        const ip = literalIp(current);
        const why = ip ? policy.refusal(ip) : null;
        if (ip && why) throw new MediaError('blocked_address', `${ip} (${why}) is not a public address`);
        const requestHeaders = { 'user-agent': limits.userAgent, ...ex.headers };
        const sentAt = new Date();
        const res = await request(current, {
          method: ex.method,
          dispatcher: agent,
          signal,
          headers: requestHeaders,
          ...(ex.body !== undefined && { body: ex.body }),
        });
        const hopUrl = current.toString();
        const tell = (body: Buffer | null) =>
          ex.onExchange?.({
            method: ex.method,
            url: hopUrl,
            requestHeaders,
            requestBody: ex.body ?? null,
            date: sentAt,
            status: res.statusCode,
            statusText: res.statusText,
            responseHeaders: pickHeaders(res.headers),
            body,
          });
        const location = res.headers.location;
        if (
          ex.followRedirects &&
          res.statusCode >= 300 &&
          res.statusCode < 400 &&
          typeof location === 'string'
        ) {
          discard(res.body);
          tell(null);
          if (redirects.length >= limits.maxRedirects)
            throw new MediaError('too_many_redirects', `More than ${limits.maxRedirects} redirects`);
          current = parseTarget(new URL(location, current).toString());
          redirects.push(current.toString());
          continue;
        }
        if (res.statusCode >= 400 && !ex.allowHttpErrors) {
          discard(res.body);
          tell(null);
          throw new MediaError('http_error', `HTTP ${res.statusCode} from ${current.host}`, {
            httpStatus: res.statusCode,
          });
        }
        const declared = Number(res.headers['content-length']);
        if (ex.readBody && Number.isFinite(declared) && declared > cap) {
          discard(res.body);
          tell(null);
          throw new MediaError('too_large', `${declared} bytes declared, more than the cap of ${cap}`);
        }
        if (!ex.readBody) discard(res.body);
        let body: Buffer;
        try {
          body = ex.readBody ? await readCapped(res.body, cap, () => discard(res.body)) : Buffer.alloc(0);
        } catch (err) {
          tell(null); // over the cap, or cut off: the headers are evidence, the partial body is not kept
          throw err;
        }
        tell(ex.readBody ? body : null);
        const ct = res.headers['content-type'];
        return {
          url: rawUrl,
          finalUrl: current.toString(),
          redirects,
          status: res.statusCode,
          contentType: typeof ct === 'string' ? ct : null,
          headers: flattenHeaders(res.headers),
          body,
        };
      }
    } catch (err) {
      throw toMediaError(err, current.toString(), signal.aborted);
    }
  }

  return {
    get: (url, options = {}) =>
      exchange(url, {
        onExchange: options.onExchange,
        method: 'GET',
        headers: { accept: options.accept ?? '*/*', ...options.headers },
        cap: options.maxBytes ?? limits.maxBytes,
        followRedirects: true,
        allowHttpErrors: options.allowHttpErrors ?? false,
        readBody: true,
        timeoutMs: options.timeoutMs,
      }),
    post: (url, body, options = {}) =>
      exchange(url, {
        onExchange: options.onExchange,
        method: 'POST',
        body,
        headers: { 'content-type': 'application/json', ...options.headers },
        cap: options.maxBytes ?? 0,
        followRedirects: false,
        allowHttpErrors: true,
        readBody: (options.maxBytes ?? 0) > 0,
        timeoutMs: options.timeoutMs,
      }),
    close: () => agent.close(),
  };
}
