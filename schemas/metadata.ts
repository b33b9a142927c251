// What the file's own metadata says (EXIF, XMP, IPTC, ICC), as shown to fact-checkers and bots.
// Convention: every key is always present; a value the file does not hold is `null` (lists are empty), so
// a reader never has to tell "absent" from "unknown key". Every string comes from the file, cleaned of
// control characters and cut to 2,000 characters; lists stop at 200 items.
import { Type, type Static, type TSchema } from 'typebox';

const nullable = <T extends TSchema>(schema: T, description: string) =>
  Type.Union([schema, Type.Null()], { description });
const text = (description: string) => nullable(Type.String(), description);

export const MetadataTime = Type.Object(
  {
    raw: Type.String({ description: 'The value as stored, e.g. EXIF `2019:05:01 12:00:00`.' }),
    iso: text(
      'ISO 8601. With an offset (`2019-05-01T12:00:00.123+02:00`) only when the file states one; otherwise a ' +
        'local time without offset (`2019-05-01T12:00:00`). Null when `raw` is not a valid date.',
    ),
    time_zone: text(
      'UTC offset the file states for this time (`+02:00`, `+00:00` for GPS time). Null when it does not: the ' +
        'time is then the camera clock’s local time, in an unknown zone (never assume UTC).',
    ),
    note: text('Why `iso` has no offset or is null, e.g. `no time zone`.'),
  },
  { additionalProperties: false },
);
export type MetadataTime = Static<typeof MetadataTime>;

export const MetadataGps = Type.Object(
  {
    latitude: Type.Number({ description: 'Signed decimal degrees (south is negative), WGS-84 per EXIF.' }),
    longitude: Type.Number({ description: 'Signed decimal degrees (west is negative).' }),
    altitude_m: nullable(Type.Number(), 'Metres; negative below sea level (GPSAltitudeRef = 1).'),
    image_direction: nullable(Type.Number(), 'Direction the camera pointed, degrees from north.'),
    image_direction_ref: nullable(
      Type.Union([Type.Literal('true'), Type.Literal('magnetic')]),
      'Which north `image_direction` is measured from.',
    ),
    map_url: Type.String({ description: 'OpenStreetMap link centred on the position.' }),
  },
  {
    additionalProperties: false,
    description:
      'Present only when the EXIF GPS block holds a valid latitude and longitude with their N/S, E/W refs.',
  },
);

export const MetadataHistoryStep = Type.Object(
  {
    action: text('stEvt:action, e.g. `saved`, `converted`, `derived`.'),
    software_agent: text('stEvt:softwareAgent: the program that did it.'),
    when: text('stEvt:when, ISO 8601 as written by that program.'),
    changed: text('stEvt:changed: which parts changed (`/` for everything, `/metadata`).'),
    instance_id: text('stEvt:instanceID of the file version this step produced.'),
    parameters: text('stEvt:parameters, e.g. `from image/tiff to image/jpeg`.'),
  },
  { additionalProperties: false },
);

export const MetadataXmp = Type.Object(
  {
    creator_tool: text('xmp:CreatorTool.'),
    document_id: text('xmpMM:DocumentID: shared by every version of one document.'),
    instance_id: text('xmpMM:InstanceID: this very version.'),
    original_document_id: text('xmpMM:OriginalDocumentID: the document this one started from.'),
    derived_from: nullable(
      Type.Object(
        { document_id: text('stRef:documentID.'), instance_id: text('stRef:instanceID.') },
        { additionalProperties: false },
      ),
      'xmpMM:DerivedFrom: the version this file was made from.',
    ),
    history: Type.Array(MetadataHistoryStep, {
      description: 'xmpMM:History, oldest first (first 200 steps).',
    }),
    history_total: Type.Integer({ description: 'Steps in the file’s history, which may exceed the list.' }),
  },
  { additionalProperties: false },
);

const IPTC_FIELD = Type.Union([
  Type.Literal('by_line'),
  Type.Literal('credit'),
  Type.Literal('source'),
  Type.Literal('headline'),
  Type.Literal('caption'),
  Type.Literal('city'),
  Type.Literal('country'),
  Type.Literal('keywords'),
  Type.Literal('copyright_notice'),
  Type.Literal('object_name'),
  Type.Literal('date_created'),
]);

export const MetadataIptc = Type.Object(
  {
    by_line: text('Photographer (IIM 2:80 By-line, several joined with `; `; XMP dc:creator).'),
    credit: text('IIM 2:110 Credit; XMP photoshop:Credit.'),
    source: text('IIM 2:115 Source; XMP photoshop:Source.'),
    headline: text('IIM 2:105 Headline; XMP photoshop:Headline.'),
    caption: text('IIM 2:120 Caption-Abstract; XMP dc:description.'),
    city: text('IIM 2:90 City; XMP photoshop:City.'),
    country: text('IIM 2:101 Country; XMP photoshop:Country.'),
    keywords: Type.Array(Type.String(), { description: 'IIM 2:25 Keywords; XMP dc:subject.' }),
    copyright_notice: text('IIM 2:116 CopyrightNotice; XMP dc:rights.'),
    object_name: text('Title: IIM 2:5 ObjectName; XMP dc:title.'),
    date_created: text(
      'When the photo was taken according to the editor: IIM 2:55/2:60 DateCreated/TimeCreated, or XMP ' +
        'photoshop:DateCreated, in ISO 8601 (offset only when the file states one).',
    ),
    read_from: Type.Union([Type.Literal('iptc_iim'), Type.Literal('xmp'), Type.Literal('iptc_iim_and_xmp')], {
      description:
        'Where these fields come from: the IPTC-IIM block is used first; XMP fills only the fields it lacks.',
    }),
    fields_from_xmp: Type.Array(IPTC_FIELD, {
      description: 'The fields taken from XMP because IIM lacked them.',
    }),
  },
  { additionalProperties: false },
);

export const MetadataThumbnail = Type.Object(
  {
    present: Type.Boolean({ description: 'The EXIF block embeds a preview image (IFD1).' }),
    bytes: nullable(Type.Integer(), 'Its size in bytes.'),
    width: nullable(Type.Integer(), 'Its width in pixels, read from its JPEG header.'),
    height: nullable(Type.Integer(), 'Its height in pixels.'),
  },
  {
    additionalProperties: false,
    description:
      'Editors often leave the camera’s preview untouched: a thumbnail that differs from the main image ' +
      'shows what the photo looked like before it was edited or cropped.',
  },
);

export const Metadata = Type.Object(
  {
    metadata_status: Type.Union(
      [Type.Literal('present'), Type.Literal('stripped'), Type.Literal('unreadable')],
      {
        description:
          '`present`: the file carries camera EXIF or descriptive metadata (see `camera_exif`). `stripped`: the ' +
          'file was read to the end and holds neither, only technical leftovers (colour profile, orientation) if ' +
          'anything, as after a platform upload or a deliberate removal. `unreadable`: the file or its format ' +
          'could not be read, so the absence of metadata means nothing (see `status_reason`).',
      },
    ),
    status_reason: Type.String({ description: 'One sentence explaining `metadata_status`.' }),
    camera_exif: Type.Boolean({
      description:
        'The EXIF block holds at least one tag only a capture device writes: Make, Model, DateTimeOriginal, ' +
        'DateTimeDigitized, ExposureTime, FNumber, ISO, FocalLength, LensModel, BodySerialNumber or GPS ' +
        'coordinates. Editing software and platforms do not invent these.',
    }),
    found: Type.Object(
      {
        exif: Type.Boolean({ description: 'An EXIF/TIFF block.' }),
        xmp: Type.Boolean({ description: 'An XMP packet.' }),
        iptc: Type.Boolean({ description: 'An IPTC-IIM block.' }),
        icc: Type.Boolean({ description: 'An ICC colour profile.' }),
      },
      {
        additionalProperties: false,
        description: 'Which metadata blocks the file carries, even empty ones.',
      },
    ),
    warnings: Type.Array(Type.String(), {
      description: 'Parts that could not be read (truncated file, malformed block), at most 20.',
    }),
    camera: Type.Object(
      {
        make: text('EXIF Make.'),
        model: text('EXIF Model.'),
        lens_make: text('EXIF LensMake.'),
        lens_model: text('EXIF LensModel.'),
        body_serial: text('EXIF BodySerialNumber.'),
      },
      { additionalProperties: false },
    ),
    software: text('EXIF Software: the camera firmware or the last program that saved the file.'),
    artist: text('EXIF Artist.'),
    copyright: text('EXIF Copyright.'),
    times: Type.Object(
      {
        date_time_original: nullable(
          MetadataTime,
          'EXIF DateTimeOriginal (+ OffsetTimeOriginal, SubSecTimeOriginal): when the photo was taken.',
        ),
        create_date: nullable(
          MetadataTime,
          'EXIF DateTimeDigitized (+ OffsetTimeDigitized, SubSecTimeDigitized).',
        ),
        modify_date: nullable(
          MetadataTime,
          'EXIF DateTime (+ OffsetTime, SubSecTime): last change by software.',
        ),
        gps: nullable(MetadataTime, 'GPSDateStamp + GPSTimeStamp, UTC by definition.'),
      },
      { additionalProperties: false },
    ),
    gps: nullable(MetadataGps, 'Where the photo was taken, per its EXIF GPS block.'),
    orientation: nullable(
      Type.Integer({ minimum: 1, maximum: 8 }),
      'EXIF Orientation (1 = as stored, 6 = rotate 90° clockwise to display, …). In HEIF files the container ' +
        'rotates the pixels itself and decoders ignore this tag.',
    ),
    xmp: nullable(MetadataXmp, 'Editing provenance from XMP; null without an XMP packet.'),
    iptc: nullable(MetadataIptc, 'Editorial fields; null when neither IPTC-IIM nor XMP holds any.'),
    icc_profile: text('Description of the embedded ICC colour profile, e.g. `sRGB IEC61966-2.1`.'),
    thumbnail: MetadataThumbnail,
  },
  { $id: 'Metadata', additionalProperties: false },
);
export type Metadata = Static<typeof Metadata>;
export type MetadataGps = Static<typeof MetadataGps>;
export type MetadataHistoryStep = Static<typeof MetadataHistoryStep>;
export type MetadataXmp = Static<typeof MetadataXmp>;
export type MetadataIptc = Static<typeof MetadataIptc>;
export type MetadataIptcField = Static<typeof IPTC_FIELD>;
export type MetadataThumbnail = Static<typeof MetadataThumbnail>;
