import { Type, type Static } from 'typebox';
import { ref } from './ref.js';

export const ArchiveTimestamp = Type.Object(
  {
    authority: Type.String({ description: 'The RFC 3161 time-stamping authority (TSA_URL) that signed.' }),
    time: Type.String({ format: 'date-time', description: 'The time the authority signed.' }),
    serial: Type.String({ description: 'The token’s serial number (hex), as the authority numbered it.' }),
  },
  {
    $id: 'ArchiveTimestamp',
    additionalProperties: false,
    description:
      'A trusted timestamp of the archive: the authority signed the sha256 of its datapackage.json. The token (DER, base64) is in the WACZ’s datapackage-digest.json.',
  },
);
export type ArchiveTimestamp = Static<typeof ArchiveTimestamp>;

export const ArchiveSummary = Type.Object(
  {
    url: Type.String({ description: 'Where to download it (the check’s organization only).' }),
    format: Type.Literal('wacz'),
    captured_at: Type.String({ format: 'date-time', description: 'When the archive was packaged.' }),
    bytes: Type.Integer({ minimum: 0 }),
    sha256: Type.String({ pattern: '^[0-9a-f]{64}$', description: 'sha256 of the .wacz file.' }),
    datapackage_hash: Type.String({ description: '`sha256:<hex>` of its datapackage.json.' }),
    records: Type.Integer({ minimum: 0, description: 'WARC records (requests, responses, uploads).' }),
    payload_bytes: Type.Integer({
      minimum: 0,
      description: 'Bytes of fetched bodies kept (at most ARCHIVE_MAX_BYTES).',
    }),
    timestamp: Type.Union([ref(ArchiveTimestamp), Type.Null()], {
      description: 'Null when no time-stamping authority is configured or it did not answer.',
    }),
  },
  {
    $id: 'ArchiveSummary',
    additionalProperties: false,
    description:
      'The evidence archive of the check: every HTTP exchange it made (and uploaded originals), as a WACZ web archive.',
  },
);
export type ArchiveSummary = Static<typeof ArchiveSummary>;
