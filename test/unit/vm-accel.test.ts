import { describe, expect, it } from 'vitest';
import { EnvironmentError } from '../../src/errors.js';
import { type KvmProbeDeps, probeKvm, resolveAccel } from '../../src/vm/accel.js';

const deps = (open: boolean, flags: string): KvmProbeDeps => ({
  openDevice: async () => {
    if (!open) throw Object.assign(new Error('EACCES'), { code: 'EACCES' });
  },
  readCpuinfo: async () => `processor : 0\nflags\t\t: fpu ${flags} sse2\n`,
});

describe('accelerator choice', () => {
  it('uses KVM when /dev/kvm opens and the CPU has vmx or svm', async () => {
    expect(await probeKvm(deps(true, 'vmx'))).toEqual({ usable: true });
    expect(await resolveAccel('auto', deps(true, 'svm'))).toBe('kvm');
  });

  it('falls back to TCG when /dev/kvm opens but guests cannot run (no vmx/svm)', async () => {
    expect((await probeKvm(deps(true, 'hypervisor'))).reason).toMatch(/no vmx\/svm/);
    expect(await resolveAccel('auto', deps(true, 'hypervisor'))).toBe('tcg');
    expect(await resolveAccel('auto', deps(false, 'vmx'))).toBe('tcg');
  });

  it('turns an explicit kvm without KVM into an EnvironmentError naming /dev/kvm', async () => {
    const error = await resolveAccel('kvm', deps(false, 'vmx')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EnvironmentError);
    expect((error as Error).message).toMatch(/\/dev\/kvm/);
  });

  it('honours an explicit tcg without probing', async () => {
    expect(await resolveAccel('tcg', deps(true, 'vmx'))).toBe('tcg');
  });
});
