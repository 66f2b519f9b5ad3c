// Finds the cgroup filesystems of this host (v1 hierarchies, the cgroup2 mount) from the mount table.

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { EnvironmentError } from '../../errors.js';
import type { CgroupHost } from './types.js';

/** One cgroup mount from the mount table. */
export interface CgroupMount {
  fsType: 'cgroup' | 'cgroup2';
  /** Mount point as the kernel reports it (absolute, octal escapes decoded). */
  mountPoint: string;
  /** Path of the mounted dir inside its hierarchy ("/" unless inside a cgroup namespace or a bind mount). */
  root: string;
  /** Mount/super options, e.g. ["rw", "cpu", "cpuacct"] or ["rw", "name=systemd"]. */
  options: string[];
}

// Mount tables escape space, tab, newline and backslash as \ooo (proc(5)).
function decodeMountField(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));
}

/** Parses /proc/self/mountinfo (proc(5)) and keeps the cgroup and cgroup2 mounts. */
export function parseMountinfo(text: string): CgroupMount[] {
  const mounts: CgroupMount[] = [];
  for (const line of text.split('\n')) {
    const fields = line.split(' ');
    const dash = fields.indexOf('-');
    if (dash < 6 || fields.length < dash + 3) continue;
    const fsType = fields[dash + 1];
    if (fsType !== 'cgroup' && fsType !== 'cgroup2') continue;
    const options = [...fields[5]!.split(','), ...(fields[dash + 3] ?? '').split(',')];
    mounts.push({ fsType, mountPoint: decodeMountField(fields[4]!), root: decodeMountField(fields[3]!), options });
  }
  return mounts;
}

/** Parses /proc/mounts (the fallback when mountinfo is missing); root is then assumed "/". */
export function parseProcMounts(text: string): CgroupMount[] {
  const mounts: CgroupMount[] = [];
  for (const line of text.split('\n')) {
    const [, mountPoint, fsType, options] = line.split(' ');
    if ((fsType !== 'cgroup' && fsType !== 'cgroup2') || !mountPoint || !options) continue;
    mounts.push({ fsType, mountPoint: decodeMountField(mountPoint), root: '/', options: options.split(',') });
  }
  return mounts;
}

/** v1 controller names the kernel can bind to a hierarchy (others in the options are mount flags). */
const V1_CONTROLLERS = new Set([
  'blkio',
  'cpu',
  'cpuacct',
  'cpuset',
  'devices',
  'freezer',
  'hugetlb',
  'memory',
  'misc',
  'net_cls',
  'net_prio',
  'perf_event',
  'pids',
  'rdma',
]);

/** Builds the host description from cgroup mounts; `v2Controllers` is the cgroup2 root's cgroup.controllers. */
export function describeCgroupHost(mounts: CgroupMount[], fsRoot: string, v2Controllers: string[]): CgroupHost {
  // Prefer mounts of a hierarchy's root; a bind mount of a subdir is only a fallback.
  const ordered = [...mounts.filter((m) => m.root === '/'), ...mounts.filter((m) => m.root !== '/')];
  const v1: Record<string, string> = {};
  let v2Mount: string | undefined;
  for (const mount of ordered) {
    const dir = path.join(fsRoot, mount.mountPoint);
    if (mount.fsType === 'cgroup2') {
      v2Mount ??= dir;
      continue;
    }
    for (const option of mount.options) {
      if (V1_CONTROLLERS.has(option)) v1[option] ??= dir;
    }
  }
  const hasV1 = Object.keys(v1).length > 0;
  if (!hasV1 && v2Mount === undefined) {
    throw new EnvironmentError('no cgroup filesystem is mounted (neither cgroup v1 hierarchies nor cgroup2)', {
      hint: 'mount cgroup2: mount -t cgroup2 none /sys/fs/cgroup',
    });
  }
  const host: CgroupHost = { mode: hasV1 ? (v2Mount === undefined ? 'v1' : 'hybrid') : 'v2', v1 };
  if (v2Mount !== undefined) host.v2 = { mount: v2Mount, controllers: v2Controllers };
  return host;
}

async function readOptional(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * Detects the host's cgroup layout from <fsRoot>/proc/self/mountinfo (or <fsRoot>/proc/mounts) and
 * the cgroup2 mount's cgroup.controllers. Paths in the result are joined with fsRoot.
 * @throws EnvironmentError when no cgroup filesystem is mounted or the mount table is unreadable.
 */
export async function detectCgroupHost(fsRoot = '/'): Promise<CgroupHost> {
  const mountinfo = await readOptional(path.join(fsRoot, 'proc/self/mountinfo'));
  const procMounts = mountinfo === undefined ? await readOptional(path.join(fsRoot, 'proc/mounts')) : undefined;
  if (mountinfo === undefined && procMounts === undefined) {
    throw new EnvironmentError(`cannot read the mount table under ${fsRoot} (proc/self/mountinfo nor proc/mounts)`, {
      hint: 'mount procfs: mount -t proc proc /proc',
    });
  }
  const mounts = mountinfo !== undefined ? parseMountinfo(mountinfo) : parseProcMounts(procMounts!);
  const v2 = mounts.find((m) => m.fsType === 'cgroup2' && m.root === '/') ?? mounts.find((m) => m.fsType === 'cgroup2');
  const controllersText = v2 ? await readOptional(path.join(fsRoot, v2.mountPoint, 'cgroup.controllers')) : undefined;
  const v2Controllers = (controllersText ?? '').split(/\s+/).filter((name) => name !== '');
  return describeCgroupHost(mounts, fsRoot, v2Controllers);
}
