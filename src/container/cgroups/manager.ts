// Creates, opens and lists container cgroups under one parent, on v1, v2 and hybrid hosts.

import path from 'node:path';
import { ConflictError, EnvironmentError, IsobenchError } from '../../errors.js';
import type { ResourceLimits } from '../types.js';
import { type CgroupFs, errnoCode, readOptionalFile, writeControlFile } from './cgroup-fs.js';
import { applyCpusetCpus, fillV1CpusetLevel } from './cpuset.js';
import { createCgroupHandle, removeCgroupDir, removeParentDir } from './handle.js';
import {
  type CgroupLayout,
  type Controller,
  type Hierarchy,
  parentLevels,
  planCgroupLayout,
  validateCgroupId,
} from './layout.js';
import type { CgroupHandle, CgroupHost, CgroupManager } from './types.js';
import { CFS_PERIOD_US, cpusToQuotaUs, validateLimits } from './validate-limits.js';

/** Attempts at creating a container dir when a concurrent destroy removes the empty parent under us. */
const MKDIR_ATTEMPTS = 10;

const LIMIT_FLAGS: Record<Controller, string> = {
  memory: '--memory',
  cpu: '--cpus',
  cpuacct: '',
  pids: '--pids-limit',
  cpuset: '--cpuset-cpus',
};

export interface ManagerOptions {
  host: CgroupHost;
  /** Parent path segments, e.g. ["isobench"]. */
  parentSegments: string[];
  fs: CgroupFs;
  /** CPUs available to us, for the --cpus check. */
  hostCpuCount: number;
}

// Fails before touching anything when a limit needs a controller this host lacks.
function requireControllers(host: CgroupHost, layout: CgroupLayout, limits: ResourceLimits): void {
  const needed: Controller[] = [];
  if (limits.memoryBytes !== undefined) needed.push('memory');
  if (limits.cpus !== undefined) needed.push('cpu');
  if (limits.pidsLimit !== undefined) needed.push('pids');
  if (limits.cpusetCpus !== undefined) needed.push('cpuset');
  for (const controller of needed) {
    if (layout.placement[controller]) continue;
    const where = host.v2
      ? `nor listed in ${path.join(host.v2.mount, 'cgroup.controllers')}`
      : 'and there is no cgroup2 mount';
    throw new EnvironmentError(
      `${LIMIT_FLAGS[controller]} needs the cgroup '${controller}' controller, which this host has neither as a v1 hierarchy ${where}`,
      {
        hint: `mount it (mount -t cgroup -o ${controller} cgroup /sys/fs/cgroup/${controller}), or boot with it enabled (e.g. cgroup_enable=${controller}), or drop ${LIMIT_FLAGS[controller]}`,
      },
    );
  }
}

// cgroup2 only offers a controller to children once every ancestor has it in cgroup.subtree_control.
async function enableV2Controllers(fs: CgroupFs, dir: string, wanted: string[]): Promise<void> {
  const available = ((await readOptionalFile(fs, path.join(dir, 'cgroup.controllers'))) ?? '').split(/\s+/);
  const enabled = ((await readOptionalFile(fs, path.join(dir, 'cgroup.subtree_control'))) ?? '').split(/\s+/);
  const missing = wanted.filter((c) => available.includes(c) && !enabled.includes(c));
  if (missing.length === 0) return;
  const file = path.join(dir, 'cgroup.subtree_control');
  try {
    await writeControlFile(fs, file, missing.map((c) => `+${c}`).join(' '));
  } catch (error) {
    // cgroups(7) "no internal processes": a non-root cgroup that holds processes cannot enable
    // controllers for its children, and the kernel says EBUSY. Typical under a systemd unit.
    if (errnoCode(error) !== 'EBUSY') throw error;
    throw new EnvironmentError(
      `cannot enable ${missing.join(', ')} for the cgroups below ${dir}: ${dir} holds processes, and cgroup v2 lets a cgroup either hold processes or enable controllers for its children`,
      {
        hint: 'set ISOBENCH_CGROUP_PARENT to a path none of whose cgroups holds processes (the default isobench-<hash> sits next to the systemd slices); under a unit with Delegate=yes, first move the unit processes into a leaf cgroup of it',
        cause: error,
      },
    );
  }
}

// mkdir of every parent level (EEXIST is fine: shared), enabling v2 controllers on the way down.
async function ensureParents(fs: CgroupFs, hierarchy: Hierarchy, parentSegments: string[]): Promise<void> {
  const v2Controllers = hierarchy.version === 'v2' ? hierarchy.controllers.filter((c) => c !== 'cpuacct') : [];
  if (v2Controllers.length > 0) await enableV2Controllers(fs, hierarchy.mount, v2Controllers);
  for (const level of parentLevels(hierarchy.mount, parentSegments)) {
    try {
      await fs.mkdir(level);
    } catch (error) {
      if (errnoCode(error) !== 'EEXIST') throw mkdirError(level, error);
    }
    if (v2Controllers.length > 0) await enableV2Controllers(fs, level, v2Controllers);
    await fillV1CpusetLevel(fs, hierarchy, level);
  }
}

function mkdirError(dir: string, error: unknown): unknown {
  if (error instanceof IsobenchError) return error;
  const code = errnoCode(error);
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    return new EnvironmentError(`cannot create cgroup ${dir}: ${code}`, {
      hint: 'cgroups need root and a writable cgroupfs: run isobench as root',
      cause: error,
    });
  }
  return error;
}

// Another process's destroy() may rmdir the empty parent between our mkdirs: retry on ENOENT.
async function createContainerDir(
  fs: CgroupFs,
  hierarchy: Hierarchy,
  parentSegments: string[],
  dir: string,
  id: string,
) {
  for (let attempt = 1; ; attempt++) {
    try {
      await ensureParents(fs, hierarchy, parentSegments);
      await fs.mkdir(dir);
      return;
    } catch (error) {
      const code = errnoCode(error);
      if (code === 'EEXIST') {
        throw new ConflictError(`a cgroup for container ${id} already exists: ${dir}`, {
          hint: 'remove the leftover container (isobench gc) or use another id',
          cause: error,
        });
      }
      if (code !== 'ENOENT' || attempt >= MKDIR_ATTEMPTS) throw mkdirError(dir, error);
    }
  }
}

async function applyLimits(
  fs: CgroupFs,
  layout: CgroupLayout,
  dirOf: (h: Hierarchy) => string,
  limits: ResourceLimits,
) {
  const memory = layout.placement.memory;
  if (limits.memoryBytes !== undefined && memory) {
    const dir = dirOf(memory);
    const value = String(limits.memoryBytes);
    if (memory.version === 'v1') {
      // NOTE: memsw (memory+swap) must be >= memory.limit_in_bytes at every moment, so memory goes first.
      await writeControlFile(fs, path.join(dir, 'memory.limit_in_bytes'), value);
      const memsw = path.join(dir, 'memory.memsw.limit_in_bytes');
      if (await fs.exists(memsw)) await writeControlFile(fs, memsw, value);
    } else {
      await writeControlFile(fs, path.join(dir, 'memory.max'), value);
      const swap = path.join(dir, 'memory.swap.max');
      if (await fs.exists(swap)) await writeControlFile(fs, swap, '0');
    }
  }
  const cpu = layout.placement.cpu;
  if (limits.cpus !== undefined && cpu) {
    const dir = dirOf(cpu);
    const quotaUs = String(cpusToQuotaUs(limits.cpus));
    if (cpu.version === 'v1') {
      await writeControlFile(fs, path.join(dir, 'cpu.cfs_period_us'), String(CFS_PERIOD_US));
      await writeControlFile(fs, path.join(dir, 'cpu.cfs_quota_us'), quotaUs);
    } else {
      await writeControlFile(fs, path.join(dir, 'cpu.max'), `${quotaUs} ${CFS_PERIOD_US}`);
    }
  }
  const pids = layout.placement.pids;
  if (limits.pidsLimit !== undefined && pids) {
    await writeControlFile(fs, path.join(dirOf(pids), 'pids.max'), String(limits.pidsLimit));
  }
  const cpuset = layout.placement.cpuset;
  if (limits.cpusetCpus !== undefined && cpuset) {
    await applyCpusetCpus(fs, cpuset, dirOf(cpuset), limits.cpusetCpus);
  }
}

/** The manager over an already detected host; openCgroupManager() wires the real kernel in. */
export function createCgroupManager({ host, parentSegments, fs, hostCpuCount }: ManagerOptions): CgroupManager {
  // Only a container with --cpuset-cpus gets a cpuset cgroup; open() and listIds() see every dir
  // one may have (a missing dir reads as empty and its rmdir as done).
  const baseLayout = planCgroupLayout(host);
  const fullLayout = planCgroupLayout(host, { cpuset: true });
  const open = (id: string): CgroupHandle => {
    validateCgroupId(id);
    return createCgroupHandle({ id, layout: fullLayout, parentSegments, fs });
  };

  const create = async (id: string, limits: ResourceLimits): Promise<CgroupHandle> => {
    validateCgroupId(id);
    validateLimits(limits, hostCpuCount);
    const layout = limits.cpusetCpus !== undefined ? fullLayout : baseLayout;
    requireControllers(host, layout, limits);
    const dirOf = (h: Hierarchy) => path.join(h.mount, ...parentSegments, id);
    const created: string[] = [];
    try {
      for (const hierarchy of layout.hierarchies) {
        await createContainerDir(fs, hierarchy, parentSegments, dirOf(hierarchy), id);
        created.push(dirOf(hierarchy));
      }
      await applyLimits(fs, layout, dirOf, limits);
    } catch (error) {
      // Roll back only what we made (never a dir that already existed), then the parents if now empty.
      for (const dir of created.reverse()) await removeCgroupDir(fs, dir).catch(() => undefined);
      for (const hierarchy of layout.hierarchies) {
        for (const level of parentLevels(hierarchy.mount, parentSegments).reverse()) {
          await removeParentDir(fs, level).catch(() => undefined);
        }
      }
      throw error;
    }
    return createCgroupHandle({ id, layout, parentSegments, fs });
  };

  const listIds = async (): Promise<string[]> => {
    const ids = new Set<string>();
    for (const hierarchy of fullLayout.hierarchies) {
      try {
        for (const name of await fs.listDirs(path.join(hierarchy.mount, ...parentSegments))) ids.add(name);
      } catch (error) {
        if (errnoCode(error) !== 'ENOENT') throw error;
      }
    }
    return [...ids].sort();
  };

  return { host, create, open, listIds };
}
