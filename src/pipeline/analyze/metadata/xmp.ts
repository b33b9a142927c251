// What XMP tells a fact-checker: which program made the file, the document ids that tie versions of one
// picture together, the edit history Adobe programs keep (xmpMM:History), and the editorial fields that
// stand in for IPTC-IIM when a file only has XMP.
import type { MetadataHistoryStep, MetadataXmp } from '../../../../schemas/metadata.js';
import { readXmpProperties, type XmpStruct, type XmpValue } from './rdf.js';
import { cleanList, cleanText, MAX_ITEMS } from './text.js';

const NS = {
  xmp: 'http://ns.adobe.com/xap/1.0/',
  xmpMM: 'http://ns.adobe.com/xap/1.0/mm/',
  stEvt: 'http://ns.adobe.com/xap/1.0/sType/ResourceEvent#',
  stRef: 'http://ns.adobe.com/xap/1.0/sType/ResourceRef#',
  dc: 'http://purl.org/dc/elements/1.1/',
  photoshop: 'http://ns.adobe.com/photoshop/1.0/',
};

const isStruct = (v: XmpValue | undefined): v is XmpStruct => typeof v === 'object' && !Array.isArray(v);

/** The text of a value; for a list (e.g. a language alternative), its first item. */
function text(value: XmpValue | undefined): string | null {
  if (typeof value === 'string') return cleanText(value);
  if (Array.isArray(value)) return text(value[0]);
  return null;
}

function texts(value: XmpValue | undefined): string[] {
  const items = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return cleanList(items.map((item) => (typeof item === 'string' ? item : null)));
}

function step(value: XmpValue): MetadataHistoryStep {
  const s = isStruct(value) ? value : {};
  const get = (local: string) => text(s[NS.stEvt + local]);
  return {
    action: get('action'),
    software_agent: get('softwareAgent'),
    when: get('when'),
    changed: get('changed'),
    instance_id: get('instanceID'),
    parameters: get('parameters'),
  };
}

/** The editorial fields by report name, as read from IPTC-IIM or from XMP. */
export interface Editorial {
  by_line: string | null;
  credit: string | null;
  source: string | null;
  headline: string | null;
  caption: string | null;
  city: string | null;
  country: string | null;
  keywords: string[];
  copyright_notice: string | null;
  object_name: string | null;
  date_created: string | null;
}

export interface XmpReading {
  xmp: MetadataXmp;
  editorial: Editorial;
  error: string | null;
}

export function readXmp(packets: string[]): XmpReading {
  const { properties: p, error } = readXmpProperties(packets);
  const history = p[NS.xmpMM + 'History'];
  const steps = Array.isArray(history) ? history : history === undefined ? [] : [history];
  const derived = p[NS.xmpMM + 'DerivedFrom'];
  const creators = texts(p[NS.dc + 'creator']);
  return {
    xmp: {
      creator_tool: text(p[NS.xmp + 'CreatorTool']),
      document_id: text(p[NS.xmpMM + 'DocumentID']),
      instance_id: text(p[NS.xmpMM + 'InstanceID']),
      original_document_id: text(p[NS.xmpMM + 'OriginalDocumentID']),
      derived_from: isStruct(derived)
        ? {
            document_id: text(derived[NS.stRef + 'documentID']),
            instance_id: text(derived[NS.stRef + 'instanceID']),
          }
        : null,
      history: steps.slice(0, MAX_ITEMS).map(step),
      history_total: steps.length,
    },
    editorial: {
      by_line: creators.length > 0 ? cleanText(creators.join('; ')) : null,
      credit: text(p[NS.photoshop + 'Credit']),
      source: text(p[NS.photoshop + 'Source']),
      headline: text(p[NS.photoshop + 'Headline']),
      caption: text(p[NS.dc + 'description']),
      city: text(p[NS.photoshop + 'City']),
      country: text(p[NS.photoshop + 'Country']),
      keywords: texts(p[NS.dc + 'subject']),
      copyright_notice: text(p[NS.dc + 'rights']),
      object_name: text(p[NS.dc + 'title']),
      date_created: cleanText(text(p[NS.photoshop + 'DateCreated']), 64),
    },
    error,
  };
}
