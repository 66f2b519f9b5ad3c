// Reads the host description a report shows out of a run's environment fingerprint. The
// fingerprint is kept as recorded (an open record), so every field is read defensively, and what
// a fingerprint does not record is said to be unknown, never guessed.

/** Whether the host is itself a VM, from the fingerprint's evidence (src/host/virtualization.ts). */
export type HostKind = 'guest' | 'bare-metal' | 'unknown' | 'not-checked';

/** The host a run was measured on, as a report shows it. */
export interface HostEnvironment {
  hostname: string;
  /** e.g. "Intel Xeon Platinum 8375C"; "unknown" when not recorded. */
  cpuModel: string;
  /** Logical CPUs; null when not recorded. */
  cores: number | null;
  /** Total RAM in bytes; null when not recorded. */
  memoryBytes: number | null;
  /** uname -r. */
  kernel: string;
  /** e.g. "Debian GNU/Linux 12". */
  distro: string;
  /**
   * 'guest': the host is a VM, so VMs measured on it ran nested; 'bare-metal' only when the
   * fingerprint's evidence says so; 'not-checked' for fingerprints recorded before isobench looked.
   */
  hostKind: HostKind;
  /** The hypervisor the evidence names (e.g. "kvm", "bhyve"); null when none does. */
  hypervisor: string | null;
  /** The evidence in words, e.g. ["cpuinfo hypervisor flag", "systemd-detect-virt: bhyve"]. */
  virtualizationEvidence: string[];
  /** The container the host runs in (systemd-detect-virt --container), e.g. "docker"; null when none or unknown. */
  container: string | null;
  /** "virtual machine (bhyve; ...)", "bare metal (...)", "unknown (...)": one cell of the environment table. */
  virtualization: string;
  /** /dev/kvm could be opened: VMs ran under KVM rather than TCG. Null when not recorded. */
  kvmAvailable: boolean | null;
  /** cgroup mode: v1, v2 or hybrid; "unknown" when not recorded. */
  cgroupMode: string;
  /** /sys/kernel/mm/ksm/run: 0 off, 1 merging, 2 unmerging; null when not recorded. */
  ksmRun: number | null;
  /** The selected transparent huge page mode ("madvise" of "always [madvise] never"); null when not recorded. */
  thpEnabled: string | null;
}

function pick(record: unknown, ...keys: string[]): unknown {
  let value = record;
  for (const key of keys) {
    if (typeof value !== 'object' || value === null || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

function text(value: unknown, fallback = 'unknown'): string {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : fallback;
}

function count(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : null;
}

function optionalText(value: unknown): string | null {
  const result = text(value, '');
  return result === '' ? null : result;
}

/** "madvise" from "always [madvise] never" (the sysfs file) or from "madvise" (already picked). */
function selectedMode(value: unknown): string | null {
  const raw = optionalText(value);
  if (raw === null) return null;
  return /\[([^\]]+)\]/.exec(raw)?.[1] ?? raw;
}

interface Virtualization {
  hostKind: HostKind;
  hypervisor: string | null;
  evidence: string[];
  container: string | null;
  cell: string;
}

/** The host's virtualisation from the fingerprint: the probe's verdict, or systeminformation's hint. */
function describeVirtualization(environment: Record<string, unknown>): Virtualization {
  const probe = pick(environment, 'virtualization');
  const verdict = pick(probe, 'host');
  if (verdict === 'guest' || verdict === 'bare-metal' || verdict === 'unknown') {
    const evidence: string[] = [];
    const flag = pick(probe, 'hypervisorFlag');
    if (flag === true) evidence.push('cpuinfo hypervisor flag');
    if (flag === false) evidence.push('no cpuinfo hypervisor flag');
    const detected = optionalText(pick(probe, 'detectVirtVm'));
    if (detected !== null) evidence.push(`systemd-detect-virt: ${detected}`);
    const dmi = [optionalText(pick(probe, 'dmiSysVendor')), optionalText(pick(probe, 'dmiProductName'))].filter(
      (part): part is string => part !== null,
    );
    evidence.push(dmi.length > 0 ? `DMI: ${dmi.join(' ')}` : 'no DMI');
    const hypervisor = optionalText(pick(probe, 'hypervisor'));
    const rawContainer = optionalText(pick(probe, 'detectVirtContainer'));
    const container = rawContainer === null || rawContainer === 'none' ? null : rawContainer;
    const inContainer = container === null ? '' : `, inside a container (${container})`;
    const why = evidence.join('; ');
    const cell =
      verdict === 'guest'
        ? `virtual machine${hypervisor ? ` (${hypervisor})` : ''}: VMs ran nested${inContainer} [${why}]`
        : verdict === 'bare-metal'
          ? `bare metal${inContainer} [${why}]`
          : `unknown${inContainer} [${why}]`;
    return { hostKind: verdict, hypervisor, evidence, container, cell };
  }
  // Recorded before the probe existed: systeminformation's hint can show a VM, never rule one out.
  const virtualHost = optionalText(pick(environment, 'system', 'virtualHost'));
  if (pick(environment, 'system', 'virtual') === true) {
    return {
      hostKind: 'guest',
      hypervisor: virtualHost,
      evidence: ['systeminformation'],
      container: null,
      cell: `virtual machine${virtualHost ? ` (${virtualHost})` : ''}: VMs ran nested [systeminformation]`,
    };
  }
  return {
    hostKind: 'not-checked',
    hypervisor: null,
    evidence: [],
    container: null,
    cell: 'not checked (this run predates the nesting probe; the host may be a VM)',
  };
}

/** Describes the host of a fingerprint (src/host/fingerprint-schema.ts); missing fields become "unknown"/null. */
export function describeEnvironment(environment: Record<string, unknown>): HostEnvironment {
  const manufacturer = text(pick(environment, 'cpu', 'manufacturer'), '');
  const brand = text(pick(environment, 'cpu', 'brand'), '');
  const cpuModel = [manufacturer, brand].filter((part) => part !== '').join(' ') || 'unknown';
  const distro = [text(pick(environment, 'os', 'distro'), ''), text(pick(environment, 'os', 'release'), '')]
    .filter((part) => part !== '')
    .join(' ');
  const virtualization = describeVirtualization(environment);
  const kvm = pick(environment, 'kvm', 'available');
  const ksm = pick(environment, 'memory', 'ksmRun');
  return {
    hostname: text(pick(environment, 'hostname'), 'unknown host'),
    cpuModel,
    cores: count(pick(environment, 'cpu', 'cores')),
    memoryBytes: count(pick(environment, 'memory', 'totalBytes')),
    kernel: text(pick(environment, 'kernelRelease')),
    distro: distro || 'unknown',
    hostKind: virtualization.hostKind,
    hypervisor: virtualization.hypervisor,
    virtualizationEvidence: virtualization.evidence,
    container: virtualization.container,
    virtualization: virtualization.cell,
    kvmAvailable: typeof kvm === 'boolean' ? kvm : null,
    cgroupMode: text(pick(environment, 'cgroup', 'mode')),
    ksmRun: typeof ksm === 'number' && Number.isInteger(ksm) ? ksm : null,
    thpEnabled: selectedMode(pick(environment, 'memory', 'thpEnabled')),
  };
}

/** Reads a value from an open record by a key path; undefined when any step is missing. */
export { pick as pickField };
