// Lexical checks on tar entry names and link targets: what may enter a rootfs and what must not.
import { UnsafeArchiveError } from '../../errors.js';

/** Longest entry path accepted, in bytes (Linux PATH_MAX). */
export const MAX_PATH_BYTES = 4096;
/** Longest path component accepted, in bytes (Linux NAME_MAX). */
export const MAX_NAME_BYTES = 255;

export const REBUILD_HINT = 'the layer tar is hostile or corrupt; rebuild it';

function refuse(entry: string, why: string): never {
  throw new UnsafeArchiveError(entry, why, { hint: REBUILD_HINT });
}

/**
 * Normalizes a tar entry name to a relative path without '.', '..' or empty components
 * ('' is the root itself). Leading '/' and './' are stripped; a '..' that would climb above the
 * root is refused, as are NUL bytes and names longer than PATH_MAX/NAME_MAX.
 */
export function normalizeEntryPath(name: string): string {
  if (name.includes('\0')) refuse(name, 'the name contains a NUL byte');
  if (Buffer.byteLength(name) > MAX_PATH_BYTES)
    refuse(name.slice(0, 80), `the name is longer than ${MAX_PATH_BYTES} bytes`);
  const parts: string[] = [];
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (parts.length === 0) refuse(name, "a '..' component escapes the root");
      parts.pop();
      continue;
    }
    if (Buffer.byteLength(part) > MAX_NAME_BYTES) refuse(name, `a component is longer than ${MAX_NAME_BYTES} bytes`);
    parts.push(part);
  }
  return parts.join('/');
}

/**
 * Refuses a symlink whose RELATIVE target climbs above the root, counted lexically from the link's
 * directory. Absolute targets are accepted: they resolve inside the container's root, and the host
 * never follows links in an unpacked layer.
 */
export function checkSymlinkTarget(entry: string, linkPath: string, target: string): void {
  if (target.length === 0) refuse(entry, 'the symlink has an empty target');
  if (target.includes('\0')) refuse(entry, 'the symlink target contains a NUL byte');
  if (Buffer.byteLength(target) > MAX_PATH_BYTES)
    refuse(entry, `the symlink target is longer than ${MAX_PATH_BYTES} bytes`);
  if (target.startsWith('/')) return;
  const parts = linkPath.split('/').slice(0, -1);
  for (const part of target.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (parts.length === 0) refuse(entry, `the relative symlink target '${target}' escapes the root`);
      parts.pop();
    } else {
      parts.push(part);
    }
  }
}

/** Parent paths of a normalized relative path, outermost first: "a/b/c" -> ["a", "a/b"]. */
export function parentPaths(rel: string): string[] {
  const parts = rel.split('/');
  const parents: string[] = [];
  for (let i = 1; i < parts.length; i++) parents.push(parts.slice(0, i).join('/'));
  return parents;
}
