// Whether hardware-assisted virtualisation is usable (the VM target's own verdict, so doctor,
// the fingerprint and the launcher never disagree), and which module backs /dev/kvm.

import { constants } from 'node:fs';
import { access, open, readFile } from 'node:fs/promises';
import path from 'node:path';
import { probeKvm as probeKvmUsable } from '../vm/accel.js';

export interface KvmProbe {
  /** QEMU can run guests with -accel kvm: /dev/kvm opens read-write and the CPU has vmx/svm. */
  available: boolean;
  /** The loaded KVM vendor module (kvm_intel, kvm_amd, kvm_pvm), or null when none is loaded. */
  module: string | null;
  /** Why KVM is unusable, or null when available. */
  reason: string | null;
}

// kvm_pvm is the page-table-based KVM that runs guests without VMX/SVM (nested inside another VM).
const KVM_MODULES = ['kvm_intel', 'kvm_amd', 'kvm_pvm'];

/** Probes KVM as the VM target decides it (src/vm/accel.ts), plus the module behind /dev/kvm. */
export async function probeKvm(
  options: { devKvm?: string; sysRoot?: string; procRoot?: string } = {},
): Promise<KvmProbe> {
  const device = options.devKvm ?? '/dev/kvm';
  const sysRoot = options.sysRoot ?? '/sys';
  const present = await Promise.all(
    KVM_MODULES.map((name) =>
      access(path.join(sysRoot, 'module', name), constants.F_OK).then(
        () => true,
        () => false,
      ),
    ),
  );
  const module = KVM_MODULES.find((_, index) => present[index]) ?? null;
  const verdict = await probeKvmUsable({
    openDevice: async () => {
      const handle = await open(device, constants.O_RDWR);
      await handle.close();
    },
    readCpuinfo: () => readFile(path.join(options.procRoot ?? '/proc', 'cpuinfo'), 'utf8'),
  });
  return verdict.usable
    ? { available: true, module, reason: null }
    : { available: false, module, reason: verdict.reason ?? `${device} is not usable` };
}
