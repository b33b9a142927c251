// An independent reader of the WACZ files firstseen writes, for tests: the zip is read with yauzl (not
// src/archive/zip.ts, which wrote it; every CRC-32 checked), and the WARC with the parser below, written
// from the WARC 1.1 specification (records framed by Content-Length, one gzip member each) and sharing no
// code with warcio, which wrote them. A second WARC library was no option: node-warc splits records on
// lines and loses bytes of binary bodies.
import { createHash } from 'node:crypto';
import { crc32, gunzipSync } from 'node:zlib';
import yauzl from 'yauzl';

export interface ZipEntry {
  data: Buffer;
  /** 0: stored, 8: deflated. */
  compressionMethod: number;
}

export function unzip(buf: Buffer): Promise<Map<string, ZipEntry>> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(buf, { lazyEntries: true }, (err, zip) => {
      if (err || !zip) return reject(err ?? new Error('no zip'));
      const out = new Map<string, ZipEntry>();
      zip.on('entry', (entry: yauzl.Entry) => {
        zip.openReadStream(entry, (e, stream) => {
          if (e || !stream) return reject(e ?? new Error('no stream'));
          const chunks: Buffer[] = [];
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('error', reject);
          stream.on('end', () => {
            const data = Buffer.concat(chunks);
            // yauzl checks sizes but not CRC-32s.
            if (crc32(data) !== entry.crc32) return reject(new Error(`${entry.fileName}: CRC-32 differs`));
            out.set(entry.fileName, {
              data,
              compressionMethod: entry.compressionMethod,
            });
            zip.readEntry();
          });
        });
      });
      zip.on('end', () => resolve(out));
      zip.on('error', reject);
      zip.readEntry();
    });
  });
}

export interface WarcRecord {
  headers: Map<string, string>;
  block: Buffer;
  /** For request and response records: the HTTP head (status or request line, headers) and payload. */
  httpHead: string | null;
  payload: Buffer;
}

const CRLF2 = Buffer.from('\r\n\r\n');

/** Every record of an uncompressed WARC, framed by Content-Length as the specification says. */
export function parseWarc(raw: Buffer): WarcRecord[] {
  const records: WarcRecord[] = [];
  let at = 0;
  while (at < raw.length) {
    const end = raw.indexOf(CRLF2, at);
    if (end < 0) throw new Error(`record at ${at} has no end of headers`);
    const lines = raw.subarray(at, end).toString('utf8').split('\r\n');
    const version = lines.shift();
    if (version !== 'WARC/1.1' && version !== 'WARC/1.0') throw new Error(`not a WARC record at ${at}`);
    const headers = new Map<string, string>();
    for (const line of lines) {
      const colon = line.indexOf(':');
      headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
    }
    const length = Number(headers.get('content-length'));
    if (!Number.isInteger(length)) throw new Error(`record at ${at} has no Content-Length`);
    const start = end + 4;
    const block = raw.subarray(start, start + length);
    if (block.length !== length) throw new Error(`record at ${at} is cut short`);
    if (!raw.subarray(start + length, start + length + 4).equals(CRLF2))
      throw new Error(`record at ${at} is not followed by two CRLFs`);
    at = start + length + 4;
    const type = headers.get('warc-type');
    let httpHead: string | null = null;
    let payload = block;
    if (type === 'request' || type === 'response') {
      const split = block.indexOf(CRLF2);
      if (split < 0) throw new Error('HTTP headers without an end');
      httpHead = block.subarray(0, split).toString('latin1');
      payload = block.subarray(split + 4);
    }
    records.push({ headers, block, httpHead, payload });
  }
  return records;
}

/** `sha256:<hex>` as warcio writes digests (also accepts base32, as other writers do). */
export function digestMatches(digest: string | undefined, bytes: Buffer): boolean {
  if (!digest) return false;
  const [algo, value] = digest.split(':');
  if (algo !== 'sha256' || !value) return false;
  const hash = createHash('sha256').update(bytes).digest();
  if (/^[0-9a-f]{64}$/.test(value)) return hash.toString('hex') === value;
  return base32(hash) === value.replace(/=+$/, '');
}

function base32(buf: Buffer): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of buf) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += alphabet[(value << (5 - bits)) & 31];
  return out;
}

export interface VerifiedWacz {
  entries: Map<string, ZipEntry>;
  datapackage: {
    resources: { name: string; path: string; hash: string; bytes: number }[];
    [k: string]: unknown;
  };
  digest: { path: string; hash: string; [k: string]: unknown };
  records: WarcRecord[];
  cdxj: { urlkey: string; timestamp: string; fields: Record<string, string> }[];
  pages: { url: string; ts: string }[];
}

/**
 * Unpacks a WACZ and checks what a replay tool relies on, throwing at the first fault: every file of
 * datapackage.json is there with its size and sha256, datapackage-digest.json holds the digest of
 * datapackage.json, the WARC is stored uncompressed, every record parses and its block and payload
 * digests hold, and every CDXJ line points at a gzip member holding a record of its URL and digest.
 */
export async function verifyWacz(file: Buffer): Promise<VerifiedWacz> {
  const entries = await unzip(file);
  const get = (name: string) => {
    const e = entries.get(name);
    if (!e) throw new Error(`${name} missing from the WACZ`);
    return e;
  };
  const datapackageRaw = get('datapackage.json').data;
  const datapackage = JSON.parse(datapackageRaw.toString('utf8')) as VerifiedWacz['datapackage'];
  if (datapackage.profile !== 'data-package') throw new Error('not a data package');
  for (const r of datapackage.resources) {
    const data = get(r.path).data;
    if (data.length !== r.bytes)
      throw new Error(`${r.path}: ${data.length} bytes, datapackage says ${r.bytes}`);
    if (!digestMatches(r.hash, data)) throw new Error(`${r.path}: digest differs from datapackage.json`);
  }
  const digest = JSON.parse(get('datapackage-digest.json').data.toString('utf8')) as VerifiedWacz['digest'];
  if (digest.path !== 'datapackage.json' || !digestMatches(digest.hash, datapackageRaw))
    throw new Error('datapackage-digest.json does not hold the digest of datapackage.json');

  const warcEntry = get('archive/data.warc.gz');
  if (warcEntry.compressionMethod !== 0) throw new Error('the WARC is compressed inside the zip');
  const warcGz = warcEntry.data;
  const records = parseWarc(gunzipSync(warcGz));
  for (const r of records) {
    const type = r.headers.get('warc-type');
    if (type === 'warcinfo') continue;
    if (!digestMatches(r.headers.get('warc-block-digest'), r.block))
      throw new Error(`block digest of ${r.headers.get('warc-record-id')} does not hold`);
    if (type === 'response' && !digestMatches(r.headers.get('warc-payload-digest'), r.payload))
      throw new Error(`payload digest of ${r.headers.get('warc-target-uri')} does not hold`);
  }

  const cdxj = get('indexes/index.cdx')
    .data.toString('utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [urlkey = '', timestamp = '', ...rest] = line.split(' ');
      return { urlkey, timestamp, fields: JSON.parse(rest.join(' ')) as Record<string, string> };
    });
  for (const entry of cdxj) {
    const { offset, length, url, digest: d, filename } = entry.fields;
    if (filename !== 'data.warc.gz') throw new Error(`index names ${filename}`);
    const member = warcGz.subarray(Number(offset), Number(offset) + Number(length));
    const [record, ...more] = parseWarc(gunzipSync(member));
    if (!record || more.length) throw new Error(`index entry for ${url} is not one record`);
    if (record.headers.get('warc-target-uri') !== url)
      throw new Error(`index entry for ${url} points elsewhere`);
    if (!/^\d{14}$/.test(entry.timestamp)) throw new Error(`bad timestamp ${entry.timestamp}`);
    if (d && !digestMatches(d.includes(':') ? d : `sha256:${d}`, record.payload))
      throw new Error(`index digest of ${url} does not hold`);
  }
  const pages = get('pages/pages.jsonl')
    .data.toString('utf8')
    .split('\n')
    .filter(Boolean)
    .slice(1)
    .map((l) => JSON.parse(l) as { url: string; ts: string });
  return { entries, datapackage, digest, records, cdxj, pages };
}
