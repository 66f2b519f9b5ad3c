// Reads the host description a report shows out of a run's environment fingerprint. The
// fingerprint is kept as recorded (an open record), so every field is read defensively.

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
  /** "bare metal", "virtual machine (KVM)" or "unknown". */
  virtualization: string;
  /** /dev/kvm could be opened: VMs ran under KVM rather than TCG. Null when not recorded. */
  kvmAvailable: boolean | null;
  /** cgroup mode: v1, v2 or hybrid; "unknown" when not recorded. */
  cgroupMode: string;
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

/** Describes the host of a fingerprint (src/host/fingerprint-schema.ts); missing fields become "unknown"/null. */
export function describeEnvironment(environment: Record<string, unknown>): HostEnvironment {
  const manufacturer = text(pick(environment, 'cpu', 'manufacturer'), '');
  const brand = text(pick(environment, 'cpu', 'brand'), '');
  const cpuModel = [manufacturer, brand].filter((part) => part !== '').join(' ') || 'unknown';
  const distro = [text(pick(environment, 'os', 'distro'), ''), text(pick(environment, 'os', 'release'), '')]
    .filter((part) => part !== '')
    .join(' ');
  const virtual = pick(environment, 'system', 'virtual');
  const virtualHost = text(pick(environment, 'system', 'virtualHost'), '');
  let virtualization = 'unknown';
  if (virtual === true) virtualization = virtualHost ? `virtual machine (${virtualHost})` : 'virtual machine';
  if (virtual === false) virtualization = 'bare metal';
  const kvm = pick(environment, 'kvm', 'available');
  return {
    hostname: text(pick(environment, 'hostname'), 'unknown host'),
    cpuModel,
    cores: count(pick(environment, 'cpu', 'cores')),
    memoryBytes: count(pick(environment, 'memory', 'totalBytes')),
    kernel: text(pick(environment, 'kernelRelease')),
    distro: distro || 'unknown',
    virtualization,
    kvmAvailable: typeof kvm === 'boolean' ? kvm : null,
    cgroupMode: text(pick(environment, 'cgroup', 'mode')),
  };
}
