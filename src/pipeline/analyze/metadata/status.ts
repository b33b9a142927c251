// The one-word verdict a fact-checker reads first. "stripped" is a claim about the file's history (it went
// through a platform or was cleaned), so it is only said when the whole file was read and nothing
// descriptive was found; a failed or partial read is "unreadable", with the reason.
//
// An IPTC-only file (an archive or agency picture with a caption but no camera EXIF) is "present", not
// "stripped": its caption, credit and copyright are exactly what a fact-checker needs to trace it, and
// platforms remove IPTC along with EXIF. `camera_exif` still says that no camera data is there.
import type { Metadata } from '../../../../schemas/metadata.js';

/** The report's fields, before the verdict is added. */
export type Readings = Omit<Metadata, 'metadata_status' | 'status_reason' | 'camera_exif' | 'warnings'>;

export interface StatusInput {
  unreadable: string | null;
  incomplete: string | null;
  /** Names of the camera-only EXIF tags present. */
  cameraExif: string[];
  report: Readings;
  /** False for GIF, whose format has no place for EXIF: its absence then says nothing about the file's past. */
  canHoldExif: boolean;
}

type Status = Pick<Metadata, 'metadata_status' | 'status_reason'>;

const list = (items: string[]) => items.slice(0, 6).join(', ') + (items.length > 6 ? ', …' : '');

/** What tells of the file's history without being camera data: editing software, authors, provenance. */
function descriptive(m: Readings): string[] {
  const x = m.xmp;
  const evidence: [unknown, string][] = [
    [m.software, 'EXIF Software'],
    [m.artist, 'EXIF Artist'],
    [m.copyright, 'EXIF Copyright'],
    [m.times.modify_date, 'EXIF modification date'],
    [x?.creator_tool, 'XMP creator tool'],
    [x && x.history_total > 0 ? x : null, 'XMP edit history'],
    [x?.document_id ?? x?.instance_id ?? x?.original_document_id ?? x?.derived_from, 'XMP document ids'],
    [m.iptc, m.iptc?.read_from === 'xmp' ? 'editorial fields in XMP' : 'IPTC editorial fields'],
  ];
  return evidence.filter(([value]) => value !== null && value !== undefined).map(([, name]) => name);
}

/** What platforms tend to keep: it tells nothing of where the file comes from. */
function leftovers(m: Readings, hasXmpEvidence: boolean): string[] {
  return [
    ...(m.found.icc ? ['a colour profile'] : []),
    ...(m.orientation !== null ? ['the orientation tag'] : []),
    ...(m.thumbnail.present ? ['an EXIF thumbnail'] : []),
    ...(m.found.xmp && !hasXmpEvidence ? ['an XMP packet without provenance'] : []),
  ];
}

export function decideStatus(input: StatusInput): Status {
  const s = { ...input, descriptive: descriptive(input.report) };
  const remaining = leftovers(
    input.report,
    s.descriptive.some((d) => d.includes('XMP')),
  );
  if (s.unreadable !== null)
    return { metadata_status: 'unreadable', status_reason: `Could not be read: ${s.unreadable}.` };
  const partial = s.incomplete === null ? '' : ` Part of the file could not be read (${s.incomplete}).`;
  if (s.cameraExif.length > 0)
    return {
      metadata_status: 'present',
      status_reason: `Camera EXIF present (${list(s.cameraExif)}).${partial}`,
    };
  if (s.descriptive.length > 0)
    return {
      metadata_status: 'present',
      status_reason: `No camera EXIF, but descriptive metadata present (${list(s.descriptive)}).${partial}`,
    };
  if (s.incomplete !== null)
    return {
      metadata_status: 'unreadable',
      status_reason: `Could not read the whole file (${s.incomplete}); metadata may be in the part not read.`,
    };
  const remains = remaining.length > 0 ? ` What remains: ${list(remaining)}.` : '';
  if (!s.canHoldExif)
    return {
      metadata_status: 'stripped',
      status_reason: `Read to the end: this format cannot hold EXIF, and the file has no descriptive XMP.${remains}`,
    };
  return {
    metadata_status: 'stripped',
    status_reason: `Read to the end: no camera EXIF and no descriptive metadata, as after a platform upload or a deliberate removal.${remains}`,
  };
}
