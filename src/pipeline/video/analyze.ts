// The analysis of one video file: container metadata (ffprobe), sampled frames hashed with the same PDQ
// code as images, vPDQ lines, the frames cropped to their content region (letterbox bars, borders) and
// hashed again, and a few representative keyframes kept as thumbnails. No network, no store: the
// thumbnail sink is injected.
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import type { Pdq } from '../../../schemas/hashes.js';
import type { Video, VideoKeyframe } from '../../../schemas/video.js';
import { MediaError } from '../../errors.js';
import { hammingHex } from '../../similarity/hamming.js';
import { pdqFromRgb } from '../analyze/pdq.js';
import { decodeFrames, frameSize, samplingLabel, type FrameOptions, type RawFrame } from './frames.js';
import { probeVideo } from './metadata.js';
import { agreedRegion, cropRgb, type Region } from './region.js';
import { checkVideoTools, type VideoTools } from './tools.js';
import { formatVpdqLine, type VpdqFrame } from '../../similarity/vpdq.js';

export interface VideoAnalysisOptions extends VideoTools {
  timeoutMs: number;
  memoryMb: number;
  maxSeconds: number;
  maxFrames: number;
  sceneThreshold: number;
  maxPixels: number;
  threads: number;
  /** Representative keyframes kept at most. */
  keyframes: number;
  mode?: FrameOptions['mode'];
  /** Look for bars/borders and hash cropped frames too (on by default). */
  contentRegion?: boolean;
  /** Return the keyframes' pixels too (`keyframePixels`), for reading the text in them. */
  keyframePixels?: boolean;
}

/** A keyframe's decoded pixels (RGB, at most FRAME_MAX_SIDE on the long side). */
export interface KeyframePixels {
  frame: number;
  timestamp: number;
  rgb: Buffer;
  width: number;
  height: number;
}

export interface VideoAnalysisResult {
  video: Video;
  /** Per-frame PDQ with the dihedral hashes, in frame order (for keyframe lookups and tests). */
  frames: Array<VpdqFrame & { dihedral: string[]; content: Pdq | null }>;
  timings_ms: Record<string, number>;
  /** The keyframes' pixels, in `video.keyframes` order (only with `keyframePixels`). */
  keyframePixels?: KeyframePixels[];
}

export type KeyframeSink = (id: string, webp: Buffer) => Promise<unknown>;

/** Frames hashed at this long side at most: PDQ is within a few bits of full size from 1024 px (FACTS.md). */
export const FRAME_MAX_SIDE = 1024;
/** Frames looked at to find bars before hashing the rest cropped. */
const REGION_SAMPLES = 5;
/** Keyframes must differ from each other by more than this (same scene with motion sits below). */
const KEYFRAME_MIN_DISTANCE = 64;
const THUMB_SIDE = 320;

export const keyframeId = (videoSha: string, frame: number) =>
  createHash('sha256').update(`${videoSha}:frame:${frame}`).digest('hex');

export async function analyzeVideo(
  bytes: Buffer,
  sha256: string,
  opts: VideoAnalysisOptions,
  sink: KeyframeSink | null,
): Promise<VideoAnalysisResult> {
  const tools = await checkVideoTools(opts);
  if (!tools.available)
    throw new MediaError('video_tools_missing', `Video tools ${tools.problem ?? 'missing'}`);
  const timings: Record<string, number> = {};
  // ffmpeg needs a seekable input (an MP4's index is often at its end), so the bytes go to a private
  // temporary file, removed whatever happens.
  const dir = await mkdtemp(join(tmpdir(), 'firstseen-video-'));
  try {
    const file = join(dir, 'input');
    await writeFile(file, bytes, { mode: 0o600 });
    let t0 = performance.now();
    const probeLimits = {
      ffprobe: opts.ffprobe,
      timeoutMs: Math.min(opts.timeoutMs, 30_000),
      memoryMb: opts.memoryMb,
    };
    const { metadata, stream } = await probeVideo(file, probeLimits);
    timings.video_probe = Math.round(performance.now() - t0);
    if (!stream) throw new MediaError('video_unreadable', 'The file holds no video stream with a known size');
    if (stream.width * stream.height > opts.maxPixels) {
      throw new MediaError(
        'too_many_pixels',
        `${stream.width}x${stream.height} is more than ${opts.maxPixels} pixels`,
      );
    }

    const frameOpts: FrameOptions = {
      ffmpeg: opts.ffmpeg,
      timeoutMs: opts.timeoutMs,
      memoryMb: opts.memoryMb,
      maxSeconds: opts.maxSeconds,
      maxFrames: opts.maxFrames,
      sceneThreshold: opts.sceneThreshold,
      maxSide: FRAME_MAX_SIDE,
      maxPixels: opts.maxPixels,
      threads: opts.threads,
      mode: opts.mode ?? 'sampled',
    };
    const hashed: Array<{ pdq: Pdq; content: Pdq | null }> = [];
    type Kept = { index: number; thumb: Promise<Buffer | null>; pixels: RawFrame | null };
    const kept: Array<Kept & { hash: string; quality: number }> = [];
    let fallback: (Kept & { quality: number }) | null = null;
    const pixelsOf = (f: RawFrame) => (opts.keyframePixels ? f : null);
    const lookForRegion = opts.contentRegion !== false;
    let region: Region | null = null;
    let regionDecided = !lookForRegion;
    const waiting: RawFrame[] = [];
    let hashMs = 0;

    const thumbnail = (f: RawFrame) =>
      sharp(f.rgb, { raw: { width: f.width, height: f.height, channels: 3 } })
        .resize({ width: THUMB_SIDE, height: THUMB_SIDE, fit: 'inside', withoutEnlargement: true })
        .webp({ quality: 60 })
        .toBuffer()
        .catch(() => null);

    const hashFrame = (f: RawFrame) => {
      const h0 = performance.now();
      const pdq = pdqFromRgb(f.rgb, f.width, f.height);
      let content: Pdq | null = null;
      if (region) {
        const c = cropRgb(f.rgb, f.width, region);
        content = pdqFromRgb(c, region.width, region.height);
      }
      hashMs += performance.now() - h0;
      hashed[f.index] = { pdq, content };
      const own = content ?? pdq;
      if (own.quality >= 50) {
        const distinct = kept.every((k) => hammingHex(k.hash, own.hash) > KEYFRAME_MIN_DISTANCE);
        if (distinct && kept.length < opts.keyframes) {
          kept.push({
            index: f.index,
            hash: own.hash,
            quality: own.quality,
            thumb: thumbnail(f),
            pixels: pixelsOf(f),
          });
        }
      } else if (!kept.length && (!fallback || own.quality > fallback.quality)) {
        fallback = { index: f.index, quality: own.quality, thumb: thumbnail(f), pixels: pixelsOf(f) };
      }
    };

    const onFrame = (f: RawFrame) => {
      if (regionDecided) return hashFrame(f);
      waiting.push(f);
      if (waiting.length < REGION_SAMPLES) return;
      region = agreedRegion(waiting);
      regionDecided = true;
      for (const w of waiting.splice(0)) hashFrame(w);
    };

    t0 = performance.now();
    const times = await decodeFrames(file, stream, frameOpts, onFrame);
    if (!regionDecided) {
      region = agreedRegion(waiting);
      for (const w of waiting.splice(0)) hashFrame(w);
    }
    if (!hashed.length) throw new MediaError('video_decode_failed', 'No frame could be decoded');
    timings.video_decode = Math.round(times.decodeMs - hashMs);
    timings.video_hash = Math.round(hashMs);

    const fps = stream.frameRate ?? 30;
    const frames = hashed.map((h, i) => {
      const ts = times.timestamps[i];
      const timestamp = ts !== undefined && Number.isFinite(ts) && ts >= 0 ? ts : i;
      return {
        frame: Math.round(timestamp * fps),
        quality: h.pdq.quality,
        pdq: h.pdq.hash,
        timestamp,
        dihedral: h.pdq.dihedral,
        content: h.content,
      };
    });

    t0 = performance.now();
    const chosen: Kept[] = kept.length ? kept : fallback ? [fallback] : [];
    const keyframes: VideoKeyframe[] = [];
    const keyframePixels: KeyframePixels[] = [];
    for (const k of chosen) {
      const f = frames[k.index];
      if (!f) continue;
      if (k.pixels) {
        const { rgb, width, height } = k.pixels;
        keyframePixels.push({
          frame: f.frame,
          timestamp: Math.round(f.timestamp * 1000) / 1000,
          rgb,
          width,
          height,
        });
      }
      const webp = await k.thumb;
      let thumb: string | null = null;
      if (webp && sink) {
        const id = keyframeId(sha256, f.frame);
        thumb = (await sink(id, webp).then(
          () => true,
          () => false,
        ))
          ? id
          : null;
        // The first keyframe stands for the whole video on report pages (thumbnail by the file's sha256).
        if (!keyframes.length) await sink(sha256, webp).catch(() => undefined);
      }
      keyframes.push({
        frame: f.frame,
        timestamp: Math.round(f.timestamp * 1000) / 1000,
        pdq: f.pdq,
        quality: f.quality,
        dihedral: f.dihedral,
        content_pdq: f.content?.hash ?? null,
        thumbnail: thumb,
      });
    }
    timings.video_keyframes = Math.round(performance.now() - t0);

    const size = frameSize(stream, FRAME_MAX_SIDE);
    const video: Video = {
      metadata,
      decoder: {
        ffmpeg: tools.ffmpeg,
        ffprobe: tools.ffprobe,
        hashed_width: size.width,
        hashed_height: size.height,
        sampling: samplingLabel(frameOpts),
        truncated: times.truncated,
      },
      frames_hashed: frames.length,
      vpdq: frames.map(formatVpdqLine),
      content_region: region,
      content_vpdq: region
        ? frames.map((f) =>
            formatVpdqLine({ ...f, pdq: f.content?.hash ?? f.pdq, quality: f.content?.quality ?? f.quality }),
          )
        : [],
      keyframes,
    };
    return { video, frames, timings_ms: timings, ...(opts.keyframePixels && { keyframePixels }) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
