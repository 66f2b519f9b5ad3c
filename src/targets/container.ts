// The container target: isobench's own runtime (namespaces, cgroups, overlayfs via the C helper),
// one warm Runtime per target, one attached container per instance.
import { promises as fs, constants as fsConstants, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { ContainerHandle, ExitInfo } from '../container/index.js';
import { Runtime } from '../container/index.js';
import { containerPaths } from '../container/state.js';
import { EnvironmentError, WorkloadError } from '../errors.js';
import { monotonicNs } from '../measure/clock.js';
import { measureDiskUsage } from '../measure/disk-usage.js';
import { readProcessTreeMemory } from '../measure/process-memory.js';
import { listProcessTreeSync } from '../measure/process-tree.js';
import { helperBinary, type RootLayout, rootLayout } from '../paths.js';
import { ensureImage } from './image-prep.js';
import { createReadyMarkerReader, followStream, type ReadyMarkerReader, tailStream } from './ready-marker.js';
import type { Availability, Instance, InstanceExit, MemorySample, Target, WorkloadSpec } from './types.js';

const SETUP_HINT = 'run the set-up command: bash scripts/setup.sh';

export interface ContainerTargetOptions {
  /** Absolute state root (image store, containers). */
  root: string;
  /** cgroup parent; default as Runtime.open (ISOBENCH_CGROUP_PARENT, else 'isobench'). */
  cgroupParent?: string;
  /** Progress lines of prepare() (image builds); default nowhere. */
  log?: (line: string) => void;
}

/** Why this host cannot run containers, or undefined when it can (root, helper, overlayfs). */
export async function findContainerBlocker(
  options: { uid?: number; helperPath?: string; procFilesystems?: string } = {},
): Promise<string | undefined> {
  const uid = options.uid ?? process.getuid?.() ?? 0;
  if (uid !== 0) return `needs root (running as uid ${uid}): run isobench as root, e.g. with sudo`;
  const helper = options.helperPath ?? helperBinary();
  try {
    await fs.access(helper, fsConstants.X_OK);
  } catch {
    return `the container helper ${helper} is missing or not executable: ${SETUP_HINT}`;
  }
  const filesystems = await readFile(options.procFilesystems ?? '/proc/filesystems', 'utf8').catch(() => '');
  if (!filesystems.split('\n').some((line) => line.split('\t').at(-1)?.trim() === 'overlay')) {
    return 'overlayfs is not available (not in /proc/filesystems): load it with `modprobe overlay`';
  }
  return undefined;
}

/** KEY=VALUE entries of an env map, in insertion order. */
export function envEntries(env: Record<string, string>): string[] {
  return Object.entries(env).map(([key, value]) => `${key}=${value}`);
}

export class ContainerTarget implements Target {
  readonly kind = 'container' as const;
  private readonly layout: RootLayout;
  private runtime: Promise<Runtime> | undefined;
  private readonly footprints = new Map<string, number>();

  constructor(private readonly options: ContainerTargetOptions) {
    this.layout = rootLayout(options.root);
  }

  /** The one warm runtime of this target, opened on first use. */
  private openRuntime(): Promise<Runtime> {
    this.runtime ??= Runtime.open(
      this.layout.root,
      this.options.cgroupParent === undefined ? {} : { cgroupParent: this.options.cgroupParent },
    );
    this.runtime.catch(() => {
      this.runtime = undefined;
    });
    return this.runtime;
  }

  async probe(): Promise<Availability> {
    const reason = await findContainerBlocker();
    return reason === undefined ? { available: true } : { available: false, reason };
  }

  /**
   * Builds or finds the image and warms the runtime's image cache (resolve + lower dirs).
   * @throws NotFoundError for an unknown image without a recipe; EnvironmentError when not root.
   */
  async prepare(workload: WorkloadSpec): Promise<void> {
    const reason = await findContainerBlocker();
    if (reason !== undefined) throw new EnvironmentError(`the container target cannot run: ${reason}`);
    await ensureImage(this.layout, workload.image, this.options.log);
    const runtime = await this.openRuntime();
    await runtime.context.store.lowerDirs(await runtime.context.store.resolve(workload.image));
  }

  /** Runs the workload attached (stdio piped, network none, the workload's limits). */
  async launch(workload: WorkloadSpec): Promise<Instance> {
    const runtime = await this.openRuntime();
    const launchedAtNs = monotonicNs();
    // NOTE: not `remove: true`: the upper dir must outlive the exit for writableBytes(); dispose()
    // removes the container (cgroup, dirs, state) through handle.cleanup().
    const handle = await runtime.run({
      image: workload.image,
      args: workload.args,
      env: envEntries(workload.env),
      limits: workload.limits,
      network: 'none',
      stdio: 'pipe',
    });
    return new ContainerInstance(handle, workload, containerPaths(this.layout.containers, handle.id), launchedAtNs);
  }

  /** Allocated bytes of the image's unpacked layer dirs (shared inodes counted once). */
  async imageFootprintBytes(workload: WorkloadSpec): Promise<number> {
    const runtime = await this.openRuntime();
    const image = await runtime.context.store.resolve(workload.image);
    const cached = this.footprints.get(image.digest);
    if (cached !== undefined) return cached;
    const usage = await measureDiskUsage(await runtime.context.store.lowerDirs(image));
    this.footprints.set(image.digest, usage.allocatedBytes);
    return usage.allocatedBytes;
  }

  /** Waits for background removals started by this target's runtime. */
  async cleanup(): Promise<void> {
    const runtime = await this.runtime?.catch(() => undefined);
    await runtime?.close();
  }
}

class ContainerInstance implements Instance {
  readonly ready: Promise<bigint>;
  readonly exited: Promise<InstanceExit>;
  private readonly reader: ReadyMarkerReader;
  private exit: InstanceExit | undefined;
  private monitorPid: number | undefined;
  private disposing: Promise<void> | undefined;

  constructor(
    private readonly handle: ContainerHandle,
    workload: WorkloadSpec,
    private readonly paths: ReturnType<typeof containerPaths>,
    readonly launchedAtNs: bigint,
  ) {
    this.reader = createReadyMarkerReader(workload.readyMarker);
    this.ready = this.reader.ready;
    const stdoutDone = handle.stdout ? followStream(handle.stdout, this.reader) : Promise.resolve();
    const stderrTail = tailStream(handle.stderr);
    const waited = handle.wait().then((info: ExitInfo) => ({ info, atNs: monotonicNs() }));
    this.exited = Promise.all([waited, stdoutDone]).then(
      ([{ info, atNs }]) => {
        const exit: InstanceExit = { exitCode: info.exitCode, atNs, oomKilled: info.oomKilled };
        this.exit = exit;
        if (workload.readyMarker === undefined) this.reader.resolveAt(atNs);
        else {
          const stderr = stderrTail();
          this.reader.fail(
            new WorkloadError(
              `the container exited with code ${exit.exitCode} (${info.reason}) before printing the ready marker '${workload.readyMarker}'${stderr ? `: ${stderr}` : ''}`,
            ),
          );
        }
        return exit;
      },
      (error: Error) => {
        this.reader.fail(error);
        throw error;
      },
    );
    this.exited.catch(() => undefined);
  }

  phases(): Record<string, number> {
    return {};
  }

  outputLines(): string[] {
    return this.reader.lines();
  }

  /**
   * The helper process that stays resident per container (it reaps the workload and records its
   * exit), from state.json; its process tree holds the workload too.
   */
  private findMonitorPid(): number | undefined {
    if (this.monitorPid !== undefined) return this.monitorPid;
    try {
      const record = JSON.parse(readFileSync(this.paths.stateFile, 'utf8')) as { monitorPid?: number };
      if (Number.isInteger(record.monitorPid) && (record.monitorPid ?? 0) > 0) this.monitorPid = record.monitorPid;
    } catch {
      // Removed meanwhile: fall back to the workload's tree only.
    }
    return this.monitorPid;
  }

  /** PSS/USS/RSS of monitor + workload tree (each process once), plus the cgroup's accounting. */
  async sampleMemory(): Promise<MemorySample> {
    const monitorPid = this.findMonitorPid();
    const roots = monitorPid === undefined ? [this.handle.pid] : [monitorPid];
    if (monitorPid !== undefined && !listProcessTreeSync(monitorPid).includes(this.handle.pid)) {
      roots.push(this.handle.pid);
    }
    const [trees, stats] = await Promise.all([
      Promise.all(roots.map((pid) => readProcessTreeMemory(pid))),
      this.handle.cgroup.readStats().catch(() => undefined),
    ]);
    const sample: MemorySample = { pssBytes: 0, ussBytes: 0, rssBytes: 0 };
    for (const tree of trees) {
      sample.pssBytes += tree.pssBytes;
      sample.ussBytes += tree.ussBytes;
      sample.rssBytes += tree.rssBytes;
    }
    if (stats) {
      const cgroup: NonNullable<MemorySample['cgroup']> = {};
      if (stats.memoryCurrentBytes !== undefined) cgroup.currentBytes = stats.memoryCurrentBytes;
      if (stats.memoryPeakBytes !== undefined) cgroup.peakBytes = stats.memoryPeakBytes;
      if (stats.memoryAnonBytes !== undefined) cgroup.anonBytes = stats.memoryAnonBytes;
      if (stats.memoryFileBytes !== undefined) cgroup.fileBytes = stats.memoryFileBytes;
      sample.cgroup = cgroup;
    }
    return sample;
  }

  /** Allocated bytes of the container's overlay upper dir (what it wrote, copy-ups included). */
  async writableBytes(): Promise<number> {
    return (await measureDiskUsage([this.paths.upperDir])).allocatedBytes;
  }

  dispose(): Promise<void> {
    this.disposing ??= (async () => {
      if (this.exit === undefined) this.handle.kill('SIGKILL');
      await this.exited.catch(() => undefined);
      await this.handle.cleanup();
    })();
    return this.disposing;
  }
}
