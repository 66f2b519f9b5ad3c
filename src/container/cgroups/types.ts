// Public shapes of the cgroup layer: the detected host, a container's cgroup handle and the manager.

import type { ResourceLimits } from '../types.js';

export type CgroupMode = 'v1' | 'v2' | 'hybrid';

/** The cgroup filesystems mounted on this host (paths already joined with the fs root). */
export interface CgroupHost {
  mode: CgroupMode;
  /** controller -> v1 mount dir (only real controllers, not named hierarchies like name=systemd). */
  v1: Record<string, string>;
  /** cgroup2 mount dir and the controllers its cgroup.controllers lists. */
  v2?: { mount: string; controllers: string[] };
}

/** Accounting of one container cgroup; a field is absent when its controller is unavailable. */
export interface CgroupStats {
  /** Current memory charge in bytes (v1 memory.usage_in_bytes, v2 memory.current). */
  memoryCurrentBytes?: number;
  /** Peak memory charge in bytes (v1 memory.max_usage_in_bytes, v2 memory.peak when the kernel has it). */
  memoryPeakBytes?: number;
  /** Anonymous memory in bytes (v1 total_rss, v2 anon). */
  memoryAnonBytes?: number;
  /** Page cache in bytes, shmem included (v1 total_cache, v2 file). */
  memoryFileBytes?: number;
  /** CPU time consumed in ns (v1 cpuacct.usage, v2 cpu.stat usage_usec x 1000). */
  cpuUsageNs?: number;
  /** Number of tasks (v1/v2 pids.current). */
  pidsCurrent?: number;
}

/** Where a cgroup's memory and pids figures live, with this hierarchy's (v1 or v2) file names. */
export interface CgroupStatFiles {
  memoryCurrent?: string;
  memoryPeak?: string;
  memoryStat?: string;
  pidsCurrent?: string;
}

export interface CgroupHandle {
  readonly id: string;
  /** cgroup.procs files a process writes its pid into to join every controller's cgroup. */
  readonly procsFiles: string[];
  /**
   * Every directory this handle created, in rmdir order: the container dirs (one per hierarchy),
   * then the parent levels deepest first. NOTE: a parent dir is shared by all containers, so an
   * rmdir of it that fails with EBUSY/ENOTEMPTY/ENOENT must be ignored (another container lives there).
   */
  readonly dirs: string[];
  readStats(): Promise<CgroupStats>;
  /** Absolute paths of the files readStats reads for memory and pids (absent when the controller is), for samplers that keep them open. */
  statFiles(): CgroupStatFiles;
  /** Number of OOM kills in this cgroup (v1 memory.oom_control `oom_kill`, v2 memory.events `oom_kill`). */
  readOomKills(): Promise<number>;
  /** Pids currently in the cgroup (any controller dir), ascending. */
  readPids(): Promise<number[]>;
  /** SIGKILLs every process in it (loop until empty, bounded), then rmdirs all dirs; idempotent; also removes the parent dir when it became empty. */
  destroy(): Promise<void>;
}

export interface CgroupManager {
  readonly host: CgroupHost;
  /** Creates the container's cgroup in every usable controller (memory, cpu, cpuacct, pids; v2: one dir) and applies limits. Partial creation is rolled back on failure. */
  create(id: string, limits: ResourceLimits): Promise<CgroupHandle>;
  /** Handle for an existing container cgroup (no creation), for inspect/gc. */
  open(id: string): CgroupHandle;
  /** Ids that have a cgroup dir under the parent (for gc of leftovers), sorted. */
  listIds(): Promise<string[]>;
}
