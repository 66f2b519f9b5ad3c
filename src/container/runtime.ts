// The container runtime as a library: one warm object (image store and cgroup manager opened
// once) whose methods are the lifecycle verbs. The CLI commands and the benchmark harness both
// drive containers through it; each verb lives in its own verbs/<verb>.ts.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { ImageStore } from '../image/store.js';
import type { StoredImage } from '../image/types.js';
import { type RootLayout, rootLayout } from '../paths.js';
import { type CgroupFs, nodeCgroupFs } from './cgroups/cgroup-fs.js';
import { detectCgroupHost } from './cgroups/detect-host.js';
import { parseParentPath } from './cgroups/layout.js';
import { createCgroupManager } from './cgroups/manager.js';
import type { CgroupHandle, CgroupManager } from './cgroups/types.js';
import type { HelperPhasesNs } from './launch/helper-protocol.js';
import type { ContainerRecord } from './state.js';
import { containerPaths } from './state.js';
import type { ExitInfo } from './types.js';
import type { ResolvedUserIds } from './user.js';
import { type ExecExit, type ExecOptions, execContainer } from './verbs/exec.js';
import { collectGarbage, type GcReport } from './verbs/gc.js';
import { killContainer } from './verbs/kill.js';
import { findContainer, isImageInUse, listContainers } from './verbs/list.js';
import { type RemoveOptions, removeContainer } from './verbs/remove.js';
import { type RunRequest, runContainer } from './verbs/run.js';
import { type StopOptions, stopContainer } from './verbs/stop.js';

/** The image store operations the runtime needs (structural, so tests could pass a fake). */
export interface RuntimeImageStore {
  resolve(ref: string): Promise<StoredImage>;
  lowerDirs(image: StoredImage): Promise<string[]> | string[];
}

/**
 * Memoizes ref -> image and image -> lower dirs while images/index.json stays the same file
 * (it is replaced by rename on every change, so inode + mtime + size identify a version). Saves
 * reading and hashing the manifest and config on every run of the harness's warm loop.
 */
export class CachedImageStore implements RuntimeImageStore {
  private version = '';
  private readonly images = new Map<string, StoredImage>();
  private readonly lowers = new Map<string, string[]>();

  constructor(
    private readonly store: RuntimeImageStore,
    private readonly indexFile: string,
  ) {}

  private checkVersion(): void {
    let version = 'missing';
    try {
      const st = statSync(this.indexFile, { bigint: true });
      version = `${st.ino}:${st.mtimeNs}:${st.size}`;
    } catch {
      // No index yet: resolve() reports the unknown image.
    }
    if (version !== this.version) {
      this.version = version;
      this.images.clear();
      this.lowers.clear();
    }
  }

  async resolve(ref: string): Promise<StoredImage> {
    this.checkVersion();
    const cached = this.images.get(ref);
    if (cached) return cached;
    const image = await this.store.resolve(ref);
    this.images.set(ref, image);
    return image;
  }

  async lowerDirs(image: StoredImage): Promise<string[]> {
    const cached = this.lowers.get(image.digest);
    if (cached) return cached;
    const dirs = await this.store.lowerDirs(image);
    this.lowers.set(image.digest, dirs);
    return dirs;
  }
}

/**
 * The runtime's cgroupfs access: nodeCgroupFs, except that creating cgroups and reading or writing
 * control files is synchronous. These are in-memory kernfs operations of tens of microseconds;
 * through fs.promises each is one or more libuv thread-pool round trips whose continuations wait
 * for the busy main thread, which made creating a container's cgroups ~1.4 ms of the launch path
 * instead of ~0.4 ms, and put ~0.5 ms between the workload's exit and wait() (the OOM count read).
 * rmdir stays asynchronous: a dying cgroup may need retries, and teardown is off the timed path.
 */
const runtimeCgroupFs: CgroupFs = {
  ...nodeCgroupFs,
  mkdir: async (dir) => {
    mkdirSync(dir);
  },
  readFile: async (file) => readFileSync(file, 'utf8'),
  writeFile: async (file, text) => writeFileSync(file, text),
  exists: async (file) => existsSync(file),
};

/**
 * The default cgroup parent of a state root: one per root, so that `gc` on one root (which
 * removes cgroups without a container dir) never touches the containers of another root.
 */
export function defaultCgroupParent(root: string): string {
  return `isobench-${createHash('sha256').update(root).digest('hex').slice(0, 12)}`;
}

/** Opens the cgroup manager over runtimeCgroupFs (as openCgroupManager does over nodeCgroupFs). */
async function openRuntimeCgroups(root: string, parent: string | undefined): Promise<CgroupManager> {
  const parentSegments = parseParentPath(parent ?? process.env.ISOBENCH_CGROUP_PARENT ?? defaultCgroupParent(root));
  const host = await detectCgroupHost('/');
  return createCgroupManager({ host, parentSegments, fs: runtimeCgroupFs, hostCpuCount: availableParallelism() });
}

/** What every verb receives: the open, warm pieces of one runtime. */
export interface RuntimeContext {
  layout: RootLayout;
  store: RuntimeImageStore;
  cgroups: CgroupManager;
  /** CPUs this process may use (validates --cpus). */
  hostCpuCount: number;
  /** Resolved users keyed by "<image digest>\0<user spec>": an image's /etc/passwd never changes. */
  userCache: Map<string, ResolvedUserIds>;
  /**
   * Background work Runtime.close() awaits: removals of --rm containers, and the teardown of
   * attached containers whose exit was reported (their helper unmounts them, then exits).
   */
  pendingCleanups: Set<Promise<void>>;
  /** Where a failed background removal is reported (default: nowhere; gc finishes it). */
  onCleanupError?: (message: string) => void;
}

/** A started container. */
export interface ContainerHandle {
  /** 64 hex. */
  id: string;
  name: string;
  /** Host pid of the workload (PID 1 in its pid namespace). */
  pid: number;
  /** Present for an attached run with stdio 'pipe'. */
  stdout?: NodeJS.ReadableStream;
  stderr?: NodeJS.ReadableStream;
  /**
   * Where the helper was during the launch (helper start, namespaces, rootfs ready, exec), as
   * absolute CLOCK_MONOTONIC ns (process.hrtime.bigint()'s clock): subtract a stamp taken before
   * run() for ns from launch. Absent when the helper sent none.
   */
  phasesNs?: HelperPhasesNs;
  /**
   * Resolves once the workload exited and its exit is recorded: in state.json, or, with `remove`,
   * once the container is unlisted (its dir moved to the trash in tmp/). Attached, this follows
   * the helper's exit report: the container's mounts (the overlay, whose unmount syncs its upper
   * fs) are still going then, and with `remove` its cgroup and files go after them, in the
   * background: await cleanup() (or Runtime.close()) for all of it to finish.
   * NOTE: the harness times run() -> wait() as start-to-exit, then awaits cleanup() untimed.
   * Detached: polls the monitor's exit file.
   */
  wait(): Promise<ExitInfo>;
  /** Sends a signal (default SIGKILL) to the workload if it still runs; never throws for a dead one. */
  kill(signal?: NodeJS.Signals | number): void;
  /**
   * Removes the cgroup (killing what is left in it), waits for the helper (attached) or monitor
   * (detached) to exit, which unmounts the container, then removes the upper/work/rootfs dirs and
   * the state dir; resolves when all is gone: no process, mount, cgroup or dir of it is left.
   * Idempotent. Attached runs with `remove` start it themselves on exit.
   */
  cleanup(): Promise<void>;
  cgroup: CgroupHandle;
}

export interface RuntimeOpenOptions {
  /** cgroup parent path; default ISOBENCH_CGROUP_PARENT, else one per state root (defaultCgroupParent). */
  cgroupParent?: string;
}

/** The container runtime on one state root. Open once, reuse: opening detects cgroups and opens the store. */
export class Runtime {
  readonly context: RuntimeContext;

  private constructor(context: RuntimeContext) {
    this.context = context;
  }

  /** Opens the image store and cgroup manager of `root` (absolute state root). */
  static async open(root: string, options: RuntimeOpenOptions = {}): Promise<Runtime> {
    const layout = rootLayout(root);
    for (const dir of [layout.containers, layout.locks, layout.tmp]) {
      try {
        mkdirSync(dir, { recursive: true });
      } catch {
        // Read-only use (ps, inspect) as a non-root user: the verbs that write check for root.
      }
    }
    const [store, cgroups] = await Promise.all([ImageStore.open(root), openRuntimeCgroups(root, options.cgroupParent)]);
    return new Runtime({
      layout,
      store: new CachedImageStore(store, path.join(layout.images, 'index.json')),
      cgroups,
      hostCpuCount: availableParallelism(),
      userCache: new Map(),
      pendingCleanups: new Set(),
    });
  }

  /** Creates and starts a container; attached by default (see RunRequest). */
  run(request: RunRequest): Promise<ContainerHandle> {
    return runContainer(this.context, request);
  }

  /** Containers with their derived status, oldest first; only running ones unless `all`. */
  list(options: { all?: boolean } = {}): Promise<ContainerRecord[]> {
    return listContainers(this.context, options);
  }

  /** One container by name, full id, or unique id prefix of at least 4 hex digits. */
  get(nameOrIdPrefix: string): Promise<ContainerRecord> {
    return findContainer(this.context, nameOrIdPrefix);
  }

  /** Sends the stop signal, waits up to timeoutMs (default 10 s), then SIGKILL; resolves once stopped. */
  stop(nameOrId: string, options: StopOptions = {}): Promise<ContainerRecord> {
    return stopContainer(this.context, nameOrId, options);
  }

  /** Sends `signal` (default SIGKILL) to a running container's workload. */
  kill(nameOrId: string, signal: string | number = 'SIGKILL'): Promise<void> {
    return killContainer(this.context, nameOrId, signal);
  }

  /** Removes a container; a running one only with `force` (killed first). */
  remove(nameOrId: string, options: RemoveOptions = {}): Promise<void> {
    return removeContainer(this.context, nameOrId, options);
  }

  /** Runs a process inside a running container and resolves with how it ended. */
  exec(nameOrId: string, args: string[], options: ExecOptions = {}): Promise<ExecExit> {
    return execContainer(this.context, nameOrId, args, options);
  }

  /** Paths of a container's log files (detached runs only write them). */
  async logs(nameOrId: string): Promise<{ stdoutPath: string; stderrPath: string }> {
    const record = await findContainer(this.context, nameOrId);
    const paths = containerPaths(this.context.layout.containers, record.id);
    return { stdoutPath: paths.stdoutLog, stderrPath: paths.stderrLog };
  }

  /**
   * Resolves when every background removal of --rm containers started by this runtime, and the
   * teardown (unmount, helper exit) of every attached container whose exit was reported, has finished.
   */
  async close(): Promise<void> {
    while (this.context.pendingCleanups.size > 0) {
      await Promise.allSettled([...this.context.pendingCleanups]);
      // Yield a macrotask: entries leave the set in their own callbacks, and a pure microtask loop
      // here would starve timers (and every timeout) if one ever lingered.
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /** Cleans leftovers of crashed runs; see verbs/gc.ts. */
  gc(): Promise<GcReport> {
    return collectGarbage(this.context);
  }

  /** True when any container (running or stopped, not yet removed) was created from `image`. */
  isImageInUse(image: StoredImage): Promise<boolean> {
    return isImageInUse(this.context, image);
  }
}

export type { ExecExit, ExecOptions, GcReport, RemoveOptions, RunRequest, StopOptions };
