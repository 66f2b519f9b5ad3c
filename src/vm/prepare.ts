// Gathers everything one VM launch needs (definition, kernel, initramfs, base disk, merged run
// config), building cached artifacts on first use.
import { promises as fs } from 'node:fs';
import { InputError } from '../errors.js';
import type { RootLayout } from '../paths.js';
import type { Accel } from '../vocabulary.js';
import { resolveAccel, type VmAccelRequest } from './accel.js';
import { ensureBaseDisk } from './base-disk.js';
import { isBuiltKernel, loadVmDefinition, type VmDefinition, type VmMachine } from './definition.js';
import { clockParamsFor } from './guest-clock.js';
import { type GuestCgroupLayout, mergeEnv } from './guest-config.js';
import type { GuestRoot } from './guest-init.js';
import { diskGuestPayload } from './guest-payload.js';
import { resolveVmImage, type VmImageSource, workloadArgv } from './image-source.js';
import { prepareInitramfs } from './initramfs.js';
import { prepareKernel } from './kernel.js';
import { ensureDefinitionKernel } from './kernel-build.js';
import { parseDotConfig } from './kernel-fragment.js';
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
  /** Progress of slow first-use steps (a kernel build takes minutes); default nowhere. */
  log?: (line: string) => void;
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
  /** Guest clock kernel parameters for `accel` (guest-clock.ts), read from the host once. */
  clockParams: string[];
  kernelPath: string;
  kernelRelease: string;
  /** Where /init runs from: the initramfs (stock kernel) or the base disk (built kernel). */
  guestRoot: GuestRoot;
  /** Whether the kernel reads ACPI tables (Debian's does; a built one only with CONFIG_ACPI=y). */
  acpi: boolean;
  /** The initramfs; none on a disk root. */
  initrdPath?: string;
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

/** Guest memory a VM may be given, in MiB (as vm-images definitions accept). */
export const VM_MEMORY_MIB = { min: 64, max: 65536 } as const;
/** vCPUs a VM may be given. */
export const VM_CPUS = { min: 1, max: 64 } as const;

/** Validates the options at the edge; messages name the `vm run` flag where there is one. */
export function validateLaunchOptions(options: VmLaunchOptions): void {
  checkInt('memoryMiB', options.memoryMiB, VM_MEMORY_MIB.min, VM_MEMORY_MIB.max);
  checkInt('cpus', options.cpus, VM_CPUS.min, VM_CPUS.max);
  if (options.machine !== undefined && options.machine !== 'microvm' && options.machine !== 'q35') {
    throw new InputError(`expected machine microvm or q35, got '${String(options.machine)}'`);
  }
  if (options.network !== undefined && options.network !== 'none' && options.network !== 'user') {
    throw new InputError(`expected network none or user, got '${String(options.network)}'`);
  }
  if (options.workdir !== undefined && !options.workdir.startsWith('/')) {
    throw new InputError(`expected --workdir to be an absolute path, got '${options.workdir}'`, {
      hint: 'e.g. --workdir /tmp',
    });
  }
  if (options.cgroups !== undefined && !['none', 'v1', 'v2'].includes(options.cgroups)) {
    throw new InputError(`expected cgroups none, v1 or v2, got '${String(options.cgroups)}'`);
  }
  for (const disk of options.dataDisks ?? []) {
    if (!disk.startsWith('/')) throw new InputError(`expected an absolute path for a data disk, got '${disk}'`);
  }
  if (options.name !== undefined && !/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/.test(options.name)) {
    throw new InputError(
      `expected --name to be 1-63 letters, digits, '_', '.' or '-', starting with a letter or digit, got '${options.name}'`,
    );
  }
}

/** What boots: the kernel file and release, and the initramfs or the disk payload. */
interface GuestBoot {
  kernelPath: string;
  kernelRelease: string;
  guestRoot: GuestRoot;
  acpi: boolean;
  initrdPath?: string;
  baseDiskPath: string;
}

/**
 * A stock package kernel boots an initramfs that loads its modules and mounts the image disk; a
 * kernel built from a fragment (drivers built in) mounts the image disk as root, whose base disk
 * then carries the guest's own files. QEMU boots the built ELF through PVH on either machine.
 */
async function prepareGuestBoot(
  layout: RootLayout,
  definition: VmDefinition,
  machine: VmMachine,
  image: VmImageSource,
  log: ((line: string) => void) | undefined,
): Promise<GuestBoot> {
  if (isBuiltKernel(definition.kernel)) {
    const kernel = await ensureDefinitionKernel(definition.kernel, { log });
    const payload = await diskGuestPayload();
    const config = parseDotConfig(await fs.readFile(kernel.configPath, 'utf8'));
    return {
      kernelPath: kernel.vmlinuxPath,
      kernelRelease: kernel.meta.release,
      guestRoot: 'disk',
      acpi: config.get('CONFIG_ACPI') === 'y',
      baseDiskPath: await ensureBaseDisk(layout, image.digest, image.lowerDirs, payload),
    };
  }
  const kernel = await prepareKernel(layout, definition.kernel.package);
  return {
    kernelPath: machine === 'microvm' ? kernel.vmlinuxPath : kernel.bzImagePath,
    kernelRelease: kernel.release,
    guestRoot: 'initramfs',
    acpi: true,
    initrdPath: await prepareInitramfs(layout, definition, kernel, machine),
    baseDiskPath: await ensureBaseDisk(layout, image.digest, image.lowerDirs),
  };
}

/** The fields of a PreparedVm that differ between launches of one prepared image: pure, no I/O. */
export type VmLaunchConfig = Pick<
  PreparedVm,
  'memoryMiB' | 'cpus' | 'network' | 'argv' | 'env' | 'workdir' | 'user' | 'cgroups' | 'dataDisks'
>;

/** The launch config of `options` over the definition's defaults and the image's config. */
function launchConfig(definition: VmDefinition, image: VmImageSource, options: VmLaunchOptions): VmLaunchConfig {
  const user = options.user ?? image.config.User ?? '';
  return {
    memoryMiB: options.memoryMiB ?? definition.memoryMiB,
    cpus: options.cpus ?? definition.cpus,
    network: options.network ?? 'none',
    argv: workloadArgv(image.config, options.args),
    env: mergeEnv(image.config.Env ?? [], options.env ?? [], user),
    workdir: options.workdir ?? (image.config.WorkingDir || '/'),
    user,
    cgroups: options.cgroups ?? 'none',
    dataDisks: options.dataDisks ?? [],
  };
}

/** Resolves the image and builds (or finds cached) kernel, initramfs or disk payload, and base disk. */
export async function prepareVm(layout: RootLayout, options: VmLaunchOptions): Promise<PreparedVm> {
  validateLaunchOptions(options);
  const definition = await loadVmDefinition(options.definition ?? 'default');
  const accel = await resolveAccel(options.accel ?? 'auto');
  const machine = options.machine ?? definition.machine;
  const image = typeof options.image === 'string' ? await resolveVmImage(layout, options.image) : options.image;
  const boot = await prepareGuestBoot(layout, definition, machine, image, options.log);
  return {
    definition,
    image,
    accel,
    machine,
    clockParams: await clockParamsFor(accel),
    ...boot,
    ...launchConfig(definition, image, options),
  };
}

/**
 * `prepared` with the launch config of `options` (args, env, sizing...), for another workload of
 * the same image, definition and machine: no I/O, so a launch redoes none of prepareVm's work.
 * @throws InputError when `options` is invalid or asks for another machine than `prepared` booted.
 */
export function forLaunch(prepared: PreparedVm, options: VmLaunchOptions): PreparedVm {
  validateLaunchOptions(options);
  if (options.machine !== undefined && options.machine !== prepared.machine) {
    throw new InputError(`expected machine ${prepared.machine} (as prepared), got '${options.machine}'`);
  }
  return { ...prepared, ...launchConfig(prepared.definition, prepared.image, options) };
}
