// The container runtime as a library: one warm object (image store and cgroup manager opened
// once) whose methods are the lifecycle verbs. The CLI commands and the benchmark harness both
// drive containers through it; each verb lives in its own verbs/<verb>.ts.
import type { StoredImage } from '../image/types.js';
import { openRuntimeContext, type RuntimeContext, type RuntimeOpenOptions } from './context.js';
import type { ContainerHandle } from './handle.js';
import type { ContainerRecord } from './state.js';
import { containerPaths } from './state.js';
import { type ExecExit, type ExecOptions, execContainer } from './verbs/exec.js';
import { collectGarbage, type GcReport } from './verbs/gc.js';
import { killContainer } from './verbs/kill.js';
import { findContainer, isImageInUse, listContainers } from './verbs/list.js';
import { type RemoveOptions, removeContainer } from './verbs/remove.js';
import { runContainer } from './verbs/run.js';
import type { RunRequest } from './verbs/run-plan.js';
import { type StopOptions, stopContainer } from './verbs/stop.js';

/** The container runtime on one state root. Open once, reuse: opening detects cgroups and opens the store. */
export class Runtime {
  readonly context: RuntimeContext;

  private constructor(context: RuntimeContext) {
    this.context = context;
  }

  /** Opens the image store and cgroup manager of `root` (absolute state root). */
  static async open(root: string, options: RuntimeOpenOptions = {}): Promise<Runtime> {
    return new Runtime(await openRuntimeContext(root, options));
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
