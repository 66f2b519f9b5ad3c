// Contract of the container runtime: the validated spec handed to the launcher, and what a
// launch returns. The image-level API (Runtime.run) and the builder (RUN steps) both produce a
// ContainerSpec; only the launcher talks to the C helper.

import type { BridgeAttachment } from './network/attach.js';
import type { PublishedPort } from './network/publish.js';

/** none: a new net namespace with only lo; host: the host's; bridge: a new one with a veth on a bridge network. */
export type NetworkMode = 'none' | 'host' | 'bridge';

/** Resource limits; undefined means unlimited. Base units. */
export interface ResourceLimits {
  memoryBytes?: number;
  /** CPU quota in cores, e.g. 1.5 (cfs_quota/cfs_period). */
  cpus?: number;
  pidsLimit?: number;
  /** CPUs the workload may run on, in cpuset list syntax ("0-1,3"): the cgroup cpuset (--cpuset-cpus). */
  cpusetCpus?: string;
}

/** --ulimit: a resource limit the workload gets exactly; the helper refuses (never clamps) it. */
export interface UlimitSpec {
  /** setrlimit(2) resource, lower-case without RLIMIT_ (Docker's names: nofile, nproc, core, ...). */
  name: string;
  /** RLIM_INFINITY is 2^64-1, past a JS number: unlimited is 'unlimited'. */
  soft: number | 'unlimited';
  hard: number | 'unlimited';
}

/** Everything needed to start one container; validated before it reaches the launcher. */
export interface ContainerSpec {
  id: string;
  /** Read-only lower dirs, TOPMOST FIRST (overlayfs lowerdir order). Empty for FROM scratch. */
  lowerDirs: string[];
  /** Writable upper dir and overlay work dir (same filesystem, both exist, empty work dir). */
  upperDir: string;
  workDir: string;
  /** Empty dir where the rootfs is mounted inside the container's mount namespace. */
  rootfsDir: string;
  /** argv of the workload; argv[0] resolved against PATH inside the container if it has no '/'. */
  args: string[];
  /** KEY=VALUE */
  env: string[];
  cwd: string;
  /** Numeric ids, resolved from the image's /etc/passwd by the caller. */
  uid: number;
  gid: number;
  additionalGids: number[];
  hostname: string;
  network: NetworkMode;
  /** network 'bridge' only: the veth, address and gateway the helper sets up. */
  bridge?: BridgeAttachment;
  /** network 'bridge' only: ports the helper's proxy publishes on the host's loopback. */
  ports?: PublishedPort[];
  limits: ResourceLimits;
  /** Extra bind mounts (e.g. a build context), source on the host, target inside the rootfs. */
  binds?: Array<{ source: string; target: string; readonly: boolean }>;
  /** tmpfs mounts: target inside the rootfs, options as the helper takes them (volumes/parse.ts). */
  tmpfs?: Array<{ target: string; options: string }>;
  /** --read-only: the root mount read-only once every mount is in place. */
  readonlyRootfs?: boolean;
  /** The seccomp filter the helper loads last before execve; absent: none (unconfined). */
  seccomp?: SeccompFilterBytes;
  /** --init: the helper runs as PID 1, forwarding signals and reaping orphans (helper/init.c). */
  init?: boolean;
  /** Size of the /dev/shm tmpfs in bytes; absent: 64 MiB (Docker's default). */
  shmSizeBytes?: number;
  /** --ulimit values, which replace the default of the same name. */
  ulimits?: UlimitSpec[];
  /** Capability bits (capset(2) order) the workload keeps; absent: Docker's default set. */
  capabilityMask?: bigint;
  /** prctl(PR_SET_NO_NEW_PRIVS) before exec; absent: on. */
  noNewPrivileges?: boolean;
}

/** A compiled seccomp filter as the helper takes it (src/container/seccomp compiles it). */
export interface SeccompFilterBytes {
  /** struct sock_filter[] (8 bytes per instruction, little-endian). */
  bytes: Buffer;
  /** seccomp(2) SECCOMP_FILTER_FLAG_* bits (LOG, SPEC_ALLOW). */
  flags: number;
}

/** How a container's process ended. */
export interface ExitInfo {
  /** Exit code as a shell reports it: code, or 128+signal. */
  exitCode: number;
  /** Signal name when killed by a signal, e.g. "SIGKILL". */
  signal?: string;
  /** True when the kernel's OOM killer killed a process of the container's cgroup. */
  oomKilled: boolean;
  /** Human-readable reason: "exited", "signaled", "oom-killed". */
  reason: 'exited' | 'signaled' | 'oom-killed';
}

export type ContainerStatus = 'creating' | 'running' | 'stopped';

/** Where a launched container's output goes and who reaps it. */
export type LaunchMode =
  | {
      kind: 'attached';
      /** 'inherit': the workload writes straight to our stdout/stderr; 'pipe': streams on the result. */
      stdio: 'inherit' | 'pipe' | 'ignore';
      stdin?: 'inherit' | 'ignore';
      /** -t: the workload gets a pty; the helper relays it to its stdin/stdout (stdio 'inherit' or 'pipe'). */
      tty?: boolean;
    }
  | {
      kind: 'detached';
      /** Log files the workload's stdout/stderr are appended to (kept after exit). */
      stdoutLog: string;
      stderrLog: string;
      /** The monitor writes "<exitCode> <signalNumber>\n" here atomically when the workload exits. */
      exitFile: string;
      /** With --rm: what the monitor deletes after writing the exit file (dirs removed recursively, cgroup dirs rmdir'ed). */
      removeOnExit?: { dirs: string[]; cgroupDirs: string[] };
    };

export interface LaunchOptions {
  mode: LaunchMode;
  /** cgroup.procs files the workload joins first thing, before any of its setup. */
  cgroupProcsFiles: string[];
  /** Non-fatal notices from the helper (e.g. a capability the host cannot grant). */
  onWarning?: (message: string) => void;
}

/** A container whose workload has been exec'd successfully. */
export interface LaunchedContainer {
  /** Host pid of the container's init (PID 1 in its pid namespace). */
  pid: number;
  /** Host pid of the helper process that reaps the workload and records its exit. */
  monitorPid: number;
  stdout?: NodeJS.ReadableStream;
  stderr?: NodeJS.ReadableStream;
  /**
   * Attached mode only: resolves on the monitor's exit report, the moment the host learns the
   * workload's exit status; `atNs` is when it was read (host monotonic ns, process.hrtime.bigint()).
   * The workload's output has ended by then; the container's teardown has not. oomKilled/reason
   * are filled by the caller from cgroups.
   */
  exited?: Promise<{ exitCode: number; signal?: string; atNs: bigint }>;
}
