// The one interface every isolation target implements (native, container, vm, runc, crun,
// podman), so the runner measures them all the same way. Targets launch and observe; they never
// compute statistics or format anything.

import type { ProcessMemoryFigures } from '../measure/process-memory.js';
import type { Accel, TargetKind } from '../vocabulary.js';

/** The workload of one scenario case at one sweep point, validated. Base units. */
export interface WorkloadSpec {
  /** Image ref in isobench's store (built from scenarios/images/<name> on demand). */
  image: string;
  /** argv; argv[0] is looked up in the image's PATH (native: in build/ then PATH). */
  args: string[];
  env: Record<string, string>;
  /** The network namespace: a fresh empty one (none, the default), or the host's (a server on 127.0.0.1). */
  network?: 'none' | 'host';
  /** Prefix of the stdout line that marks readiness; undefined: ready = exit. */
  readyMarker?: string;
  /** Container/peer cgroup limits. */
  limits: { memoryBytes?: number; cpus?: number; pidsLimit?: number };
  /** Guest sizing for the vm target. */
  vm: { memoryBytes: number; cpus: number; machine: 'microvm' | 'q35' };
}

/** A VM image's footprint by file, allocated bytes; the three add up to imageFootprintBytes. */
export interface ImageFootprintParts {
  /** The kernel file (vmlinux or bzImage): shared by every VM image on the host that boots that kernel. */
  kernelBytes: number;
  /** The initramfs (guest init and kernel modules). */
  initramfsBytes: number;
  /** The image's base disk. */
  baseDiskBytes: number;
}

export type Availability = { available: true; detail?: string } | { available: false; reason: string };

/**
 * Memory of one running instance as the host sees it, plus the isolation's own view. Bytes.
 * pssBytes, ussBytes, rssBytes and pssSplit (anon/file/shmem PSS, absent on kernels without it)
 * are summed over the host processes that make up the instance (workload, monitor/shim, qemu).
 */
export interface MemorySample extends ProcessMemoryFigures {
  /** Container targets: the cgroup's usage, anon/file split and peak. */
  cgroup?: { currentBytes?: number; peakBytes?: number; anonBytes?: number; fileBytes?: number };
  /** VM target: the guest's own view once the probe is ready (MemTotal - MemAvailable, and MemTotal; the configured size until it reports). */
  guest?: { usedBytes?: number; totalBytes?: number };
}

/** How one instance ended. Times are host monotonic ns (process.hrtime.bigint()). */
export interface InstanceExit {
  exitCode: number;
  /**
   * The moment the host learned the exit status (waitpid, the monitor's exit report, the runtime
   * CLI's exit, the guest's exit marker: STARTUP_CLOCK in vocabulary.ts), or the end of the
   * workload's output when that was read later (never before the ready line). Before any teardown.
   */
  atNs: bigint;
  oomKilled?: boolean;
}

/** One running instance of a workload in a target. */
export interface Instance {
  /** Monotonic ns just before the launch call began. */
  readonly launchedAtNs: bigint;
  /** Resolves with the monotonic ns at which the ready marker line was read (or exit if no marker). */
  readonly ready: Promise<bigint>;
  readonly exited: Promise<InstanceExit>;
  /**
   * Startup phase marks, ns from launch, each the end of a phase (named in STARTUP_PHASES,
   * vocabulary.ts): e.g. container helperStartNs … execNs, runc bundleNs and overlayNs, vm
   * vmRecordNs … initNs; readyNs and exitNs for every target once known.
   */
  phases(): Record<string, number>;
  /** stdout lines read so far (the probe's reports are parsed from these). */
  outputLines(): string[];
  sampleMemory(): Promise<MemorySample>;
  /** Bytes this instance wrote to its own writable layer (upper dir, qcow2 overlay, scratch dir). */
  writableBytes(): Promise<number>;
  /**
   * Stops the instance (if running) and frees everything it holds; resolves only once all of it is
   * released: processes reaped, mounts gone (with the overlay's sync), cgroups removed, the
   * runtime's own state deleted, scratch dirs and disks removed. Nothing of it may go on in the
   * background afterwards. Idempotent. NOTE: the startup measure calls it as soon as the exit is
   * known and times exit.atNs -> resolution as `teardown`.
   */
  dispose(): Promise<void>;
}

export interface Target {
  readonly kind: TargetKind;
  /** Whether this host can run the target; never throws for "cannot": returns the reason. */
  probe(): Promise<Availability>;
  /** Once per workload image, not timed: build/import the image, bundles, disks. */
  prepare(workload: WorkloadSpec): Promise<void>;
  launch(workload: WorkloadSpec): Promise<Instance>;
  /** Bytes on disk this target needs for the workload image, shared by all instances. */
  imageFootprintBytes(workload: WorkloadSpec): Promise<number>;
  /**
   * vm only: imageFootprintBytes split into its files. The other targets have no part that other
   * images share, so they leave this out (their own footprint is the whole).
   */
  imageFootprintParts?(workload: WorkloadSpec): Promise<ImageFootprintParts>;
  /** Accelerator for vm ('kvm' | 'tcg'); undefined elsewhere. Recorded with every figure. */
  accel?(): Accel | undefined;
  /** Variant of the target, recorded with every figure: for vm the kernel ('stock' | 'minimal'). */
  variant?(): string | undefined;
  /** Frees what prepare() made that is per-run (not the image store). */
  cleanup(): Promise<void>;
}
