// What the pipeline knows about the evidence archive: somewhere to tell every exchange of a check and
// every file it read from elsewhere (an upload). The pipeline gets a recorder injected (or none) and
// stays a plain function of its inputs; src/archive/warc-recorder.ts writes what it is told as WARC.
import type { Exchange, FetchOptions, PostOptions, SafeFetcher } from '../net/safe-fetch.js';

export interface ArchiveRecorder {
  /** One HTTP exchange (one hop of a redirect chain). */
  exchange(exchange: Exchange): void;
  /** A file the check read without HTTP: an uploaded original, named by `url` (`upload:<sha256>`). */
  resource(url: string, contentType: string | null, bytes: Buffer): void;
}

/** The same fetcher, telling the recorder of every exchange its requests make. Closing it does not
 *  close the fetcher it wraps (that one is shared by every check of the process). */
export function recordingFetcher(fetcher: SafeFetcher, recorder: ArchiveRecorder): SafeFetcher {
  const listen = (exchange: Exchange) => recorder.exchange(exchange);
  return {
    get: (url: string, options: FetchOptions = {}) => fetcher.get(url, { ...options, onExchange: listen }),
    post: (url: string, body: string | Buffer, options: PostOptions = {}) =>
      fetcher.post(url, body, { ...options, onExchange: listen }),
    close: () => Promise.resolve(),
  };
}
