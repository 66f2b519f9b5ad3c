// Disk space a directory tree occupies: allocated blocks, each inode counted once.
import { promises as fs } from 'node:fs';
import path from 'node:path';

/**
 * Bytes allocated on disk (st_blocks * 512) for `dir` and everything below it, counting each
 * hardlinked inode once. Symlinks are not followed. Returns 0 if `dir` does not exist.
 */
export async function measureDirBytes(dir: string): Promise<number> {
  const seen = new Set<string>();
  let total = 0;
  const visit = async (p: string): Promise<void> => {
    let stat: Awaited<ReturnType<typeof fs.lstat>>;
    try {
      stat = await fs.lstat(p);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    const key = `${stat.dev}:${stat.ino}`;
    if (!seen.has(key)) {
      seen.add(key);
      total += Number(stat.blocks) * 512;
    }
    if (stat.isDirectory()) {
      for (const name of await fs.readdir(p)) await visit(path.join(p, name));
    }
  };
  await visit(dir);
  return total;
}
