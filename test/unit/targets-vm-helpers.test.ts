// Pure parts of the vm target: guest sizing, phase shifting and the availability decision.
import { describe, expect, it } from 'vitest';
import { readProbeReport } from '../../src/targets/probe-output.js';
import {
  guestMemoryMiB,
  guestMemorySample,
  phasesFromLaunch,
  TCG_DETAIL,
  vmAvailability,
} from '../../src/targets/vm.js';

describe('vm target helpers', () => {
  it('converts guest memory to whole MiB', () => {
    expect(guestMemoryMiB(256 * 1024 * 1024)).toBe(256);
    expect(guestMemoryMiB(64 * 1024 * 1024)).toBe(64);
  });

  it("shifts runVm phases by the launch offset, drops absent ones, and leaves QEMU's exit to the teardown", () => {
    const phases = phasesFromLaunch(
      {
        phases: {
          vmRecordNs: 2,
          diskOverlayNs: 6,
          qemuStartNs: 10,
          kernelNs: 100,
          initNs: undefined,
          readyNs: 500,
          exitNs: 900,
          qemuExitNs: 1200,
        },
      },
      1000,
    );
    expect(phases).toEqual({
      vmRecordNs: 1002,
      diskOverlayNs: 1006,
      qemuStartNs: 1010,
      kernelNs: 1100,
      readyNs: 1500,
      exitNs: 1900,
    });
  });

  it("takes the guest's view from the probe's meminfo report (kB), else the configured size", () => {
    const lines = ['ISOBENCH-READY 1', 'isobench-probe meminfo total_kb=230000 available_kb=140000'];
    expect(guestMemorySample(readProbeReport(lines, 'meminfo'), 256 * 1024 * 1024)).toEqual({
      usedBytes: 90000 * 1024,
      totalBytes: 230000 * 1024,
    });
    expect(guestMemorySample(readProbeReport(['ISOBENCH-READY 1'], 'meminfo'), 256)).toEqual({ totalBytes: 256 });
    expect(guestMemorySample({ total_kb: 0, available_kb: 0 }, 256)).toEqual({ totalBytes: 256 });
  });

  it('reports tcg in detail without a usable KVM, kvm with it, and names the fix when QEMU is missing', () => {
    expect(vmAvailability({ qemu: true, setpriv: true, kvm: false })).toEqual({ available: true, detail: TCG_DETAIL });
    expect(TCG_DETAIL).toBe('tcg (no /dev/kvm: slow software emulation)');
    expect(vmAvailability({ qemu: true, setpriv: true, kvm: true })).toEqual({ available: true, detail: 'kvm' });
    expect(vmAvailability({ qemu: false, setpriv: true, kvm: true })).toEqual({
      available: false,
      reason: 'qemu-system-x86_64 not found: install the VM tools with the set-up command: bash scripts/setup.sh',
    });
    expect(vmAvailability({ qemu: true, setpriv: false, kvm: true })).toMatchObject({ available: false });
  });
});
