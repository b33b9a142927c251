// Container metadata of a video, read by ffprobe (in a bounded child process) and normalized: codecs,
// size, rotation, frame rate, creation time, encoder, and the device facts phones write (QuickTime
// `com.apple.quicktime.*` keys, ISO 6709 locations).
import type { VideoMetadata } from '../../../schemas/video.js';
import { MediaError } from '../../errors.js';
import { INPUT_WHITELIST, runBounded } from './run.js';

export interface ProbeOptions {
  ffprobe: string;
  timeoutMs: number;
  memoryMb: number;
}

interface FfprobeStream {
  codec_type?: string;
  codec_name?: string;
  width?: number;
  height?: number;
  avg_frame_rate?: string;
  r_frame_rate?: string;
  nb_frames?: string;
  start_time?: string;
  tags?: Record<string, string>;
  side_data_list?: Array<{ side_data_type?: string; rotation?: number }>;
}

export interface FfprobeOutput {
  streams?: FfprobeStream[];
  format?: {
    format_name?: string;
    duration?: string;
    bit_rate?: string;
    tags?: Record<string, string>;
  };
}

/** Facts the frame sampler needs besides what the report shows. */
export interface StreamFacts {
  width: number;
  height: number;
  /** Display size after rotation. */
  displayWidth: number;
  displayHeight: number;
  frameRate: number | null;
  startTime: number;
  duration: number | null;
}

const MAX_TAGS = 100;
const MAX_TAG_CHARS = 500;
const PROBE_OUTPUT_CAP = 4 * 1024 * 1024;

export async function probeVideo(
  file: string,
  opts: ProbeOptions,
): Promise<{ metadata: VideoMetadata; stream: StreamFacts | null }> {
  let out = '';
  const r = await runBounded(
    opts.ffprobe,
    ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', ...INPUT_WHITELIST, '-i', file],
    { timeoutMs: opts.timeoutMs, memoryMb: opts.memoryMb, maxStdoutBytes: PROBE_OUTPUT_CAP },
    (chunk) => {
      out += chunk.toString('utf8');
    },
  );
  if (r.killed === 'timeout')
    throw new MediaError('video_timeout', 'ffprobe took longer than its time limit');
  let parsed: FfprobeOutput | null = null;
  try {
    parsed = r.code === 0 ? (JSON.parse(out) as FfprobeOutput) : null;
  } catch {
    parsed = null;
  }
  if (!parsed) {
    const why = r.stderr.trim().split('\n').pop()?.slice(0, 300) || `ffprobe exited with ${r.code}`;
    throw new MediaError('video_unreadable', `The container cannot be read: ${why}`);
  }
  return normalizeProbe(parsed);
}

const ratio = (s: string | undefined): number | null => {
  const m = /^(\d+)\/(\d+)$/.exec(s ?? '');
  if (!m) return null;
  const d = Number(m[2]);
  const v = d ? Number(m[1]) / d : NaN;
  return Number.isFinite(v) && v > 0 ? v : null;
};

const num = (s: string | undefined): number | null => {
  if (s === undefined || s === '' || s === 'N/A') return null;
  const v = Number(s);
  return Number.isFinite(v) ? v : null;
};

const clean = (s: string) =>
  // eslint-disable-next-line no-control-regex
  s.replace(/[\u0000-\u001f\u007f]/g, ' ').slice(0, MAX_TAG_CHARS);

/** Case-insensitive tag lookup over several dictionaries (muxers differ in case). */
function tag(dicts: Array<Record<string, string> | undefined>, ...names: string[]): string | null {
  for (const name of names) {
    for (const d of dicts) {
      if (!d) continue;
      for (const [k, v] of Object.entries(d))
        if (k.toLowerCase() === name && v.trim()) return clean(v.trim());
    }
  }
  return null;
}

/** Clockwise degrees a player rotates the picture. ffprobe's display-matrix `rotation` is counter-clockwise. */
function rotationOf(s: FfprobeStream | undefined): number {
  const matrix = s?.side_data_list?.find((d) => typeof d.rotation === 'number')?.rotation;
  const raw = matrix !== undefined ? -matrix : Number(s?.tags?.rotate ?? 0);
  if (!Number.isFinite(raw)) return 0;
  const r = (((Math.round(raw / 90) * 90) % 360) + 360) % 360;
  return r;
}

/**
 * An ISO 6709 point (`±DD.DDDD±DDD.DDDD[±AAA.AAA][CRS]/`), also in the degrees-minutes(-seconds) forms
 * (`±DDMM.MM`, `±DDMMSS.S`), which the integer digit count tells apart.
 */
export function parseIso6709(
  raw: string,
): { latitude: number; longitude: number; altitude_m: number | null } | null {
  const m = /^([+-])(\d+)(\.\d+)?([+-])(\d+)(\.\d+)?(?:([+-]\d+(?:\.\d+)?))?/.exec(raw.trim());
  if (!m) return null;
  const part = (sign: string, int: string, frac: string | undefined, degDigits: number): number | null => {
    const f = frac ? Number(`0${frac}`) : 0;
    let v: number;
    if (int.length === degDigits) v = Number(int) + f;
    else if (int.length === degDigits + 2)
      v = Number(int.slice(0, degDigits)) + (Number(int.slice(degDigits)) + f) / 60;
    else if (int.length === degDigits + 4)
      v =
        Number(int.slice(0, degDigits)) +
        Number(int.slice(degDigits, degDigits + 2)) / 60 +
        (Number(int.slice(degDigits + 2)) + f) / 3600;
    else return null;
    return sign === '-' ? -v : v;
  };
  const latitude = part(m[1] as string, m[2] as string, m[3], 2);
  const longitude = part(m[4] as string, m[5] as string, m[6], 3);
  if (latitude === null || longitude === null) return null;
  if (Math.abs(latitude) > 90 || Math.abs(longitude) > 180) return null;
  const alt = m[7] !== undefined ? Number(m[7]) : null;
  return { latitude, longitude, altitude_m: alt !== null && Number.isFinite(alt) ? alt : null };
}

/**
 * A creation time as ISO 8601, or null for the zero dates encoders write when they know none
 * (QuickTime's 1904 epoch, the Unix epoch).
 */
function creationIso(raw: string | null): string | null {
  if (!raw) return null;
  const t = Date.parse(raw);
  if (!Number.isFinite(t) || t <= Date.UTC(1970, 0, 2)) return null;
  // QuickTime creationdate keeps its offset (`2023-05-01T12:00:00+0200`): normalize to `+02:00`.
  const withColon = raw.replace(/([+-]\d{2})(\d{2})$/, '$1:$2');
  // An explicit offset is kept (it says where the device was); UTC and zone-less times print as UTC.
  return /T.*[+-]\d{2}:\d{2}$/.test(withColon) && !Number.isNaN(Date.parse(withColon))
    ? withColon
    : new Date(t).toISOString();
}

export function normalizeProbe(p: FfprobeOutput): { metadata: VideoMetadata; stream: StreamFacts | null } {
  const streams = p.streams ?? [];
  const v = streams.find((s) => s.codec_type === 'video');
  const a = streams.find((s) => s.codec_type === 'audio');
  const fmt = p.format ?? {};
  const dicts = [fmt.tags, v?.tags];
  const rotation = rotationOf(v);
  const width = v?.width ?? null;
  const height = v?.height ?? null;
  const swap = rotation === 90 || rotation === 270;
  const displayWidth = width === null || height === null ? null : swap ? height : width;
  const displayHeight = width === null || height === null ? null : swap ? width : height;
  const frameRate = ratio(v?.avg_frame_rate) ?? ratio(v?.r_frame_rate);

  const qtDate = tag(dicts, 'com.apple.quicktime.creationdate');
  const containerDate = tag(dicts, 'creation_time');
  const qtIso = creationIso(qtDate);
  const creation_time = qtIso ?? creationIso(containerDate);
  const creation_time_source = qtIso
    ? 'com.apple.quicktime.creationdate'
    : creation_time
      ? 'creation_time'
      : null;

  const locTag = tag(dicts, 'com.apple.quicktime.location.iso6709')
    ? 'com.apple.quicktime.location.ISO6709'
    : tag(dicts, 'location')
      ? 'location'
      : null;
  const locRaw = locTag ? tag(dicts, locTag.toLowerCase()) : null;
  const point = locRaw ? parseIso6709(locRaw) : null;
  const location =
    point && locRaw && locTag
      ? {
          ...point,
          raw: locRaw,
          source: locTag,
          map_url: `https://www.openstreetmap.org/?mlat=${point.latitude.toFixed(6)}&mlon=${point.longitude.toFixed(6)}#map=16/${point.latitude.toFixed(6)}/${point.longitude.toFixed(6)}`,
        }
      : null;

  const make = tag(dicts, 'com.apple.quicktime.make', 'make', 'com.android.manufacturer');
  const model = tag(dicts, 'com.apple.quicktime.model', 'model', 'com.android.model');
  const software = tag(dicts, 'com.apple.quicktime.software', 'com.android.version');
  const tags: Record<string, string> = {};
  for (const [k, val] of Object.entries(fmt.tags ?? {}).slice(0, MAX_TAGS))
    tags[clean(k)] = clean(String(val));

  const deviceFacts = make || model || software || location || qtIso;
  const metadata: VideoMetadata = {
    metadata_status: deviceFacts ? 'present' : 'stripped',
    metadata_note: null,
    container: fmt.format_name ?? 'unknown',
    duration_s: num(fmt.duration),
    bit_rate: num(fmt.bit_rate) === null ? null : Math.round(num(fmt.bit_rate) as number),
    video_codec: v?.codec_name ?? null,
    audio_codec: a?.codec_name ?? null,
    width,
    height,
    display_width: displayWidth,
    display_height: displayHeight,
    frame_rate: frameRate === null ? null : Math.round(frameRate * 1000) / 1000,
    frame_count: num(v?.nb_frames) === null ? null : Math.round(num(v?.nb_frames) as number),
    rotation,
    creation_time,
    creation_time_source,
    encoder: tag(dicts, 'encoder'),
    make,
    model,
    software,
    location,
    tags,
  };
  const stream: StreamFacts | null =
    width && height && displayWidth && displayHeight
      ? {
          width,
          height,
          displayWidth,
          displayHeight,
          frameRate,
          startTime: num(v?.start_time) ?? 0,
          duration: num(fmt.duration),
        }
      : null;
  return { metadata, stream };
}
