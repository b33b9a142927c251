// The TIFF/EXIF tags we read, by number. exifr is asked for exactly these (its `pick` option): besides
// being faster, that bounds the work a hostile file can cause, since exifr then parses each listed tag
// once instead of every entry of an IFD with 65,535 entries of huge arrays.

export const IFD0 = {
  Make: 0x010f,
  Model: 0x0110,
  Orientation: 0x0112,
  Software: 0x0131,
  ModifyDate: 0x0132,
  Artist: 0x013b,
  Copyright: 0x8298,
} as const;

export const EXIF = {
  ExposureTime: 0x829a,
  FNumber: 0x829d,
  ISO: 0x8827,
  DateTimeOriginal: 0x9003,
  DateTimeDigitized: 0x9004,
  OffsetTime: 0x9010,
  OffsetTimeOriginal: 0x9011,
  OffsetTimeDigitized: 0x9012,
  FocalLength: 0x920a,
  SubSecTime: 0x9290,
  SubSecTimeOriginal: 0x9291,
  SubSecTimeDigitized: 0x9292,
  BodySerialNumber: 0xa431,
  LensMake: 0xa433,
  LensModel: 0xa434,
} as const;

export const GPS = {
  LatitudeRef: 0x0001,
  Latitude: 0x0002,
  LongitudeRef: 0x0003,
  Longitude: 0x0004,
  AltitudeRef: 0x0005,
  Altitude: 0x0006,
  TimeStamp: 0x0007,
  ImgDirectionRef: 0x0010,
  ImgDirection: 0x0011,
  DateStamp: 0x001d,
} as const;

export const IFD1 = {
  ThumbnailOffset: 0x0201,
  ThumbnailLength: 0x0202,
} as const;

/** IFD0 tags exifr reads besides the picked ones: sub-IFD pointers, and XMP, IPTC and ICC in TIFF files. */
export const IFD0_DEPENDENCIES = [0x8769, 0x8825, 0x02bc, 0x83bb, 0x8773] as const;

/** Every tag exifr is made to parse; the others it skips without reading their values. */
export const READ_TAGS: ReadonlySet<number> = new Set([
  ...Object.values(IFD0),
  ...IFD0_DEPENDENCIES,
  ...Object.values(EXIF),
  ...Object.values(GPS),
  ...Object.values(IFD1),
]);

/** IPTC-IIM record 2 datasets. */
export const IIM = {
  ObjectName: 5,
  Keywords: 25,
  DateCreated: 55,
  TimeCreated: 60,
  Byline: 80,
  City: 90,
  Country: 101,
  Headline: 105,
  Credit: 110,
  Source: 115,
  CopyrightNotice: 116,
  Caption: 120,
} as const;

/**
 * Tags only a capture device writes; editing programs and platforms do not make them up. One of them is
 * what `camera_exif` means. GPS coordinates count too (checked separately, as a valid position).
 */
export const CAMERA_ONLY = {
  ifd0: [IFD0.Make, IFD0.Model],
  exif: [
    EXIF.DateTimeOriginal,
    EXIF.DateTimeDigitized,
    EXIF.ExposureTime,
    EXIF.FNumber,
    EXIF.ISO,
    EXIF.FocalLength,
    EXIF.LensModel,
    EXIF.BodySerialNumber,
  ],
} as const;
