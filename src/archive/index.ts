// The one factory of the archive store, for the workers (which write) and the API (which serves).
import type { Config } from '../config.js';
import { createDirectoryStore, type ArchiveStore } from './store.js';

export function createArchiveStore(config: Config): ArchiveStore | null {
  if (!config.archive.enabled) return null;
  return createDirectoryStore(config.archive.dir, config.archive.ttlDays);
}
