// After a check: its recorded exchanges -> WACZ -> the archive store, and the summary the report shows.
import type { ArchiveSummary, ArchiveTimestamp } from '../../schemas/archive.js';
import type { Report } from '../../schemas/report.js';
import type { ArchiveStore } from './store.js';
import { buildWacz, type DigestExtras, type WaczPage } from './wacz.js';
import type { WarcRecorder } from './warc-recorder.js';

export const SOFTWARE = 'firstseen 0.1.0 (warcio.js)';

/** A time-stamping authority's answer for a digest (src/archive/timestamp.ts). */
export interface Timestamper {
  /** Stamps these bytes (a WACZ's datapackage.json); null when no token could be had. */
  stamp(datapackage: Buffer): Promise<{ extras: DigestExtras; summary: ArchiveTimestamp } | null>;
}

/** The pages of the archive: what the check was asked about, its posts and its media. */
export function archivePages(report: Report): WaczPage[] {
  const pages: WaczPage[] = [];
  const seen = new Set<string>();
  const add = (url: string | undefined, title?: string) => {
    if (!url || seen.has(url)) return;
    seen.add(url);
    pages.push({ url, ...(title && { title }) });
  };
  for (const t of report.targets) add(t.url, `Checked: ${t.url}`);
  for (const p of report.posts) add(p.url, `Post: ${p.url}`);
  for (const m of report.media) {
    add(m.source_url, `Media ${m.index}`);
    add(m.final_url, `Media ${m.index}`);
  }
  return pages;
}

export async function archiveCheck(input: {
  recorder: WarcRecorder;
  store: ArchiveStore;
  org: string;
  report: Report;
  timestamper?: Timestamper | null;
}): Promise<ArchiveSummary> {
  const { report } = input;
  const warc = await input.recorder.finish();
  try {
    let timestamp: ArchiveTimestamp | null = null;
    const wacz = await buildWacz(warc, {
      checkId: report.check_id,
      software: SOFTWARE,
      pages: archivePages(report),
      sign: async (datapackage) => {
        const stamped = input.timestamper ? await input.timestamper.stamp(datapackage) : null;
        timestamp = stamped?.summary ?? null;
        return stamped?.extras ?? null;
      },
    });
    await input.store.put(input.org, report.check_id, wacz.path);
    return {
      url: `/v1/checks/${report.check_id}/archive.wacz`,
      format: 'wacz',
      captured_at: wacz.created,
      bytes: wacz.bytes,
      sha256: wacz.sha256,
      datapackage_hash: wacz.datapackageHash,
      records: warc.records,
      payload_bytes: warc.payloadBytes,
      timestamp,
    };
  } finally {
    await warc.remove();
  }
}
