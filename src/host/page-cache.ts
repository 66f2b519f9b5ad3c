// Dropping the host's page cache for cold-start figures (`suite run --cold`): sync(1) first, so
// dirty pages are written back and become droppable, then "3" into /proc/sys/vm/drop_caches, which
// frees the clean page cache and the reclaimable slab (dentries, inodes). See proc_sys_vm(5).
import { constants } from 'node:fs';
import { access, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { EnvironmentError } from '../errors.js';

/** The control file under <procRoot>. */
export function dropCachesFile(procRoot = '/proc'): string {
  return path.join(procRoot, 'sys/vm/drop_caches');
}

/**
 * Checks up front that the page cache can be dropped (root, /proc/sys writable), so `--cold`
 * fails before a run starts rather than in every iteration.
 * @throws EnvironmentError naming the file and the fix.
 */
export async function checkCanDropPageCache(procRoot = '/proc'): Promise<void> {
  const file = dropCachesFile(procRoot);
  try {
    await access(file, constants.W_OK);
  } catch (error) {
    throw new EnvironmentError(`--cold needs to write ${file}: ${(error as NodeJS.ErrnoException).code ?? error}`, {
      hint: 'run as root on a host whose /proc/sys is writable, or leave out --cold',
      cause: error,
    });
  }
}

/**
 * Writes back dirty pages (sync) and drops the clean page cache and reclaimable slab machine-wide.
 * Affects every process on the host, not only ours.
 * @throws EnvironmentError when sync fails or the control file cannot be written.
 */
export async function dropPageCache(procRoot = '/proc'): Promise<void> {
  const sync = await execa('sync', [], { reject: false, stdin: 'ignore', timeout: 120_000 });
  if (sync.exitCode !== 0) {
    throw new EnvironmentError(`sync failed before dropping the page cache: ${sync.stderr || sync.shortMessage}`, {
      hint: 'check that coreutils sync is installed and the filesystems are healthy',
    });
  }
  const file = dropCachesFile(procRoot);
  try {
    await writeFile(file, '3\n');
  } catch (error) {
    throw new EnvironmentError(`cannot drop the page cache through ${file}: ${(error as Error).message}`, {
      hint: 'run as root on a host whose /proc/sys is writable, or leave out --cold',
      cause: error,
    });
  }
}
