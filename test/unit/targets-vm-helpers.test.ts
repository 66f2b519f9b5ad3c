// Pure parts of the vm target: guest sizing, phase shifting and the availability decision.
import { describe, expect, it } from 'vitest';
import { guestMemoryMiB, phasesFromLaunch, TCG_DETAIL, vmAvailability } from '../../src/targets/vm.js';

describe('vm target helpers', () => {
  it('converts guest memory to whole MiB', () => {
    expect(guestMemoryMiB(256 * 1024 * 1024)).toBe(256);
    expect(guestMemoryMiB(64 * 1024 * 1024)).toBe(64);
  });

  it('shifts runVm phases by the launch offset and drops absent ones', () => {
    const phases = phasesFromLaunch(
      { phases: { qemuStartNs: 10, kernelNs: 100, initNs: undefined, readyNs: 500, exitNs: 900 } },
      1000,
    );
    expect(phases).toEqual({ hostPrepareNs: 1000, qemuStartNs: 1010, kernelNs: 1100, readyNs: 1500, exitNs: 1900 });
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
