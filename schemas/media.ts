import { Type } from 'typebox';

export const MediaParams = Type.Object(
  { sha256: Type.String({ pattern: '^[0-9a-f]{64}$', description: 'sha256 of the image file.' }) },
  { $id: 'MediaParams', additionalProperties: false },
);
