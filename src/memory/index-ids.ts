// What an id in the memory's indexes stands for. The hash index, the feature index and the video index
// all hold ids of this one format, and this module alone writes and reads it:
//   m:<sha256>                          a media file seen before (an image, or a video in the video index)
//   mr:<kind>:<sha256>                  the content region (the picture inside a frame) of an image seen
//   mf:<frame>:<ms>:<sha256>            a keyframe of a video seen, in the image index
//   b:<bank>:<entry>                    a bank entry (image or video)
// Ids end in the file's sha256 where there is one, so the hash index stores them compactly
// (hash-index/id-store.ts).
import type { Match } from '../../schemas/provenance.js';
import type { ContentRegionHashes } from '../../schemas/hashes.js';

export type RegionKind = ContentRegionHashes['kind'];

export type IndexRef =
  | { kind: 'media'; sha256: string }
  | { kind: 'region'; sha256: string; region: RegionKind }
  | { kind: 'frame'; sha256: string; frame: number; timestampMs: number }
  | { kind: 'bank'; bankId: string; entryId: string };

export const indexId = {
  media: (sha256: string) => `m:${sha256}`,
  region: (sha256: string, kind: RegionKind) => `mr:${kind}:${sha256}`,
  frame: (sha256: string, frame: number, timestampMs: number) => `mf:${frame}:${timestampMs}:${sha256}`,
  bank: (bankId: string, entryId: string) => `b:${bankId}:${entryId}`,
};

const MEDIA_ID = /^m:([0-9a-f]{64})$/;
const REGION_ID = /^mr:(border|letterbox|embedded):([0-9a-f]{64})$/;
const FRAME_ID = /^mf:(\d+):(\d+):([0-9a-f]{64})$/;
const BANK_ID = /^b:([^:]+):([^:]+)$/;

/** An index id back to what it stands for; null for anything else. */
export function parseIndexId(id: string): IndexRef | null {
  let m = MEDIA_ID.exec(id);
  if (m) return { kind: 'media', sha256: m[1] as string };
  m = REGION_ID.exec(id);
  if (m) return { kind: 'region', sha256: m[2] as string, region: m[1] as RegionKind };
  m = FRAME_ID.exec(id);
  if (m) return { kind: 'frame', sha256: m[3] as string, frame: Number(m[1]), timestampMs: Number(m[2]) };
  m = BANK_ID.exec(id);
  if (m) return { kind: 'bank', bankId: m[1] as string, entryId: m[2] as string };
  return null;
}

/** The media file an id is part of (itself, its region, its keyframe), or null for a bank entry. */
export function mediaOf(id: string): string | null {
  const ref = parseIndexId(id);
  return ref && ref.kind !== 'bank' ? ref.sha256 : null;
}

/** One match per media file seen or bank entry: the key under which a report keeps only the surest. */
export function matchKey(m: Pick<Match, 'source' | 'sha256' | 'bank'>): string {
  return m.source === 'bank' && m.bank
    ? indexId.bank(m.bank.id, m.bank.entry_id)
    : indexId.media(m.sha256 ?? '');
}
