// Target kind -> a fresh Target over one state root. NOTE: every kind in TARGET_KINDS has an entry.
import type { RootLayout } from '../paths.js';
import { VM_KERNEL_VARIANTS, type VmKernelVariant } from '../vm/definition.js';
import type { TargetKind } from '../vocabulary.js';
import { ContainerTarget } from './container.js';
import { CrunTarget } from './crun.js';
import { NativeTarget } from './native.js';
import { PodmanTarget } from './podman.js';
import { RuncTarget } from './runc.js';
import type { Target } from './types.js';
import { VmTarget } from './vm.js';

const FACTORIES: Record<TargetKind, (root: string) => Target> = {
  native: (root) => new NativeTarget({ root }),
  container: (root) => new ContainerTarget({ root }),
  vm: (root) => new VmTarget({ root }),
  runc: (root) => new RuncTarget({ root }),
  crun: (root) => new CrunTarget({ root }),
  podman: (root) => new PodmanTarget({ root }),
};

/** Creates the target of `kind` over the state root of `layout`; a vm boots `kernel` (default stock). */
export function createTarget(kind: TargetKind, layout: RootLayout, kernel?: VmKernelVariant): Target {
  if (kind === 'vm' && kernel !== undefined)
    return new VmTarget({ root: layout.root, definition: VM_KERNEL_VARIANTS[kernel] });
  return FACTORIES[kind](layout.root);
}

export type { Availability, Instance, InstanceExit, MemorySample, Target, WorkloadSpec } from './types.js';
