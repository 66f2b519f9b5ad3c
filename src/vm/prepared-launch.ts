// Turns a PreparedVm into its first state record and its QEMU argv: shared by attached and
// detached runs, which differ only in ownership and in where the serial console goes.
import { buildKernelCmdline } from './guest-config.js';
import { diskRootParams } from './guest-init.js';
import type { PreparedVm } from './prepare.js';
import { buildQemuArgs, qemuCmdlineReserveBytes, type SerialSink } from './qemu-args.js';
import type { VmPaths, VmState } from './vm-state.js';

/** The state fields every new VM starts with (status created); the caller adds its mode's fields. */
export function newVmState(
  prepared: PreparedVm,
  id: string,
  name: string | undefined,
  mode: VmState['mode'],
  autoRemove: boolean,
): VmState {
  return {
    id,
    name: name ?? id,
    image: prepared.image.ref,
    digest: prepared.image.digest,
    accel: prepared.accel,
    machine: prepared.machine,
    mode,
    status: 'created',
    createdAt: new Date().toISOString(),
    autoRemove,
  };
}

/** What differs between launches of one prepared VM. */
export interface GuestLaunch {
  /** Marker nonce the guest's /init prints with ready/exit markers. */
  nonce: string;
  hostname: string;
  serial: SerialSink;
}

/** The QEMU argv booting `prepared` on the overlay and QMP socket in `paths`. Pure: no I/O. */
export function buildPreparedQemuArgs(prepared: PreparedVm, paths: VmPaths, launch: GuestLaunch): string[] {
  const rootParams = prepared.guestRoot === 'disk' ? diskRootParams() : [];
  const base = [...prepared.definition.cmdline, ...rootParams, ...prepared.clockParams];
  const reserve = qemuCmdlineReserveBytes(prepared.machine, prepared.acpi, prepared.network);
  const cmdline = buildKernelCmdline(
    base,
    {
      nonce: launch.nonce,
      hostname: launch.hostname,
      argv: prepared.argv,
      env: prepared.env,
      workdir: prepared.workdir,
      user: prepared.user,
      network: prepared.network,
      guestRoot: prepared.guestRoot,
      cgroups: prepared.cgroups,
    },
    reserve,
  );
  return buildQemuArgs({
    accel: prepared.accel,
    acpi: prepared.acpi,
    machine: prepared.machine,
    memoryMiB: prepared.memoryMiB,
    cpus: prepared.cpus,
    kernelPath: prepared.kernelPath,
    initrdPath: prepared.initrdPath,
    cmdline,
    diskPath: paths.overlay,
    dataDisks: prepared.dataDisks,
    network: prepared.network,
    qmpSocketPath: paths.qmpSocket,
    serial: launch.serial,
  });
}
