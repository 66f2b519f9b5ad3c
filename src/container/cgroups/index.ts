// The cgroup layer of the container runtime: detect v1/v2/hybrid, create limited cgroups, read accounting.

import { availableParallelism } from 'node:os';
import { nodeCgroupFs } from './cgroup-fs.js';
import { detectCgroupHost } from './detect-host.js';
import { parseParentPath } from './layout.js';
import { createCgroupManager } from './manager.js';
import type { CgroupManager } from './types.js';

export { detectCgroupHost } from './detect-host.js';
export type { MemoryStat, OomControl } from './parse-cgroup-files.js';
export { parseMemoryStat, parseOomControl } from './parse-cgroup-files.js';
export type { CgroupHandle, CgroupHost, CgroupManager, CgroupMode, CgroupStats } from './types.js';
export { MIN_MEMORY_BYTES, validateLimits } from './validate-limits.js';

/**
 * Opens the cgroup manager of this host. Container cgroups live at <mount>/<parent>/<id> in each
 * v1 hierarchy used, or <v2mount>/<parent>/<id>.
 * @param options.fsRoot root the cgroup and proc mounts are read under (tests: a fake tree); default '/'.
 * @param options.parent parent path; default ISOBENCH_CGROUP_PARENT, else 'isobench'.
 * @throws EnvironmentError when no cgroup filesystem is mounted; InputError for a bad parent.
 */
export async function openCgroupManager(options: { fsRoot?: string; parent?: string } = {}): Promise<CgroupManager> {
  const parentSegments = parseParentPath(options.parent ?? process.env.ISOBENCH_CGROUP_PARENT ?? 'isobench');
  const host = await detectCgroupHost(options.fsRoot ?? '/');
  return createCgroupManager({ host, parentSegments, fs: nodeCgroupFs, hostCpuCount: availableParallelism() });
}
