// From the mounts a run asks for to what the helper mounts: host paths looked up once (they must
// exist; nothing is created for them), volume names to their _data dirs, tmpfs options to the
// helper's words. Also the form a container's record keeps (which volumes it uses).
import { realpathSync } from 'node:fs';
import { InputError } from '../../errors.js';
import type { RootLayout } from '../../paths.js';
import type { ContainerSpec } from '../types.js';
import { checkMountTargets, type MountRequest, tmpfsHelperOptions } from './parse.js';
import { volumePaths } from './store.js';

/** A mount as a container's record keeps it: bind source resolved, volume by name, tmpfs without one. */
export interface MountRecord {
  type: 'bind' | 'volume' | 'tmpfs';
  /** Host path (bind), volume name (volume), '' (tmpfs). */
  source: string;
  target: string;
  readonly: boolean;
  /** tmpfs only: the options the helper was given. */
  options?: string;
}

/**
 * Checks the requested mounts and looks each bind source up once (symlinks resolved, so the
 * record and the helper name the same dir). Changes nothing.
 * @throws InputError for a duplicate target or a host path that does not exist.
 */
export function resolveMounts(requests: readonly MountRequest[]): MountRecord[] {
  checkMountTargets(requests);
  return requests.map((m): MountRecord => {
    if (m.type === 'volume') return { type: 'volume', source: m.source, target: m.target, readonly: m.readonly };
    if (m.type === 'tmpfs') {
      return { type: 'tmpfs', source: '', target: m.target, readonly: m.readonly, options: tmpfsHelperOptions(m) };
    }
    return { type: 'bind', source: resolveHostPath(m.source), target: m.target, readonly: m.readonly };
  });
}

/** The host path with every symlink resolved. @throws InputError when it does not exist. */
function resolveHostPath(source: string): string {
  try {
    return realpathSync(source);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new InputError(
      code === 'ENOENT' || code === 'ENOTDIR'
        ? `bind source path does not exist: ${source}`
        : `bind source path ${source} cannot be resolved (${code})`,
      { hint: 'create it on the host first, or fix the path (HOST:CONTAINER takes an existing host path)' },
    );
  }
}

/** Names of the volumes among `mounts`, each once. */
export function volumeNames(mounts: readonly MountRecord[]): string[] {
  return [...new Set(mounts.filter((m) => m.type === 'volume').map((m) => m.source))];
}

/** The spec fields the helper mounts from (binds, volumes as binds of their _data, tmpfs). */
export function specMounts(layout: RootLayout, mounts: readonly MountRecord[]): Pick<ContainerSpec, 'binds' | 'tmpfs'> {
  const binds: NonNullable<ContainerSpec['binds']> = [];
  const tmpfs: NonNullable<ContainerSpec['tmpfs']> = [];
  for (const m of mounts) {
    if (m.type === 'tmpfs') tmpfs.push({ target: m.target, options: m.options ?? '' });
    else {
      const source = m.type === 'bind' ? m.source : volumePaths(layout, m.source).dataDir;
      binds.push({ source, target: m.target, readonly: m.readonly });
    }
  }
  return { ...(binds.length > 0 ? { binds } : {}), ...(tmpfs.length > 0 ? { tmpfs } : {}) };
}
