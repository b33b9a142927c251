// Editorial fields: the caption, credit and by-line an agency or newsroom attached. IPTC-IIM (the legacy
// binary block) is read first, as the brief of record; XMP (photoshop:, dc:) fills in the fields IIM lacks,
// and the result says which fields came from where.
import type { MetadataIptc, MetadataIptcField } from '../../../../schemas/metadata.js';
import type { Tags } from './exif-reader.js';
import { IIM } from './tags.js';
import { cleanList, cleanText, decodeGuessing } from './text.js';
import { iimDate } from './times.js';
import type { Editorial } from './xmp.js';

/** exifr decodes IIM as Latin-1, which is lossless: get the bytes back and decode them properly. */
function iimStrings(value: unknown): string[] {
  const items = Array.isArray(value) ? (value as unknown[]) : [value];
  return cleanList(
    items.map((item) => (typeof item === 'string' ? decodeGuessing(Buffer.from(item, 'latin1')) : null)),
  );
}

const iimText = (iim: Tags, dataset: number): string | null => {
  const values = iimStrings(iim[dataset]);
  return values.length > 0 ? cleanText(values.join('; ')) : null;
};

function fromIim(iim: Tags): Editorial {
  const [date] = iimStrings(iim[IIM.DateCreated]);
  const [time] = iimStrings(iim[IIM.TimeCreated]);
  return {
    by_line: iimText(iim, IIM.Byline),
    credit: iimText(iim, IIM.Credit),
    source: iimText(iim, IIM.Source),
    headline: iimText(iim, IIM.Headline),
    caption: iimText(iim, IIM.Caption),
    city: iimText(iim, IIM.City),
    country: iimText(iim, IIM.Country),
    keywords: iimStrings(iim[IIM.Keywords]),
    copyright_notice: iimText(iim, IIM.CopyrightNotice),
    object_name: iimText(iim, IIM.ObjectName),
    date_created: iimDate(date, time),
  };
}

const FIELDS = Object.keys(fromIim({})) as MetadataIptcField[];
const isEmpty = (v: string | null | string[]) => v === null || (Array.isArray(v) && v.length === 0);

export function readIptc(iim: Tags | undefined, xmp: Editorial | null): MetadataIptc | null {
  const merged = fromIim(iim ?? {});
  // Indexed by field name for the loop; the values keep their types (text, or a list for keywords).
  const fields = merged as unknown as Record<MetadataIptcField, string | null | string[]>;
  const fieldsFromXmp: MetadataIptcField[] = [];
  let fromIimCount = 0;
  for (const field of FIELDS) {
    if (!isEmpty(fields[field])) fromIimCount++;
    else if (xmp && !isEmpty(xmp[field])) {
      fields[field] = xmp[field];
      fieldsFromXmp.push(field);
    }
  }
  if (fromIimCount === 0 && fieldsFromXmp.length === 0) return null;
  const readFrom = fieldsFromXmp.length === 0 ? 'iptc_iim' : fromIimCount === 0 ? 'xmp' : 'iptc_iim_and_xmp';
  return { ...merged, read_from: readFrom, fields_from_xmp: fieldsFromXmp };
}
