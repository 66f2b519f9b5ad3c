// Finding the programs the VM target runs (qemu-system-x86_64, qemu-img) in PATH.
import { promises as fs } from 'node:fs';

/** Looks for an executable in PATH; returns its path or undefined. */
export async function findInPath(name: string): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(':')) {
    if (dir === '') continue;
    const candidate = `${dir}/${name}`;
    try {
      await fs.access(candidate, fs.constants.X_OK);
      return candidate;
    } catch {}
  }
  return undefined;
}
