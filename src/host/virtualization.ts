// Whether this host is itself a virtual machine (nested virtualisation), and inside a container:
// the evidence from cpuinfo, DMI and systemd-detect-virt, and the verdict drawn from it. A VM
// figure measured in a guest runs nested, so a report must never call such a host bare metal.

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { findExecutable } from '../util/find-executable.js';

/** What the host says about virtualisation, and the verdict. Plain JSON (stored in the fingerprint). */
export interface VirtualizationProbe {
  /**
   * /proc/cpuinfo's flags include `hypervisor` (CPUID leaf 1, ECX bit 31, which hypervisors set for
   * their guests); null when cpuinfo could not be read or lists no flags.
   */
  hypervisorFlag: boolean | null;
  /** /sys/class/dmi/id/sys_vendor, e.g. "QEMU"; null without DMI (microvm, Firecracker, containers). */
  dmiSysVendor: string | null;
  /** /sys/class/dmi/id/product_name, e.g. "Standard PC (Q35 + ICH9, 2009)"; null without DMI. */
  dmiProductName: string | null;
  /** `systemd-detect-virt --vm`: "none" when it finds no hypervisor, e.g. "kvm"; null when not installed. */
  detectVirtVm: string | null;
  /** `systemd-detect-virt --container`: "none" or e.g. "docker"; null when not installed. */
  detectVirtContainer: string | null;
  /**
   * 'guest' when any evidence shows a hypervisor; 'bare-metal' only when cpuinfo has no
   * `hypervisor` flag and systemd-detect-virt or DMI was checked and names none; 'unknown' otherwise.
   */
  host: 'guest' | 'bare-metal' | 'unknown';
  /** The hypervisor the evidence names (systemd-detect-virt's word, else the DMI vendor); null when none does. */
  hypervisor: string | null;
}

export interface VirtualizationProbeOptions {
  /** Root of /proc; default "/proc". */
  procRoot?: string;
  /** Root of /sys; default "/sys". */
  sysRoot?: string;
  /** Runs `systemd-detect-virt <flag>` and returns its word, or null when it is absent; default: the real tool. */
  detectVirt?: (flag: '--vm' | '--container') => Promise<string | null>;
}

// DMI vendors and products that only hypervisors report (SMBIOS strings as the firmware sets them).
const HYPERVISOR_DMI =
  /\b(QEMU|KVM|Bochs|VMware|VirtualBox|innotek|Xen|Parallels|Virtual Machine|Amazon EC2|Google Compute Engine|OpenStack|Firecracker|bhyve|Cloud Hypervisor)\b/i;

async function readTrimmed(file: string): Promise<string | null> {
  try {
    const text = (await readFile(file, 'utf8')).trim();
    return text === '' ? null : text;
  } catch {
    return null;
  }
}

/** True/false from the first `flags` line of cpuinfo text; null when there is none. */
export function readHypervisorFlag(cpuinfo: string): boolean | null {
  const flags = /^flags\s*:(.*)$/m.exec(cpuinfo)?.[1];
  if (flags === undefined) return null;
  return flags.split(/\s+/).includes('hypervisor');
}

/** systemd-detect-virt's answer; it exits 1 while printing "none", so the exit code is not the answer. */
async function runDetectVirt(flag: '--vm' | '--container'): Promise<string | null> {
  const executable = await findExecutable('systemd-detect-virt');
  if (executable === null) return null;
  const result = await execa(executable, [flag], { reject: false, timeout: 3000, stdin: 'ignore' });
  const word = result.stdout.trim().split('\n')[0]?.trim() ?? '';
  return /^[a-z0-9_-]{1,32}$/.test(word) ? word : null;
}

/**
 * The verdict from the evidence (pure): any sign of a hypervisor makes a guest; bare metal needs
 * cpuinfo read without the flag plus a second source (systemd-detect-virt or DMI) naming none.
 */
export function judgeVirtualization(
  evidence: Omit<VirtualizationProbe, 'host' | 'hypervisor'>,
): Pick<VirtualizationProbe, 'host' | 'hypervisor'> {
  const dmi = [evidence.dmiSysVendor, evidence.dmiProductName].filter((text): text is string => text !== null);
  const dmiHypervisor = dmi.map((text) => HYPERVISOR_DMI.exec(text)?.[1]).find((name) => name !== undefined);
  const detected = evidence.detectVirtVm !== null && evidence.detectVirtVm !== 'none' ? evidence.detectVirtVm : null;
  if (evidence.hypervisorFlag === true || detected !== null || dmiHypervisor !== undefined) {
    return { host: 'guest', hypervisor: detected ?? dmiHypervisor ?? null };
  }
  const secondSource = evidence.detectVirtVm === 'none' || dmi.length > 0;
  if (evidence.hypervisorFlag === false && secondSource) return { host: 'bare-metal', hypervisor: null };
  return { host: 'unknown', hypervisor: null };
}

/** Gathers the evidence (cpuinfo, DMI, systemd-detect-virt where installed) and judges it. */
export async function probeVirtualization(options: VirtualizationProbeOptions = {}): Promise<VirtualizationProbe> {
  const procRoot = options.procRoot ?? '/proc';
  const dmiDir = path.join(options.sysRoot ?? '/sys', 'class/dmi/id');
  const detect = options.detectVirt ?? runDetectVirt;
  const [cpuinfo, dmiSysVendor, dmiProductName, detectVirtVm, detectVirtContainer] = await Promise.all([
    readFile(path.join(procRoot, 'cpuinfo'), 'utf8').catch(() => ''),
    readTrimmed(path.join(dmiDir, 'sys_vendor')),
    readTrimmed(path.join(dmiDir, 'product_name')),
    detect('--vm').catch(() => null),
    detect('--container').catch(() => null),
  ]);
  const evidence = {
    hypervisorFlag: readHypervisorFlag(cpuinfo),
    dmiSysVendor,
    dmiProductName,
    detectVirtVm,
    detectVirtContainer,
  };
  return { ...evidence, ...judgeVirtualization(evidence) };
}
