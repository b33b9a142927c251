// Turns the raw blocks into the report's Metadata: picks the fields, cleans every string, combines times
// and zones, signs coordinates, and decides the status from what was (and was not) read.
import type { Metadata } from '../../../../schemas/metadata.js';
import type { Tags } from './exif-reader.js';
import { readGps } from './gps.js';
import { readIptc } from './iptc.js';
import type { Sources } from './sources.js';
import { decideStatus, type Readings } from './status.js';
import { CAMERA_ONLY, EXIF, GPS, IFD0 } from './tags.js';
import { cleanText } from './text.js';
import { describeThumbnail } from './thumbnail.js';
import { exifTime, gpsTime } from './times.js';
import { readXmp } from './xmp.js';

const MAX_WARNINGS = 20;

export interface Normalized {
  metadata: Metadata;
  thumbnail: Buffer | null;
}

function orientation(ifd0: Tags, warnings: string[]): number | null {
  const value = ifd0[IFD0.Orientation];
  if (value === undefined) return null;
  if (typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 8) return value;
  const shown =
    typeof value === 'number' || typeof value === 'string' ? cleanText(String(value), 20) : 'not a number';
  warnings.push(`Orientation tag has an invalid value (${shown})`);
  return null;
}

/** Names of the camera-only tags present, for `camera_exif` and the status reason. */
function cameraTags(ifd0: Tags, exif: Tags, hasGps: boolean): string[] {
  const names = new Map<number, string>(
    [...Object.entries(IFD0), ...Object.entries(EXIF)].map(([k, v]) => [v, k]),
  );
  // A defused entry (see tiff-guard.ts) reads as an empty list: not present.
  const present = (tags: Tags, id: number) => {
    const v = tags[id];
    if (typeof v === 'number') return Number.isFinite(v);
    if (typeof v === 'string') return v.trim() !== '';
    return (Array.isArray(v) || ArrayBuffer.isView(v)) && (v as ArrayLike<unknown>).length > 0;
  };
  const found = [
    ...CAMERA_ONLY.ifd0.filter((id) => present(ifd0, id)),
    ...CAMERA_ONLY.exif.filter((id) => present(exif, id)),
  ].map((id) => names.get(id)!);
  return hasGps ? [...found, 'GPS position'] : found;
}

export function buildMetadata(sources: Sources, format: string): Normalized {
  const warnings = [...sources.warnings];
  const ifd0 = sources.exif?.ifd0 ?? {};
  const exif = sources.exif?.exif ?? {};
  const gpsTags = sources.exif?.gps;
  const { gps, warning: gpsWarning } = readGps(gpsTags);
  if (gpsWarning) warnings.push(gpsWarning);
  const xmpReading = sources.xmp.length > 0 ? readXmp(sources.xmp) : null;
  if (xmpReading?.error) warnings.push(`XMP partly unreadable: ${xmpReading.error}`);
  const iptc = readIptc(sources.exif?.iptc, xmpReading?.editorial ?? null);
  const thumbnail = sources.exif?.thumbnail ?? null;

  const partial: Readings = {
    found: {
      exif: sources.exifFound,
      xmp: sources.xmp.length > 0,
      iptc: sources.exif?.iptc !== undefined,
      icc: sources.icc !== null,
    },
    camera: {
      make: cleanText(ifd0[IFD0.Make]),
      model: cleanText(ifd0[IFD0.Model]),
      lens_make: cleanText(exif[EXIF.LensMake]),
      lens_model: cleanText(exif[EXIF.LensModel]),
      body_serial: cleanText(exif[EXIF.BodySerialNumber]),
    },
    software: cleanText(ifd0[IFD0.Software]),
    artist: cleanText(ifd0[IFD0.Artist]),
    copyright: cleanText(ifd0[IFD0.Copyright]),
    times: {
      date_time_original: exifTime(
        exif[EXIF.DateTimeOriginal],
        exif[EXIF.OffsetTimeOriginal],
        exif[EXIF.SubSecTimeOriginal],
      ),
      create_date: exifTime(
        exif[EXIF.DateTimeDigitized],
        exif[EXIF.OffsetTimeDigitized],
        exif[EXIF.SubSecTimeDigitized],
      ),
      modify_date: exifTime(ifd0[IFD0.ModifyDate], exif[EXIF.OffsetTime], exif[EXIF.SubSecTime]),
      gps: gpsTags ? gpsTime(gpsTags[GPS.DateStamp], gpsTags[GPS.TimeStamp]) : null,
    },
    gps,
    orientation: orientation(ifd0, warnings),
    xmp: xmpReading?.xmp ?? null,
    iptc,
    icc_profile: cleanText(sources.icc?.description),
    thumbnail: describeThumbnail(thumbnail),
  };

  const camera = cameraTags(ifd0, exif, gps !== null);
  const status = decideStatus({
    unreadable: sources.unreadable,
    // A damaged XMP packet may have held the file's only metadata.
    incomplete:
      sources.incomplete ?? (xmpReading?.error ? `its XMP packet is damaged (${xmpReading.error})` : null),
    cameraExif: camera,
    report: partial,
    canHoldExif: format.toLowerCase() !== 'gif',
  });
  const metadata: Metadata = {
    ...status,
    camera_exif: camera.length > 0,
    ...partial,
    warnings: warnings.slice(0, MAX_WARNINGS).map((w) => cleanText(w, 300) ?? ''),
  };
  return { metadata, thumbnail: thumbnail === null ? null : Buffer.from(thumbnail) };
}
