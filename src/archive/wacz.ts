// Packages a check's WARC as a WACZ 1.1.1 (https://specs.webrecorder.net/wacz/1.1.1/): the WARC stored
// uncompressed in the zip (replay tools read records by range), the CDXJ index, the page list, and
// datapackage.json naming every file with its sha256 and size; datapackage-digest.json holds the
// digest of datapackage.json itself, which is what a time-stamping authority signs.
//
// Not with js-wacz: it finds pages by parsing HTML in worker threads and works on paths and globs,
// while here the WARC, its index and the pages are already known. The zip is written in one pass
// (src/archive/zip.ts, which says why not yazl): the recorder writes the WARC as its first entry while
// the check runs, and this adds the rest.
import { createHash, randomUUID } from 'node:crypto';
import { WARC_NAME, WARC_PATH, type WarcFile } from './warc-recorder.js';

export const WACZ_VERSION = '1.1.1';
export const WACZ_MIME = 'application/wacz';

export interface WaczPage {
  url: string;
  title?: string;
}

export interface WaczFile {
  path: string;
  bytes: number;
  /** sha256 (hex) of the whole .wacz file. */
  sha256: string;
  /** `sha256:<hex>` of datapackage.json: the digest a timestamp covers. */
  datapackageHash: string;
  created: string;
}

/** Extra JSON files for datapackage-digest.json (a timestamp token). */
export type DigestExtras = Record<string, unknown>;

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

export async function buildWacz(
  warc: WarcFile,
  input: {
    checkId: string;
    software: string;
    pages: WaczPage[];
    /** Adds fields to datapackage-digest.json for datapackage.json's bytes (e.g. a timestamp). */
    sign?: (datapackage: Buffer) => Promise<DigestExtras | null>;
  },
): Promise<WaczFile> {
  const created = new Date().toISOString();
  const pages = input.pages.filter((p) => warc.urls.has(p.url));
  const pageLines = [
    JSON.stringify({ format: 'json-pages-1.0', id: 'pages', title: 'All Pages' }),
    ...pages.map((p) =>
      JSON.stringify({
        id: randomUUID(),
        url: p.url,
        ts: (warc.urls.get(p.url) as Date).toISOString(),
        ...(p.title && { title: p.title }),
      }),
    ),
  ];
  const pagesJsonl = Buffer.from(pageLines.join('\n') + '\n');
  const index = Buffer.from(warc.cdxj.join('\n') + (warc.cdxj.length ? '\n' : ''));
  const resources = [
    {
      name: WARC_NAME,
      path: WARC_PATH,
      // Both as the recorder wrote the file: it is not read again for them.
      hash: `sha256:${warc.sha256}`,
      bytes: warc.bytes,
    },
    { name: 'index.cdx', path: 'indexes/index.cdx', hash: `sha256:${sha256(index)}`, bytes: index.length },
    {
      name: 'pages.jsonl',
      path: 'pages/pages.jsonl',
      hash: `sha256:${sha256(pagesJsonl)}`,
      bytes: pagesJsonl.length,
    },
  ];
  const main = pages[0];
  const datapackage = Buffer.from(
    JSON.stringify(
      {
        profile: 'data-package',
        wacz_version: WACZ_VERSION,
        title: `firstseen check ${input.checkId}`,
        description: 'Every HTTP exchange this check made, as it was fetched.',
        created,
        modified: created,
        software: input.software,
        ...(main && { mainPageUrl: main.url, mainPageDate: (warc.urls.get(main.url) as Date).toISOString() }),
        resources,
      },
      null,
      2,
    ),
  );
  const datapackageHash = `sha256:${sha256(datapackage)}`;
  const extras = input.sign ? await input.sign(datapackage) : null;
  const digest = Buffer.from(
    JSON.stringify({ path: 'datapackage.json', hash: datapackageHash, ...extras }, null, 2),
  );

  // The WARC is in the zip already (the recorder wrote it there); the rest follows it, stored (each is
  // a few KB).
  const mtime = new Date(created);
  await warc.zip.add('indexes/index.cdx', index, mtime);
  await warc.zip.add('pages/pages.jsonl', pagesJsonl, mtime);
  await warc.zip.add('datapackage.json', datapackage, mtime);
  await warc.zip.add('datapackage-digest.json', digest, mtime);
  // Its size and sha256 are taken as it is written, not by reading it back.
  const { path, bytes, sha256: fileSha256 } = await warc.zip.close();
  return {
    path,
    bytes,
    sha256: fileSha256,
    datapackageHash,
    created,
  };
}
