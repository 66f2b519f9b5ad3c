// Gathers everything one VM launch needs (definition, kernel, initramfs, base disk, merged run
// config), building cached artifacts on first use.
import { InputError } from '../errors.js';
import type { RootLayout } from '../paths.js';
import type { Accel } from '../vocabulary.js';
import { resolveAccel, type VmAccelRequest } from './accel.js';
import { ensureBaseDisk } from './base-disk.js';
import { loadVmDefinition, type VmDefinition, type VmMachine } from './definition.js';
import { type GuestCgroupLayout, mergeEnv } from './guest-config.js';
import { resolveVmImage, type VmImageSource, workloadArgv } from './image-source.js';
import { prepareInitramfs } from './initramfs.js';
import { prepareKernel } from './kernel.js';
import type { VmNetwork } from './qemu-args.js';

/** Options shared by runVm and startVm. */
export interface VmLaunchOptions {
  /** Image reference in the store, or an already resolved source. */
  image: string | VmImageSource;
  /** Replaces the image's Cmd (Entrypoint is kept). */
  args?: string[];
  /** KEY=VALUE entries added to (and overriding) the image's Env. */
  env?: string[];
  /** Absolute working directory; default the image's WorkingDir, then /. */
  workdir?: string;
  /** OCI user spec; default the image's User. */
  user?: string;
  memoryMiB?: number;
  cpus?: number;
  accel?: VmAccelRequest;
  machine?: VmMachine;
  network?: VmNetwork;
  /** Guest definition name in vm-images/ (default "default"). */
  definition?: string;
  /** VM name (default: its id); also the guest hostname. */
  name?: string;
  /** Cgroup filesystems the guest mounts for the workload (guest-init.ts); default none. */
  cgroups?: GuestCgroupLayout;
  /** Absolute paths of raw files attached after the root disk (/dev/vdb...), read-write. */
  dataDisks?: string[];
}

/** Everything resolved for one launch. */
export interface PreparedVm {
  definition: VmDefinition;
  image: VmImageSource;
  accel: Accel;
  machine: VmMachine;
  memoryMiB: number;
  cpus: number;
  network: VmNetwork;
  kernelPath: string;
  kernelRelease: string;
  initrdPath: string;
  baseDiskPath: string;
  argv: string[];
  env: string[];
  workdir: string;
  user: string;
  cgroups: GuestCgroupLayout;
  dataDisks: string[];
}

function checkInt(name: string, value: number | undefined, min: number, max: number): void {
  if (value === undefined) return;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new InputError(`expected ${name} to be an integer from ${min} to ${max}, got ${value}`);
  }
}

/** Validates the options at the edge. */
export function validateLaunchOptions(options: VmLaunchOptions): void {
  checkInt('memoryMiB', options.memoryMiB, 64, 65536);
  checkInt('cpus', options.cpus, 1, 64);
  if (options.machine !== undefined && options.machine !== 'microvm' && options.machine !== 'q35') {
    throw new InputError(`expected machine microvm or q35, got '${String(options.machine)}'`);
  }
  if (options.network !== undefined && options.network !== 'none' && options.network !== 'user') {
    throw new InputError(`expected network none or user, got '${String(options.network)}'`);
  }
  if (options.workdir !== undefined && !options.workdir.startsWith('/')) {
    throw new InputError(`expected an absolute workdir, got '${options.workdir}'`);
  }
  if (options.cgroups !== undefined && !['none', 'v1', 'v2'].includes(options.cgroups)) {
    throw new InputError(`expected cgroups none, v1 or v2, got '${String(options.cgroups)}'`);
  }
  for (const disk of options.dataDisks ?? []) {
    if (!disk.startsWith('/')) throw new InputError(`expected an absolute path for a data disk, got '${disk}'`);
  }
  if (options.name !== undefined && !/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/.test(options.name)) {
    throw new InputError(`expected a VM name of letters, digits, '_', '.', '-' (max 63), got '${options.name}'`);
  }
}

/** Resolves the image and builds (or finds cached) kernel, initramfs and base disk. */
export async function prepareVm(layout: RootLayout, options: VmLaunchOptions): Promise<PreparedVm> {
  validateLaunchOptions(options);
  const definition = await loadVmDefinition(options.definition ?? 'default');
  const accel = await resolveAccel(options.accel ?? 'auto');
  const machine = options.machine ?? definition.machine;
  const image = typeof options.image === 'string' ? await resolveVmImage(layout, options.image) : options.image;
  const kernel = await prepareKernel(layout, definition);
  const initrdPath = await prepareInitramfs(layout, definition, kernel, machine);
  const baseDiskPath = await ensureBaseDisk(layout, image.digest, image.lowerDirs);
  const user = options.user ?? image.config.User ?? '';
  return {
    definition,
    image,
    accel,
    machine,
    memoryMiB: options.memoryMiB ?? definition.memoryMiB,
    cpus: options.cpus ?? definition.cpus,
    network: options.network ?? 'none',
    kernelPath: machine === 'microvm' ? kernel.vmlinuxPath : kernel.bzImagePath,
    kernelRelease: kernel.release,
    initrdPath,
    baseDiskPath,
    argv: workloadArgv(image.config, options.args),
    env: mergeEnv(image.config.Env ?? [], options.env ?? [], user),
    workdir: options.workdir ?? (image.config.WorkingDir || '/'),
    user,
    cgroups: options.cgroups ?? 'none',
    dataDisks: options.dataDisks ?? [],
  };
}
