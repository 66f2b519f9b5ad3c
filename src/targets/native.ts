// The native target: the workload runs directly on the host, no isolation, in a scratch dir of
// its own. The baseline every other target is compared to.
import { type ChildProcess, spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { EnvironmentError, WorkloadError } from '../errors.js';
import { monotonicNs } from '../measure/clock.js';
import { measureDiskUsage } from '../measure/disk-usage.js';
import { memoryFiguresOf, readProcessTreeMemory } from '../measure/process-memory.js';
import { listProcessTreeSync } from '../measure/process-tree.js';
import { probeBinary, type RootLayout, rootLayout } from '../paths.js';
import { DEFAULT_SEARCH_PATH, findExecutable } from '../util/find-executable.js';
import { ChildProcessInstance } from './child-instance.js';
import type { Availability, Instance, MemorySample, Target, WorkloadSpec } from './types.js';

/** argv[0] that names the probe program (build/isobench-probe natively, /usr/bin in images). */
export const PROBE_NAME = 'isobench-probe';
const BUILD_HINT = 'build it with the set-up command: bash scripts/setup.sh (or npm run build:helper)';

export interface NativeTargetOptions {
  /** Absolute state root; scratch dirs go under its tmp/. */
  root: string;
}

/**
 * The host path argv[0] runs: the probe name maps to build/isobench-probe (ISOBENCH_PROBE
 * overrides); a path is taken as is; anything else is looked up in `searchPath`.
 * Returns undefined when nothing executable is found.
 */
export async function resolveNativeProgram(
  argv0: string,
  searchPath = process.env.PATH ?? DEFAULT_SEARCH_PATH,
): Promise<string | undefined> {
  return (await findExecutable(argv0 === PROBE_NAME ? path.resolve(probeBinary()) : argv0, searchPath)) ?? undefined;
}

/** SIGKILLs a process and its descendants (children first would race their parent respawning them: parent first). */
export function killProcessTree(pid: number): void {
  for (const member of listProcessTreeSync(pid)) {
    try {
      process.kill(member, 'SIGKILL');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    }
  }
}

export class NativeTarget implements Target {
  readonly kind = 'native' as const;
  private readonly layout: RootLayout;
  /** argv[0] -> host path, resolved in prepare() so launch() does no lookup. */
  private readonly programs = new Map<string, string>();

  constructor(options: NativeTargetOptions) {
    this.layout = rootLayout(options.root);
  }

  async probe(): Promise<Availability> {
    return { available: true };
  }

  /** @throws EnvironmentError when argv[0] resolves to nothing executable (e.g. the probe is not built). */
  async prepare(workload: WorkloadSpec): Promise<void> {
    await this.programFor(workload);
    await fs.mkdir(this.layout.tmp, { recursive: true });
  }

  private async programFor(workload: WorkloadSpec): Promise<string> {
    const argv0 = workload.args[0];
    if (argv0 === undefined) throw new WorkloadError('the workload has an empty command');
    const cached = this.programs.get(argv0);
    if (cached) return cached;
    const program = await resolveNativeProgram(argv0);
    if (program === undefined) {
      throw argv0 === PROBE_NAME
        ? new EnvironmentError(`the probe program ${probeBinary()} is missing or not executable`, { hint: BUILD_HINT })
        : new EnvironmentError(`'${argv0}' is not an executable file on this host (PATH searched)`, {
            hint: 'install it, or give its absolute path as the first word of the command',
          });
    }
    this.programs.set(argv0, program);
    return program;
  }

  /**
   * Starts the workload in a fresh scratch dir (its cwd) with env PATH + workload.env.
   * Resolves once the process exists. @throws EnvironmentError/WorkloadError when it cannot start.
   */
  async launch(workload: WorkloadSpec): Promise<Instance> {
    const program = await this.programFor(workload);
    const scratch = await fs.mkdtemp(path.join(this.layout.tmp, 'native-'));
    const launchedAtNs = monotonicNs();
    let child: ChildProcess;
    try {
      child = spawn(program, workload.args.slice(1), {
        argv0: workload.args[0],
        cwd: scratch,
        env: { PATH: process.env.PATH ?? DEFAULT_SEARCH_PATH, ...workload.env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      await new Promise<void>((resolve, reject) => {
        child.once('spawn', resolve);
        child.once('error', reject);
      });
    } catch (error) {
      await fs.rm(scratch, { recursive: true, force: true });
      throw new WorkloadError(`cannot start ${program}: ${(error as Error).message}`, { cause: error });
    }
    return new NativeInstance(child, workload, scratch, launchedAtNs);
  }

  /** Allocated bytes of the program argv[0] runs (the probe binary): all native needs on disk. */
  async imageFootprintBytes(workload: WorkloadSpec): Promise<number> {
    return (await measureDiskUsage([await this.programFor(workload)])).allocatedBytes;
  }

  async cleanup(): Promise<void> {
    // Nothing per run: every instance removes its own scratch dir.
  }
}

class NativeInstance extends ChildProcessInstance {
  private readonly pid: number;
  private disposing: Promise<void> | undefined;

  constructor(
    child: ChildProcess,
    workload: WorkloadSpec,
    private readonly scratch: string,
    launchedAtNs: bigint,
  ) {
    super(child, workload, launchedAtNs, 'the workload');
    this.pid = child.pid!;
  }

  async sampleMemory(): Promise<MemorySample> {
    return memoryFiguresOf(await readProcessTreeMemory(this.pid));
  }

  async writableBytes(): Promise<number> {
    return (await measureDiskUsage([this.scratch])).allocatedBytes;
  }

  dispose(): Promise<void> {
    this.disposing ??= (async () => {
      if (this.exit === undefined && this.child.exitCode === null && this.child.signalCode === null) {
        killProcessTree(this.pid);
      }
      await this.exited.catch(() => undefined);
      await fs.rm(this.scratch, { recursive: true, force: true });
    })();
    return this.disposing;
  }
}
