// One running peer instance (runc, crun, podman): the runtime's CLI process we spawned, its stdout
// followed for the ready marker, its exit, and memory summed over its process tree(s) + cgroup.
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseMemoryStat } from '../container/cgroups/parse-cgroup-files.js';
import { readIfPresent } from '../measure/proc-files.js';
import { readProcessMemory } from '../measure/process-memory.js';
import { listProcessTreeSync } from '../measure/process-tree.js';
import { ChildProcessInstance } from './child-instance.js';
import type { MemorySample, WorkloadSpec } from './types.js';

/** Waits this long for the runtime CLI to exit after the runtime killed the container. */
const STOP_GRACE_MS = 5000;

/** Target-specific parts of an instance. */
export interface PeerInstanceHooks {
  /** Further roots of the instance's process tree (podman: conmon, which is not our child). */
  extraRootPids?(): Promise<number[]>;
  /** cgroupsPath (absolute) of the container, for the cgroup's memory figures. */
  cgroupPath?(): Promise<string | undefined>;
  /** The instance's writable layer dir (overlay upper). */
  writableDir(): Promise<string>;
  /** Measures the writable dir (allocated bytes). */
  measureDir(dir: string): Promise<number>;
  /** Kills the container through the runtime (it is running or may be). */
  kill(): Promise<void>;
  /**
   * Frees everything once the CLI process has exited: runtime state, mounts, dirs, cgroups, and
   * waits for the runtime's own helper processes to be gone; resolves only when all of it is.
   */
  release(): Promise<void>;
}

/** memory.* figures of a cgroup, v1 (memory hierarchy) or v2 (unified), or undefined if it is gone. */
export async function readCgroupMemory(cgroupsPath: string): Promise<MemorySample['cgroup'] | undefined> {
  const v1 = path.join('/sys/fs/cgroup/memory', cgroupsPath);
  if (existsSync(v1)) {
    const [usage, peak, stat] = await Promise.all([
      readIfPresent(path.join(v1, 'memory.usage_in_bytes')),
      readIfPresent(path.join(v1, 'memory.max_usage_in_bytes')),
      readIfPresent(path.join(v1, 'memory.stat')),
    ]);
    return cgroupFigures(usage, peak, stat);
  }
  const v2 = path.join('/sys/fs/cgroup', cgroupsPath);
  if (existsSync(path.join(v2, 'memory.current'))) {
    const [usage, peak, stat] = await Promise.all([
      readIfPresent(path.join(v2, 'memory.current')),
      readIfPresent(path.join(v2, 'memory.peak')),
      readIfPresent(path.join(v2, 'memory.stat')),
    ]);
    return cgroupFigures(usage, peak, stat);
  }
  return undefined;
}

function cgroupFigures(usage?: string, peak?: string, stat?: string): MemorySample['cgroup'] {
  const figures: NonNullable<MemorySample['cgroup']> = {};
  const toNumber = (text?: string) => (text !== undefined && /^\d+$/.test(text.trim()) ? Number(text) : undefined);
  const current = toNumber(usage);
  const max = toNumber(peak);
  if (current !== undefined) figures.currentBytes = current;
  if (max !== undefined) figures.peakBytes = max;
  if (stat !== undefined) {
    const parsed = parseMemoryStat(stat);
    if (parsed.anonBytes !== undefined) figures.anonBytes = parsed.anonBytes;
    if (parsed.fileBytes !== undefined) figures.fileBytes = parsed.fileBytes;
  }
  return figures;
}

/** Sums smaps_rollup over the union of the trees under `roots` (each pid counted once). */
export async function readTreesMemory(
  roots: number[],
): Promise<Pick<MemorySample, 'pssBytes' | 'ussBytes' | 'rssBytes'>> {
  const pids = new Set<number>();
  for (const root of roots) for (const pid of listProcessTreeSync(root)) pids.add(pid);
  const total = { pssBytes: 0, ussBytes: 0, rssBytes: 0 };
  for (const pid of pids) {
    const memory = await readProcessMemory(pid);
    if (!memory) continue;
    total.pssBytes += memory.pssBytes;
    total.ussBytes += memory.ussBytes;
    total.rssBytes += memory.rssBytes;
  }
  return total;
}

/**
 * An Instance over a spawned runtime CLI (stdout piped). `launchedAtNs` is the caller's stamp at
 * the start of the launch (runc/crun: before the bundle and its overlay mount, which `marksNs`
 * stamp; podman: right before spawn). Ready: the first stdout line starting with the marker, else
 * the exit. Exit: the CLI's exit, the only sign of it an attached runtime gives.
 */
export class PeerInstance extends ChildProcessInstance {
  private disposing: Promise<void> | undefined;

  constructor(
    child: ChildProcess,
    workload: Pick<WorkloadSpec, 'readyMarker'>,
    launchedAtNs: bigint,
    private readonly hooks: PeerInstanceHooks,
    label: string,
    marksNs: Record<string, bigint> = {},
  ) {
    super(child, workload, launchedAtNs, label, marksNs);
  }

  /** PSS/USS/RSS over the CLI's tree (+ extra roots), and the container cgroup's memory figures. */
  async sampleMemory(): Promise<MemorySample> {
    const extra = (await this.hooks.extraRootPids?.()) ?? [];
    const roots = this.child.pid === undefined ? extra : [this.child.pid, ...extra];
    const sample: MemorySample = await readTreesMemory(roots);
    const cgroupPath = await this.hooks.cgroupPath?.();
    const cgroup = cgroupPath === undefined ? undefined : await readCgroupMemory(cgroupPath);
    if (cgroup !== undefined) sample.cgroup = cgroup;
    return sample;
  }

  async writableBytes(): Promise<number> {
    return this.hooks.measureDir(await this.hooks.writableDir());
  }

  /** Kills the container (runtime kill, then SIGKILL to the CLI after a grace period) and releases it. */
  dispose(): Promise<void> {
    this.disposing ??= (async () => {
      if (this.exit === undefined && this.child.exitCode === null && this.child.signalCode === null) {
        await this.hooks.kill().catch(() => undefined);
        const timer = setTimeout(() => this.child.kill('SIGKILL'), STOP_GRACE_MS);
        await this.exited.catch(() => undefined);
        clearTimeout(timer);
      }
      await this.exited.catch(() => undefined);
      await this.hooks.release();
    })();
    return this.disposing;
  }
}
