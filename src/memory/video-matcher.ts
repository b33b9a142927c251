// Matching a video against the memory, and remembering it. Matching goes both ways:
//  - the whole video against every video seen and every bank video, by vPDQ (video-index.ts);
//  - its keyframes against the image index and image banks, through the image matcher's `lookup`
//    (a photo seen before that appears as a frame of this video).
// Remembering adds the video to the video index and a few keyframes to the image index, so that a
// still taken from the footage later finds the video.
import type { Post } from '../../schemas/post.js';
import type { Match } from '../../schemas/provenance.js';
import type { MediaItem } from '../../schemas/report.js';
import type { Video } from '../../schemas/video.js';
import type { VpdqThresholds } from '../similarity/vpdq.js';
import type { HashIndex } from './hash-index/hash-index.js';
import type { ImageMatcher } from './image-matcher.js';
import { indexId, matchKey } from './index-ids.js';
import { sightingOf, type Asker, type ResolveHit } from './matches.js';
import type { MediaStore } from './media-store.js';
import type { VideoIndex } from './video-index.js';

export interface VideoMatcher {
  find(item: MediaItem): Promise<Match[]>;
  remember(item: MediaItem, sighting: { post: Post | null }): Promise<void>;
}

export interface VideoMatcherDeps {
  thresholds: VpdqThresholds;
  index: VideoIndex;
  media: MediaStore;
  resolve: ResolveHit;
  asker: Asker;
  /** Keyframes are looked up as images through it, and added to its index. */
  images: { matcher: Pick<ImageMatcher, 'lookup'>; index: Pick<HashIndex, 'addMany'> };
}

export function createVideoMatcher(deps: VideoMatcherDeps): VideoMatcher {
  /** Video-to-video matches, resolved to what the report shows of the other video or bank entry. */
  async function videoMatches(item: MediaItem, video: Video): Promise<Match[]> {
    const hits = await deps.index.query(
      { vpdq: video.vpdq, contentVpdq: video.content_vpdq },
      deps.thresholds,
      item.sha256 ? indexId.media(item.sha256) : undefined,
    );
    const out: Match[] = [];
    for (const hit of hits) {
      const m = await deps.resolve(hit.id, {
        kind: 'near_duplicate',
        hash: 'vpdq',
        distance: hit.distance,
        transform: 'none',
        video: {
          method: hit.method,
          query_match_percent: hit.query_match_percent,
          compared_match_percent: hit.compared_match_percent,
          plain_query_match_percent: hit.plain_query_match_percent,
          plain_compared_match_percent: hit.plain_compared_match_percent,
        },
      });
      if (m) out.push(m);
    }
    return out;
  }

  /** Images (seen or banked) that appear as a keyframe of this video: the closest per image. */
  async function keyframeMatches(video: Video): Promise<Match[]> {
    const best = new Map<string, Match>();
    for (const k of video.keyframes) {
      const queries = [{ pdq: k.dihedral, quality: k.quality }];
      if (k.content_pdq) queries.push({ pdq: [k.content_pdq], quality: k.quality });
      for (const q of queries) {
        for (const m of await deps.images.matcher.lookup(q)) {
          // Exact (sha256) hits cannot come from a frame; only perceptual ones are frame matches.
          if (m.kind === 'exact') continue;
          const key = matchKey(m);
          const prev = best.get(key);
          if (!prev || m.distance < prev.distance)
            best.set(key, { ...m, frame: { frame: k.frame, timestamp: k.timestamp } });
        }
      }
    }
    return [...best.values()];
  }

  return {
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
      const { isNew } = await deps.media.record(item.sha256, sightingOf(deps.asker, item, post), {
        pdq: item.video.keyframes[0]?.pdq ?? null,
        quality: item.video.keyframes[0]?.quality ?? null,
        phash: null,
        captured_at: item.video.metadata.creation_time,
      });
      if (!isNew) return;
      await deps.index.add(
        { id: indexId.media(item.sha256), vpdq: item.video.vpdq, contentVpdq: item.video.content_vpdq },
        deps.thresholds.minQuality,
      );
      // A few distinct scenes (VIDEO_KEYFRAMES), not every frame: stills people take from footage are
      // mostly of its key moments, and the image index stays small.
      const sha256 = item.sha256;
      const keyframes = item.video.keyframes.filter((k) => k.quality >= deps.thresholds.minQuality);
      if (keyframes.length) {
        await deps.images.index.addMany(
          keyframes.map((k) => ({
            id: indexId.frame(sha256, k.frame, Math.round(k.timestamp * 1000)),
            pdq: k.pdq,
            quality: k.quality,
          })),
        );
      }
    },
  };
}
