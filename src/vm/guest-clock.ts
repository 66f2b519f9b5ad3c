// Under TCG the guest reads the host's TSC, but the kernel's PIT-based TSC calibration fails
// often (emulation jitter) on microvm, which has no HPET or ACPI PM timer to fall back on: the
// boot then hangs or crawls. Passing the host's TSC rate (tsc_early_khz) skips the calibration.
import { promises as fs } from 'node:fs';
import type { Accel } from '../vocabulary.js';

/** Parses the TSC rate in kHz from /proc/cpuinfo ("cpu MHz", the TSC rate on constant_tsc hosts). Pure. */
export function parseCpuinfoKhz(cpuinfo: string): number | undefined {
  const mhz = Number.parseFloat(/^cpu MHz\s*:\s*([0-9.]+)$/m.exec(cpuinfo)?.[1] ?? '');
  return Number.isFinite(mhz) && mhz > 0 ? Math.round(mhz * 1000) : undefined;
}

/** The host TSC rate in kHz: sysfs tsc_freq_khz where the kernel exposes it, else /proc/cpuinfo. */
export async function readHostTscKhz(): Promise<number | undefined> {
  const sysfs = await fs.readFile('/sys/devices/system/cpu/cpu0/tsc_freq_khz', 'utf8').catch(() => '');
  const khz = Number.parseInt(sysfs, 10);
  if (Number.isFinite(khz) && khz > 0) return khz;
  return parseCpuinfoKhz(await fs.readFile('/proc/cpuinfo', 'utf8').catch(() => ''));
}

/** Extra kernel parameters for `accel` (TSC rate for TCG; none for KVM, which has kvm-clock). */
export async function clockParamsFor(accel: Accel): Promise<string[]> {
  if (accel !== 'tcg') return [];
  const khz = await readHostTscKhz();
  return khz === undefined ? [] : [`tsc_early_khz=${khz}`];
}
