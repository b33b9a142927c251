import { Type } from 'typebox';

export const Health = Type.Object(
  { status: Type.Literal('ok') },
  { $id: 'Health', additionalProperties: false },
);

export const Ready = Type.Object(
  {
    status: Type.Literal('ok'),
    redis: Type.Literal('ok'),
    workers: Type.Integer({ description: 'Worker processes that sent a heartbeat recently.' }),
  },
  { $id: 'Ready', additionalProperties: false },
);
