// Whether hardware-assisted virtualisation is usable: /dev/kvm opens read-write, and which module backs it.

import { constants } from 'node:fs';
import { access, open } from 'node:fs/promises';
import path from 'node:path';

export interface KvmProbe {
  /** open(/dev/kvm, O_RDWR) succeeded: QEMU can use -accel kvm. */
  available: boolean;
  /** The loaded KVM vendor module (kvm_intel, kvm_amd, kvm_pvm), or null when none is loaded. */
  module: string | null;
  /** Why KVM is unavailable (the open error), or null when available. */
  reason: string | null;
}

// kvm_pvm is the page-table-based KVM that runs guests without VMX/SVM (nested inside another VM).
const KVM_MODULES = ['kvm_intel', 'kvm_amd', 'kvm_pvm'];

/** Probes KVM the way QEMU does: by opening the device read-write. */
export async function probeKvm(options: { devKvm?: string; sysRoot?: string } = {}): Promise<KvmProbe> {
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
  try {
    const handle = await open(device, constants.O_RDWR);
    await handle.close();
    return { available: true, module, reason: null };
  } catch (error) {
    const err = error as NodeJS.ErrnoException;
    return { available: false, module, reason: `${device}: ${err.code ?? err.message}` };
  }
}
