// Read-only look-ups in the image being built, through its unpacked layers (overlay lower dirs,
// topmost first): path resolution through in-image symlinks, metadata, and user/group names.
import { promises as fs, type Stats } from 'node:fs';
import path from 'node:path';

/** Most symlinks followed while resolving one path, as the kernel's MAXSYMLINKS. */
const MAX_SYMLINKS = 40;

/** lstat of an absolute in-image path in the topmost layer that has it; undefined if absent or whited out. */
export async function lstatInImage(lowerDirs: string[], imagePath: string): Promise<Stats | undefined> {
  const rel = imagePath.replace(/^\/+/, '');
  if (rel === '') return lowerDirs[0] ? fs.lstat(lowerDirs[0]) : undefined;
  for (const lower of lowerDirs) {
    const stat = await fs.lstat(path.join(lower, rel)).catch(() => undefined);
    if (!stat) continue;
    // An overlay whiteout (char device 0/0) hides the path in every lower layer.
    if (stat.isCharacterDevice() && stat.rdev === 0) return undefined;
    return stat;
  }
  return undefined;
}

/** Reads a small in-image file (e.g. /etc/passwd) from the topmost layer that has it. */
export async function readImageFile(lowerDirs: string[], imagePath: string): Promise<string | undefined> {
  const resolved = await resolveInImage(lowerDirs, imagePath);
  const rel = resolved.replace(/^\/+/, '');
  for (const lower of lowerDirs) {
    const stat = await fs.lstat(path.join(lower, rel)).catch(() => undefined);
    if (!stat) continue;
    if (!stat.isFile() || stat.size > 16 * 1024 * 1024) return undefined;
    return fs.readFile(path.join(lower, rel), 'utf8');
  }
  return undefined;
}

/**
 * Resolves symlinks in an absolute in-image path the way the kernel would inside the container
 * (absolute targets from the image root, `..` stopping at the root). The last component is
 * resolved too. Paths that do not exist are returned as far as they resolved.
 */
export async function resolveInImage(lowerDirs: string[], imagePath: string): Promise<string> {
  let pending = imagePath.split('/').filter((p) => p !== '' && p !== '.');
  const done: string[] = [];
  let links = 0;
  while (pending.length > 0) {
    const part = pending.shift()!;
    if (part === '..') {
      done.pop();
      continue;
    }
    const candidate = `/${[...done, part].join('/')}`;
    const stat = await lstatInImage(lowerDirs, candidate);
    if (stat?.isSymbolicLink()) {
      if (++links > MAX_SYMLINKS) return candidate;
      const target = await readlinkInImage(lowerDirs, candidate);
      const targetParts = target.split('/').filter((p) => p !== '' && p !== '.');
      if (target.startsWith('/')) done.length = 0;
      pending = [...targetParts, ...pending];
      continue;
    }
    done.push(part);
  }
  return `/${done.join('/')}`;
}

async function readlinkInImage(lowerDirs: string[], imagePath: string): Promise<string> {
  const rel = imagePath.replace(/^\/+/, '');
  for (const lower of lowerDirs) {
    const target = await fs.readlink(path.join(lower, rel)).catch(() => undefined);
    if (target !== undefined) return target;
  }
  return '';
}

/**
 * Numeric uid and gid for a `--chown` value: numbers as they are, names looked up in the image's
 * /etc/passwd and /etc/group. A user without a group gets gid = uid (as Docker does).
 * Returns a string naming what was not found instead of throwing, so the caller adds file:line.
 */
export async function resolveOwner(
  lowerDirs: string[],
  owner: { user: string; group?: string },
): Promise<{ uid: number; gid: number } | string> {
  const lookup = async (file: string, name: string): Promise<number | undefined> => {
    if (/^\d+$/.test(name)) return Number(name);
    const text = await readImageFile(lowerDirs, file);
    for (const line of text?.split('\n') ?? []) {
      const fields = line.split(':');
      if (fields[0] === name && fields[2] !== undefined && /^\d+$/.test(fields[2])) return Number(fields[2]);
    }
    return undefined;
  };
  const uid = await lookup('/etc/passwd', owner.user);
  if (uid === undefined) return `user '${owner.user}' is not in the image's /etc/passwd`;
  if (owner.group === undefined) return { uid, gid: uid };
  const gid = await lookup('/etc/group', owner.group);
  if (gid === undefined) return `group '${owner.group}' is not in the image's /etc/group`;
  return { uid, gid };
}
