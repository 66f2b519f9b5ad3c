import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { judgeVirtualization, probeVirtualization, readHypervisorFlag } from '../../src/host/virtualization.js';

describe('virtualisation probe on fake /proc and /sys', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'isobench-virt-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  let calls = 0;
  // Each call gets fresh roots, so files of an earlier call never leak into the next.
  async function probe(cpuFlags: string | null, dmi: { vendor: string; product: string } | null, virt: string | null) {
    const root = path.join(dir, String(calls++));
    await mkdir(path.join(root, 'proc'), { recursive: true });
    if (cpuFlags !== null) {
      await writeFile(path.join(root, 'proc/cpuinfo'), `processor\t: 0\nflags\t\t: ${cpuFlags}\n\nprocessor\t: 1\n`);
    }
    if (dmi) {
      await mkdir(path.join(root, 'sys/class/dmi/id'), { recursive: true });
      await writeFile(path.join(root, 'sys/class/dmi/id/sys_vendor'), `${dmi.vendor}\n`);
      await writeFile(path.join(root, 'sys/class/dmi/id/product_name'), `${dmi.product}\n`);
    }
    return probeVirtualization({
      procRoot: path.join(root, 'proc'),
      sysRoot: path.join(root, 'sys'),
      detectVirt: async (flag) => (virt === null ? null : flag === '--vm' ? virt : 'docker'),
    });
  }

  it('calls a nested guest without DMI a guest from the cpuinfo flag, naming what systemd-detect-virt found', async () => {
    expect(await probe('fpu vme hypervisor sse2', null, 'bhyve')).toEqual({
      hypervisorFlag: true,
      dmiSysVendor: null,
      dmiProductName: null,
      detectVirtVm: 'bhyve',
      detectVirtContainer: 'docker',
      host: 'guest',
      hypervisor: 'bhyve',
    });
  });

  it('calls a host bare metal only when the flag is absent and a second source names no hypervisor', async () => {
    const metal = await probe('fpu vme vmx sse2', { vendor: 'Dell Inc.', product: 'PowerEdge R650' }, 'none');
    expect(metal.host).toBe('bare-metal');
    expect(metal.hypervisor).toBeNull();
    // No DMI and no systemd-detect-virt: the flag alone does not prove bare metal.
    expect((await probe('fpu vme sse2', null, null)).host).toBe('unknown');
  });

  it('trusts a hypervisor DMI vendor when the guest hides the cpuinfo flag', async () => {
    const hidden = await probe('fpu vme sse2', { vendor: 'QEMU', product: 'Standard PC (Q35 + ICH9, 2009)' }, null);
    expect(hidden).toMatchObject({ host: 'guest', hypervisor: 'QEMU', hypervisorFlag: false, detectVirtVm: null });
  });

  it('says unknown when cpuinfo cannot be read, even if systemd-detect-virt says none', async () => {
    const unreadable = await probe(null, null, 'none');
    expect(unreadable.hypervisorFlag).toBeNull();
    expect(unreadable.host).toBe('unknown');
  });
});

describe('the verdict and the flag parser', () => {
  it('reads the first flags line only, and null without one', () => {
    expect(readHypervisorFlag('flags : a hypervisor b\nflags : a b\n')).toBe(true);
    expect(readHypervisorFlag('flags : a b\n')).toBe(false);
    expect(readHypervisorFlag('processor : 0\n')).toBeNull();
  });

  it('prefers systemd-detect-virt for the name of the hypervisor', () => {
    const evidence = {
      hypervisorFlag: true,
      dmiSysVendor: 'QEMU',
      dmiProductName: 'Standard PC',
      detectVirtVm: 'kvm',
      detectVirtContainer: 'none',
    };
    expect(judgeVirtualization(evidence)).toEqual({ host: 'guest', hypervisor: 'kvm' });
  });
});
