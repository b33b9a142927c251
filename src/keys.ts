// Every Redis key firstseen writes, in one place: this file is the data model.
//
//   <p>:check:<id>                 hash   one check: status, request, timestamps, report (JSON), error
//   <p>:idem:<sha256(key)>         string Idempotency-Key -> check id (TTL IDEMPOTENCY_TTL_SECONDS)
//   <p>:dedup:<sha256(targets)>    string normalized target list -> check id (TTL DEDUP_WINDOW_SECONDS)
//   {<p>}:checks:*                 BullMQ's keys for the `checks` queue (prefix is a cluster hash tag)
//
// Keys that are read together are single keys, never multi-key transactions, so the layout works
// unchanged on Redis Cluster.
import { createHash } from 'node:crypto';

export const QUEUES = { checks: 'checks' } as const;
export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

const digest = (s: string) => createHash('sha256').update(s).digest('hex');

export function keys(prefix: string) {
  return {
    check: (id: string) => `${prefix}:check:${id}`,
    idempotency: (key: string) => `${prefix}:idem:${digest(key)}`,
    dedup: (fingerprint: string) => `${prefix}:dedup:${digest(fingerprint)}`,
    /** Pattern matching everything firstseen's own keys (not BullMQ's), for test clean-up. */
    all: () => `${prefix}:*`,
  };
}

export type Keys = ReturnType<typeof keys>;
