import { describe, expect, it } from 'vitest';
import {
  buildQemuArgs,
  escapeQemuOptValue,
  type QemuLaunchSpec,
  qemuCmdlineReserveBytes,
} from '../../src/vm/qemu-args.js';

const base: QemuLaunchSpec = {
  accel: 'tcg',
  acpi: true,
  machine: 'microvm',
  memoryMiB: 256,
  cpus: 1,
  kernelPath: '/k/vmlinux',
  initrdPath: '/k/initrd.cpio',
  cmdline: 'console=ttyS0 quiet',
  diskPath: '/vm/a/disk.qcow2',
  network: 'none',
  qmpSocketPath: '/vm/a/qmp.sock',
  serial: { kind: 'stdio' },
};

describe('buildQemuArgs', () => {
  it('builds the microvm + tcg argv', () => {
    expect(buildQemuArgs(base)).toEqual([
      '-nodefaults',
      '-no-user-config',
      '-display',
      'none',
      '-accel',
      'tcg',
      '-M',
      'microvm,x-option-roms=off,isa-serial=on,rtc=on',
      '-m',
      '256',
      '-smp',
      '1',
      '-kernel',
      '/k/vmlinux',
      '-initrd',
      '/k/initrd.cpio',
      '-append',
      'console=ttyS0 quiet',
      '-drive',
      'id=root,if=none,format=qcow2,file=/vm/a/disk.qcow2',
      '-device',
      'virtio-blk-device,drive=root',
      '-chardev',
      'stdio,id=ser0,signal=off',
      '-serial',
      'chardev:ser0',
      '-qmp',
      'unix:/vm/a/qmp.sock,server=on,wait=off',
      '-no-reboot',
    ]);
  });

  it('builds the q35 + kvm argv with user networking and a serial log file', () => {
    expect(
      buildQemuArgs({
        ...base,
        accel: 'kvm',
        machine: 'q35',
        memoryMiB: 512,
        cpus: 2,
        kernelPath: '/k/vmlinuz',
        network: 'user',
        serial: { kind: 'file', path: '/vm/a/serial.log' },
      }),
    ).toEqual([
      '-nodefaults',
      '-no-user-config',
      '-display',
      'none',
      '-accel',
      'kvm',
      '-M',
      'q35',
      '-cpu',
      'host',
      '-m',
      '512',
      '-smp',
      '2',
      '-kernel',
      '/k/vmlinuz',
      '-initrd',
      '/k/initrd.cpio',
      '-append',
      'console=ttyS0 quiet',
      '-drive',
      'id=root,if=none,format=qcow2,file=/vm/a/disk.qcow2',
      '-device',
      'virtio-blk-pci,drive=root',
      '-netdev',
      'user,id=net0',
      '-device',
      'virtio-net-pci,netdev=net0',
      '-chardev',
      'file,id=ser0,path=/vm/a/serial.log',
      '-serial',
      'chardev:ser0',
      '-qmp',
      'unix:/vm/a/qmp.sock,server=on,wait=off',
      '-no-reboot',
    ]);
  });

  it('boots a disk-root kernel without -initrd', () => {
    const { initrdPath: _unused, ...noInitrd } = base;
    const args = buildQemuArgs(noInitrd);
    expect(args).not.toContain('-initrd');
    expect(args.slice(args.indexOf('-kernel'), args.indexOf('-kernel') + 4)).toEqual([
      '-kernel',
      '/k/vmlinux',
      '-append',
      'console=ttyS0 quiet',
    ]);
  });

  it('turns ACPI off on microvm for a kernel without it, and reserves room for the devices QEMU appends', () => {
    expect(buildQemuArgs({ ...base, acpi: false })).toContain(
      'microvm,x-option-roms=off,isa-serial=on,rtc=on,acpi=off',
    );
    expect(buildQemuArgs({ ...base, machine: 'q35', acpi: false })).toContain('q35');
    expect(qemuCmdlineReserveBytes('microvm', false, 'none')).toBe(40);
    expect(qemuCmdlineReserveBytes('microvm', false, 'user')).toBe(80);
    expect(qemuCmdlineReserveBytes('microvm', true, 'user')).toBe(0);
    expect(qemuCmdlineReserveBytes('q35', false, 'user')).toBe(0);
    expect(' virtio_mmio.device=512@0xfeb00e00:12'.length).toBeLessThanOrEqual(40);
  });

  it('doubles commas inside option values', () => {
    expect(escapeQemuOptValue('/a,b/c,,d')).toBe('/a,,b/c,,,,d');
    expect(buildQemuArgs({ ...base, diskPath: '/x,y/disk.qcow2' })).toContain(
      'id=root,if=none,format=qcow2,file=/x,,y/disk.qcow2',
    );
  });
  it('attaches data disks raw, after the root disk, with serials the guest finds them by', () => {
    const args = buildQemuArgs({ ...base, dataDisks: ['/r/results,1.raw'] });
    const root = args.indexOf('virtio-blk-device,drive=root');
    expect(args.slice(root + 1, root + 5)).toEqual([
      '-drive',
      'id=data0,if=none,format=raw,file=/r/results,,1.raw',
      '-device',
      'virtio-blk-device,drive=data0,serial=isobench-data0',
    ]);
    expect(buildQemuArgs({ ...base, machine: 'q35', dataDisks: ['/d'] })).toContain(
      'virtio-blk-pci,drive=data0,serial=isobench-data0',
    );
  });
});
