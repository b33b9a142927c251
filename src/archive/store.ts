// Where a check's WACZ is kept, per organization: `<org>/<check id>.wacz`. One interface, two homes:
// a directory (ARCHIVE_DIR, the default) and an S3-compatible bucket (src/archive/s3-store.ts). Both
// forget archives older than the retention (ARCHIVE_TTL_DAYS): get() no longer returns them and
// sweep() deletes them.
import { createReadStream } from 'node:fs';
import { copyFile, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { inDir } from './dirs.js';
import type { Readable } from 'node:stream';

export interface StoredArchive {
  stream: Readable;
  bytes: number;
  created: Date;
}

export interface ArchiveStore {
  /**
   * A directory on the store's own filesystem where workers write an archive until they put() it, so
   * that putting it is a rename and not a copy; absent (a bucket): the OS's temporary directory.
   */
  readonly scratch?: string;
  /** Keeps the file at `path` as the archive of the check (replacing an earlier one); the file may be
   *  moved rather than copied. */
  put(org: string, checkId: string, path: string): Promise<void>;
  /** The archive, or null when there is none or it is past the retention. */
  get(org: string, checkId: string): Promise<StoredArchive | null>;
  /**
   * At most `length` bytes of the archive from `start` (a negative `start`: the last -start bytes, as an
   * HTTP suffix range; `length` is then at least -start), fewer at its end; null when there is none or it
   * is past the retention. For
   * reading one file back out of it (src/archive/archived-upload.ts) without reading all of it.
   */
  range(org: string, checkId: string, start: number, length: number): Promise<Buffer | null>;
  delete(org: string, checkId: string): Promise<void>;
  /** Deletes every archive past the retention; returns how many. */
  sweep(now?: Date): Promise<number>;
}

const CHECK_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** The object name of an archive. Organization ids are encoded so none can name a path outside. */
export function archiveName(org: string, checkId: string): string {
  if (!CHECK_ID.test(checkId)) throw new Error(`Not a check id: ${checkId.slice(0, 80)}`);
  if (!org) throw new Error('An archive belongs to an organization');
  return `${encodeURIComponent(org)}/${checkId}.wacz`;
}

export const DAY_MS = 86_400_000;

/** Age past which a file in a directory store's scratch directory is taken as abandoned (sweep). */
export const ABANDONED_MS = DAY_MS;

/** Whether something created at `created` is past a retention of `ttlDays` (0: kept forever). */
export function expired(created: Date, ttlDays: number, now = new Date()): boolean {
  return ttlDays > 0 && now.getTime() - created.getTime() > ttlDays * DAY_MS;
}

export function createDirectoryStore(
  dir: string,
  ttlDays: number,
  now: () => Date = () => new Date(),
): ArchiveStore {
  const pathOf = (org: string, checkId: string) => join(dir, archiveName(org, checkId));
  const scratch = join(dir, '@partial');
  /** Moves or copies `path` to `target` (`rename`: move), into its directory made when needed (inDir). */
  const into = (target: string, path: string, move: (from: string, to: string) => Promise<void>) =>
    inDir(join(target, '..'), () => move(path, target));
  return {
    // encodeURIComponent always escapes `@`: no organization's directory has this name. The sweep
    // deletes what a worker that died left there.
    scratch,
    async put(org, checkId, path) {
      const target = pathOf(org, checkId);
      // Moved when the file is on the same filesystem (rename is atomic; always, for a file written in
      // `scratch`); else copied beside the target, then renamed: either way a reader never sees half a file.
      try {
        await into(target, path, rename);
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
      }
      const partial = `${target}.${process.pid}.partial`;
      await into(partial, path, copyFile);
      await rename(partial, target);
    },
    async get(org, checkId) {
      const path = pathOf(org, checkId);
      const info = await stat(path).catch(() => null);
      if (!info || expired(info.mtime, ttlDays, now())) return null;
      return { stream: createReadStream(path), bytes: info.size, created: info.mtime };
    },
    async range(org, checkId, start, length) {
      const path = pathOf(org, checkId);
      const file = await open(path, 'r').catch(() => null);
      if (!file) return null;
      try {
        const info = await file.stat();
        if (expired(info.mtime, ttlDays, now())) return null;
        const from = start < 0 ? Math.max(0, info.size + start) : Math.min(start, info.size);
        const out = Buffer.alloc(Math.max(0, Math.min(length, info.size - from)));
        let at = 0;
        while (at < out.length) {
          const { bytesRead } = await file.read(out, at, out.length - at, from + at);
          if (bytesRead === 0) break;
          at += bytesRead;
        }
        return out.subarray(0, at);
      } finally {
        await file.close();
      }
    },
    async delete(org, checkId) {
      await rm(pathOf(org, checkId), { force: true });
    },
    async sweep(at = now()) {
      let removed = 0;
      // Whatever the retention (kept for ever included): a file still in the scratch directory after
      // ABANDONED_MS was left by a worker that died while writing it (an archive is written in seconds).
      for (const name of await readdir(scratch).catch(() => [])) {
        const path = join(scratch, name);
        const info = await stat(path).catch(() => null);
        if (info && at.getTime() - info.mtime.getTime() > ABANDONED_MS) {
          await rm(path, { force: true });
          removed++;
        }
      }
      if (ttlDays <= 0) return removed;
      const orgs = await readdir(dir, { withFileTypes: true }).catch(() => []);
      for (const org of orgs.filter((d) => d.isDirectory() && join(dir, d.name) !== scratch)) {
        for (const name of await readdir(join(dir, org.name))) {
          const path = join(dir, org.name, name);
          const info = await stat(path).catch(() => null);
          if (info && expired(info.mtime, ttlDays, at)) {
            await rm(path, { force: true });
            removed++;
          }
        }
      }
      return removed;
    },
  };
}
