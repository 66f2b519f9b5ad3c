// The container target: isobench's own runtime (namespaces, cgroups, overlayfs via the C helper),
// one warm Runtime per target, one attached container per instance.
import { promises as fs, constants as fsConstants, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { parseIntegerFile, readMemoryStatFigures } from '../container/cgroups/parse-cgroup-files.js';
import type { CgroupStatFiles } from '../container/cgroups/types.js';
import type { ContainerHandle, ExitInfo } from '../container/index.js';
import { Runtime } from '../container/index.js';
import type { SeccompChoice } from '../container/seccomp/index.js';
import { containerPaths } from '../container/state.js';
import { EnvironmentError, WorkloadError } from '../errors.js';
import { monotonicNs } from '../measure/clock.js';
import { measureDiskUsage } from '../measure/disk-usage.js';
import { openProcFile, type ProcFileHandle } from '../measure/proc-files.js';
import { createTreeMemoryReader, memoryFiguresOf, type TreeMemoryReader } from '../measure/process-memory.js';
import { listProcessTreeSync } from '../measure/process-tree.js';
import { helperBinary, type RootLayout, rootLayout } from '../paths.js';
import { exitStampNs, settleReadyAtExit } from './child-exit.js';
import { ensureImage } from './image-prep.js';
import { createReadyMarkerReader, followStream, type ReadyMarkerReader, tailStream } from './ready-marker.js';
import type { Availability, Instance, InstanceExit, MemorySample, Target, WorkloadSpec } from './types.js';

const SETUP_HINT = 'run the set-up command: bash scripts/setup.sh';

export interface ContainerTargetOptions {
  /** Absolute state root (image store, containers). */
  root: string;
  /** cgroup parent; default as Runtime.open (ISOBENCH_CGROUP_PARENT, else one per state root). */
  cgroupParent?: string;
  /** Progress lines of prepare() (image builds); default nowhere. */
  log?: (line: string) => void;
  /** The containers' seccomp filter; default the runtime's default profile (bench:runtime compares with unconfined). */
  seccomp?: SeccompChoice;
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

  /** Runs the workload attached (stdio piped, the workload's network, none by default, and limits). */
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
      network: workload.network ?? 'none',
      stdio: 'pipe',
      ...(this.options.seccomp ? { seccomp: this.options.seccomp } : {}),
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

/** The handle's stat files, kept open for the instance's samples. */
type OpenCgroupFiles = { [K in keyof CgroupStatFiles]?: ProcFileHandle };

/** Opens each file that exists; closed by {@link closeCgroupFiles}. */
function openCgroupFiles(files: CgroupStatFiles): OpenCgroupFiles {
  const open: OpenCgroupFiles = {};
  for (const key of Object.keys(files) as Array<keyof CgroupStatFiles>) {
    const handle = openProcFile(files[key]!);
    if (handle !== undefined) open[key] = handle;
  }
  return open;
}

function closeCgroupFiles(files: OpenCgroupFiles): void {
  for (const handle of Object.values(files)) handle.close();
}

/** A whole-number cgroup file, or undefined when absent or not a number (v2 "max"). */
function readCount(file: ProcFileHandle | undefined): number | undefined {
  const text = file?.read();
  return text === undefined ? undefined : parseIntegerFile(text);
}

class ContainerInstance implements Instance {
  readonly ready: Promise<bigint>;
  readonly exited: Promise<InstanceExit>;
  private readonly reader: ReadyMarkerReader;
  private exit: InstanceExit | undefined;
  private readyAtNs: bigint | undefined;
  private monitorPid: number | undefined;
  private disposing: Promise<void> | undefined;
  // Sampling state, made on the first sample (nothing of it on the timed launch path).
  private cgroupFiles: OpenCgroupFiles | undefined;
  private tree: TreeMemoryReader | undefined;
  private lastTaskCount: string | undefined;

  constructor(
    private readonly handle: ContainerHandle,
    workload: WorkloadSpec,
    private readonly paths: ReturnType<typeof containerPaths>,
    readonly launchedAtNs: bigint,
  ) {
    this.reader = createReadyMarkerReader(workload.readyMarker);
    this.ready = this.reader.ready;
    this.ready.then(
      (atNs) => {
        this.readyAtNs = atNs;
      },
      () => undefined,
    );
    // The exit is the monitor's report (read before wait() has written the record), or the end of
    // stdout if that was read later (exitStampNs): the monitor lets go of the workload's output
    // before it reports, and tears down (unmount, sync) only after.
    const stdoutEnd = (handle.stdout ? followStream(handle.stdout, this.reader) : Promise.resolve()).then(() =>
      monotonicNs(),
    );
    const stderrTail = tailStream(handle.stderr);
    const waited = handle.wait();
    const reportedAt = handle.exitAtNs ?? waited.then(() => monotonicNs());
    this.exited = Promise.all([waited, reportedAt, stdoutEnd]).then(
      ([info, reportedAtNs, endAtNs]: [ExitInfo, bigint, bigint]) => {
        const atNs = exitStampNs(reportedAtNs, endAtNs);
        const exit: InstanceExit = { exitCode: info.exitCode, atNs, oomKilled: info.oomKilled };
        this.exit = exit;
        const description = `the container exited with code ${exit.exitCode} (${info.reason})`;
        settleReadyAtExit(this.reader, workload.readyMarker, atNs, description, stderrTail());
        return exit;
      },
      (error: Error) => {
        this.reader.fail(error);
        throw error;
      },
    );
    this.exited.catch(() => undefined);
  }

  /**
   * ns from launch: helperStartNs, namespacesNs, rootfsNs, execNs (the helper's stamps, known once
   * launched), then readyNs and exitNs (the exit report) once known. In that order, each >= the
   * one before. The launch starts at Runtime.run(): planning, name and cgroup come before the
   * helper's start.
   */
  phases(): Record<string, number> {
    const phases: Record<string, number> = {};
    const fromLaunch = (atNs: bigint) => Number(atNs - this.launchedAtNs);
    const stamps = this.handle.phasesNs;
    if (stamps !== undefined) {
      phases.helperStartNs = fromLaunch(stamps.helperStartNs);
      phases.namespacesNs = fromLaunch(stamps.namespacesNs);
      phases.rootfsNs = fromLaunch(stamps.rootfsNs);
      phases.execNs = fromLaunch(stamps.execNs);
    }
    if (this.readyAtNs !== undefined) phases.readyNs = fromLaunch(this.readyAtNs);
    if (this.exit !== undefined) phases.exitNs = fromLaunch(this.exit.atNs);
    return phases;
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

  /** Monitor + workload tree (each pid once): the monitor's tree holds the workload unless it left it. */
  private listInstancePids(): number[] {
    const monitorPid = this.findMonitorPid();
    const pids = monitorPid === undefined ? [] : listProcessTreeSync(monitorPid);
    if (!pids.includes(this.handle.pid)) pids.push(...listProcessTreeSync(this.handle.pid));
    return pids;
  }

  /**
   * PSS (with its anon/file/shmem split)/USS/RSS of monitor + workload tree (each process once), plus the cgroup's accounting.
   * Synchronous procfs/cgroupfs reads, and the tree is listed again only when the cgroup's task
   * count changed, a process vanished, or every 20 samples (see createTreeMemoryReader): sampling
   * every 50 ms must stay under 1 % of a core (bench/harness.ts measures it).
   */
  async sampleMemory(): Promise<MemorySample> {
    if (this.disposing !== undefined) throw new WorkloadError('the instance was disposed: nothing to sample');
    this.cgroupFiles ??= openCgroupFiles(this.handle.cgroup.statFiles());
    this.tree ??= createTreeMemoryReader(() => this.listInstancePids());
    const files = this.cgroupFiles;
    if (files.pidsCurrent !== undefined) {
      const taskCount = files.pidsCurrent.read();
      if (taskCount !== this.lastTaskCount) this.tree.invalidate();
      this.lastTaskCount = taskCount;
    }
    // Until state.json names the monitor (right after launch), list on every sample as before.
    if (this.monitorPid === undefined) this.tree.invalidate();
    const tree = this.tree.read();
    const sample: MemorySample = memoryFiguresOf(tree);
    if (files.memoryCurrent !== undefined) sample.cgroup = this.readCgroupMemory(files);
    return sample;
  }

  // The memory controller's figures; a cgroup removed meanwhile (or unreadable) gives what was read.
  private readCgroupMemory(files: OpenCgroupFiles): NonNullable<MemorySample['cgroup']> {
    const cgroup: NonNullable<MemorySample['cgroup']> = {};
    try {
      const current = readCount(files.memoryCurrent);
      if (current !== undefined) cgroup.currentBytes = current;
      const peak = readCount(files.memoryPeak);
      if (peak !== undefined) cgroup.peakBytes = peak;
      const statText = files.memoryStat?.read();
      if (statText !== undefined) {
        const stat = readMemoryStatFigures(statText);
        if (stat.anonBytes !== undefined) cgroup.anonBytes = stat.anonBytes;
        if (stat.fileBytes !== undefined) cgroup.fileBytes = stat.fileBytes;
      }
    } catch {
      // An unexpected errno from a cgroup being torn down: keep what was read.
    }
    return cgroup;
  }

  /** Allocated bytes of the container's overlay upper dir (what it wrote, copy-ups included). */
  async writableBytes(): Promise<number> {
    return (await measureDiskUsage([this.paths.upperDir])).allocatedBytes;
  }

  /** Kills the workload if it runs; resolves once the helper's unmount, the cgroup and the dirs are gone. */
  dispose(): Promise<void> {
    this.disposing ??= (async () => {
      // Close the kept-open sample files first: nothing may hold the cgroup while it is removed.
      this.tree?.close();
      if (this.cgroupFiles !== undefined) closeCgroupFiles(this.cgroupFiles);
      if (this.exit === undefined) this.handle.kill('SIGKILL');
      await this.exited.catch(() => undefined);
      await this.handle.cleanup();
    })();
    return this.disposing;
  }
}
