// What a downloaded file is, judged from its bytes (never from the server's Content-Type or the URL's
// extension), and its size in pixels from the header alone, before anything is decoded.
import { fileTypeFromBuffer } from 'file-type';
import sharp, { type Metadata } from 'sharp';
import { MediaError } from '../errors.js';

export interface Probe {
  kind: 'image' | 'video';
  mime: string;
  declared_mime: string | null;
  mime_mismatch: boolean;
  format: string;
  width?: number;
  height?: number;
  animated?: boolean;
  frames?: number;
}

// file-type's extensions, renamed to the format names the report uses.
const FORMAT_NAMES: Record<string, string> = { jpg: 'jpeg', tif: 'tiff', heic: 'heic', mov: 'quicktime' };
// Content-Types that say nothing about the content, so they cannot disagree with it.
const GENERIC = new Set(['application/octet-stream', 'binary/octet-stream', 'application/binary', '']);
const ALIASES: Record<string, string> = {
  'image/jpg': 'image/jpeg',
  'image/pjpeg': 'image/jpeg',
  'image/x-png': 'image/png',
};

function baseMime(contentType: string | null): string | null {
  if (contentType === null) return null;
  const base = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  return ALIASES[base] ?? base;
}

/**
 * The probe with what the server declared (its Content-Type) and whether that disagrees with the bytes:
 * the only part of a probe that is not a property of the bytes (an analysis memo's probe is given it anew).
 */
export function withDeclared(probe: Probe, contentType: string | null): Probe {
  const declared = baseMime(contentType);
  return {
    ...probe,
    declared_mime: contentType,
    mime_mismatch: declared !== null && !GENERIC.has(declared) && declared !== probe.mime,
  };
}

/**
 * What the bytes are by their signature alone (file-type: no header parsed, no pixel decoded): image or
 * video, the type and format, what the server declared. A file that is no media is refused here.
 */
export async function sniffMedia(bytes: Buffer, contentType: string | null): Promise<Probe> {
  if (bytes.length === 0) throw new MediaError('empty_file');
  const sniffed = await fileTypeFromBuffer(bytes);
  if (!sniffed || !/^(image|video)\//.test(sniffed.mime)) {
    const what = sniffed ? sniffed.mime : 'not a recognised binary format';
    throw new MediaError('not_media', `The bytes are ${what}, not an image or video`);
  }
  return withDeclared(
    {
      kind: sniffed.mime.startsWith('video/') ? 'video' : 'image',
      mime: sniffed.mime,
      declared_mime: null,
      mime_mismatch: false,
      format: FORMAT_NAMES[sniffed.ext] ?? sniffed.ext,
    },
    contentType,
  );
}

/** The probe: the sniff (or the one given, of the same bytes and Content-Type), then an image's header. */
export async function probeMedia(
  bytes: Buffer,
  contentType: string | null,
  maxPixels: number,
  sniffed?: Probe,
): Promise<Probe> {
  const base = sniffed ?? (await sniffMedia(bytes, contentType));
  if (base.kind === 'video') return base;

  let meta: Metadata;
  try {
    // Reads the header only; no pixel is decoded here.
    meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch (err) {
    const message = (err as Error).message.split('\n')[0] ?? '';
    // A file cut short before its pixels (a partial download, a broken upload) says so.
    const code = /premature end|truncated|unexpected end|end of (file|stream)/i.test(message)
      ? 'image_truncated'
      : 'decode_failed';
    throw new MediaError(code, `Unreadable ${base.format} header: ${message}`);
  }
  const width = meta.width;
  const height = meta.height;
  // For animations sharp reports the height of one frame when pages > 1 (pageHeight).
  const frames = meta.pages ?? 1;
  const frameHeight = meta.pageHeight ?? height;
  if (width * frameHeight > maxPixels) {
    throw new MediaError('too_many_pixels', `${width}x${frameHeight} is more than ${maxPixels} pixels`);
  }
  return { ...base, width, height: frameHeight, animated: frames > 1, frames };
}
