// exifr reads the TIFF/EXIF structure, IPTC-IIM and ICC of JPEG and TIFF files, and raw EXIF payloads that
// our own container walkers pull out of PNG, WebP and HEIF. It is never given a whole HEIF file: its
// box walker loops forever on a zero-length box before `meta` (measured: the event loop never returns).
import exifr from 'exifr';
import { EXIF, GPS, IFD0, IFD1 } from './tags.js';

/** One IFD or IIM record: values by numeric tag. */
export type Tags = Record<number, unknown>;

export interface ExifrReading {
  ifd0?: Tags;
  exif?: Tags;
  gps?: Tags;
  ifd1?: Tags;
  iptc?: Tags;
  /** Raw XMP packets (exifr joins the main and extended JPEG segments into one string). */
  xmp: string[];
  icc: { description: string | null } | null;
  thumbnail: Uint8Array | null;
  errors: string[];
}

interface ExifrInstance {
  read(data: Uint8Array): Promise<void>;
  parse(): Promise<unknown>;
  extractThumbnail(): Promise<Uint8Array | undefined>;
}
// exifr's typings describe `Exifr` as an instance; at run time it is the class (CommonJS, default export).
const { Exifr } = exifr as unknown as { Exifr: new (options: object) => ExifrInstance };

// One options object for every call: exifr caches its parsed form by identity.
const OPTIONS = {
  ifd0: { pick: Object.values(IFD0) },
  exif: { pick: Object.values(EXIF) },
  gps: { pick: Object.values(GPS) },
  ifd1: { pick: Object.values(IFD1) },
  interop: false,
  makerNote: false,
  userComment: false,
  // Raw XMP: we parse it ourselves (exifr's regex parser turns "02134" into 2134 and keys by prefix).
  xmp: { parse: false },
  iptc: true,
  icc: true,
  jfif: false,
  ihdr: false,
  // Extended XMP (Photoshop moves large properties such as the history there) and ICC split over APP2s.
  multiSegment: true,
  mergeOutput: false,
  translateKeys: false,
  translateValues: false,
  reviveValues: false,
  silentErrors: true,
  chunked: false,
};

const isRecord = (value: unknown): value is Tags =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && !ArrayBuffer.isView(value);

function profileDescription(icc: unknown): string | null {
  if (!isRecord(icc)) return null;
  const desc = (icc as Record<string, unknown>).desc;
  if (typeof desc === 'string') return desc;
  // A v4 profile with several languages: exifr lists {lang, country, text}; prefer English.
  if (Array.isArray(desc)) {
    const entries = desc.filter(isRecord) as { lang?: unknown; text?: unknown }[];
    const chosen = entries.find((e) => e.lang === 'en') ?? entries[0];
    return typeof chosen?.text === 'string' ? chosen.text : null;
  }
  return null;
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** Reads `input` (a JPEG, a TIFF, or a bare EXIF/TIFF payload). Throws only if exifr cannot start at all. */
export async function readWithExifr(input: Uint8Array): Promise<ExifrReading> {
  const reader = new Exifr(OPTIONS);
  await reader.read(input);
  const output = await reader.parse();
  const out: Record<string, unknown> = isRecord(output) ? output : {};
  const errors = Array.isArray(out.errors) ? out.errors.map(message) : [];
  let thumbnail: Uint8Array | null = null;
  if (isRecord(out.ifd1)) {
    try {
      thumbnail = (await reader.extractThumbnail()) ?? null;
    } catch (err) {
      errors.push(`thumbnail: ${message(err)}`);
    }
  }
  const block = (key: string) => (isRecord(out[key]) ? out[key] : undefined);
  return {
    ifd0: block('ifd0'),
    exif: block('exif'),
    gps: block('gps'),
    ifd1: block('ifd1'),
    iptc: block('iptc'),
    xmp: typeof out.xmp === 'string' ? [out.xmp] : [],
    icc: isRecord(out.icc) ? { description: profileDescription(out.icc) } : null,
    thumbnail,
    errors,
  };
}
