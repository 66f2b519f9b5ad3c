// The words every layer shares: target kinds, measure kinds, metric names with their units, and
// the VM accelerators. NOTE: spelled the same in flags, scenario files, run.json, CSV columns and
// file names; the scenario schema, the run schema, the report and the CLI all take them from here.

/** Where a workload runs. NOTE: spelled the same in flags, JSON, CSV columns and file names. */
export const TARGET_KINDS = ['native', 'container', 'vm', 'runc', 'crun', 'podman'] as const;
export type TargetKind = (typeof TARGET_KINDS)[number];

/** What a case measures; decides which metrics it produces (see METRICS[..].measures). */
export const MEASURE_KINDS = ['startup', 'memory', 'density', 'disk', 'io', 'cpu'] as const;
export type MeasureKind = (typeof MEASURE_KINDS)[number];

/** Base units of metric values: nanoseconds, bytes, bytes per second, a plain ratio. */
export const METRIC_UNITS = ['ns', 'bytes', 'bytes_per_s', 'ratio'] as const;
export type MetricUnit = (typeof METRIC_UNITS)[number];

export interface MetricInfo {
  unit: MetricUnit;
  /** True when a larger value is a regression (time, memory); false for throughput. */
  higherIsWorse: boolean;
  /** Measures whose cases produce this metric. */
  measures: readonly MeasureKind[];
  description: string;
}

/** Every metric isobench records; thresholds and results refer to these names only. */
export const METRICS = {
  'startup.ready': {
    unit: 'ns',
    higherIsWorse: true,
    measures: ['startup'],
    description: 'launch to the ready marker',
  },
  'startup.exit': {
    unit: 'ns',
    higherIsWorse: true,
    measures: ['startup'],
    description: 'launch to the moment the host learns the workload exit status',
  },
  teardown: {
    unit: 'ns',
    higherIsWorse: true,
    measures: ['startup'],
    description:
      'exit status known to every resource of the instance released (processes, mounts, cgroup, runtime state, VM process)',
  },
  'memory.pss': {
    unit: 'bytes',
    higherIsWorse: true,
    measures: ['memory', 'density'],
    description: 'proportional set size of the instance processes (smaps_rollup)',
  },
  'memory.pss_anon': {
    unit: 'bytes',
    higherIsWorse: true,
    measures: ['memory', 'density'],
    description: 'anonymous part of the PSS (smaps_rollup Pss_Anon)',
  },
  'memory.pss_file': {
    unit: 'bytes',
    higherIsWorse: true,
    measures: ['memory', 'density'],
    description: 'file-backed part of the PSS (Pss_File): binaries, libraries, a VM kernel file; shared page cache',
  },
  'memory.pss_shmem': {
    unit: 'bytes',
    higherIsWorse: true,
    measures: ['memory', 'density'],
    description: 'shmem part of the PSS (Pss_Shmem), e.g. memfd-backed guest RAM',
  },
  'memory.instance': {
    unit: 'bytes',
    higherIsWorse: true,
    measures: ['memory', 'density'],
    description:
      'what one instance pins: anonymous + shmem PSS of its host processes (its unique pages plus its share); file-backed pages are in memory.pss_file',
  },
  'memory.uss': {
    unit: 'bytes',
    higherIsWorse: true,
    measures: ['memory', 'density'],
    description: 'unique set size (private clean + dirty)',
  },
  'memory.rss': {
    unit: 'bytes',
    higherIsWorse: true,
    measures: ['memory', 'density'],
    description: 'resident set size',
  },
  'memory.cgroup': {
    unit: 'bytes',
    higherIsWorse: true,
    measures: ['memory', 'density'],
    description: 'memory charged to the instance cgroup',
  },
  'memory.peak': {
    unit: 'bytes',
    higherIsWorse: true,
    measures: ['memory', 'density'],
    description: 'peak memory charge of the instance',
  },
  'memory.guest_used': {
    unit: 'bytes',
    higherIsWorse: true,
    measures: ['memory', 'density'],
    description: 'memory the VM guest itself reports in use at ready (MemTotal - MemAvailable); vm only',
  },
  'memory.host_available_drop': {
    unit: 'bytes',
    higherIsWorse: true,
    measures: ['density'],
    description:
      'context only, not a cost: drop of the host MemAvailable while the N instances run; it moves with the page cache (see memory.host_pinned)',
  },
  'memory.host_pinned': {
    unit: 'bytes',
    higherIsWorse: true,
    measures: ['density'],
    description:
      "host memory pinned while the instances run, over a settled baseline: AnonPages + Shmem + SUnreclaim + KernelStack + PageTables + Percpu (/proc/meminfo), less the harness's own change",
  },
  'memory.host_anon': {
    unit: 'bytes',
    higherIsWorse: true,
    measures: ['density'],
    description: 'AnonPages part of memory.host_pinned',
  },
  'memory.host_shmem': {
    unit: 'bytes',
    higherIsWorse: true,
    measures: ['density'],
    description: 'Shmem part of memory.host_pinned',
  },
  'memory.host_slab_unreclaimable': {
    unit: 'bytes',
    higherIsWorse: true,
    measures: ['density'],
    description: 'SUnreclaim part of memory.host_pinned (kernel objects: namespaces, cgroups, mounts, sockets)',
  },
  'memory.host_kernel_stack': {
    unit: 'bytes',
    higherIsWorse: true,
    measures: ['density'],
    description: 'KernelStack part of memory.host_pinned',
  },
  'memory.host_page_tables': {
    unit: 'bytes',
    higherIsWorse: true,
    measures: ['density'],
    description: 'PageTables part of memory.host_pinned',
  },
  'memory.host_percpu': {
    unit: 'bytes',
    higherIsWorse: true,
    measures: ['density'],
    description: 'Percpu part of memory.host_pinned',
  },
  'disk.image': { unit: 'bytes', higherIsWorse: true, measures: ['disk'], description: 'stored size of the image' },
  'disk.image_own': {
    unit: 'bytes',
    higherIsWorse: true,
    measures: ['disk'],
    description:
      'stored size of the image without what every image on the host shares (a VM kernel); equals disk.image for containers and native',
  },
  'disk.image_kernel': {
    unit: 'bytes',
    higherIsWorse: true,
    measures: ['disk'],
    description: 'the VM kernel file, shared by every VM image on the host that boots it; vm only',
  },
  'disk.instance': {
    unit: 'bytes',
    higherIsWorse: true,
    measures: ['disk'],
    description: 'disk used by one instance beyond the image (upper dir, overlay disk)',
  },
  'io.write_throughput': {
    unit: 'bytes_per_s',
    higherIsWorse: false,
    measures: ['io'],
    description: 'sequential write + fsync throughput reported by the probe',
  },
  'io.randwrite_throughput': {
    unit: 'bytes_per_s',
    higherIsWorse: false,
    measures: ['io'],
    description: 'random 4 KiB write + fsync throughput reported by the probe',
  },
  'cpu.time': {
    unit: 'ns',
    higherIsWorse: true,
    measures: ['cpu'],
    description: 'compute step time reported by the probe',
  },
  'cpu.relative_to_native': {
    unit: 'ratio',
    higherIsWorse: true,
    measures: ['cpu'],
    description: 'cpu.time divided by the native median at the same point',
  },
} as const satisfies Record<string, MetricInfo>;

export type MetricName = keyof typeof METRICS;
export const METRIC_NAMES = Object.keys(METRICS) as MetricName[];

/** QEMU accelerators: hardware KVM, or TCG (software emulation). A TCG figure never passes for a KVM one. */
export const ACCELS = ['kvm', 'tcg'] as const;
export type Accel = (typeof ACCELS)[number];
