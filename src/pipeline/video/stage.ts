// The video stage of a check, as the pipeline sees it (PipelineDeps.video): analyze a video's bytes,
// find what it matches, remember it. Matching goes both ways:
//  - the whole video against every video seen and every bank video, by vPDQ (video-index.ts);
//  - its keyframes against the image index and image banks, through the image matcher's `lookup`
//    (a photo seen before that appears as a frame of this video).
// Built per check (it carries the check's organization), from process-wide services.
import type { Post } from '../../../schemas/post.js';
import type { Match } from '../../../schemas/provenance.js';
import type { MediaItem } from '../../../schemas/report.js';
import type { Video } from '../../../schemas/video.js';
import type { Logger } from '../../logger.js';
import type { HashIndex } from '../../index/hash-index.js';
import { parseIndexId, type Bank, type BankStore } from '../../services/banks.js';
import { bankMatch, bankVisible, frameIndexId, seenMatch, sightingOf } from '../match.js';
import type { MediaStore } from '../../services/media-store.js';
import { analyzeVideo, type KeyframeSink, type VideoAnalysisOptions } from './analyze.js';
import type { VideoIndex } from './video-index.js';
import type { VpdqThresholds } from './vpdq.js';

/** The image matcher's lookup (src/pipeline/match.ts `createMatcher(...).lookup`), injected. */
export interface FrameLookup {
  lookup(q: { pdq?: readonly string[]; quality?: number }): Promise<Match[]>;
}

export interface VideoStage {
  analyze(
    bytes: Buffer,
    sha256: string,
    log: Logger,
  ): Promise<{ video: Video; timings_ms: Record<string, number> }>;
  find(item: MediaItem): Promise<Match[]>;
  remember(item: MediaItem, sighting: { post: Post | null }): Promise<void>;
}

export interface VideoStageDeps {
  options: VideoAnalysisOptions;
  thresholds: VpdqThresholds;
  index: VideoIndex;
  media: MediaStore;
  banks: BankStore;
  /** Null: keyframes are not looked up as images. */
  frames: FrameLookup | null;
  /** The image index: keyframes are added to it, so a still taken from this video later finds it. */
  imageIndex: Pick<HashIndex, 'addMany'> | null;
  thumbnails: KeyframeSink | null;
  checkId: string;
  org: string;
  now?: () => string;
}

export const videoIndexId = (sha256: string) => `m:${sha256}`;

export function createVideoStage(deps: VideoStageDeps): VideoStage {
  const bankCache = new Map<string, Promise<Bank | null>>();
  const bank = (id: string) => {
    if (!bankCache.has(id)) bankCache.set(id, deps.banks.get(id));
    return bankCache.get(id) as Promise<Bank | null>;
  };

  /** Video-to-video matches, resolved to what the report shows of the other video or bank entry. */
  async function videoMatches(item: MediaItem, video: Video): Promise<Match[]> {
    const hits = await deps.index.query(
      { vpdq: video.vpdq, contentVpdq: video.content_vpdq },
      deps.thresholds,
      item.sha256 ? videoIndexId(item.sha256) : undefined,
    );
    const out: Match[] = [];
    for (const hit of hits) {
      const info = {
        method: hit.method,
        query_match_percent: hit.query_match_percent,
        compared_match_percent: hit.compared_match_percent,
        plain_query_match_percent: hit.plain_query_match_percent,
        plain_compared_match_percent: hit.plain_compared_match_percent,
      };
      const base = {
        kind: 'near_duplicate' as const,
        hash: 'vpdq' as const,
        distance: hit.distance,
        transform: 'none',
      };
      if (hit.id.startsWith('m:')) {
        const record = await deps.media.getFor(hit.id.slice(2), deps.org);
        if (!record) continue;
        out.push(seenMatch(record, { ...base, video: info }));
        continue;
      }
      const ref = parseIndexId(hit.id);
      if (!ref) continue;
      const b = await bank(ref.bankId);
      // Deleted banks, and other organizations' unshared banks, do not match (as for images).
      if (!bankVisible(b, deps.org)) continue;
      const entry = await deps.banks.entry(ref.bankId, ref.entryId);
      if (!entry) continue;
      out.push(bankMatch(b, entry, { ...base, video: info }));
    }
    return out;
  }

  /** Images (seen or banked) that appear as a keyframe of this video: the closest per image. */
  async function keyframeMatches(video: Video): Promise<Match[]> {
    if (!deps.frames) return [];
    const best = new Map<string, Match>();
    for (const k of video.keyframes) {
      const queries = [{ pdq: k.dihedral, quality: k.quality }];
      if (k.content_pdq) queries.push({ pdq: [k.content_pdq], quality: k.quality });
      for (const q of queries) {
        for (const m of await deps.frames.lookup(q)) {
          // Exact (sha256) hits cannot come from a frame; only perceptual ones are frame matches.
          if (m.kind === 'exact') continue;
          const key = m.bank ? `b:${m.bank.id}:${m.bank.entry_id}` : `m:${m.sha256 ?? ''}`;
          const prev = best.get(key);
          if (!prev || m.distance < prev.distance)
            best.set(key, { ...m, frame: { frame: k.frame, timestamp: k.timestamp } });
        }
      }
    }
    return [...best.values()];
  }

  return {
    async analyze(bytes, sha256, log) {
      const r = await analyzeVideo(bytes, sha256, deps.options, deps.thumbnails);
      log.debug({ frames: r.video.frames_hashed, region: r.video.content_region }, 'video analyzed');
      return { video: r.video, timings_ms: r.timings_ms };
    },

    async find(item) {
      if (!item.video) return [];
      const [videos, frames] = await Promise.all([
        videoMatches(item, item.video),
        keyframeMatches(item.video),
      ]);
      // A video seen before finds its own keyframes in the image index: that is the exact match, already.
      // Another video's keyframes say less than its vPDQ match when there is one: that one is kept.
      const byVideo = new Set(videos.map((m) => m.sha256));
      const others = frames.filter(
        (m) => !(m.match_frame && (m.sha256 === item.sha256 || byVideo.has(m.sha256))),
      );
      return [...videos, ...others].sort((a, b) => a.distance - b.distance);
    },

    async remember(item, { post }) {
      if (!item.sha256 || !item.video) return;
      const { isNew } = await deps.media.record(item.sha256, sightingOf(deps, item, post), {
        pdq: item.video.keyframes[0]?.pdq ?? null,
        quality: item.video.keyframes[0]?.quality ?? null,
        phash: null,
        captured_at: item.video.metadata.creation_time,
      });
      if (isNew) {
        await deps.index.add(
          { id: videoIndexId(item.sha256), vpdq: item.video.vpdq, contentVpdq: item.video.content_vpdq },
          deps.thresholds.minQuality,
        );
        // A few distinct scenes (VIDEO_KEYFRAMES), not every frame: stills people take from footage are
        // mostly of its key moments, and the image index stays small.
        const sha256 = item.sha256;
        const keyframes = item.video.keyframes.filter((k) => k.quality >= deps.thresholds.minQuality);
        if (deps.imageIndex && keyframes.length) {
          await deps.imageIndex.addMany(
            keyframes.map((k) => ({
              id: frameIndexId(sha256, k.frame, Math.round(k.timestamp * 1000)),
              pdq: k.pdq,
              quality: k.quality,
            })),
          );
        }
      }
    },
  };
}
