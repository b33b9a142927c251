// The one factory of the archive store, for the workers (which write) and the API (which serves).
import type { Config } from '../config.js';
import { createS3Store } from './s3-store.js';
import { createDirectoryStore, type ArchiveStore } from './store.js';

export function createArchiveStore(config: Config, now?: () => Date): ArchiveStore | null {
  const { enabled, dir, ttlDays, s3 } = config.archive;
  if (!enabled) return null;
  if (s3.bucket) return createS3Store({ ...s3, ttlDays, ...(now && { now }) });
  return createDirectoryStore(dir, ttlDays, now);
}
