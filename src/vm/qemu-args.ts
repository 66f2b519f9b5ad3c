// Builds the qemu-system-x86_64 argument vector for one VM. Pure: the launch spec in, argv out.
import type { Accel } from '../vocabulary.js';
import type { VmMachine } from './definition.js';

export type VmNetwork = 'none' | 'user';

/** Where the guest's serial console goes. */
export type SerialSink = { kind: 'stdio' } | { kind: 'file'; path: string };

/** Everything QEMU needs for one launch. */
export interface QemuLaunchSpec {
  accel: Accel;
  machine: VmMachine;
  memoryMiB: number;
  cpus: number;
  /** False for a guest kernel without ACPI (microvm then lists its virtio-mmio devices on the command line). */
  acpi: boolean;
  /** vmlinux (ELF, PVH) for microvm; bzImage for q35. */
  kernelPath: string;
  /** None when the kernel mounts its root from the disk itself. */
  initrdPath?: string;
  cmdline: string;
  /** The per-VM qcow2 overlay. */
  diskPath: string;
  /**
   * Raw files attached read-write after the root disk, in order (the guest sees /dev/vdb, /dev/vdc...,
   * each with the virtio serial `isobench-data<N>`, N from 0), e.g. a disk the guest writes results to.
   */
  dataDisks?: string[];
  network: VmNetwork;
  qmpSocketPath: string;
  serial: SerialSink;
}

/** QEMU's binary name. */
export const QEMU_BINARY = 'qemu-system-x86_64';

function machineArgs(machine: VmMachine, acpi: boolean): string {
  // microvm: no option ROMs, the ISA serial as console; virtio devices are found through ACPI
  // (Debian's kernel lacks VIRTIO_MMIO_CMDLINE_DEVICES). The RTC stays on: without a wall clock the
  // kernel drops the time before timekeeping starts from CLOCK_BOOTTIME (so /proc/uptime would
  // under-report by ~1 s under TCG), and probing a missing RTC made boots slower (measured).
  // A kernel without ACPI gets acpi=off: QEMU then appends virtio_mmio.device=<size>@<base>:<irq>
  // for each device to the kernel command line, and its firmware writes an MP table for the CPUs.
  if (machine === 'q35') return 'q35';
  return `microvm,x-option-roms=off,isa-serial=on,rtc=on${acpi ? '' : ',acpi=off'}`;
}

/**
 * Bytes QEMU may append to the kernel command line: on microvm without ACPI, one
 * " virtio_mmio.device=512@0xfeb00e00:12"-like entry (at most 40 bytes) per virtio device. Pure.
 */
export function qemuCmdlineReserveBytes(machine: VmMachine, acpi: boolean, network: VmNetwork): number {
  if (machine !== 'microvm' || acpi) return 0;
  return 40 * (network === 'user' ? 2 : 1);
}

/** Escapes a value inside a QEMU -opt list, where a comma must be doubled. Pure. */
export function escapeQemuOptValue(value: string): string {
  return value.replace(/,/g, ',,');
}

/** The argv (without the binary). Pure. */
export function buildQemuArgs(spec: QemuLaunchSpec): string[] {
  const bus = spec.machine === 'microvm' ? 'device' : 'pci';
  const serial =
    spec.serial.kind === 'stdio'
      ? 'stdio,id=ser0,signal=off'
      : `file,id=ser0,path=${escapeQemuOptValue(spec.serial.path)}`;
  const args = [
    '-nodefaults',
    '-no-user-config',
    '-display',
    'none',
    '-accel',
    spec.accel,
    '-M',
    machineArgs(spec.machine, spec.acpi),
    // KVM: pass the host CPU through; TCG: the default model emulates fastest.
    ...(spec.accel === 'kvm' ? ['-cpu', 'host'] : []),
    '-m',
    String(spec.memoryMiB),
    '-smp',
    String(spec.cpus),
    '-kernel',
    spec.kernelPath,
    ...(spec.initrdPath === undefined ? [] : ['-initrd', spec.initrdPath]),
    '-append',
    spec.cmdline,
    '-drive',
    `id=root,if=none,format=qcow2,file=${escapeQemuOptValue(spec.diskPath)}`,
    '-device',
    `virtio-blk-${bus},drive=root`,
  ];
  for (const [index, disk] of (spec.dataDisks ?? []).entries()) {
    args.push(
      '-drive',
      `id=data${index},if=none,format=raw,file=${escapeQemuOptValue(disk)}`,
      '-device',
      `virtio-blk-${bus},drive=data${index},serial=isobench-data${index}`,
    );
  }
  if (spec.network === 'user') {
    args.push('-netdev', 'user,id=net0', '-device', `virtio-net-${bus},netdev=net0`);
  }
  args.push(
    '-chardev',
    serial,
    '-serial',
    'chardev:ser0',
    '-qmp',
    `unix:${escapeQemuOptValue(spec.qmpSocketPath)},server=on,wait=off`,
    '-no-reboot',
  );
  return args;
}
