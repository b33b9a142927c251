// The content region of a video: bars (letterbox/pillarbox) or a border around the picture, found with
// the same detector as for photos (src/pipeline/analyze/region.ts) on the first sampled frames, and then
// applied to every frame. One region for the whole video, because bars do not move while dark or flat
// frames (fades, night shots) would fool a per-frame detector; a picture embedded among other content
// (a screen recording of a post) is left alone here.
import { findContentRegion } from '../analyze/region.js';
import type { RawFrame } from './frames.js';

export interface Region {
  x: number;
  y: number;
  width: number;
  height: number;
  kind: 'letterbox' | 'border';
}

/** Regions found on different frames this close (share of the side) are the same bars. */
const AGREE = 0.02;

/**
 * The region most sampled frames agree on (a strict majority of the frames where one was found, and at
 * least two frames unless only one was sampled), merged as the smallest box holding all of them.
 */
export function agreedRegion(frames: readonly RawFrame[]): Region | null {
  if (!frames.length) return null;
  const found: Region[] = [];
  for (const f of frames) {
    const r = findContentRegion({ data: f.rgb, width: f.width, height: f.height, channels: 3 });
    if (r && (r.kind === 'letterbox' || r.kind === 'border')) found.push({ ...r, kind: r.kind });
  }
  const first = frames[0] as RawFrame;
  const close = (a: Region, b: Region) =>
    Math.abs(a.x - b.x) <= AGREE * first.width &&
    Math.abs(a.y - b.y) <= AGREE * first.height &&
    Math.abs(a.x + a.width - (b.x + b.width)) <= AGREE * first.width &&
    Math.abs(a.y + a.height - (b.y + b.height)) <= AGREE * first.height;
  let best: Region[] = [];
  for (const r of found) {
    const group = found.filter((o) => close(r, o));
    if (group.length > best.length) best = group;
  }
  const needed = Math.min(2, frames.length);
  if (best.length < needed || best.length * 2 <= found.length) return null;
  const x0 = Math.min(...best.map((r) => r.x));
  const y0 = Math.min(...best.map((r) => r.y));
  const x1 = Math.max(...best.map((r) => r.x + r.width));
  const y1 = Math.max(...best.map((r) => r.y + r.height));
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0, kind: (best[0] as Region).kind };
}

/** The region's pixels of a packed RGB frame, as a new packed RGB buffer. */
export function cropRgb(rgb: Buffer, width: number, r: Pick<Region, 'x' | 'y' | 'width' | 'height'>): Buffer {
  const out = Buffer.allocUnsafe(r.width * r.height * 3);
  const rowBytes = r.width * 3;
  for (let y = 0; y < r.height; y++) {
    const from = ((r.y + y) * width + r.x) * 3;
    rgb.copy(out, y * rowBytes, from, from + rowBytes);
  }
  return out;
}
