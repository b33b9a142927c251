// What the file's own metadata says. Every value here was written by whoever made or edited the
// file: the table says what the file claims, and only the rows it holds.
import type { Metadata, MetadataTime } from '../../schemas/metadata.js';
import type { ThumbnailComparison } from '../../schemas/report.js';
import { formatBytes, formatSize, formatTime } from './format.js';
import { externalLink, markup, type Html, type SafeHtml } from './html.js';

type Row = [label: string, value: Html];

function rows(list: Row[]): SafeHtml[] {
  return list
    .filter(([, v]) => v !== null && v !== undefined && v !== '' && v !== false)
    .map(([label, value]) => markup`<tr><th scope="row">${label}</th><td>${value}</td></tr>`);
}

function time(t: MetadataTime | null): Html {
  if (!t) return null;
  return t.iso
    ? markup`${formatTime(t.iso)} <span class="muted">(stored as <code>${t.raw}</code>)</span>`
    : t.raw;
}

const joined = (...parts: Array<string | null>) => parts.filter(Boolean).join(' ') || null;

function gps(meta: Metadata): Html {
  const g = meta.gps;
  if (!g) return null;
  const extra = [
    g.altitude_m !== null ? `altitude ${g.altitude_m} m` : null,
    g.image_direction !== null
      ? `facing ${g.image_direction}°${g.image_direction_ref ? ` (${g.image_direction_ref} north)` : ''}`
      : null,
  ].filter(Boolean);
  const where = `${g.latitude.toFixed(6)}, ${g.longitude.toFixed(6)}${extra.length ? ` · ${extra.join(', ')}` : ''}`;
  return markup`${where}<br>${externalLink(g.map_url, 'Show on OpenStreetMap')}`;
}

function thumbnail(meta: Metadata, cmp: ThumbnailComparison | undefined): Html {
  if (!meta.thumbnail.present) return null;
  const size = formatSize(meta.thumbnail.width, meta.thumbnail.height);
  const distance =
    cmp?.pdq_distance !== null && cmp?.pdq_distance !== undefined
      ? `; differs from the picture by ${cmp.pdq_distance} of 256 PDQ bits`
      : '';
  return `Embedded camera preview${size ? `, ${size}` : ''}, ${formatBytes(meta.thumbnail.bytes)}${distance}`;
}

function historyTable(meta: Metadata): Html {
  const xmp = meta.xmp;
  if (!xmp?.history.length) return null;
  const shown = xmp.history_total > xmp.history.length ? `; the first ${xmp.history.length} shown` : '';
  const steps = `${xmp.history_total} step${xmp.history_total === 1 ? '' : 's'}, oldest first${shown}`;
  const body = xmp.history.map(
    (s) =>
      markup`<tr><td>${s.action ?? '—'}</td><td>${s.software_agent ?? '—'}</td><td>${s.when ? formatTime(s.when) : '—'}</td><td>${s.changed ?? '—'}</td><td>${s.parameters ?? ''}</td></tr>`,
  );
  return markup`<table>
<caption>XMP edit history (${steps})</caption>
<thead><tr><th scope="col">Action</th><th scope="col">Software</th><th scope="col">When</th><th scope="col">Changed</th><th scope="col">Details</th></tr></thead>
<tbody>${body}</tbody>
</table>`;
}

const STATUS: Record<string, { word: string; cls: string }> = {
  present: { word: 'Present', cls: 'info' },
  stripped: { word: 'Stripped', cls: 'medium' },
  unreadable: { word: 'Unreadable', cls: 'medium' },
};

export function metadataSection(meta: Metadata | undefined, cmp: ThumbnailComparison | undefined): SafeHtml {
  if (!meta) return markup`<p class="muted">The metadata was not read.</p>`;
  const c = meta.camera;
  const iptc = meta.iptc;
  const xmp = meta.xmp;
  const body = rows([
    ['Camera', joined(c.make, c.model)],
    ['Lens', joined(c.lens_make, c.lens_model)],
    ['Camera serial number', c.body_serial],
    ['Taken', time(meta.times.date_time_original)],
    ['Digitized', time(meta.times.create_date)],
    ['Modified', time(meta.times.modify_date)],
    ['GPS time', time(meta.times.gps)],
    ['GPS position', gps(meta)],
    ['Software', meta.software],
    ['XMP creator tool', xmp?.creator_tool ?? null],
    ['Artist', meta.artist],
    ['Copyright', meta.copyright],
    ['Photographer (IPTC)', iptc?.by_line ?? null],
    ['Credit', iptc?.credit ?? null],
    ['Source', iptc?.source ?? null],
    ['Headline', iptc?.headline ?? null],
    ['Caption', iptc?.caption ?? null],
    ['Place', joined(iptc?.city ?? null, iptc?.country ?? null)],
    ['Date created (IPTC)', iptc?.date_created ? formatTime(iptc.date_created) : null],
    ['Keywords', iptc?.keywords.length ? iptc.keywords.join(', ') : null],
    ['Orientation', meta.orientation !== null && meta.orientation !== 1 ? `EXIF ${meta.orientation}` : null],
    ['Colour profile', meta.icc_profile],
    ['Camera preview', thumbnail(meta, cmp)],
    ['XMP document', xmp?.document_id ? markup`<code>${xmp.document_id}</code>` : null],
    [
      'XMP original document',
      xmp?.original_document_id && xmp.original_document_id !== xmp.document_id
        ? markup`<code>${xmp.original_document_id}</code>`
        : null,
    ],
  ]);
  const status = STATUS[meta.metadata_status] ?? { word: meta.metadata_status, cls: 'medium' };
  const table = body.length
    ? markup`<table>
<caption class="vh">Metadata fields</caption>
<thead><tr><th scope="col">Field</th><th scope="col">Value in the file</th></tr></thead>
<tbody>${body}</tbody>
</table>`
    : '';
  const warnings = meta.warnings.length
    ? markup`<p class="muted">Could not read: ${meta.warnings.join('; ')}</p>`
    : '';
  return markup`<p><span class="badge ${status.cls}">${status.word}</span> ${meta.status_reason}</p>
${table}
${historyTable(meta)}
${warnings}`;
}
