// The EXIF GPS block stores unsigned degrees, minutes and seconds plus a hemisphere letter. The sign comes
// only from that letter: like ExifTool's Composite:GPSLatitude, no letter means no position, because
// guessing north/east would put the photo on the wrong continent.
import type { MetadataGps } from '../../../../schemas/metadata.js';
import type { Tags } from './exif-reader.js';
import { GPS } from './tags.js';
import { cleanText } from './text.js';

export interface GpsReading {
  gps: MetadataGps | null;
  warning: string | null;
}

function numbers(value: unknown): number[] {
  if (typeof value === 'number') return [value];
  if (Array.isArray(value) || ArrayBuffer.isView(value)) return Array.from(value as ArrayLike<number>);
  return [];
}

/** Decimal degrees from [d, m, s] (a writer may put everything in d, or use d and decimal minutes). */
function degrees(value: unknown): number | null {
  const parts = numbers(value);
  if (parts.length === 0 || parts.length > 3) return null;
  if (!parts.every((n) => typeof n === 'number' && Number.isFinite(n) && n >= 0)) return null;
  const [d = 0, m = 0, s = 0] = parts;
  return d + m / 60 + s / 3600;
}

function firstNumber(value: unknown): number | null {
  const n = numbers(value)[0];
  return typeof n === 'number' && Number.isFinite(n) ? n : null;
}

function ref(value: unknown): string | null {
  // GPSAltitudeRef is a BYTE, the hemisphere refs are ASCII; both may arrive as one-element arrays.
  const first = typeof value === 'string' ? value : numbers(value)[0];
  return first === undefined ? null : (cleanText(String(first), 4)?.toUpperCase() ?? null);
}

const round6 = (n: number) => n.toFixed(6);

export function mapUrl(latitude: number, longitude: number): string {
  const lat = round6(latitude);
  const lon = round6(longitude);
  return `https://www.openstreetmap.org/?mlat=${lat}&mlon=${lon}#map=16/${lat}/${lon}`;
}

export function readGps(gps: Tags | undefined): GpsReading {
  if (!gps) return { gps: null, warning: null };
  const lat = degrees(gps[GPS.Latitude]);
  const lon = degrees(gps[GPS.Longitude]);
  if (lat === null && lon === null) return { gps: null, warning: null };
  const latRef = ref(gps[GPS.LatitudeRef]);
  const lonRef = ref(gps[GPS.LongitudeRef]);
  if (
    lat === null ||
    lon === null ||
    !(latRef === 'N' || latRef === 'S') ||
    !(lonRef === 'E' || lonRef === 'W')
  )
    return {
      gps: null,
      warning: 'GPS position incomplete (a coordinate or its N/S, E/W reference is missing)',
    };
  const latitude = latRef === 'S' ? -lat : lat;
  const longitude = lonRef === 'W' ? -lon : lon;
  if (Math.abs(latitude) > 90 || Math.abs(longitude) > 180)
    return { gps: null, warning: `GPS position out of range (${latitude}, ${longitude})` };

  const altitude = firstNumber(gps[GPS.Altitude]);
  const direction = firstNumber(gps[GPS.ImgDirection]);
  const directionRef = ref(gps[GPS.ImgDirectionRef]);
  return {
    gps: {
      latitude,
      longitude,
      altitude_m: altitude === null ? null : ref(gps[GPS.AltitudeRef]) === '1' ? -altitude : altitude,
      image_direction: direction,
      image_direction_ref:
        direction === null ? null : directionRef === 'T' ? 'true' : directionRef === 'M' ? 'magnetic' : null,
      map_url: mapUrl(latitude, longitude),
    },
    // Cameras without a fix sometimes write 0/0: a real place (in the Gulf of Guinea) that is almost never
    // where the photo was taken.
    warning:
      latitude === 0 && longitude === 0 ? 'GPS position is 0, 0: usually a camera without a fix' : null,
  };
}
