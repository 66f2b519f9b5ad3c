// The words every layer shares: target kinds, measure kinds, metric names with their units, and
// the VM accelerators. NOTE: spelled the same in flags, scenario files, run.json, CSV columns and
// file names; the scenario schema, the run schema, the report and the CLI all take them from here.

/** Where a workload runs. NOTE: spelled the same in flags, JSON, CSV columns and file names. */
export const TARGET_KINDS = ['native', 'container', 'vm', 'runc', 'crun', 'podman'] as const;
export type TargetKind = (typeof TARGET_KINDS)[number];

/** What a case measures; decides which metrics it produces (see METRICS[..].measures). */
export const MEASURE_KINDS = ['startup', 'memory', 'density', 'disk', 'io', 'cpu', 'workload'] as const;
export type MeasureKind = (typeof MEASURE_KINDS)[number];

/** Base units of metric values: nanoseconds, bytes, bytes per second, operations per second, a plain ratio. */
export const METRIC_UNITS = ['ns', 'bytes', 'bytes_per_s', 'per_s', 'ratio'] as const;
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
    measures: ['memory', 'density', 'workload'],
    description: 'proportional set size of the instance processes (smaps_rollup)',
  },
  'memory.pss_anon': {
    unit: 'bytes',
    higherIsWorse: true,
    measures: ['memory', 'density', 'workload'],
    description: 'anonymous part of the PSS (smaps_rollup Pss_Anon)',
  },
  'memory.pss_file': {
    unit: 'bytes',
    higherIsWorse: true,
    measures: ['memory', 'density', 'workload'],
    description: 'file-backed part of the PSS (Pss_File): binaries, libraries, a VM kernel file; shared page cache',
  },
  'memory.pss_shmem': {
    unit: 'bytes',
    higherIsWorse: true,
    measures: ['memory', 'density', 'workload'],
    description: 'shmem part of the PSS (Pss_Shmem), e.g. memfd-backed guest RAM',
  },
  'memory.instance': {
    unit: 'bytes',
    higherIsWorse: true,
    measures: ['memory', 'density', 'workload'],
    description:
      'what one instance pins: anonymous + shmem PSS of its host processes (its unique pages plus its share); file-backed pages are in memory.pss_file',
  },
  'memory.uss': {
    unit: 'bytes',
    higherIsWorse: true,
    measures: ['memory', 'density', 'workload'],
    description: 'unique set size (private clean + dirty)',
  },
  'memory.rss': {
    unit: 'bytes',
    higherIsWorse: true,
    measures: ['memory', 'density', 'workload'],
    description: 'resident set size',
  },
  'memory.cgroup': {
    unit: 'bytes',
    higherIsWorse: true,
    measures: ['memory', 'density', 'workload'],
    description: 'memory charged to the instance cgroup',
  },
  'memory.peak': {
    unit: 'bytes',
    higherIsWorse: true,
    measures: ['memory', 'density', 'workload'],
    description: 'peak memory charge of the instance',
  },
  'memory.guest_used': {
    unit: 'bytes',
    higherIsWorse: true,
    measures: ['memory', 'density'],
    description:
      'memory the VM guest itself reports in use once the workload is ready (MemTotal - MemAvailable, read by the probe in the guest as it idles); vm only',
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
  'startup.first_response': {
    unit: 'ns',
    higherIsWorse: true,
    measures: ['workload'],
    description:
      "launch to the first successful answer of the server (an HTTP 2xx, redis' PONG, a TCP connect), polled from the host",
  },
  'workload.requests_per_s': {
    unit: 'per_s',
    higherIsWorse: false,
    measures: ['workload'],
    description:
      "operations per second the load generator reports: wrk's and redis-benchmark's requests, fio's I/Os, sysbench's events",
  },
  'workload.throughput': {
    unit: 'bytes_per_s',
    higherIsWorse: false,
    measures: ['workload'],
    description: "bytes per second the load generator reports: wrk's transfer, fio's bandwidth, iperf3's received rate",
  },
  'workload.latency_p50': {
    unit: 'ns',
    higherIsWorse: true,
    measures: ['workload'],
    description: 'median latency of one request (or I/O, or event) as the load generator reports it',
  },
  'workload.latency_p99': {
    unit: 'ns',
    higherIsWorse: true,
    measures: ['workload'],
    description: '99th-percentile latency of one request (or I/O, or event) as the load generator reports it',
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

/**
 * Startup phase marks (Instance.phases(): ns from launch, each the END of a phase) and the phase
 * each one ends, in words, for chart legends and tables. A phase runs from the previous mark of
 * the same target (or the launch) to its own. PHASE_LABEL_BY_TARGET refines a label for one
 * target; use phaseLabel(). NOTE: a target that adds a mark adds its words here.
 */
export const STARTUP_PHASES = {
  // container (isobench's runtime)
  helperStartNs: 'plan, name, cgroup; helper spawned',
  namespacesNs: 'clone into new namespaces',
  rootfsNs: 'root filesystem: overlay mount, /proc, /dev, /sys, pivot_root, masks',
  execNs: 'limits, user, capabilities, exec',
  // runc, crun
  bundleNs: 'bundle: instance dir, config.json',
  overlayNs: 'overlay mount of the image layers',
  // vm (hostPrepareNs: runs recorded before the launch used prepare()'s cache)
  hostPrepareNs: 'host preparation before QEMU',
  vmRecordNs: 'VM dir and state file',
  diskOverlayNs: 'per-VM qcow2 disk overlay (qemu-img)',
  qemuStartNs: 'QEMU process spawned',
  kernelNs: 'QEMU set-up and firmware, to the guest clock',
  initNs: 'guest kernel boot, to /init',
  // every target
  readyNs: 'to the ready line',
  exitNs: 'ready line to the exit status',
} as const satisfies Record<string, string>;

export type StartupPhase = keyof typeof STARTUP_PHASES;

/** Labels that differ for one target: what the phase ending at that mark holds there. */
export const PHASE_LABEL_BY_TARGET: Partial<Record<TargetKind, Partial<Record<StartupPhase, string>>>> = {
  native: { readyNs: 'spawn to the ready line' },
  container: { readyNs: 'workload start to the ready line', exitNs: "ready line to the monitor's exit report" },
  runc: { readyNs: 'runc run alone: spawn to the ready line', exitNs: "ready line to runc run's exit" },
  crun: { readyNs: 'crun run alone (via nsenter): spawn to the ready line', exitNs: "ready line to crun run's exit" },
  podman: { readyNs: 'podman run: spawn to the ready line', exitNs: "ready line to podman run's exit" },
  vm: {
    readyNs: '/init: modules, mounts, to the ready line',
    exitNs: "ready line to the guest's exit marker on the serial console",
  },
};

/** Words for a phase mark of `target` ("overlay mount of the image layers"); an unknown mark as it is. */
export function phaseLabel(phase: string, target?: TargetKind): string {
  const byTarget = target === undefined ? undefined : PHASE_LABEL_BY_TARGET[target];
  return byTarget?.[phase as StartupPhase] ?? STARTUP_PHASES[phase as StartupPhase] ?? phase;
}

/** What the startup metrics cover on one target, in words, for a report's Method section. */
export interface StartupClock {
  /** From launch to ready: the work inside the clock. */
  launch: string;
  /** The event startup.exit stamps: how the host learns the exit status. */
  exit: string;
  /** What `teardown` (exit status known -> everything released) holds. */
  teardown: string;
}

/**
 * One definition for every target: startup.ready = start of the launch -> the probe's ready line;
 * startup.exit = start of the launch -> the moment the host learns the exit status; teardown =
 * that moment -> every resource of the instance released. Per target, what each covers.
 */
export const STARTUP_CLOCK: Record<TargetKind, StartupClock> = {
  native: {
    launch: 'spawn of the probe in a fresh scratch dir',
    exit: 'waitpid: Node sees the process exit',
    teardown: 'removal of the scratch dir (the process is already reaped)',
  },
  container: {
    launch:
      'Runtime.run(): plan, name, dirs and cgroup, helper spawn, clone into namespaces, overlay mount of the image layers, /proc, /dev, /sys, pivot_root, exec',
    exit: "the monitor's exit report, sent once it has reaped the workload and let go of its output, before any teardown",
    teardown:
      'the monitor drops the mount namespace (overlay unmount, which syncs the upper filesystem) and exits; cgroup and dir removal',
  },
  runc: {
    launch: 'per-instance bundle (dir, config.json), overlay mount of the image layers (mount(8)), then `runc run`',
    exit: "`runc run`'s exit: attached, runc gives no earlier sign, and it deletes its container (cgroups, state) before it exits",
    teardown: 'overlay unmount (with its sync), bundle and cgroup removal; `runc delete` only if runc left state',
  },
  crun: {
    launch:
      'per-instance bundle (dir, config.json), overlay mount of the image layers (mount(8)), then `crun run` (through nsenter into a mount namespace without the cgroup2 mount on a hybrid host)',
    exit: "`crun run`'s exit: attached, crun gives no earlier sign, and it deletes its container (cgroups, state) before it exits",
    teardown: 'overlay unmount (with its sync), bundle and cgroup removal; `crun delete` only if crun left state',
  },
  podman: {
    launch: '`podman run`: image lookup, storage mount, conmon, runc create and start (the image imported beforehand)',
    exit: "`podman run`'s exit, once it has the exit code conmon recorded",
    teardown: "`podman rm` (storage unmount, container removal), and conmon's and its cleanup's exit",
  },
  vm: {
    launch:
      'the host work every launch needs, each a phase (VM dir and state file; per-VM qcow2 disk overlay), then QEMU spawn, QEMU set-up and firmware, kernel boot, /init, workload start; kernel, initramfs, base disk and accelerator come from prepare(), before the clock',
    exit: "arrival of the guest's nonce-tagged exit marker on the serial console, printed by /init once the workload has exited, before the guest syncs and powers off",
    teardown: "the guest's `sync; poweroff -f`, QEMU's exit, removal of the VM dir and its disk overlay",
  },
};

/** QEMU accelerators: hardware KVM, or TCG (software emulation). A TCG figure never passes for a KVM one. */
export const ACCELS = ['kvm', 'tcg'] as const;
export type Accel = (typeof ACCELS)[number];

/**
 * Targets that can give a workload the host's network, so a server in it answers on the host's
 * 127.0.0.1 (a workload case with a port); runc and crun by leaving the network namespace out of
 * the bundle. NOTE: vm needs port forwarding and podman its own network flags; neither is wired
 * yet (issue 9).
 */
export const HOST_NETWORK_TARGETS: readonly TargetKind[] = ['native', 'container', 'runc', 'crun'];
