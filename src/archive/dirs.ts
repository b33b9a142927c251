// Directories the archive code writes into (the store's organizations' directories, a recorder's scratch
// directory): made once per process rather than at every archive (a mkdir per check), and made again when
// they have gone since (an operator removed one).
import { mkdir } from 'node:fs/promises';

const made = new Set<string>();

/**
 * Runs `work`, which writes into `dir`, after making `dir` the first time it is asked for; when `work`
 * fails with ENOENT (`dir` removed since), makes `dir` again and runs `work` once more.
 */
export async function inDir<T>(dir: string, work: () => Promise<T>): Promise<T> {
  if (!made.has(dir)) {
    await mkdir(dir, { recursive: true });
    made.add(dir);
  }
  try {
    return await work();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    await mkdir(dir, { recursive: true });
    return work();
  }
}
