// Where each controller lives on this host (v1 hierarchy, cgroup2, or nowhere) and which dirs a
// container's cgroup therefore spans.

import path from 'node:path';
import { InputError } from '../../errors.js';
import type { CgroupHost } from './types.js';

/**
 * The controllers a container cgroup uses: limits (memory, cpu, pids) and accounting (cpuacct),
 * plus cpuset for the containers that ask for it (--cpuset-cpus; see cpuset.ts).
 */
export type Controller = 'memory' | 'cpu' | 'cpuacct' | 'pids' | 'cpuset';
export const CONTROLLERS: readonly Controller[] = ['memory', 'cpu', 'cpuacct', 'pids'];

export interface Hierarchy {
  version: 'v1' | 'v2';
  /** Mount dir of the hierarchy. */
  mount: string;
  /** Our controllers served by it (v2: those to enable in subtree_control; cpuacct needs none). */
  controllers: Controller[];
}

export interface CgroupLayout {
  /** Unique hierarchies in use, v1 first (cpu and cpuacct may share one, e.g. "cpu,cpuacct"). */
  hierarchies: Hierarchy[];
  /** Controller -> its hierarchy; missing when the host lacks it. */
  placement: Partial<Record<Controller, Hierarchy>>;
}

/**
 * Per controller: the v1 hierarchy if mounted as v1, else cgroup2 if its cgroup.controllers lists it,
 * else unavailable. cpuacct on cgroup2 is cpu.stat, which every cgroup2 dir has without a controller.
 */
export function planCgroupLayout(host: CgroupHost, options: { cpuset?: boolean } = {}): CgroupLayout {
  const byMount = new Map<string, Hierarchy>();
  const placement: Partial<Record<Controller, Hierarchy>> = {};
  const place = (controller: Controller, version: 'v1' | 'v2', mount: string) => {
    let hierarchy = byMount.get(mount);
    if (!hierarchy) {
      hierarchy = { version, mount, controllers: [] };
      byMount.set(mount, hierarchy);
    }
    hierarchy.controllers.push(controller);
    placement[controller] = hierarchy;
  };
  for (const controller of options.cpuset ? [...CONTROLLERS, 'cpuset' as const] : CONTROLLERS) {
    const v1Mount = host.v1[controller];
    if (v1Mount !== undefined) place(controller, 'v1', v1Mount);
    else if (host.v2 && (controller === 'cpuacct' || host.v2.controllers.includes(controller))) {
      place(controller, 'v2', host.v2.mount);
    }
  }
  const hierarchies = [...byMount.values()].sort((a, b) => (a.version === b.version ? 0 : a.version === 'v1' ? -1 : 1));
  return { hierarchies, placement };
}

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/** Checks a container id is one safe path segment. @throws InputError otherwise. */
export function validateCgroupId(id: string): void {
  if (!NAME_PATTERN.test(id)) {
    throw new InputError(`expected a container id of letters, digits, '.', '_' or '-' (at most 128), got '${id}'`);
  }
}

/** Splits and checks the parent path ("isobench", "a/b"): relative, no "."/".." segments. */
export function parseParentPath(parent: string): string[] {
  const segments = parent.split('/').filter((s) => s !== '');
  if (segments.length === 0 || !segments.every((s) => NAME_PATTERN.test(s))) {
    throw new InputError(
      `expected the cgroup parent (ISOBENCH_CGROUP_PARENT) to be a relative path of names like 'isobench', got '${parent}'`,
    );
  }
  return segments;
}

/** The parent levels of a hierarchy, shallowest first: <mount>/a, <mount>/a/b. */
export function parentLevels(mount: string, parentSegments: string[]): string[] {
  return parentSegments.map((_, i) => path.join(mount, ...parentSegments.slice(0, i + 1)));
}
