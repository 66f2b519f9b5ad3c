// Picks the QEMU accelerator: KVM where /dev/kvm opens read-write and the CPU has hardware
// virtualisation, TCG (software emulation) otherwise. NOTE: every result records which one ran.
import { constants, promises as fs } from 'node:fs';
import { EnvironmentError, InputError } from '../errors.js';
import type { Accel } from '../vocabulary.js';

export type VmAccelRequest = 'auto' | Accel;

/** What the probe found, with the reason KVM is unusable when it is. */
export interface KvmProbe {
  usable: boolean;
  reason?: string;
}

/** Injectable probe inputs so the decision is testable without the device. */
export interface KvmProbeDeps {
  openDevice: (path: string) => Promise<void>;
  readCpuinfo: () => Promise<string>;
}

const defaultDeps: KvmProbeDeps = {
  openDevice: async (path) => {
    const handle = await fs.open(path, constants.O_RDWR);
    await handle.close();
  },
  readCpuinfo: () => fs.readFile('/proc/cpuinfo', 'utf8'),
};

/**
 * True when KVM can run guests. Opening /dev/kvm is not enough: a nested guest without VMX/SVM
 * (this project's CI machines) exposes a /dev/kvm that opens but whose guests never run, so the
 * CPU flags are checked too.
 */
export async function probeKvm(deps: KvmProbeDeps = defaultDeps): Promise<KvmProbe> {
  try {
    await deps.openDevice('/dev/kvm');
  } catch (error) {
    return { usable: false, reason: `/dev/kvm cannot be opened read-write (${(error as NodeJS.ErrnoException).code})` };
  }
  const cpuinfo = await deps.readCpuinfo().catch(() => '');
  const flags = /^flags\s*:(.*)$/m.exec(cpuinfo)?.[1]?.split(/\s+/) ?? [];
  if (!flags.includes('vmx') && !flags.includes('svm')) {
    return { usable: false, reason: '/dev/kvm opens but the CPU has no vmx/svm flag (nested virtualisation is off)' };
  }
  return { usable: true };
}

/** Resolves the requested accelerator; an explicit kvm on a host without it is an EnvironmentError. */
export async function resolveAccel(request: VmAccelRequest, deps: KvmProbeDeps = defaultDeps): Promise<Accel> {
  if (request !== 'auto' && request !== 'kvm' && request !== 'tcg') {
    throw new InputError(`expected --accel auto, kvm or tcg, got '${String(request)}'`);
  }
  if (request === 'tcg') return 'tcg';
  const probe = await probeKvm(deps);
  if (probe.usable) return 'kvm';
  if (request === 'kvm') {
    throw new EnvironmentError(`--accel kvm needs a working /dev/kvm: ${probe.reason}`, {
      hint: 'run on a host with hardware virtualisation (and access to /dev/kvm), or use --accel tcg',
    });
  }
  return 'tcg';
}
